"""Reads of the task board, the calendar and the iCalendar feed (views in crm/board_views.py).

- The board is the task list (the same filter set, crm.filters.TaskFilter) split by status: one
  keyset page per column (the ``paging`` engine, as the lists), each with the lists' kind of total.
- The calendar reads task deadlines and meetings (communications with channel ``meeting``, at
  ``occurred_at``) inside the visible range only; the range is bounded (CALENDAR_MAX_DAYS) and so
  is the number of events per kind (CALENDAR_MAX_EVENTS: a busy month of a whole company).
- The feed: the open tasks with a deadline of the user whose token it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from django.db.models import QuerySet
from django.utils.crypto import constant_time_compare, salted_hmac

from config.compiled import CompiledQuery
from crm.inputs import parse_id
from crm.models import CalendarFeed, Communication, Status, Task
from crm.selectors import OPEN_STATUSES, ListFilters, list_sort
from paging import KeysetPage, keyset_first_pages, keyset_page, list_counts

if TYPE_CHECKING:
    from accounts.models import User

BOARD_STATUSES = tuple(Status.values)  # new, assigned, in progress, done: the columns, in order
BOARD_PAGE_SIZE = 20
CALENDAR_MAX_DAYS = 62  # a month view shows six weeks; a little more for a custom range
CALENDAR_MAX_EVENTS = 500
FEED_MAX_TASKS = 2000


# --- the board ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardColumn:
    status: str
    label: str
    page: KeysetPage
    count: int
    count_kind: str  # as the lists' totals: "exact", "more" (more than ``count``) or "estimate"


class BoardFilters(ListFilters, Protocol):
    """What the board reads of its bound filter set (crm.filters.TaskBoardFilter)."""

    @property
    def statuses_that_can_match(self) -> list[str]: ...


# A column no task passing the filters can be in.
NO_CARDS = KeysetPage(items=[], next_cursor=None, previous_cursor=None, total=0)


def _column_queryset(filters: ListFilters, status: str) -> QuerySet[Task]:
    return filters.qs.filter(status=status)


def board_card_queryset() -> QuerySet[Task]:
    """What a card shows (crm.templatetags.board_tags.board_card), and no more: 80 cards a page,
    so the thread, the author and the long texts the list rows carry are left out."""
    return Task.objects.select_related("counterparty", "assignee").only(
        "pk",
        "number",
        "subject",
        "status",
        "deadline",
        "counterparty_name",
        "counterparty__name",
        "assignee__username",
        "assignee__first_name",
        "assignee__last_name",
    )


# The cards of a page by their ids: compiled once (config.compiled), not built per request.
_CARD_ROWS = CompiledQuery(lambda ids: board_card_queryset().filter(pk__in=ids).order_by())


def board_column_page(*, filters: BoardFilters, status: str, after: str | None = None) -> KeysetPage:
    """One column's page of cards after a cursor of that column (an invalid one: the first page),
    in the order of the filter set's ``sort`` (the board's default: earliest deadline first)."""
    if status not in filters.statuses_that_can_match:
        return NO_CARDS
    sort, descending = list_sort("task", filters.sort_value)
    return keyset_page(
        _column_queryset(filters, status),
        rows=board_card_queryset(),
        sort=sort,
        descending=descending,
        after=after,
        size=BOARD_PAGE_SIZE,
        load=_CARD_ROWS.run,
    )


def task_board(*, filters: BoardFilters) -> list[BoardColumn]:
    """Every column's first page and count. The pages share one window edge and one load of
    their cards (paging.keyset_first_pages). A count is what the lists show as their total
    (crm.selectors._list_page): exact when the page's queries saw every card, else paging's
    list_counts of the other columns together (PostgreSQL's estimate when large, a capped count
    within a time budget when small). One exact GROUP BY over the filtered tasks was tried first: 75 ms of the 80 ms
    budget on the bench's department of 30 000 tasks (docs/benchmarks.md)."""
    labels = dict(Status.choices)
    sort, descending = list_sort("task", filters.sort_value)
    possible = [status for status in BOARD_STATUSES if status in filters.statuses_that_can_match]
    found = keyset_first_pages(
        [_column_queryset(filters, status) for status in possible],
        rows=board_card_queryset(),
        sort=sort,
        descending=descending,
        size=BOARD_PAGE_SIZE,
        load=_CARD_ROWS.run,
    )
    by_status = dict(zip(possible, found, strict=True))
    pages = [by_status.get(status, NO_CARDS) for status in BOARD_STATUSES]
    uncounted = [status for status, page in zip(BOARD_STATUSES, pages, strict=True) if page.total is None]
    counts = dict(zip(uncounted, list_counts([_column_queryset(filters, s) for s in uncounted]), strict=True))
    columns = []
    for status, page in zip(BOARD_STATUSES, pages, strict=True):
        count, kind = (page.total, "exact") if page.total is not None else counts[status]
        if kind == "estimate":  # never less than what is known to exist
            count = max(count, len(page) + 1)
        columns.append(BoardColumn(status=status, label=labels[status], page=page, count=count, count_kind=kind))
    return columns


# --- the calendar --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarEvents:
    tasks: list[Task]
    meetings: list[Communication]
    truncated: bool  # more than CALENDAR_MAX_EVENTS of a kind in the range: the first ones shown


def calendar_events(*, start: datetime, end: datetime, assignee: User | None = None) -> CalendarEvents:
    """Task deadlines and meetings in [start, end) (``end - start`` at most CALENDAR_MAX_DAYS;
    the caller checks), optionally of one assignee, earliest first."""
    if end - start > timedelta(days=CALENDAR_MAX_DAYS):
        raise ValueError("calendar range too long")
    tasks = (
        Task.objects.filter(deadline__gte=start, deadline__lt=end)
        .select_related("assignee")
        .only("pk", "number", "subject", "deadline", "status", "assignee")
        .order_by("deadline", "pk")
    )
    meetings = (
        Communication.objects.filter(channel=Communication.Channel.MEETING, occurred_at__gte=start, occurred_at__lt=end)
        .select_related("assignee")
        .only("pk", "number", "subject", "occurred_at", "status", "assignee")
        .order_by("occurred_at", "pk")
    )
    if assignee is not None:
        tasks, meetings = tasks.filter(assignee=assignee), meetings.filter(assignee=assignee)
    task_rows = list(tasks[: CALENDAR_MAX_EVENTS + 1])
    meeting_rows = list(meetings[: CALENDAR_MAX_EVENTS + 1])
    truncated = len(task_rows) > CALENDAR_MAX_EVENTS or len(meeting_rows) > CALENDAR_MAX_EVENTS
    return CalendarEvents(
        tasks=task_rows[:CALENDAR_MAX_EVENTS], meetings=meeting_rows[:CALENDAR_MAX_EVENTS], truncated=truncated
    )


# --- the iCalendar feed --------------------------------------------------------------------------


FEED_SALT = "crm.calendar_feed"


def _signature(user_id: int, nonce: str) -> str:
    return salted_hmac(FEED_SALT, f"{user_id}:{nonce}", algorithm="sha256").hexdigest()


def calendar_feed_token(*, feed: CalendarFeed) -> str:
    """The secret of the feed's address: ``<user id>-<HMAC-SHA256 of id and nonce>``."""
    return f"{feed.user_id}-{_signature(feed.user_id, feed.nonce)}"


def calendar_feed_of(*, user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_user(*, token: str) -> User | None:
    """Whose feed ``token`` opens (an active user's), or None for anything else. The signature
    is compared in constant time; a wrong one and a missing feed look the same."""
    user_part, _, signature = token.partition("-")
    user_id = parse_id(user_part)
    if user_id is None or len(signature) != 64:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(user_id=user_id).first()
    if feed is None or not constant_time_compare(signature, _signature(user_id, feed.nonce)):
        return None
    return feed.user if feed.user.is_active else None


def feed_tasks(*, user: User) -> QuerySet[Task]:
    """The user's open tasks with a deadline, earliest first (the task_assignee_status index)."""
    return (
        Task.objects.filter(assignee=user, status__in=OPEN_STATUSES, deadline__isnull=False)
        .select_related("thread", "counterparty")
        .defer("description", "thread__description", "counterparty__address", "counterparty__notes")
        .order_by("deadline", "pk")[:FEED_MAX_TASKS]
    )
