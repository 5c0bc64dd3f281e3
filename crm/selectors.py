"""Reads: each page's data in a fixed number of queries, whatever the size of what it shows."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case, CharField, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

import paging
from config.compiled import CompiledQuery
from crm.db import UnicodeLower
from crm.inputs import parse_id, validate_date_in_range
from crm.mail import REFERENCES_MAX, reply_token_number
from crm.models import (
    Attachment,
    Communication,
    ContactPerson,
    Counterparty,
    Order,
    Reminder,
    ReminderSettings,
    Status,
    Task,
    Thread,
    ThreadEvent,
    ThreadFollower,
    ThreadOrder,
)
from mentions.selectors import mention_prefetch, mention_reach_rows, mention_reached_by, mention_reaching_types
from paging import KeysetPage, Sort, keyset_page, list_count

if TYPE_CHECKING:
    from accounts.models import User

OPEN_STATUSES = [Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS]


def _count_subquery(model, **filters) -> Coalesce:
    sub = (
        model.objects.filter(thread=OuterRef("pk"), **filters)
        .order_by()
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def thread_list(*, counterparty: Counterparty | None = None) -> QuerySet[Thread]:
    """Threads, newest activity first, with their counts (subqueries: no join fan-out)."""
    qs = Thread.objects.select_related("counterparty", "author").annotate(
        communication_count=_count_subquery(Communication),
        task_count=_count_subquery(Task),
        open_task_count=_count_subquery(Task, status__in=OPEN_STATUSES),
    )
    if counterparty is not None:
        qs = qs.filter(counterparty=counterparty)
    return qs.order_by("-last_activity_at", "-id")


# --- the timeline ------------------------------------------------------------------------------


# Order of items at the same moment: an order's day starts it, events follow what they are about.
KIND_RANK = {"order": 0, "communication": 1, "task": 2, "event": 3}


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # "communication", "task", "order", "event"
    at: datetime
    obj: object

    @property
    def sort_key(self) -> tuple:
        return (self.at, KIND_RANK[self.kind], self.obj.pk)

    @property
    def cursor(self) -> str:
        return f"{self.at.isoformat()}|{self.sort_key[1]}|{self.obj.pk}"


@dataclass(frozen=True)
class TimelinePage:
    # Newest first: the composer sits above the timeline, so what was just saved is where the
    # user looks, and older pages load below (docs/decisions.md, "Timeline order").
    items: list[TimelineItem]
    older_cursor: str | None  # pass as ?before= to load the page before these


def parse_cursor(raw: str | None) -> tuple | None:
    """``?before=`` of the thread page as (moment, kind rank, id); None (the newest page) for
    anything a TimelineItem could not have made."""
    if not raw or len(raw) > 100:
        return None
    try:
        at, rank, pk = raw.split("|")
        moment = datetime.fromisoformat(at)
        if timezone.is_naive(moment):
            return None
        # Every moment on a timeline is within the dates users may enter (crm.inputs); outside
        # them, converting to UTC or the company's zone may overflow (year 1, year 9999).
        validate_date_in_range(moment.astimezone(ZoneInfo(settings.TIME_ZONE)))
        rank, pk = int(rank), parse_id(pk)
    except (ValueError, OverflowError, ValidationError):
        return None
    if rank not in KIND_RANK.values() or pk is None:
        return None
    return (moment, rank, pk)


def _before_q(field: str, kind: str, before: tuple) -> Q:
    at, rank, pk = before
    if KIND_RANK[kind] < rank:
        return Q(**{f"{field}__lte": at})
    if KIND_RANK[kind] == rank:
        return Q(**{f"{field}__lt": at}) | Q(**{field: at, "pk__lt": pk})
    return Q(**{f"{field}__lt": at})


def _order_before_q(before: tuple, zone: ZoneInfo) -> Q:
    """Orders sit at midnight of their date: the same rule as _before_q, on dates."""
    at, rank, pk = before
    day = at.astimezone(zone).date()
    if at != datetime.combine(day, time.min, tzinfo=zone):
        return Q(order__date__lte=day)  # the cursor is later in that day than any order of it
    if KIND_RANK["order"] == rank:
        return Q(order__date__lt=day) | Q(order__date=day, pk__lt=pk)
    return Q(order__date__lt=day)  # orders rank first: none at the cursor's moment is before it


def thread_timeline(
    *,
    thread: Thread,
    before: tuple | None = None,
    limit: int = 30,
    links: list[ThreadOrder] | None = None,
    files: list[Attachment] | None = None,
) -> TimelinePage:
    """The newest ``limit`` items before the cursor, in a bounded number of queries whatever the
    thread holds.

    The thread page loads every order link and every file of the thread for its side panels
    anyway: given them (``links``: thread_orders, ``files``: thread_attachment_rows), the first
    page takes its orders' keys and rows and its files from those lists instead of asking again
    (three queries fewer). Older pages (``before``) query as before.

    First each source gives the keys (time, id) of at most ``limit + 1`` rows before the cursor —
    merging them and keeping the newest ``limit`` is exact because no source can contribute more;
    then only the rows that made the page are loaded with what they show (one query per kind).
    The first page's key queries and the row queries are compiled once (config.compiled): building
    and compiling them through the ORM cost more CPU than PostgreSQL took to answer them.
    """
    at_most = limit + 1
    sofia = ZoneInfo(settings.TIME_ZONE)
    preloaded_links = {link.pk: link for link in links} if before is None and links is not None else None

    def newest(kind: str) -> list[tuple]:
        """(moment or day, id) of the kind's newest ``at_most`` rows before the cursor."""
        if before is None:  # the first page: its SQL compiled once (config.compiled)
            return _TIMELINE_KEYS[kind].run(thread.pk, at_most=at_most)
        # Strictly before the cursor in (time, kind rank, id) order, decided in SQL: any number
        # of items may share one moment (a day's orders all sit at its midnight).
        field = _TIMELINE_KEY_FIELDS[kind][1]
        after = _order_before_q(before, sofia) if kind == "order" else _before_q(field, kind, before)
        return list(_timeline_keys(kind, thread.pk, at_most, after))

    if before is None:
        # The first page: the three kinds' keys in one query (a UNION ALL of the three LIMITed
        # key queries, each still on its own (thread, moment) index): two round trips fewer.
        keys = [(_KIND_OF_RANK[rank], at, pk) for rank, at, pk in _TIMELINE_FIRST_KEYS.run(thread.pk, at_most=at_most)]
    else:
        keys = [(kind, at, pk) for kind in ("communication", "task", "event") for at, pk in newest(kind)]
    if preloaded_links is not None:
        by_day = sorted(preloaded_links.values(), key=lambda link: (link.order.date, link.pk), reverse=True)
        day_and_pk = [(link.order.date, link.pk) for link in by_day[:at_most]]
    else:
        day_and_pk = newest("order")
    keys += [("order", datetime.combine(day, time.min, tzinfo=sofia), pk) for day, pk in day_and_pk]

    def sort_key(key: tuple) -> tuple:
        return (key[1], KIND_RANK[key[0]], key[2])

    keys.sort(key=sort_key, reverse=True)
    has_older = len(keys) > limit
    page = _timeline_load(keys[:limit], preloaded_links=preloaded_links, files=files if before is None else None)
    return TimelinePage(items=page, older_cursor=page[-1].cursor if has_older and page else None)


def thread_timeline_since(*, thread: Thread, since: datetime, items: list[tuple[str, int]]) -> list[TimelineItem]:
    """What a live thread page is sent after a write (crm.live): the ``items`` written —
    ("communication" | "task", pk) — and the thread's events since ``since``, newest first,
    loaded as the timeline loads them (the same queries, per kind present)."""
    keys = []
    for kind, pk in items:
        model = Communication if kind == "communication" else Task
        field = "occurred_at" if kind == "communication" else "created_at"
        keys += [(kind, at, pk) for (at,) in model.objects.filter(thread=thread, pk=pk).values_list(field)]
    keys += [
        ("event", at, pk)
        for at, pk in ThreadEvent.objects.filter(thread=thread, created_at__gte=since).values_list("created_at", "id")
    ]
    keys.sort(key=lambda key: (key[1], KIND_RANK[key[0]], key[2]), reverse=True)
    return _timeline_load(keys)


def _timeline_load(
    keys: list[tuple], *, preloaded_links: dict | None = None, files: list[Attachment] | None = None
) -> list[TimelineItem]:
    """The rows of ``keys`` — (kind, moment, pk), in the order to show — with what they show:
    one query per kind present, one for the files, the mention chips per kind mentioned.
    ``preloaded_links`` (order links by id) and ``files`` (every file of the thread), when the
    caller has them already, replace the order and file queries."""
    wanted: dict[str, dict[int, None]] = {kind: {} for kind in KIND_RANK}
    for kind, _at, pk in keys:
        wanted[kind][pk] = None
    objects = {
        kind: {obj.pk: obj for obj in _TIMELINE_ROWS[kind].run(list(pks))} if pks else {}
        for kind, pks in wanted.items()
        if kind != "order" or preloaded_links is None
    }
    if preloaded_links is not None:
        objects["order"] = preloaded_links
    page = [TimelineItem(kind, at, objects[kind][pk]) for kind, at, pk in keys if pk in objects[kind]]
    _attach_files(page, files=files)
    # The mention chips of every description on the page: one query per kind mentioned, not per item.
    mention_prefetch(
        objects=[item.obj.order if item.kind == "order" else item.obj for item in page if item.kind != "event"]
    )
    return page


# kind → (model, the moment or day it sits at on the timeline)
_TIMELINE_KEY_FIELDS = {
    "communication": (Communication, "occurred_at"),
    "task": (Task, "created_at"),
    "order": (ThreadOrder, "order__date"),
    "event": (ThreadEvent, "created_at"),
}


def _timeline_keys(kind: str, thread_pk: int, at_most: int, before: Q | None = None) -> QuerySet:
    """(moment, id) of the kind's newest ``at_most`` rows in the thread (before the cursor)."""
    model, field = _TIMELINE_KEY_FIELDS[kind]
    rows = model.objects.filter(thread_id=thread_pk)
    if before is not None:
        rows = rows.filter(before)
    return rows.order_by(f"-{field}", "-id").values_list(field, "id")[:at_most]


def _timeline_rows(kind: str) -> QuerySet:
    """A kind's timeline rows with what their items show."""
    if kind == "communication":
        # The task it was last copied to ("copied to T-…"), in the same query.
        return Communication.objects.select_related("author", "assignee", "counterparty", "contact").annotate(
            **_copied_to()
        )
    if kind == "task":
        return Task.objects.select_related("author", "assignee", "counterparty", "source_communication")
    if kind == "order":
        return ThreadOrder.objects.select_related("order", "order__counterparty", "linked_by")
    # An event shows only the numbers of what it is about: not their whole rows.
    return ThreadEvent.objects.select_related("actor", "task", "communication", "order").only(
        *[f.name for f in ThreadEvent._meta.concrete_fields],
        *[f"actor__{f.name}" for f in ThreadEvent._meta.get_field("actor").related_model._meta.concrete_fields],
        "task__number",
        "communication__number",
        "order__number",
    )


# The timeline's SQL, compiled once per shape (config.compiled): the first page's keys per kind, and
# each kind's rows by id (any page, the live entries).
_TIMELINE_KEYS = {
    kind: CompiledQuery(lambda thread_pk, *, at_most, kind=kind: _timeline_keys(kind, thread_pk, at_most))
    for kind in _TIMELINE_KEY_FIELDS
}
_KIND_OF_RANK = {rank: kind for kind, rank in KIND_RANK.items()}


def _timeline_first_keys(thread_pk: int, at_most: int) -> QuerySet:
    """(kind rank, moment, id) of the newest ``at_most`` communications, tasks and events of the
    thread: each kind's key query, their rows together."""
    limited = connection.features.supports_slicing_ordering_in_compound

    def part(kind: str) -> QuerySet:
        model, field = _TIMELINE_KEY_FIELDS[kind]
        rank = Value(KIND_RANK[kind], output_field=IntegerField())
        newest = model.objects.filter(thread_id=thread_pk).order_by(f"-{field}", "-id")
        if limited:
            return newest.annotate(kind_rank=rank).values_list("kind_rank", field, "id")[:at_most]
        # SQLite takes no LIMIT in a UNION's parts: the same rows through an IN (… LIMIT).
        rows = model.objects.filter(pk__in=newest.values("id")[:at_most]).order_by()
        return rows.annotate(kind_rank=rank).values_list("kind_rank", field, "id")

    return part("communication").union(part("task"), part("event"), all=True)


_TIMELINE_FIRST_KEYS = CompiledQuery(lambda thread_pk, *, at_most: _timeline_first_keys(thread_pk, at_most))
_TIMELINE_ROWS = {
    kind: CompiledQuery(lambda ids, kind=kind: _timeline_rows(kind).filter(pk__in=ids).order_by()) for kind in KIND_RANK
}


def _copied_to() -> dict:
    """Annotations of a communication: the number and id of the newest task copied from it, and
    how many there are (subqueries: no join fan-out, no query per card)."""
    derived = Task.objects.filter(source_communication=OuterRef("pk")).order_by("-created_at", "-id")
    return {
        "copied_task_number": Subquery(derived.values("number")[:1]),
        "copied_task_id": Subquery(derived.values("id")[:1]),
        "copied_task_count": _derived_count(),
    }


def _derived_count() -> Coalesce:
    return _count_of(Task, "source_communication")


def _count_of(model, field: str) -> Coalesce:
    """How many rows of ``model`` point at the outer row through ``field`` (a subquery: no join
    fan-out, 0 when none)."""
    sub = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def _attach_files(items: list[TimelineItem], files: list[Attachment] | None = None) -> None:
    """The files of every communication and task on the page: from ``files`` (every file of the
    thread, already loaded) or in one query."""
    comm_ids = [i.obj.pk for i in items if i.kind == "communication"]
    task_ids = [i.obj.pk for i in items if i.kind == "task"]
    by_comm: dict[int, list] = {pk: [] for pk in comm_ids}
    by_task: dict[int, list] = {pk: [] for pk in task_ids}
    if files is not None:
        # The model's order (uploaded_at, id), as the query below returns them.
        rows = sorted(files, key=lambda a: (a.uploaded_at, a.pk))
    elif comm_ids or task_ids:
        rows = Attachment.objects.filter(Q(communication_id__in=comm_ids) | Q(task_id__in=task_ids))
    else:
        rows = []
    if comm_ids or task_ids:
        for attachment in rows:
            if attachment.communication_id in by_comm:
                by_comm[attachment.communication_id].append(attachment)
            elif attachment.task_id in by_task:
                by_task[attachment.task_id].append(attachment)
    for item in items:
        if item.kind == "communication":
            item.obj.file_list = by_comm[item.obj.pk]
        elif item.kind == "task":
            item.obj.file_list = by_task[item.obj.pk]


def thread_attachment_rows(*, thread: Thread) -> list[Attachment]:
    """Every attachment row of the thread, its communications and its tasks, newest first."""
    return _THREAD_ATTACHMENT_ROWS.run(thread.pk)


# The thread page's side panels' SQL, compiled once (config.compiled).
_THREAD_ATTACHMENT_ROWS = CompiledQuery(
    lambda thread_pk: (
        Attachment.objects.filter(thread_id=thread_pk)
        .select_related("communication", "task", "uploaded_by")
        .order_by("-uploaded_at", "-id")
    )
)


def thread_attachments(*, thread: Thread, rows: list[Attachment] | None = None) -> list[Attachment]:
    """Every file of the thread, its communications and its tasks: one list per conversation.

    A task copied from a communication shares its stored files: each file is listed once, under
    the row that first brought it (the communication's). ``rows``: thread_attachment_rows, when
    the caller has them already."""
    rows = thread_attachment_rows(thread=thread) if rows is None else rows
    # Newest first, so the last row seen per file (the one kept) is its oldest.
    first_by_file = {row.file.name: row for row in rows}
    return [row for row in rows if first_by_file[row.file.name] is row]


def thread_orders(*, thread: Thread) -> list[ThreadOrder]:
    return _THREAD_ORDERS.run(thread.pk)


_THREAD_ORDERS = CompiledQuery(
    # linked_by: the timeline shows who linked it, and takes these rows (thread_timeline's links).
    lambda thread_pk: (
        ThreadOrder.objects.filter(thread_id=thread_pk)
        .select_related("order", "order__counterparty", "linked_by")
        .order_by("order__date")
    )
)


def communication_attachments(*, communication: Communication) -> list[Attachment]:
    return list(communication.attachments.all())


def communication_derived_tasks(*, communication: Communication) -> list[Task]:
    """The tasks copied from a communication."""
    return list(communication.derived_tasks.all())


def task_attachments(*, task: Task) -> list[Attachment]:
    return list(task.attachments.all())


def item_attachments(*, item: Communication | Task) -> QuerySet[Attachment]:
    """A communication's or task's own attachments: the choices of its edit form's "remove"."""
    return item.attachments.order_by("pk")


def contact_list(*, counterparty_id: int) -> QuerySet[ContactPerson]:
    """A counterparty's contact people: the options of the contact select."""
    return ContactPerson.objects.filter(counterparty_id=counterparty_id)


def order_threads(*, order: Order) -> list[ThreadOrder]:
    """The threads an order is linked to (its page)."""
    return list(order.thread_links.select_related("thread"))


# --- dashboard and counterparty page -------------------------------------------------------------


def task_open_for(*, user: User, limit: int = 20) -> list[Task]:
    """My open tasks, overdue first, then by deadline (none last), ordered and cut in SQL.

    Overdue means a deadline before now, and every other deadline is now or later: the earliest
    deadline first is overdue first, so no "now" enters the query (nor a sort in Python over a
    truncated set, which lost old overdue tasks). The index task_assignee_status serves it.
    """
    return list(
        Task.objects.filter(assignee=user, status__in=OPEN_STATUSES)
        .select_related("thread", "counterparty")
        .order_by(F("deadline").asc(nulls_last=True), "pk")[:limit]
    )


def communication_assigned_to(*, user: User, limit: int = 20) -> list[Communication]:
    return list(
        Communication.objects.filter(assignee=user, status__in=OPEN_STATUSES)
        .select_related("thread", "counterparty")
        .order_by("-occurred_at", "-id")[:limit]
    )


def thread_recent(*, limit: int = 10) -> list[Thread]:
    return list(thread_list()[:limit])


def counterparty_overview(*, counterparty: Counterparty, limit: int = 50) -> dict:
    return {
        "threads": list(thread_list(counterparty=counterparty)[:limit]),
        "communications": list(
            Communication.objects.filter(counterparty=counterparty)
            .select_related("thread", "assignee")
            .order_by("-occurred_at", "-id")[:limit]
        ),
        "tasks": list(
            Task.objects.filter(counterparty=counterparty)
            .select_related("thread", "assignee")
            .order_by("-created_at", "-id")[:limit]
        ),
        "orders": list(Order.objects.filter(counterparty=counterparty).order_by("-date", "-id")[:limit]),
        "contacts": list(counterparty.contacts.all()),
    }


def promote_contact_names(*, name: str, limit: int = 20) -> list[str]:
    """The free-text contact people of the communications that carry the counterparty name
    ``name`` (ignoring case): what promoting it makes contact people (the promote dialog).
    A name no row can carry (too long, a NUL, which PostgreSQL refuses in a query) has none."""
    if not name.strip() or len(name) > 255 or "\x00" in name:
        return []
    rows = (
        Communication.objects.alias(_folded=UnicodeLower("counterparty_name"))
        .filter(_folded=name.strip().lower(), counterparty__isnull=True, contact__isnull=True)
        .exclude(contact_name="")
        .order_by("pk")
        .values_list("contact_name", flat=True)
    )
    names: dict[str, str] = {}
    for contact_name in rows[:500]:
        names.setdefault(contact_name.strip().lower(), contact_name.strip())
    return list(names.values())[:limit]


def counterparty_search(*, query: str, limit: int = 10) -> list[Counterparty]:
    """Type-ahead over names, company ids and VAT numbers, case-insensitive (Cyrillic too)."""
    # No name is longer than its column: a longer query finds nothing new, only costs (SQLite
    # refuses LIKE patterns over 50 000 bytes).
    query = " ".join(query.split())[: Counterparty._meta.get_field("name").max_length]
    if not query:
        return []
    return list(
        Counterparty.objects.annotate(folded_name=UnicodeLower("name"))
        .filter(
            Q(folded_name__contains=query.lower()) | Q(company_id__startswith=query) | Q(vat_number__icontains=query)
        )
        .order_by("name")[:limit]
    )


def order_choices_for(*, thread: Thread, limit: int = 50) -> list[Order]:
    """Orders offered for linking: the thread counterparty's first, then the most recent others,
    without those already linked (a bounded list, not the whole order table)."""
    own = _OWN_ORDER_CHOICES.run(thread.pk, thread.counterparty_id, limit=limit) if thread.counterparty_id else []
    others = _OTHER_ORDER_CHOICES.run(thread.pk, [o.pk for o in own], limit=max(0, limit - len(own)))
    return own + others


def _unlinked_orders(thread_pk: int) -> QuerySet[Order]:
    linked = ThreadOrder.objects.filter(thread_id=thread_pk).values("order_id")
    return Order.objects.exclude(pk__in=linked).select_related("counterparty").order_by("-date", "-id")


# Compiled once per shape (config.compiled): the counterparty's orders, then the others.
_OWN_ORDER_CHOICES = CompiledQuery(
    lambda thread_pk, counterparty_pk, *, limit: _unlinked_orders(thread_pk).filter(counterparty_id=counterparty_pk)[
        :limit
    ]
)
_OTHER_ORDER_CHOICES = CompiledQuery(
    lambda thread_pk, own, *, limit: _unlinked_orders(thread_pk).exclude(pk__in=own)[:limit]
)


# --- communication and task lists (filters in crm/filters.py, views in crm/list_views.py) -------
#
# Keyset pages and capped counts come from the generic ``paging`` package; here is what is the
# CRM's: the sortable columns of each list, the rows a list shows, and the list selectors, which
# take the list's filter set and give a page with its total.

# A sort key that is never NULL: tasks without a deadline sort after every real deadline.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)
# Above this many counterparties matching a name, the name filter is a subquery, not a list of ids.
COUNTERPARTY_ID_LIMIT = 1000

# Statuses in the order work goes through them, as a text sort key ("1" … "4"): alphabetical codes
# would put "done" before "new". Matches the expression indexes crm_*_status_key (migration 0005).
STATUS_RANK = Case(
    *[When(status=status, then=Value(str(rank))) for rank, status in enumerate(Status.values, start=1)],
    default=Value("9"),
    output_field=CharField(),
)


def _subject_sort() -> Sort:
    # Folded like the text filters (Cyrillic too): "алфа" and "Алфа" sort together on every
    # database. Matches the expression indexes crm_*_subject_key (migration 0005) on PostgreSQL.
    return Sort("subject", "subject_key", is_datetime=False, expression=UnicodeLower("subject"))


def _status_sort() -> Sort:
    return Sort("status", "status_key", is_datetime=False, expression=STATUS_RANK)


LIST_SORTS = {
    "communication": {
        "created": Sort("created", "created_at"),
        "number": Sort("number", "number", is_datetime=False),
        # "Дата и час": when it happened, as opposed to when it was recorded (crm_comm_occurred).
        "occurred": Sort("occurred", "occurred_at"),
        "subject": _subject_sort(),
        "status": _status_sort(),
    },
    "task": {
        "created": Sort("created", "created_at"),
        "number": Sort("number", "number", is_datetime=False),
        # Matches the expression index crm_task_deadline_key (migrations 0002, 0018) on PostgreSQL.
        "deadline": Sort("deadline", "deadline_key", expression=Coalesce("deadline", Value(NO_DEADLINE))),
        "subject": _subject_sort(),
        "status": _status_sort(),
    },
    "counterparty": {
        # The counterparty_name index (the model's Meta) serves it.
        "name": Sort("name", "name", is_datetime=False),
    },
    "thread": {
        # The thread_last_activity index (the model's Meta) serves it: the default, as before.
        "activity": Sort("activity", "last_activity_at"),
        "created": Sort("created", "created_at"),
        "number": Sort("number", "number", is_datetime=False),
        "subject": _subject_sort(),
    },
}
LIST_DEFAULT_SORT = "-created"
LIST_DEFAULT_SORTS = {
    "communication": LIST_DEFAULT_SORT,
    "task": LIST_DEFAULT_SORT,
    "thread": "-activity",
    "counterparty": "name",
}


def list_default_sort(kind: str) -> str:
    return LIST_DEFAULT_SORTS[kind]


def list_sort(kind: str, value: str | None) -> tuple[Sort, bool]:
    """The Sort and whether it is descending, for ``sort=`` (unknown values: the default)."""
    sorts = LIST_SORTS[kind]
    value = value or list_default_sort(kind)
    sort = sorts.get(value.lstrip("-"))
    if sort is None:
        value = list_default_sort(kind)
        sort = sorts[value.lstrip("-")]
    return sort, value.startswith("-")


def list_sort_choices(kind: str) -> list[str]:
    return [f"{prefix}{key}" for key in LIST_SORTS[kind] for prefix in ("", "-")]


def communication_list_queryset() -> QuerySet[Communication]:
    return Communication.objects.select_related("thread", "counterparty", "assignee", "author").defer(
        "description",
        "mail_quoted",  # a filed e-mail's history and HTML: shown on its page, never in a list
        "mail_html",
        "thread__description",
        "counterparty__address",
        "counterparty__notes",
    )


def task_list_queryset() -> QuerySet[Task]:
    return Task.objects.select_related("thread", "counterparty", "assignee", "author").defer(
        "description", "thread__description", "counterparty__address", "counterparty__notes"
    )


def thread_filter_queryset() -> QuerySet[Thread]:
    """What the thread list's filters narrow: the table alone (its keys and its total)."""
    return Thread.objects.all()


def thread_list_queryset() -> QuerySet[Thread]:
    """The rows of the thread list: what a row shows, its counts for the page's rows only."""
    return thread_list().defer("description", "counterparty__address", "counterparty__notes")


class ListFilters(Protocol):
    """What a list selector reads of a bound filter set (crm.filters.ListFilterSet)."""

    @property
    def qs(self) -> QuerySet: ...  # the list's rows, filtered by the valid filters

    @property
    def sort_value(self) -> str: ...  # ``sort=`` when valid, else the default


@dataclass(frozen=True)
class ListPage:
    """A page of a list and what is shown around it."""

    page: KeysetPage
    total: int
    count_kind: str  # "exact", "more" (more than ``total``) or "estimate"
    sort: Sort
    descending: bool


# A page's rows by id, compiled once per number of ids (config.compiled): building and compiling
# the rows' four joins and deferred columns for each page cost ~1.7 ms of a list page's CPU.
_LIST_ROWS = {
    kind: CompiledQuery(lambda ids, build=build: build().filter(pk__in=ids).order_by())
    for kind, build in (
        ("communication", communication_list_queryset),
        ("task", task_list_queryset),
        ("thread", thread_list_queryset),
    )
}


# A first page's window edge (paging.window_edge_query: the WINDOW-th row in the sort's order,
# unfiltered), compiled once per sort, direction and window: it depends on neither the filters
# nor the user, and building and compiling it on the rows' joined queryset cost ~1 ms a page.
_LIST_EDGES = {
    kind: CompiledQuery(
        lambda *, sort_key, descending, window, build=build, kind=kind: paging.window_edge_query(
            build(), LIST_SORTS[kind][sort_key], descending=descending, window=window
        )
    )
    for kind, build in (
        ("communication", communication_list_queryset),
        ("task", task_list_queryset),
        ("thread", thread_list_queryset),
        # Defined further down: looked up when the edge is first compiled.
        ("counterparty", lambda: counterparty_list_queryset()),
    )
}


def communication_list(*, filters: ListFilters, after: str | None = None, before: str | None = None) -> ListPage:
    """The page of communications after/before a cursor (none: the first), in the order of
    ``filters`` (a bound crm.filters.CommunicationFilter; its invalid filters are left out)."""
    return _list_page("communication", filters=filters, rows=communication_list_queryset(), after=after, before=before)


def task_list(*, filters: ListFilters, after: str | None = None, before: str | None = None) -> ListPage:
    """The page of tasks after/before a cursor, as communication_list (``filters``: a TaskFilter)."""
    return _list_page("task", filters=filters, rows=task_list_queryset(), after=after, before=before)


def thread_list_page(*, filters: ListFilters, after: str | None = None, before: str | None = None) -> ListPage:
    """The page of threads after/before a cursor, as communication_list (``filters``: a ThreadFilter)."""
    return _list_page("thread", filters=filters, rows=thread_list_queryset(), after=after, before=before)


def _list_page(kind: str, *, filters: ListFilters, rows: QuerySet, after: str | None, before: str | None) -> ListPage:
    sort, descending = list_sort(kind, filters.sort_value)
    qs = filters.qs
    rows_of = _LIST_ROWS.get(kind)
    edge = functools.partial(_LIST_EDGES[kind].run, sort_key=sort.key, descending=descending, window=paging.WINDOW)
    page = keyset_page(
        qs,
        rows=rows,
        sort=sort,
        descending=descending,
        after=after,
        before=before,
        load=rows_of and rows_of.run,
        first_edge=edge,
    )
    if page.total is not None:  # the page's queries saw every match
        total, count_kind = page.total, "exact"
    else:
        total, count_kind = list_count(qs)
        if count_kind == "estimate":  # never less than what is known to exist
            total = max(total, len(page) + (1 if page.has_next else 0))
    return ListPage(page=page, total=total, count_kind=count_kind, sort=sort, descending=descending)


def counterparty_filter_queryset() -> QuerySet[Counterparty]:
    return Counterparty.objects.all()


def counterparty_list_queryset() -> QuerySet[Counterparty]:
    """The rows of the counterparty list: what a row shows (not the long texts)."""
    contacts = (
        ContactPerson.objects.filter(counterparty=OuterRef("pk"))
        .order_by()
        .values("counterparty")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # A subquery, not a join: the page's rows only, no GROUP BY over the counterparty's columns.
    return Counterparty.objects.defer("address", "notes").annotate(
        contact_total=Coalesce(Subquery(contacts, output_field=IntegerField()), 0)
    )


def counterparty_list_page(*, filters: ListFilters, after: str | None = None, before: str | None = None) -> ListPage:
    """The page of counterparties after/before a cursor, by name (``filters``: a CounterpartyFilter)."""
    return _list_page("counterparty", filters=filters, rows=counterparty_list_queryset(), after=after, before=before)


def counterparty_merge_counts(*, counterparty: Counterparty) -> dict[str, int]:
    """What a merge would move of ``counterparty``, counted in one query (a subquery per kind:
    joining them all would multiply the rows)."""

    def count(model) -> Coalesce:
        return _count_of(model, "counterparty")

    kinds = {"threads": Thread, "communications": Communication, "tasks": Task, "orders": Order}
    kinds["contacts"] = ContactPerson
    # The names of the reverse relations are taken: the values are aliased n_<kind>.
    row = Counterparty.objects.filter(pk=counterparty.pk).values(**{f"n_{k}": count(m) for k, m in kinds.items()}).get()
    return {k: row[f"n_{k}"] for k in kinds}


DUPLICATE_LIMIT = 5


def counterparty_duplicates(
    *, name: str = "", company_id: str = "", email: str = "", exclude_pk: int | None = None
) -> list[Counterparty]:
    """Counterparties that look like the one being saved: the same name (ignoring case and
    spacing, Cyrillic too), ЕИК or e-mail (ignoring case). One query; what the form warns about."""
    conditions = Q()
    name = " ".join((name or "").split())
    if name:
        conditions |= Q(folded_name=name.lower())
    if company_id:
        conditions |= Q(company_id=company_id)
    if email:
        conditions |= Q(folded_email=email.strip().lower())
    if not conditions:
        return []
    qs = Counterparty.objects.alias(folded_name=UnicodeLower("name"), folded_email=UnicodeLower("email")).filter(
        conditions
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs.defer("address", "notes").order_by("name", "pk")[:DUPLICATE_LIMIT])


def counterparty_ids_named(text: str, *, limit: int | None = None) -> list[int] | None:
    """Ids of the counterparties whose name contains ``text`` (case-insensitive, Cyrillic too).

    One query, on the trigram index of LOWER(name) on PostgreSQL. ``None`` when more than
    ``limit`` (default COUNTERPARTY_ID_LIMIT) match: the name is common, and the caller looks up
    each row's counterparty instead of sending a long list of ids.
    """
    limit = COUNTERPARTY_ID_LIMIT if limit is None else limit
    ids = list(
        Counterparty.objects.alias(folded_name=UnicodeLower("name"))
        .filter(folded_name__contains=text.lower())
        .order_by()
        .values_list("pk", flat=True)[: limit + 1]
    )
    return None if len(ids) > limit else ids


def linked_counterparty_name_folded() -> Subquery:
    """LOWER(name) of each row's linked counterparty (NULL for a free-text name), looked up by
    the row's ``counterparty_id`` on the primary key.

    For a name too common for a list of ids (past COUNTERPARTY_ID_LIMIT): a list walks its sort
    index until a page is full, and with a common name that takes a few dozen rows, so a few
    dozen primary-key lookups. ``counterparty_id IN (subquery)`` (or an EXISTS, inside the OR
    with the free-text name) is planned as a hashed sub-plan instead: every matching
    counterparty found first, ~10 ms for ``ООД`` in 20 000 names, in every statement of the page
    (docs/decisions.md, "A common counterparty name, timestamps parsed in C"). A scalar
    subquery is never hashed.
    """
    return Subquery(
        Counterparty.objects.filter(pk=OuterRef("counterparty_id")).values(folded=UnicodeLower("name"))[:1],
        output_field=CharField(),
    )


# --- the thread filter's type-ahead ------------------------------------------------------------


THREAD_SEARCH_LIMIT = 10


def thread_search(*, query: str, limit: int = THREAD_SEARCH_LIMIT) -> list[Thread]:
    """Threads whose number or subject contains ``query`` (case-insensitive, Cyrillic too), most
    recently active first: the suggestions of the thread filter. Closed threads are found too: a
    list of what happened in one is still a question to ask. Trigram indexes on PostgreSQL."""
    query = " ".join(query.split())[: Thread._meta.get_field("subject").max_length]
    if not query:
        return []
    needle = query.lower()
    return list(
        Thread.objects.alias(number_folded=UnicodeLower("number"), subject_folded=UnicodeLower("subject"))
        .filter(Q(number_folded__contains=needle) | Q(subject_folded__contains=needle))
        .select_related("counterparty")
        .only("pk", "number", "subject", "closed", "counterparty_name", "counterparty__name")
        .order_by("-last_activity_at", "-id")[:limit]
    )


# --- followers -----------------------------------------------------------------------------------

# How many followers the thread page names (the rest are counted).
FOLLOWERS_SHOWN = 12


@dataclass(frozen=True)
class ThreadFollowers:
    """Who follows a thread and why (docs/decisions.md, "Thread followers")."""

    participant_ids: frozenset[int]  # the author, everyone assigned or mentioned in it or its items
    following_ids: frozenset[int]  # pressed Follow
    muted_ids: frozenset[int]  # pressed Unfollow or Mute
    active_ids: frozenset[int]  # of the followers, those who are active employees

    @property
    def ids(self) -> frozenset[int]:
        return self.active_ids

    def state_of(self, user_id: int) -> str:
        """The viewer's button: ``following`` (Unfollow), ``participant`` (Mute), ``muted`` or
        ``none`` (Follow)."""
        if user_id in self.muted_ids:
            return "muted"
        if user_id in self.following_ids:
            return "following"
        return "participant" if user_id in self.participant_ids else "none"


def _thread_follow_facts(*, thread: Thread) -> tuple[set[int], set[int], set[int]]:
    """(participants, pressed Follow, muted) of ``thread``: one query for the assignees, the
    Follow/Mute rows and the mentions together (one more when a department is mentioned)."""
    reaching = mention_reaching_types()
    source_types = [ContentType.objects.get_for_model(model).pk for model in (Thread, Communication, Task)]
    rows = _THREAD_FOLLOW_FACTS.run(thread.pk, source_types, sorted(reaching))
    participants, following, muted, mentions = {thread.author_id}, set(), set(), []
    for fact, a, b in rows:
        if fact == _ASSIGNEE:
            participants.add(a)
        elif fact == _FOLLOWING:
            following.add(a)
        elif fact == _MUTED:
            muted.add(a)
        else:
            mentions.append((a, b))
    participants |= mention_reached_by(mentions, reaching)
    return participants, following, muted


def _active_users(ids: set[int] | list[int]):
    return get_user_model()._default_manager.filter(pk__in=sorted(ids), is_active=True)


# The followers card's SQL, compiled once per shape (config.compiled); the write path asks it too.
# One query of rows (fact, a, b): the assignees of the thread's communications and tasks, its
# Follow and Mute rows, and the (target type, target id) of its and its items' mentions that
# reach someone — three queries before (four with the mentions' ORM build at every request).
_ASSIGNEE, _FOLLOWING, _MUTED, _MENTION = 0, 1, 2, 3


def _thread_follow_fact_rows(thread_pk: int, source_types: list[int], reaching_types: list[int]) -> QuerySet:
    def fact(value: int) -> Value:
        return Value(value, output_field=IntegerField())

    thread_type, communication_type, task_type = source_types
    assignees = [
        model.objects.filter(thread_id=thread_pk, assignee__isnull=False)
        .order_by()
        .annotate(fact=fact(_ASSIGNEE), b=fact(0))
        .values_list("fact", "assignee_id", "b")
        for model in (Communication, Task)
    ]
    follows = [
        ThreadFollower.objects.filter(thread_id=thread_pk, muted=muted)
        .order_by()
        .annotate(fact=fact(kind), b=fact(0))
        .values_list("fact", "user_id", "b")
        for kind, muted in ((_FOLLOWING, False), (_MUTED, True))
    ]
    sources = [
        (thread_type, [thread_pk]),
        (communication_type, Communication.objects.filter(thread_id=thread_pk).values("pk")),
        (task_type, Task.objects.filter(thread_id=thread_pk).values("pk")),
    ]
    mentions = (
        mention_reach_rows(sources=sources, target_type_ids=reaching_types)
        .annotate(fact=fact(_MENTION))
        .values_list("fact", "target_type_id", "target_id")
    )
    return assignees[0].union(assignees[1], *follows, mentions, all=True)


_THREAD_FOLLOW_FACTS = CompiledQuery(_thread_follow_fact_rows)
# The viewer first, then by name; only the name columns, so a thousand of them stay cheap.
_FOLLOWER_NAMES = CompiledQuery(
    lambda ids, viewer_pk: (
        _active_users(ids)
        .annotate(is_viewer=Case(When(pk=viewer_pk, then=Value(0)), default=Value(1)))
        .order_by("is_viewer", "first_name", "last_name", "username")
        .only("pk", "username", "first_name", "last_name")
    )
)


def thread_followers(*, thread: Thread) -> ThreadFollowers:
    """The followers of ``thread``, whatever their number: _thread_follow_facts' queries and one
    for who of them is active."""
    participants, following, muted = _thread_follow_facts(thread=thread)
    candidates = (participants | following) - muted
    active = set(_active_users(candidates).values_list("pk", flat=True)) if candidates else set()
    return ThreadFollowers(
        participant_ids=frozenset(participants),
        following_ids=frozenset(following),
        muted_ids=frozenset(muted),
        active_ids=frozenset(active),
    )


def thread_follower_ids(*, thread: Thread) -> frozenset[int]:
    """Everyone who hears of the thread's activity (active employees)."""
    return thread_followers(thread=thread).ids


@dataclass(frozen=True)
class FollowerPanel:
    """The thread page's "Followers" card: a few names, how many in all, the viewer's button."""

    shown: list
    count: int
    state: str  # ThreadFollowers.state_of

    @property
    def more(self) -> int:
        return self.count - len(self.shown)


def thread_follower_panel(*, thread: Thread, user: User) -> FollowerPanel:
    """_thread_follow_facts' queries and one for the active followers' names (the viewer first,
    then by name; only the name columns, so a thousand of them stay cheap)."""
    participants, following, muted = _thread_follow_facts(thread=thread)
    candidates = (participants | following) - muted
    people = _FOLLOWER_NAMES.run(sorted(candidates), user.pk) if candidates else []
    followers = ThreadFollowers(
        participant_ids=frozenset(participants),
        following_ids=frozenset(following),
        muted_ids=frozenset(muted),
        active_ids=frozenset(person.pk for person in people),
    )
    return FollowerPanel(shown=people[:FOLLOWERS_SHOWN], count=len(people), state=followers.state_of(user.pk))


# --- e-mail --------------------------------------------------------------------------------------


def thread_for_reply_address(address: str) -> Thread | None:
    """The thread a Reply-To address (crm.mail.reply_address) leads back to, or None: not a
    token of ours, tampered with, or no such thread."""
    number = reply_token_number(address)
    if number is None:
        return None
    # The number as stored is in the prefix's case; the unique index is used either way.
    return Thread.objects.filter(number__in={number, number.upper()}).first()


def thread_mail_references(*, communication: Communication) -> list[str]:
    """The Message-IDs of the thread's e-mails before this one (sent or filed), oldest first: the
    last is what it answers (In-Reply-To), all of them (the newest REFERENCES_MAX) its References."""
    earlier = (
        Communication.objects.filter(thread_id=communication.thread_id, channel=Communication.Channel.EMAIL)
        .exclude(message_id="")
        .exclude(pk=communication.pk)
        .filter(occurred_at__lte=communication.occurred_at)
        .order_by("-occurred_at", "-id")
        .values_list("message_id", flat=True)[:REFERENCES_MAX]
    )
    return list(reversed(earlier))


# --- reminders (crm/services/reminders.py) ----------------------------------------------------

DEFAULT_LEAD_MINUTES = 24 * 60


def reminder_lead_minutes(*, user_id: int) -> int | None:
    """How long before a deadline ``user_id`` is reminded (None: never)."""
    rows = list(ReminderSettings.objects.filter(user_id=user_id).values_list("lead_minutes", flat=True)[:1])
    return rows[0] if rows else DEFAULT_LEAD_MINUTES


def reminder_snoozable(*, task: Task, user: User) -> Reminder | None:
    """The told reminder or overdue notice of ``task`` that ``user`` may snooze (one query)."""
    if task.status == Status.DONE or task.assignee_id != user.pk:
        return None
    return (
        Reminder.objects.filter(task=task, recipient=user, notified_at__isnull=False, due_at__isnull=True)
        .order_by("-notified_at")
        .first()
    )
