from django import template

from mentions.rendering import render_text

register = template.Library()


@register.filter
def render_mentions(text: str):
    """A description as safe HTML: mention tokens become chips, everything else is escaped."""
    return render_text(text or "")
