from django import template

from mentions.rendering import render_text
from mentions.selectors import mentioned_in as select_mentioned_in

register = template.Library()


@register.filter
def render_mentions(text: str):
    """A description as safe HTML: mention tokens become chips, everything else is escaped.

    A text prepared by ``mentions.selectors.mention_prefetch`` (a page of many descriptions)
    carries its resolved mentions and renders without queries."""
    return render_text(text or "")


@register.simple_tag
def mentioned_in(target, limit: int = 50):
    """``{% mentioned_in target as sources %}``: where ``target`` is mentioned, newest first."""
    return select_mentioned_in(target=target, limit=limit)
