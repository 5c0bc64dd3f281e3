"""The rows of the communication, task and thread lists, written in Python.

A list page has 50 rows; drawn with template tags, each row cost two includes (the moments), an
inclusion tag (the status badge), a handful of ``{% with %}``/``{% if %}`` nodes and ~25
variable lookups through the template engine: about 40 % of a list page's CPU (bench/bench_cpu.py,
docs/benchmarks.md "CPU per request"). These tags give the same HTML, byte for byte (every
value escaped as the template escaped it, moments in the active time zone as the ``date``
filter shows them; crm/tests/test_list_rows.py compares them with the templates they replace).
"""

import functools

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from config.html import e, moment_texts
from config.urlcache import detail_url_of
from crm.models import Communication, Status
from crm.templatetags.crm_tags import CHANNEL_ICONS, direction_label, status_badge_html

register = template.Library()

OVERDUE_ROW = ' class="overdue-row"'
CLOSED_ROW = ' class="thread-closed"'


@functools.cache
def _texts(language: str | None) -> dict:
    """The fixed words of the rows in one language, escaped: looked up once per language, not
    ~10 times per row (each gettext goes through the active-translation lookup)."""
    return {
        "free_text": e(_("Free text")),
        "overdue_title": e(_("Overdue")),
        "overdue": e(_("overdue")),
        "closed": e(_("Closed")),
        "open_tasks": e(_("Open tasks")),
        "direction": {value: e(direction_label(value)) for value in Communication.Direction.values},
        # get_status_display / get_channel_display: the label, or the stored value if unknown.
        # Not escaped: status_badge_html escapes it.
        "status": {value: str(label) for value, label in Status.choices},
        "channel": {value: e(label) for value, label in Communication.Channel.choices},
    }


class _Page:
    """What every row of a page looks up, looked up once: the language's texts, the time zone,
    the detail URLs' prefix and URLconf (each an asgiref Local read of a few µs; ~10 per row)."""

    def __init__(self):
        self.texts = _texts(get_language())
        self.zone = timezone.get_current_timezone()
        self.url = {name: detail_url_of(f"crm:{name}_detail") for name in URL_NAMES}


# The kinds a row links to (their get_absolute_url: config.urlcache.detail_url of "crm:<kind>_detail").
URL_NAMES = ("communication", "task", "thread", "counterparty")


def _moment(moment, page: _Page) -> str:
    """A moment in a list cell: the ``date`` filter's "d.m.Y" and "H:i" in the active time zone;
    the time may go under the date when the column is narrow, never the date apart (app.css:
    ``td.list-date span`` does not wrap; a class on each span was 76 bytes a row)."""
    day, time = moment_texts(moment, page.zone)
    return f"<span>{day}</span> <span>{time}</span>\n"


def _status_badge(obj, texts: dict) -> str:
    """crm_tags.status_badge with the label looked up once per language."""
    return status_badge_html(obj.status, texts["status"].get(obj.status) or obj.status)


def _free_text_icon(texts: dict) -> str:
    return f'<i class="bi bi-pencil text-body-tertiary small" title="{texts["free_text"]}" aria-hidden="true"></i>'


def _counterparty_link(obj, page: _Page) -> str:
    counterparty = obj.counterparty
    return f'<a href="{e(page.url["counterparty"](counterparty.pk))}" class="text-body">{e(counterparty.name)}</a>'


def _counterparty_cell(obj, page: _Page) -> str:
    """A task's or thread's counterparty: the linked one, the free-text name, or a dash."""
    if obj.counterparty_id:
        return _counterparty_link(obj, page)
    if obj.counterparty_name:
        return f"{e(obj.counterparty_name)} {_free_text_icon(page.texts)}"
    return '<span class="text-body-tertiary">—</span>'


def _thread_link(thread, page: _Page, subject: str) -> str:
    """The thread's number, its subject as the tooltip unless it is the row's own ``subject``
    (most items of a thread keep its subject: the same words twice in a row, ~1.5 KB a page)."""
    title = f' title="{e(thread.subject)}"' if thread.subject != subject else ""
    return f'<a class="link-secondary" href="{e(page.url["thread"](thread.pk))}"{title}>{e(thread.number)}</a>'


def _rows(draw, objects) -> SafeString:
    """What ``{% for obj in objects %}{% <kind>_row obj %}{% endfor %}`` would draw, a row a
    line (no indentation: issue 13's "list page HTML ≤ 60 KB"), with one _Page for all the rows."""
    page = _Page()
    return mark_safe("".join(f"\n{draw(obj, page)}" for obj in objects))  # noqa: S308 - escaped


def _communication_row(c, page: _Page) -> str:
    texts = page.texts
    url = e(page.url["communication"](c.pk))
    direction = texts["direction"].get(c.direction) or e(direction_label(c.direction))
    channel = texts["channel"].get(c.channel) or e(c.channel)
    arrow = "bi-box-arrow-in-down-right" if c.direction == "in" else "bi-box-arrow-up-right"
    counterparty = (
        _counterparty_link(c, page) if c.counterparty_id else f"{e(c.counterparty_name)} {_free_text_icon(texts)}"
    )
    return (
        f'<tr data-id="{c.pk}">\n'
        f'<td class="text-nowrap">\n'
        f'<span class="list-kind list-kind-{e(c.direction)}" title="{direction} · {channel}">'
        f'<i class="bi {arrow}" aria-hidden="true"></i>'
        f'<i class="bi {e(CHANNEL_ICONS.get(c.channel, "bi-chat"))}" aria-hidden="true"></i>'
        f'<span class="visually-hidden">{direction}, {channel}</span></span>\n'
        f'<a href="{url}" class="fw-medium">{e(c.number)}</a>\n'
        f"</td>\n"
        f'<td class="small list-date list-occurred">{_moment(c.occurred_at, page)}</td>\n'
        f'<td class="small list-date">{_moment(c.created_at, page)}</td>\n'
        f'<td class="list-subject">\n'
        f'<a href="{url}" class="text-body">{e(c.subject)}</a>\n'
        f'<div class="small text-body-secondary text-truncate">'
        f"{_thread_link(c.thread, page, c.subject)} · {e(c.author)}</div>\n"
        f"</td>\n"
        f'<td class="list-counterparty">{counterparty}</td>\n'
        f'<td class="small">{e(c.assignee) if c.assignee else "—"}</td>\n'
        f'<td class="list-status">{_status_badge(c, texts)}</td>\n'
        f"</tr>"
    )


def _task_row(t, page: _Page) -> str:
    texts = page.texts
    url = e(page.url["task"](t.pk))
    overdue = t.is_overdue
    counterparty = _counterparty_cell(t, page)
    if overdue:
        deadline = (
            f'<span class="overdue" title="{texts["overdue_title"]}"><i class="bi bi-alarm" aria-hidden="true"></i> '
            f'{_moment(t.deadline, page)}<span class="visually-hidden"> ({texts["overdue"]})</span></span>'
        )
    elif t.deadline:
        deadline = _moment(t.deadline, page)
    else:
        deadline = "—"
    return (
        f'<tr data-id="{t.pk}"{OVERDUE_ROW if overdue else ""}>\n'
        f'<td class="text-nowrap"><a href="{url}" class="fw-medium">{e(t.number)}</a></td>\n'
        f'<td class="small list-date">{_moment(t.created_at, page)}</td>\n'
        f'<td class="list-subject">\n'
        f'<a href="{url}" class="text-body">{e(t.subject)}</a>\n'
        f'<div class="small text-body-secondary text-truncate">'
        f"{_thread_link(t.thread, page, t.subject)} · {e(t.author)}</div>\n"
        f"</td>\n"
        f'<td class="list-counterparty">{counterparty}</td>\n'
        f'<td class="small">{e(t.assignee) if t.assignee else "—"}</td>\n'
        f'<td class="small list-date list-deadline">{deadline}</td>\n'
        f'<td class="list-status">{_status_badge(t, texts)}</td>\n'
        f"</tr>"
    )


def _thread_row(thread, page: _Page) -> str:
    texts = page.texts
    url = e(page.url["thread"](thread.pk))
    closed = thread.closed
    counterparty = _counterparty_cell(thread, page)
    badge = (
        f' <span class="badge thread-closed-badge" data-closed><i class="bi bi-archive" aria-hidden="true"></i> '
        f"{texts['closed']}</span>"
        if closed
        else ""
    )
    open_tasks = (
        f'<span class="badge text-bg-warning" title="{texts["open_tasks"]}">{e(thread.open_task_count)}</span> / '
        if thread.open_task_count
        else ""
    )
    return (
        f'<tr data-id="{thread.pk}"{CLOSED_ROW if closed else ""}>\n'
        f'<td class="text-nowrap"><a href="{url}" class="fw-medium">{e(thread.number)}</a></td>\n'
        f'<td class="list-subject">\n'
        f'<a href="{url}" class="text-body">{e(thread.subject)}</a>{badge}\n'
        f'<div class="small text-body-secondary text-truncate">{e(thread.author)}</div>\n'
        f"</td>\n"
        f'<td class="list-counterparty">{counterparty}</td>\n'
        f'<td class="text-end small">{e(thread.communication_count)}</td>\n'
        f'<td class="text-end small text-nowrap">{open_tasks}{e(thread.task_count)}</td>\n'
        f'<td class="small list-date">{_moment(thread.created_at, page)}</td>\n'
        f'<td class="small list-date">{_moment(thread.last_activity_at, page)}</td>\n'
        f"</tr>"
    )


def _register_row_tags(kind: str, draw) -> None:
    """``{% <kind>_row obj %}`` (one row) and ``{% <kind>_rows objects %}`` (a page of them)."""

    def row(obj) -> SafeString:
        return mark_safe(draw(obj, _Page()))  # noqa: S308 - escaped

    def rows(objects) -> SafeString:
        return _rows(draw, objects)

    register.simple_tag(row, name=f"{kind}_row")
    register.simple_tag(rows, name=f"{kind}_rows")


for _kind, _draw in (("communication", _communication_row), ("task", _task_row), ("thread", _thread_row)):
    _register_row_tags(_kind, _draw)
