"""The communication, task and thread lists: filters, keyset pages, CSV export and saved filters.

- ``/communications/``, ``/tasks/`` and ``/threads/``: the filters of crm/filters.py from the query string. An
  htmx request gets the ``list-htmx`` partial of the same template (the results table plus
  out-of-band pieces: the form's hidden state, the errors, the export link, the save form), and
  ``HX-Push-Url`` with the canonical URL, so the address bar always holds a link to what is
  shown. A history restore (back button) gets the full page.
- Pages are keyset pages (``after``/``before`` cursors; crm.selectors.communication_list and
  task_list over the ``paging`` package): a bounded number of queries whatever the page's depth
  and the table's size; a cursor that is no position in the list gives the first page. The total
  is exact when the page's queries saw every match, else PostgreSQL's estimate ("about …";
  counted when small).
- ``…/export.csv``: the filtered list in the list's order, streamed in keyset chunks. UTF-8 with
  a byte-order mark and ``;`` between fields: what Excel with Bulgarian regional settings opens
  as columns, Cyrillic intact (a ``sep=`` line would make Excel ignore the BOM). Cells that
  start with ``= + - @`` get a leading ``'`` (no formula injection). Under ASGI each chunk is
  read in a short use of the database (the connection goes back to the pool after it), so a slow,
  abandoned or failing download holds no connection; a failure mid-stream is logged and ends the
  file with a line saying it is incomplete (the status line was sent long before).
- Saved filters: a user names the current query string of a list; the sidebar lists that user's
  saved filters for that list; only the owner can delete one (404 for anyone else).
"""

import csv
import dataclasses
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST
from django_htmx.http import push_url

import paging
from config.http import HtmxHttpRequest
from config.urlcache import plain_url
from config.views import release_db_connections
from crm import selectors
from crm.filters import (
    CommunicationFilter,
    CounterpartyFilter,
    ListFilterSet,
    TaskBoardFilter,
    TaskFilter,
    ThreadFilter,
)
from crm.models import Communication, Counterparty, CounterpartyRole, Task, Thread
from savedfilters import selectors as saved_filter_selectors
from savedfilters import services as saved_filter_services

logger = logging.getLogger(__name__)

PAGING_PARAMS = ("after", "before", "page")
EXPORT_CHUNK = 2000
EXPORT_MAX_ROWS = 1_048_575  # Excel's row limit, less the header


@dataclass(frozen=True)
class ListSpec:
    kind: str
    filterset: type[ListFilterSet]
    queryset: Callable
    select: Callable  # the list selector: a page for the filter set
    template: str
    url_name: str
    export_url_name: str
    export_filename: str
    title: str
    # Filter inputs of the sidebar, row by row (names of filterset fields).
    layout: tuple[tuple[str, ...], ...]
    # Hidden state driven by the quick buttons and the column headers.
    state_fields: tuple[str, ...]
    # Sortable columns and the direction of their first click.
    first_click: dict
    # The rows a page or an export loads, when they carry more than the filtered queryset needs
    # (the thread list's counts: never computed for the rows a total counts).
    rows: Callable | None = None

    def row_queryset(self):
        return (self.rows or self.queryset)()


COMMUNICATIONS = ListSpec(
    kind="communication",
    filterset=CommunicationFilter,
    queryset=selectors.communication_list_queryset,
    select=selectors.communication_list,
    template="crm/communication_list.html",
    url_name="crm:communication_list",
    export_url_name="crm:communication_export",
    export_filename="communications",
    title=gettext_lazy("Communications"),
    layout=(
        ("subject",),
        ("counterparty",),
        ("number", "thread"),
        ("created_after", "created_before"),
        ("channel", "status"),
        ("assignee",),
        ("author",),
    ),
    state_fields=("direction", "mine", "department", "sort"),
    first_click={
        "created": "-created",
        "number": "number",
        "occurred": "-occurred",
        "subject": "subject",
        "status": "status",
    },
)

TASKS = ListSpec(
    kind="task",
    filterset=TaskFilter,
    queryset=selectors.task_list_queryset,
    select=selectors.task_list,
    template="crm/task_list.html",
    url_name="crm:task_list",
    export_url_name="crm:task_export",
    export_filename="tasks",
    title=gettext_lazy("Tasks"),
    layout=(
        ("subject",),
        ("counterparty",),
        ("number", "thread"),
        ("created_after", "created_before"),
        ("deadline_after", "deadline_before"),
        ("status",),
        ("assignee",),
        ("department",),
        ("author",),
    ),
    state_fields=("mine", "overdue", "department", "sort"),
    first_click={
        "created": "-created",
        "number": "number",
        "deadline": "deadline",
        "subject": "subject",
        "status": "status",
    },
)

THREADS = ListSpec(
    kind="thread",
    filterset=ThreadFilter,
    queryset=selectors.thread_filter_queryset,
    rows=selectors.thread_list_queryset,
    select=selectors.thread_list_page,
    template="crm/thread_list.html",
    url_name="crm:thread_list",
    export_url_name="crm:thread_export",
    export_filename="threads",
    title=gettext_lazy("Threads"),
    layout=(
        ("subject",),
        ("counterparty",),
        ("number",),
        ("created_after", "created_before"),
        ("author",),
    ),
    state_fields=("state", "mine", "sort"),
    first_click={"activity": "-activity", "created": "-created", "number": "number", "subject": "subject"},
)

COUNTERPARTIES = ListSpec(
    kind="counterparty",
    filterset=CounterpartyFilter,
    queryset=selectors.counterparty_filter_queryset,
    rows=selectors.counterparty_list_queryset,
    select=selectors.counterparty_list_page,
    template="crm/counterparty_list.html",
    url_name="crm:counterparty_list",
    export_url_name="crm:counterparty_export",
    export_filename="counterparties",
    title=gettext_lazy("Counterparties"),
    layout=(("q",),),
    state_fields=("role", "sort"),
    first_click={"name": "name"},
)

SPECS = {spec.kind: spec for spec in (COMMUNICATIONS, TASKS, THREADS, COUNTERPARTIES)}

# The task board (crm/board_views.py): the task list's filters, sidebar and saved filters, in
# columns by status (so no status filter of its own).
BOARD = dataclasses.replace(
    TASKS,
    filterset=TaskBoardFilter,
    template="crm/task_board.html",
    url_name="crm:task_board",
    title=gettext_lazy("Task board"),
    layout=tuple(row for row in TASKS.layout if row != ("status",)),
)


# --- query strings -------------------------------------------------------------------------------


def clean_query(params: QueryDict, *, keep_paging: bool = False, **changes: str | None) -> str:
    """``params`` as a query string without empty values (and cursors); ``changes`` set or drop.
    The pairs in QueryDict.urlencode's order and encoding, without making a QueryDict (a list page
    makes some fifteen of these links)."""
    pairs = [
        (key, value)
        for key, values in params.lists()
        if key not in changes and (keep_paging or key not in PAGING_PARAMS)
        for value in values
        if value != ""
    ]
    pairs.extend((key, value) for key, value in changes.items() if value)
    return urlencode(pairs)


def _round(n: int) -> int:
    """Two significant digits: 14 327 → 14 000."""
    return n if n < 100 else round(n, 2 - len(str(n)))


def _url(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


# --- the lists -------------------------------------------------------------------------------------


def communication_list(request: HtmxHttpRequest) -> HttpResponse:
    return _list(request, COMMUNICATIONS)


def task_list(request: HtmxHttpRequest) -> HttpResponse:
    return _list(request, TASKS)


def thread_list(request: HtmxHttpRequest) -> HttpResponse:
    return _list(request, THREADS)


def counterparty_list(request: HtmxHttpRequest) -> HttpResponse:
    return _list(request, COUNTERPARTIES)


def list_filterset(request: HtmxHttpRequest, spec: ListSpec) -> ListFilterSet:
    return spec.filterset(request.GET, queryset=spec.queryset(), request=request)


def _list(request: HtmxHttpRequest, spec: ListSpec) -> HttpResponse:
    filterset = list_filterset(request, spec)
    result = spec.select(filters=filterset, after=request.GET.get("after"), before=request.GET.get("before"))
    page, total = result.page, result.total
    if result.count_kind == "estimate":  # two digits are enough
        total = _round(total)
    context = _context(request, spec, filterset, page, total, result.count_kind, result.sort, result.descending)
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, f"{spec.template}#list-htmx", context)
        push_url(response, _url(request.path, clean_query(request.GET, keep_paging=True)))
    else:
        response = render(request, spec.template, context)
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-History-Restore-Request"))
    return response


def _context(request: HtmxHttpRequest, spec, filterset, page, total, count_kind, sort, descending) -> dict:
    return filter_context(request, spec, filterset) | {
        "page": page,
        "total": total,
        "count_kind": count_kind,
        "sort_links": _sort_links(request, spec, sort, descending),
        "pager": _pager_links(request, page),
    }


def filter_context(request: HtmxHttpRequest, spec: ListSpec, filterset: ListFilterSet) -> dict:
    """What the sidebar (filters, quick buttons, saved filters) and the export link need: shared
    by the lists and the task board."""
    form = filterset.form
    form.is_valid()
    path = request.path
    query = clean_query(request.GET)
    cleaned = form.cleaned_data
    # A model choice (department) is carried by its id.
    state = {name: getattr(cleaned.get(name), "pk", cleaned.get(name)) or "" for name in spec.state_fields}
    active = [
        name for name, value in cleaned.items() if name != "sort" and value not in (None, "", [])
    ]  # valid, non-empty filters
    return {
        "spec": spec,
        "filterset": filterset,
        "form": form,
        "layout": [[form[name] for name in row] for row in spec.layout],
        "state": state,
        "query": query,
        "list_url": path,
        "export_url": _url(plain_url(spec.export_url_name), query),
        "quick_links": _quick_links(request, spec, state),
        "active_count": len(active),
        "has_errors": bool(form.errors),
        "error_fields": [
            (name, form[name].label, errors) for name, errors in form.errors.items() if name in form.fields
        ],
        "saved_filters": saved_filter_selectors.saved_filters_for(user=request.user, path=path),
    }


def _sort_links(request: HtmxHttpRequest, spec: ListSpec, sort, descending: bool) -> dict:
    links = {}
    for key, first in spec.first_click.items():
        current = key == sort.key
        # A click on the sorted column reverses it; on another column sorts by it.
        target = (key if descending else f"-{key}") if current else first
        url = _url(request.path, clean_query(request.GET, sort=target))
        links[key] = {
            "url": url,
            "active": current,
            "descending": current and descending,
            "aria": ("descending" if descending else "ascending") if current else "none",
        }
    return links


def _quick_links(request: HtmxHttpRequest, spec: ListSpec, state: dict) -> list[dict]:
    """The quick buttons: a group of links, each with href and hx-get (and the active one marked)."""
    path = request.path
    groups = []
    if spec.kind == "communication":
        groups.append(
            [
                {
                    "label": _("All"),
                    "icon": "bi-arrow-left-right",
                    "url": _url(path, clean_query(request.GET, direction=None)),
                    "active": not state["direction"],
                    "id": "quick-direction-all",
                },
                {
                    "label": _("Incoming"),
                    "icon": "bi-box-arrow-in-down-right",
                    "url": _url(path, clean_query(request.GET, direction="in")),
                    "active": state["direction"] == "in",
                    "id": "quick-direction-in",
                },
                {
                    "label": _("Outgoing"),
                    "icon": "bi-box-arrow-up-right",
                    "url": _url(path, clean_query(request.GET, direction="out")),
                    "active": state["direction"] == "out",
                    "id": "quick-direction-out",
                },
            ]
        )
    if spec.kind == "thread":
        groups.append(
            [
                {
                    "label": label,
                    "icon": icon,
                    "url": _url(path, clean_query(request.GET, state=value or None)),
                    # No state is the open threads: the default list.
                    "active": (state["state"] or "open") == (value or "open"),
                    "id": f"quick-state-{value or 'open'}",
                }
                for value, label, icon in (
                    ("", _("Open"), "bi-folder2-open"),
                    ("closed", pgettext("threads filter", "Closed"), "bi-archive"),
                    ("all", _("All"), "bi-collection"),
                )
            ]
        )
    if spec.kind == "counterparty":
        roles = [("", _("All"), "bi-buildings")] + [
            (value, label, icon)
            for (value, label), icon in zip(
                CounterpartyRole.choices, ("bi-person-badge", "bi-truck", "bi-diagram-3"), strict=True
            )
        ]
        groups.append(
            [
                {
                    "label": label,
                    "icon": icon,
                    "url": _url(path, clean_query(request.GET, role=value or None)),
                    "active": state["role"] == value,
                    "id": f"quick-role-{value or 'all'}",
                }
                for value, label, icon in roles
            ]
        )
    if "mine" not in spec.state_fields:
        return groups
    mine = []
    choices = (
        ("assigned", _("Assigned to me"), "bi-person-check"),
        ("created", _("Created by me"), "bi-pencil-square"),
    )
    for value, label, icon in choices if spec.kind != "thread" else choices[1:]:
        on = state["mine"] == value
        mine.append(
            {
                "label": label,
                "icon": icon,
                "url": _url(path, clean_query(request.GET, mine=None if on else value)),
                "active": on,
                "id": f"quick-mine-{value}",
            }
        )
    groups.append(mine)
    if spec.kind == "task":
        on = state["overdue"] == "1"
        groups.append(
            [
                {
                    "label": _("Overdue"),
                    "icon": "bi-alarm",
                    "url": _url(path, clean_query(request.GET, overdue=None if on else "1")),
                    "active": on,
                    "id": "quick-overdue",
                    "danger": True,
                }
            ]
        )
    return groups


def _pager_links(request: HtmxHttpRequest, page) -> dict:
    path = request.path
    return {
        "first": _url(path, clean_query(request.GET)) if page.has_previous else None,
        "previous": _url(path, clean_query(request.GET, before=page.previous_cursor)) if page.has_previous else None,
        "next": _url(path, clean_query(request.GET, after=page.next_cursor)) if page.has_next else None,
    }


# --- CSV export ------------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A cell starting like a formula is shown as text, never evaluated (CSV injection).
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _when(value) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M") if value else ""


def _person(user) -> str:
    return str(user) if user is not None else ""


def _communication_row(c: Communication) -> list:
    return [
        c.number,
        c.get_direction_display(),
        c.get_channel_display(),
        _when(c.created_at),
        _when(c.occurred_at),
        c.subject,
        c.counterparty_label,
        c.thread.number,
        _person(c.assignee),
        _person(c.author),
        c.get_status_display(),
    ]


def _communication_header() -> list[str]:
    return [
        _("Number"),
        _("Direction"),
        _("Channel"),
        _("Created"),
        _("Date and time"),
        _("Subject"),
        _("Counterparty"),
        _("Thread"),
        _("Assignee"),
        _("Author"),
        _("Status"),
    ]


def _task_row(t: Task) -> list:
    return [
        t.number,
        _when(t.created_at),
        _when(t.deadline),
        _("yes") if t.is_overdue else "",
        t.subject,
        t.counterparty_label,
        t.thread.number,
        _person(t.assignee),
        _person(t.author),
        t.get_status_display(),
    ]


def _task_header() -> list[str]:
    return [
        _("Number"),
        _("Created"),
        _("Deadline"),
        _("Overdue"),
        _("Subject"),
        _("Counterparty"),
        _("Thread"),
        _("Assignee"),
        _("Author"),
        _("Status"),
    ]


def _thread_row(t: Thread) -> list:
    return [
        t.number,
        _when(t.created_at),
        _when(t.last_activity_at),
        t.subject,
        t.counterparty_label,
        _person(t.author),
        t.communication_count,
        t.task_count,
        t.open_task_count,
        _("yes") if t.closed else "",
    ]


def _thread_header() -> list[str]:
    return [
        _("Number"),
        _("Created"),
        _("Last activity"),
        _("Subject"),
        _("Counterparty"),
        _("Author"),
        _("Communications"),
        _("Tasks"),
        _("Open tasks"),
        _("Closed"),
    ]


def _counterparty_row(c: Counterparty) -> list:
    return [c.name, ", ".join(c.get_roles_display()), c.company_id, c.vat_number, c.email, c.phone, c.contact_total]


def _counterparty_header() -> list[str]:
    return [_("Name"), _("Roles"), _("EIK"), _("VAT"), _("E-mail"), _("Phone"), _("Contact people")]


def _csv_columns(kind: str) -> tuple[Callable, Callable]:
    """The header and the row of a list's CSV (looked up when called: tests replace a row function)."""
    return {
        "communication": (_communication_header, _communication_row),
        "task": (_task_header, _task_row),
        "thread": (_thread_header, _thread_row),
        "counterparty": (_counterparty_header, _counterparty_row),
    }[kind]


def _csv_chunks(spec: ListSpec, filterset: ListFilterSet) -> Iterator[bytes]:
    """The file in pieces of EXPORT_CHUNK rows, each piece one query (keyset)."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    header, row_of = _csv_columns(spec.kind)
    yield ("\ufeff" + writer.writerow(header())).encode()
    buffer, n = [], 0
    try:
        sort, descending = selectors.list_sort(spec.kind, filterset.sort_value)
        rows = paging.keyset_iterate(
            filterset.qs, rows=spec.row_queryset(), sort=sort, descending=descending, chunk=EXPORT_CHUNK
        )
        for n, obj in enumerate(rows, start=1):
            buffer.append(writer.writerow([_cell(v) for v in row_of(obj)]))
            if n >= EXPORT_MAX_ROWS:
                break
            if len(buffer) >= EXPORT_CHUNK:
                yield "".join(buffer).encode()
                buffer = []
    except Exception:
        # The status line and most rows are gone already: end the file, saying it is incomplete,
        # rather than break the response off (which also skipped the request's clean-up).
        logger.exception("CSV export of the %s list cut short at row %d", spec.kind, n)
        buffer.append(writer.writerow([_("The export was cut short by an error: this file is incomplete.")]))
    if buffer:
        yield "".join(buffer).encode()


def _async_chunks(chunks: Iterator[bytes]):
    """The same pieces for an ASGI server: each query runs in the request's sync thread.

    The connection is given back after every piece: the download may outlive the request's own
    clean-up (a client that disconnects, a server that drops a failing response before
    ``request_finished``), and a slow reader must not keep a pooled connection while it reads.
    """

    def step():
        try:
            return next(chunks, None)
        finally:
            release_db_connections()

    async def generate():
        while (piece := await sync_to_async(step, thread_sensitive=True)()) is not None:
            yield piece

    return generate()


def _export(request: HtmxHttpRequest, spec: ListSpec) -> StreamingHttpResponse:
    filterset = list_filterset(request, spec)
    chunks = _csv_chunks(spec, filterset)
    # Under ASGI a synchronous iterator would be read whole into memory before sending.
    content = _async_chunks(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{spec.export_filename}-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def communication_export(request: HtmxHttpRequest) -> StreamingHttpResponse:
    return _export(request, COMMUNICATIONS)


def task_export(request: HtmxHttpRequest) -> StreamingHttpResponse:
    return _export(request, TASKS)


def thread_export(request: HtmxHttpRequest) -> StreamingHttpResponse:
    return _export(request, THREADS)


def counterparty_export(request: HtmxHttpRequest) -> StreamingHttpResponse:
    return _export(request, COUNTERPARTIES)


# --- saved filters ---------------------------------------------------------------------------------


def _list_paths() -> dict[str, ListSpec]:
    return {reverse(spec.url_name): spec for spec in (*SPECS.values(), BOARD)}


@require_POST
def saved_filter_create(request: HtmxHttpRequest) -> HttpResponse:
    path = request.POST.get("path", "")
    if path not in _list_paths():
        raise Http404
    query = clean_query(QueryDict(request.POST.get("query", "")))
    name = request.POST.get("name", "").strip()
    try:
        saved = saved_filter_services.saved_filter_save(user=request.user, path=path, name=name, query_string=query)
    except saved_filter_services.ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(_url(path, query))
    messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
    return HttpResponseRedirect(saved.url)


@require_POST
def saved_filter_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    saved = saved_filter_selectors.saved_filter_for_user(user=request.user, pk=pk)
    saved_filter_services.saved_filter_delete(saved_filter=saved)
    messages.success(request, _("Filter “%(name)s” deleted.") % {"name": saved.name})
    back = urlsplit(request.POST.get("next", ""))
    if back.path in _list_paths() and not back.scheme and not back.netloc:
        return HttpResponseRedirect(_url(back.path, back.query))
    return HttpResponseRedirect(saved.path)
