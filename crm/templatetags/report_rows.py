"""The rows of the four tables of ``/reports/``, written in Python.

A year's page of every department has ~450 table rows (200 assignees twice, 53 weeks twice):
drawn by ``{% for %}`` they cost ~2,400 variable lookups and number localisations through the
template engine, most of the page's Python once the charts' SQL was fast (docs/benchmarks.md,
"Reports: the page's Python"). These tags give the same HTML, byte for byte (names escaped as
the template escaped them; whole numbers as ``{{ n }}`` prints them, the median hours through
Django's localisation: "1,5" in Bulgarian); crm/tests/test_report_rows.py compares them with the
template loops they replace.
"""

from django import template
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from config.html import day_text, e

register = template.Library()

_CELL = '<td class="text-end">'


def _empty(columns: int, message: str) -> SafeString:
    return mark_safe(  # noqa: S308 - the message is escaped
        f'<tr><td colspan="{columns}" class="text-body-secondary small">{e(message)}</td></tr>'
    )


def _head(name: str) -> str:
    return f'<tr><th scope="row" class="fw-normal">{e(name)}</th>'


@register.simple_tag
def open_task_rows(rows) -> SafeString:
    """Per assignee: new, assigned, in progress, open, and overdue in red when there are any."""
    if not rows:
        return _empty(6, _("No open tasks in this period."))
    out = []
    for row in rows:
        by_status = row.by_status
        danger = " text-danger fw-semibold" if row.overdue else ""
        out.append(
            f"{_head(row.name)}{_CELL}{by_status.get('new') or 0}</td>{_CELL}{by_status.get('assigned') or 0}</td>"
            f"{_CELL}{by_status.get('in_progress') or 0}</td>"
            f'<td class="text-end fw-semibold">{row.open}</td><td class="text-end{danger}">{row.overdue}</td></tr>'
        )
    return mark_safe("".join(out))  # noqa: S308 - names escaped, the rest numbers and dates


@register.simple_tag
def response_rows(rows) -> SafeString:
    """Per assignee: the median hours (— when nothing was answered), answered, unanswered."""
    if not rows:
        return _empty(4, _("No incoming communications in this period."))
    out = []
    for row in rows:
        hours = row["median_hours"]
        median = "—" if hours is None else e(localize(hours))
        out.append(
            f"{_head(row['name'])}{_CELL}{median}</td>{_CELL}{row['answered']}</td>{_CELL}{row['unanswered']}</td></tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 - names escaped, the rest numbers and dates


@register.simple_tag
def week_rows(rows, *keys: str) -> SafeString:
    """Per week (its Monday as "d.m.Y", the ``date`` filter's format): the counts under ``keys``."""
    out = []
    for row in rows:
        cells = "".join(f"{_CELL}{row[key]}</td>" for key in keys)
        out.append(f"{_head(day_text(row['week']))}{cells}</tr>")
    return mark_safe("".join(out))  # noqa: S308 - names escaped, the rest numbers and dates
