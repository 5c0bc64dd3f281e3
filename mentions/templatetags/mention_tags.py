from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from config.html import e, moment_texts
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


def _moment(moment) -> str:
    """``{{ moment|date:"d.m.Y H:i" }}``: in the active time zone."""
    return " ".join(moment_texts(moment))


@register.simple_tag
def mentioned_in_card(target, limit: int = 50) -> SafeString:
    """mentions/_mentioned_in.html's card, written in Python: the HTML its template drew (a loop of
    escaped values and two translations through the engine, ~1 ms of a detail page), byte for
    byte (mentions/tests/test_mentioned_in_card.py renders the template beside it)."""
    sources = select_mentioned_in(target=target, limit=limit)
    rows = "".join(
        f'\n    <li class="list-group-item d-flex flex-wrap gap-2 align-items-baseline">\n'
        f'      <span class="badge text-bg-light border">{e(source.kind)}</span>\n'
        f'      <a href="{e(source.url)}" class="mentioned-in-link"><span class="fw-semibold">'
        f"{e(source.label)}</span>{f' {e(source.hint)}' if source.hint else ''}</a>\n"
        f'      <span class="ms-auto small text-body-secondary">{_moment(source.mentioned_at)}</span>\n'
        f"    </li>\n    "
        for source in sources
    ) or (
        f'\n    <li class="list-group-item text-body-secondary small">{e(_("Not mentioned anywhere yet."))}</li>\n    '
    )
    return mark_safe(  # noqa: S308 - every value above is escaped or built as safe HTML
        f'\n<section class="card mt-4 mb-4 mentioned-in" aria-labelledby="mentioned-in-title" id="mentioned-in">\n'
        f'  <div class="card-header"><h2 class="h6 mb-0" id="mentioned-in-title"><i class="bi bi-at"'
        f' aria-hidden="true"></i> {e(_("Mentioned in"))} <span class="badge text-bg-secondary">{len(sources)}'
        f"</span></h2></div>\n"
        f'  <ul class="list-group list-group-flush">\n'
        f"    {rows}\n"
        f"  </ul>\n"
        f"</section>\n"
    )
