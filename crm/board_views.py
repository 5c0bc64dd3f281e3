"""The task board (``/tasks/board/``), the calendar (``/calendar/``) and the personal iCalendar
feed (``/calendar/<token>.ics``).

- The board is the task list in columns by status: the same filter set, sidebar, quick buttons
  and saved filters (crm.list_views.BOARD); a column loads more cards with ``?column=<status>
  &after=<cursor>`` (an htmx fragment). A card moves with ``POST /tasks/board/move/`` (JSON),
  through the task page's own command (services.task_status_set), so the timeline event and
  whoever is told are the same; every card also has a status menu, which without JavaScript is
  the task page's quick status form.
- The calendar page draws FullCalendar (static/js/calendar.js), which asks
  ``/calendar/events/?start=&end=`` for the visible range; a task dropped on another day moves
  its deadline through services.item_edit (the task form's command), keeping the time of day.
- Moves answer ``{"ok": true, …}`` or ``{"ok": false, "error": "<why>"}`` with 400/403/404: the
  page puts the card back and shows the reason. Nothing of a refused move is saved.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import push_url

from accounts.models import User
from accounts.selectors import employee_list
from config.http import HtmxHttpRequest
from crm import access, board_selectors, services
from crm.board_selectors import BOARD_STATUSES, CALENDAR_MAX_DAYS, calendar_feed_token
from crm.calendar_feed import feed_calendar
from crm.inputs import parse_id, validate_date_in_range
from crm.list_views import BOARD, clean_query, filter_context, list_filterset
from crm.models import Status, Task
from crm.services.calendar_feeds import calendar_feed_regenerate
from crm.templatetags.board_tags import CardTexts, board_card

# --- the board -----------------------------------------------------------------------------------


def _more_url(request: HtmxHttpRequest, status: str, page) -> str | None:
    if not page.has_next:
        return None
    return f"{request.path}?{clean_query(request.GET, column=status, after=page.next_cursor)}"


def _board_url(request: HtmxHttpRequest) -> str:
    """The board with the current filters: where a card's status form (no JavaScript) returns."""
    query = clean_query(request.GET, column=None)
    return f"{reverse('crm:task_board')}?{query}" if query else reverse("crm:task_board")


@require_GET
def task_board(request: HtmxHttpRequest) -> HttpResponse:
    filterset = list_filterset(request, BOARD)
    column = request.GET.get("column")
    if column is not None:  # "load more" of one column
        if column not in BOARD_STATUSES:
            return HttpResponseBadRequest(_("Unknown status."))
        page = board_selectors.board_column_page(filters=filterset, status=column, after=request.GET.get("after"))
        context = {"page": page, "status": column, "more_url": _more_url(request, column, page)}
        context["card_texts"] = CardTexts(request, _board_url(request))
        return render(request, "crm/task_board.html#column-cards", context)
    columns = [
        (column, _more_url(request, column.status, column.page))
        for column in board_selectors.task_board(filters=filterset)
    ]
    kinds = {column.count_kind for column, _more in columns}
    context = filter_context(request, BOARD, filterset) | {
        "columns": columns,
        "total": sum(column.count for column, _more in columns),
        "count_kind": "estimate" if "estimate" in kinds else "more" if "more" in kinds else "exact",
        "card_texts": CardTexts(request, _board_url(request)),
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "crm/task_board.html#board-htmx", context)
        push_url(response, _board_url(request))
    else:
        response = render(request, "crm/task_board.html", context)
    patch_vary_headers(response, ("HX-Request", "HX-History-Restore-Request"))
    return response


def _refused(message: str, status: int) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


def _task_to_move(request: HtmxHttpRequest) -> Task | JsonResponse:
    """The task of a move payload, if the user may change it; else the refusal to send."""
    pk = parse_id(request.POST.get("task"))
    if pk is None:
        return _refused(_("No such task."), 400)
    try:
        return access.task_for_edit(request.user, pk)
    except Http404:
        return _refused(_("No such task."), 404)
    except PermissionDenied:
        return _refused(_("Only the author, the assignee or a manager may change this task."), 403)


def _card(request: HtmxHttpRequest, task: Task) -> str:
    task = board_selectors.board_card_queryset().get(pk=task.pk)
    return board_card(task, CardTexts(request, reverse("crm:task_board")))


@require_POST
def task_board_move(request: HtmxHttpRequest) -> JsonResponse:
    task = _task_to_move(request)
    if isinstance(task, JsonResponse):
        return task
    status = request.POST.get("status", "")
    if status not in BOARD_STATUSES:
        return _refused(_("Unknown status."), 400)
    if status == Status.NEW and task.assignee_id is not None:
        # The pipeline would make it "assigned" (DESIGN.md): say so rather than land elsewhere.
        return _refused(_("A task with an assignee cannot be new: remove the assignee first."), 400)
    if status != task.status:
        task = services.task_status_set(task=task, actor=request.user, status=status)
    message = _("%(number)s: %(status)s.") % {"number": task.number, "status": task.get_status_display()}
    return JsonResponse({"ok": True, "status": task.status, "message": message, "card": _card(request, task)})


# --- the calendar ----------------------------------------------------------------------------------


def _feed_url(request: HtmxHttpRequest, feed) -> str | None:
    if feed is None:
        return None
    return request.build_absolute_uri(reverse("crm:calendar_feed", args=[calendar_feed_token(feed=feed)]))


@require_GET
def calendar(request: HtmxHttpRequest) -> HttpResponse:
    assignee = parse_id(request.GET.get("assignee"))
    context = {
        "employees": employee_list(),
        "assignee": assignee,
        "feed_url": _feed_url(request, board_selectors.calendar_feed_of(user=request.user)),
        "max_days": CALENDAR_MAX_DAYS,
    }
    return render(request, "crm/calendar.html", context)


def _moment(raw: str | None) -> datetime.datetime | None:
    """A range bound from FullCalendar (ISO 8601, with or without offset; a date alone is its
    midnight in the company's zone); None when it is no moment a user could mean."""
    if not raw or len(raw) > 40:
        return None
    try:
        moment = datetime.datetime.fromisoformat(raw.replace(" ", "+").replace("Z", "+00:00"))
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
        validate_date_in_range(moment)
    except (ValueError, OverflowError, ValidationError):
        return None
    return moment


# The status colours of static/css/app.css (.status-*), as FullCalendar takes them: an event's
# colour is an inline custom property it sets itself, which a stylesheet cannot override
# (FullCalendar 7: "color" and "contrastColor").
EVENT_COLOURS = {
    Status.NEW: ("#6c757d", "#fff"),
    Status.ASSIGNED: ("#0dcaf0", "#052c33"),
    Status.IN_PROGRESS: ("#b45309", "#fff"),
    Status.DONE: ("#198754", "#fff"),
    "overdue": ("#dc3545", "#fff"),
    "meeting": ("#0d6efd", "#fff"),
}


def _event_of_task(task: Task) -> dict:
    colour, text = EVENT_COLOURS["overdue" if task.is_overdue else task.status]
    return {
        "color": colour,
        "contrastColor": text,
        "id": f"task-{task.pk}",
        "title": f"{task.number} {task.subject}",
        "start": timezone.localtime(task.deadline).isoformat(),
        "url": task.get_absolute_url(),
        # Every task can be dragged; the server decides (task_for_edit) and a refusal reverts.
        "editable": True,
        "classNames": [
            "cal-task",
            f"status-{task.status.replace('_', '-')}",
            *(["cal-overdue"] if task.is_overdue else []),
        ],
        "extendedProps": {
            "kind": "task",
            "pk": task.pk,
            "status": task.get_status_display(),
            "assignee": str(task.assignee) if task.assignee else "",
        },
    }


def _event_of_meeting(meeting) -> dict:
    colour, text = EVENT_COLOURS["meeting"]
    return {
        "color": colour,
        "contrastColor": text,
        "id": f"meeting-{meeting.pk}",
        "title": f"{meeting.number} {meeting.subject}",
        "start": timezone.localtime(meeting.occurred_at).isoformat(),
        "url": meeting.get_absolute_url(),
        "editable": False,
        "classNames": ["cal-meeting"],
        "extendedProps": {
            "kind": "meeting",
            "pk": meeting.pk,
            "status": meeting.get_status_display(),
            "assignee": str(meeting.assignee) if meeting.assignee else "",
        },
    }


@require_GET
def calendar_events(request: HtmxHttpRequest) -> JsonResponse:
    start, end = _moment(request.GET.get("start")), _moment(request.GET.get("end"))
    if start is None or end is None or end <= start:
        return _refused(_("Give the range as start and end dates, the end after the start."), 400)
    if end - start > datetime.timedelta(days=CALENDAR_MAX_DAYS):
        return _refused(_("The range may be at most %(days)d days.") % {"days": CALENDAR_MAX_DAYS}, 400)
    assignee = None
    if request.GET.get("assignee"):
        assignee = User.objects.filter(pk=parse_id(request.GET["assignee"]) or 0).first()
        if assignee is None:
            return _refused(_("No such employee."), 400)
    found = board_selectors.calendar_events(start=start, end=end, assignee=assignee)
    events = [_event_of_task(t) for t in found.tasks]
    events += [_event_of_meeting(m) for m in found.meetings]
    response = JsonResponse(events, safe=False)
    response["X-Calendar-Truncated"] = "1" if found.truncated else "0"
    return response


def _new_deadline(task: Task, raw: str | None) -> datetime.datetime | None:
    """The day ``raw`` (ISO date; a datetime's date part) at the deadline's time of day."""
    if not raw or len(raw) > 40:
        return None
    try:
        day = datetime.date.fromisoformat(raw[:10])
    except ValueError:
        return None
    zone = ZoneInfo(settings.TIME_ZONE)
    time_of_day = timezone.localtime(task.deadline, zone).time() if task.deadline else datetime.time(17, 0)
    try:
        moment = datetime.datetime.combine(day, time_of_day, tzinfo=zone)
        validate_date_in_range(moment)
    except (ValueError, OverflowError, ValidationError):
        return None
    return moment


@require_POST
def calendar_move(request: HtmxHttpRequest) -> JsonResponse:
    task = _task_to_move(request)
    if isinstance(task, JsonResponse):
        return task
    deadline = _new_deadline(task, request.POST.get("date"))
    if deadline is None:
        return _refused(_("Enter a valid date."), 400)
    try:
        task = services.item_edit(item=task, actor=request.user, changes={"deadline": deadline})
    except ValidationError as error:
        return _refused(" ".join(error.messages), 400)
    shown = timezone.localtime(task.deadline).strftime("%d.%m.%Y %H:%M")
    message = _("Deadline of %(number)s: %(deadline)s.") % {"number": task.number, "deadline": shown}
    return JsonResponse({"ok": True, "deadline": timezone.localtime(task.deadline).isoformat(), "message": message})


# --- the iCalendar feed ----------------------------------------------------------------------------


@require_POST
def calendar_feed_new(request: HtmxHttpRequest) -> HttpResponse:
    calendar_feed_regenerate(user=request.user)
    messages.success(request, _("A new feed address was made; the old one no longer works."))
    return redirect(f"{reverse('crm:calendar')}#subscribe")


@login_not_required  # the token is the credential: calendar apps send no session
@require_GET
def calendar_feed(request: HtmxHttpRequest, token: str) -> HttpResponse:
    user = board_selectors.calendar_feed_user(token=token)
    if user is None:
        raise Http404
    body = feed_calendar(
        user=user, tasks=board_selectors.feed_tasks(user=user), base_url=request.build_absolute_uri("/")
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="crm-tasks.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
