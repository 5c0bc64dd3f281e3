"""Descriptions to safe HTML. Everything the user typed is escaped; only markup we build is kept.

The text is cut into segments (mentions.parsing.scan); plain text is escaped with line breaks
as ``<br>``; a mention becomes a chip linking to the object under its *current* name (the
stored label, struck through, when the object is gone); ``http``/``https``/``mailto`` links
become links. No attribute value or tag ever comes from the text except through ``escape``,
so a description cannot inject markup, script, event handlers or htmx attributes.

Only the first ``parsing.MAX_MENTIONS`` distinct mentions of a text become chips (and only those
are looked up): a longer text, saved before the limit or imported, shows the rest as written.
"""

from __future__ import annotations

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from mentions import registry
from mentions.parsing import Handle, Link, Text, Token, collect, scan, within_limit
from mentions.selectors import mention_resolve
from mentions.types import Resolution, Target


def _plain(text: str) -> str:
    return str(escape(text)).replace("\n", "<br>")


def _chip(target: Target) -> str:
    return format_html(
        '<a class="mention-chip {}" href="{}" data-mention="{}:{}"{}>{}{}</a>',
        target.chip_class,
        target.url,
        target.key,
        target.pk,
        format_html(' title="{}"', target.hint) if target.hint else "",
        target.trigger,
        target.label,
    )


def _gone(token: Token) -> str:
    entry = registry.get(token.key)
    return format_html(
        '<span class="mention-chip {} mention-gone" title="{}">{}{}</span>',
        entry.chip_class if entry else f"mention-{token.key}",
        _("This no longer exists."),
        token.trigger,
        token.label,
    )


def _link(link: Link) -> str:
    return format_html('<a href="{}" rel="nofollow noopener noreferrer" target="_blank">{}</a>', link.href, link.text)


def render_text(text: str, *, resolution: Resolution | None = None) -> SafeString:
    """``text`` as safe HTML. Without ``resolution`` (or a ``mentions.types.MentionText``), its
    mentions are looked up here: one query per kind of object it mentions."""
    if not text:
        return mark_safe("")  # noqa: S308 - empty
    segments = within_limit(scan(str(text), is_known=registry.is_known))
    if resolution is None:
        resolution = getattr(text, "mention_resolution", None)
    if resolution is None:
        resolution = mention_resolve(mentions=collect(segments))
    html = []
    for segment in segments:
        if isinstance(segment, Text):
            html.append(_plain(segment.text))
        elif isinstance(segment, Token):
            target = resolution.target(segment.ref)
            html.append(_chip(target) if target is not None else _gone(segment))
        elif isinstance(segment, Handle):
            target = resolution.handle(segment.name)
            html.append(_chip(target) if target is not None else _plain(f"@{segment.name}"))
        else:
            html.append(_link(segment))
    return mark_safe("".join(html))  # noqa: S308 - every piece is escaped or built by format_html


def render_plain(text: str, *, resolution: Resolution | None = None) -> str:
    """``text`` as plain text for a reader outside the app (an e-mail): each mention token is its
    trigger and label (``@Иван Петров``, the current name; the stored one when the object is
    gone), never its markup; everything else as written. Not HTML: escape it where HTML is made."""
    if not text:
        return ""
    segments = within_limit(scan(str(text), is_known=registry.is_known))
    if resolution is None:
        resolution = mention_resolve(mentions=collect(segments))
    plain = []
    for segment in segments:
        if isinstance(segment, Text):
            plain.append(segment.text)
        elif isinstance(segment, Token):
            target = resolution.target(segment.ref)
            plain.append(f"{segment.trigger}{target.label if target is not None else segment.label}")
        elif isinstance(segment, Handle):
            plain.append(f"@{segment.name}")
        else:
            plain.append(segment.text)
    return "".join(plain)
