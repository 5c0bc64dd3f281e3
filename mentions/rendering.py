"""Descriptions to safe HTML. Everything the user typed is escaped; only markup we build is kept."""

from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe


def render_text(text: str) -> SafeString:
    # urlize escapes its input (autoescape=True) and links only http(s)/mailto-looking text.
    html = urlize(text, nofollow=True, autoescape=True)
    return mark_safe(html.replace("\r\n", "\n").replace("\n", "<br>"))  # noqa: S308 - escaped by urlize
