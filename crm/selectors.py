"""Reads: each page's data in a fixed number of queries, whatever the size of what it shows."""

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from psycopg import errors as psycopg_errors

from crm.db import UnicodeLower
from crm.models import Attachment, Communication, Counterparty, Order, Status, Task, Thread, ThreadEvent, ThreadOrder
from mentions.selectors import mention_prefetch

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
    items: list[TimelineItem]  # oldest first, for reading top to bottom
    older_cursor: str | None  # pass as ?before= to load the page before these


def parse_cursor(raw: str | None) -> tuple | None:
    if not raw:
        return None
    try:
        at, rank, pk = raw.split("|")
        moment = datetime.fromisoformat(at)
        if timezone.is_naive(moment):
            return None
        return (moment, int(rank), int(pk))
    except ValueError:
        return None


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


def thread_timeline(*, thread: Thread, before: tuple | None = None, limit: int = 30) -> TimelinePage:
    """The newest ``limit`` items before the cursor, in a bounded number of queries whatever the
    thread holds.

    First each source gives the keys (time, id) of at most ``limit + 1`` rows before the cursor —
    merging them and keeping the newest ``limit`` is exact because no source can contribute more;
    then only the rows that made the page are loaded with what they show (one query per kind).
    """
    at_most = limit + 1
    sofia = ZoneInfo(settings.TIME_ZONE)

    communications = Communication.objects.filter(thread=thread)
    tasks = Task.objects.filter(thread=thread)
    links = ThreadOrder.objects.filter(thread=thread)
    events = ThreadEvent.objects.filter(thread=thread)
    if before is not None:
        # Strictly before the cursor in (time, kind rank, id) order, decided in SQL: any number
        # of items may share one moment (a day's orders all sit at its midnight).
        communications = communications.filter(_before_q("occurred_at", "communication", before))
        tasks = tasks.filter(_before_q("created_at", "task", before))
        events = events.filter(_before_q("created_at", "event", before))
        links = links.filter(_order_before_q(before, sofia))

    keys = [
        ("communication", at, pk)
        for at, pk in communications.order_by("-occurred_at", "-id").values_list("occurred_at", "id")[:at_most]
    ]
    keys += [
        ("task", at, pk) for at, pk in tasks.order_by("-created_at", "-id").values_list("created_at", "id")[:at_most]
    ]
    keys += [
        ("order", datetime.combine(day, time.min, tzinfo=sofia), pk)
        for day, pk in links.order_by("-order__date", "-id").values_list("order__date", "id")[:at_most]
    ]
    keys += [
        ("event", at, pk) for at, pk in events.order_by("-created_at", "-id").values_list("created_at", "id")[:at_most]
    ]

    def sort_key(key: tuple) -> tuple:
        return (key[1], KIND_RANK[key[0]], key[2])

    keys.sort(key=sort_key, reverse=True)
    has_older = len(keys) > limit
    keys = keys[:limit]

    wanted: dict[str, list[int]] = {kind: [] for kind in KIND_RANK}
    for kind, _at, pk in keys:
        wanted[kind].append(pk)
    loaded = {
        "communication": Communication.objects.select_related("author", "assignee", "counterparty", "contact"),
        "task": Task.objects.select_related("author", "assignee", "counterparty", "source_communication"),
        "order": ThreadOrder.objects.select_related("order", "order__counterparty", "linked_by"),
        # An event shows only the numbers of what it is about: not their whole rows.
        "event": ThreadEvent.objects.select_related("actor", "task", "communication", "order").only(
            *[f.name for f in ThreadEvent._meta.concrete_fields],
            *[f"actor__{f.name}" for f in ThreadEvent._meta.get_field("actor").related_model._meta.concrete_fields],
            "task__number",
            "communication__number",
            "order__number",
        ),
    }
    objects = {kind: qs.in_bulk(wanted[kind]) if wanted[kind] else {} for kind, qs in loaded.items()}
    page = [TimelineItem(kind, at, objects[kind][pk]) for kind, at, pk in reversed(keys) if pk in objects[kind]]
    _attach_files(page)
    # The mention chips of every description on the page: one query per kind mentioned, not per item.
    mention_prefetch(
        objects=[item.obj.order if item.kind == "order" else item.obj for item in page if item.kind != "event"]
    )
    return TimelinePage(items=page, older_cursor=page[0].cursor if has_older and page else None)


def _attach_files(items: list[TimelineItem]) -> None:
    """One query for the files of every communication and task on the page."""
    comm_ids = [i.obj.pk for i in items if i.kind == "communication"]
    task_ids = [i.obj.pk for i in items if i.kind == "task"]
    by_comm: dict[int, list] = {pk: [] for pk in comm_ids}
    by_task: dict[int, list] = {pk: [] for pk in task_ids}
    if comm_ids or task_ids:
        for attachment in Attachment.objects.filter(Q(communication_id__in=comm_ids) | Q(task_id__in=task_ids)):
            if attachment.communication_id in by_comm:
                by_comm[attachment.communication_id].append(attachment)
            elif attachment.task_id in by_task:
                by_task[attachment.task_id].append(attachment)
    for item in items:
        if item.kind == "communication":
            item.obj.file_list = by_comm[item.obj.pk]
        elif item.kind == "task":
            item.obj.file_list = by_task[item.obj.pk]


def thread_attachments(*, thread: Thread) -> list[Attachment]:
    """Every file of the thread, its communications and its tasks: one list per conversation.

    A task copied from a communication shares its stored files: each file is listed once, under
    the row that first brought it (the communication's)."""
    rows = list(
        Attachment.objects.filter(thread=thread)
        .select_related("communication", "task", "uploaded_by")
        .order_by("-uploaded_at", "-id")
    )
    # Newest first, so the last row seen per file (the one kept) is its oldest.
    first_by_file = {row.file.name: row for row in rows}
    return [row for row in rows if first_by_file[row.file.name] is row]


def thread_orders(*, thread: Thread) -> list[ThreadOrder]:
    return list(
        ThreadOrder.objects.filter(thread=thread).select_related("order", "order__counterparty").order_by("order__date")
    )


# --- dashboard and counterparty page -------------------------------------------------------------


def task_open_for(*, user, limit: int = 20) -> list[Task]:
    """My open tasks, overdue first, then by deadline (none last)."""
    now = timezone.now()
    tasks = list(
        Task.objects.filter(assignee=user, status__in=OPEN_STATUSES).select_related("thread", "counterparty")[:500]
    )
    tasks.sort(key=lambda t: (not (t.deadline and t.deadline < now), t.deadline is None, t.deadline or now, t.pk))
    return tasks[:limit]


def communication_assigned_to(*, user, limit: int = 20) -> list[Communication]:
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


def counterparty_search(*, query: str, limit: int = 10) -> list[Counterparty]:
    """Type-ahead over names, company ids and VAT numbers, case-insensitive (Cyrillic too)."""
    query = " ".join(query.split())
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
    linked = ThreadOrder.objects.filter(thread=thread).values("order_id")
    recent = Order.objects.exclude(pk__in=linked).select_related("counterparty").order_by("-date", "-id")
    own = list(recent.filter(counterparty_id=thread.counterparty_id)[:limit]) if thread.counterparty_id else []
    others = list(recent.exclude(pk__in=[o.pk for o in own])[: max(0, limit - len(own))])
    return own + others


# --- communication and task lists (filters in crm/filters.py, views in crm/list_views.py) -------
#
# Pages are keyset pages: the next page is "rows after (sort key, id) of the last row", so page
# 40 000 costs what page 1 costs. No COUNT(*) runs over millions of rows: the total is exact when
# the page's queries saw every match, else PostgreSQL's estimate (SQLite: counted up to a cap).

LIST_PAGE_SIZE = 25
LIST_COUNT_CAP = 1000
# How many rows (in sort order, unfiltered) the first look at a page walks; see _page_keys.
LIST_WINDOW = 5000
# At most this many matches past the window are fetched unordered and sorted here.
LIST_PROBE_CAP = 5000
# With at least this many matches in the window, matches are merely sparse: walk on in order.
LIST_WALK_MIN = 3
# A sort key that is never NULL: tasks without a deadline sort after every real deadline.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)
# Above this many counterparties matching a name, the name filter is a subquery, not a list of ids.
COUNTERPARTY_ID_LIMIT = 1000


@dataclass(frozen=True)
class ListSort:
    """One sortable column: ``key`` is its query-string name (``sort=key`` or ``sort=-key``)."""

    key: str
    field: str  # the model field, or the annotation below, ordered and compared on
    is_datetime: bool = True  # else text
    expression: object = None  # an annotation when ``field`` is not a model field


LIST_SORTS = {
    "communication": {
        "created": ListSort("created", "created_at"),
        "number": ListSort("number", "number", is_datetime=False),
    },
    "task": {
        "created": ListSort("created", "created_at"),
        "number": ListSort("number", "number", is_datetime=False),
        # Matches the expression index crm_task_deadline_key (migration 0002) on PostgreSQL.
        "deadline": ListSort("deadline", "deadline_key", expression=Coalesce("deadline", Value(NO_DEADLINE))),
    },
}
LIST_DEFAULT_SORT = "-created"


def list_sort(kind: str, value: str | None) -> tuple[ListSort, bool]:
    """The ListSort and whether it is descending, for ``sort=`` (unknown values: the default)."""
    sorts = LIST_SORTS[kind]
    value = value or LIST_DEFAULT_SORT
    descending = value.startswith("-")
    sort = sorts.get(value.lstrip("-"))
    if sort is None:
        return sorts["created"], True
    return sort, descending


def list_sort_choices(kind: str) -> list[str]:
    return [f"{prefix}{key}" for key in LIST_SORTS[kind] for prefix in ("", "-")]


def communication_list_queryset() -> QuerySet[Communication]:
    return Communication.objects.select_related("thread", "counterparty", "assignee", "author").defer(
        "description", "thread__description", "counterparty__address", "counterparty__notes"
    )


def task_list_queryset() -> QuerySet[Task]:
    return Task.objects.select_related("thread", "counterparty", "assignee", "author").defer(
        "description", "thread__description", "counterparty__address", "counterparty__notes"
    )


def counterparty_ids_named(text: str, *, limit: int = COUNTERPARTY_ID_LIMIT) -> list[int] | None:
    """Ids of the counterparties whose name contains ``text`` (case-insensitive, Cyrillic too).

    One query, on the trigram index of LOWER(name) on PostgreSQL. ``None`` when more than
    ``limit`` match: the caller then filters with a subquery instead of a long list of ids.
    """
    ids = list(
        Counterparty.objects.alias(folded_name=UnicodeLower("name"))
        .filter(folded_name__contains=text.lower())
        .order_by()
        .values_list("pk", flat=True)[: limit + 1]
    )
    return None if len(ids) > limit else ids


def counterparty_named_subquery(text: str) -> QuerySet[Counterparty]:
    return (
        Counterparty.objects.alias(folded_name=UnicodeLower("name"))
        .filter(folded_name__contains=text.lower())
        .order_by()
        .values("pk")
    )


def _encode_cursor(sort: ListSort, value, pk: int) -> str:
    raw = json.dumps([sort.key, value.isoformat() if isinstance(value, datetime) else value, pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(sort: ListSort, raw: str | None) -> tuple | None:
    """(value, pk) from a cursor made for ``sort``; None when missing, malformed or for another sort."""
    if not raw or len(raw) > 500:
        return None
    try:
        key, value, pk = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if key != sort.key or not isinstance(pk, int) or isinstance(pk, bool) or not isinstance(value, str):
            return None
        if sort.is_datetime:
            value = datetime.fromisoformat(value)
            if timezone.is_naive(value):
                return None
        return value, pk
    except (ValueError, TypeError):
        return None


def _beyond(field: str, value, pk: int, *, smaller: bool) -> Q:
    """Rows after (value, pk) in the order: ``field <= value AND (field < value OR id < pk)``.

    The first term is a plain range on the sort index (a row comparison spelled with OR alone
    would make PostgreSQL scan the index from its start on every page).
    """
    if smaller:
        return Q(**{f"{field}__lte": value}) & (Q(**{f"{field}__lt": value}) | Q(pk__lt=pk))
    return Q(**{f"{field}__gte": value}) & (Q(**{f"{field}__gt": value}) | Q(pk__gt=pk))


@dataclass(frozen=True)
class KeysetPage:
    items: list
    next_cursor: str | None  # pass as ?after=
    previous_cursor: str | None  # pass as ?before=
    # Every match, when the page's queries saw them all (first pages only); else None.
    total: int | None = None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _ordered(qs: QuerySet, sort: ListSort, *, descending: bool) -> QuerySet:
    if sort.expression is not None:
        qs = qs.annotate(**{sort.field: sort.expression})
    prefix = "-" if descending else ""
    return qs.order_by(f"{prefix}{sort.field}", f"{prefix}pk")


def _up_to(field: str, value, pk: int, *, smaller: bool) -> Q:
    """Rows up to and including (value, pk) in the order: the complement of ``_beyond``."""
    if smaller:
        return Q(**{f"{field}__gte": value}) & (Q(**{f"{field}__gt": value}) | Q(pk__gte=pk))
    return Q(**{f"{field}__lte": value}) & (Q(**{f"{field}__lt": value}) | Q(pk__lte=pk))


def _keys(qs: QuerySet, sort: ListSort, *, descending: bool, conditions: list[Q], limit: int) -> list[tuple]:
    """(pk, sort value) of the first ``limit`` rows in order, on the filtered table alone (without
    the joins of the displayed rows, so the planner weighs its plans on the table itself)."""
    ordered = _ordered(qs, sort, descending=descending)
    for condition in conditions:
        ordered = ordered.filter(condition)
    return list(ordered.values_list("pk", sort.field)[:limit])


def _probe(qs: QuerySet, sort: ListSort, *, descending: bool, conditions: list[Q]) -> list[tuple] | None:
    """Every match (pk, sort value) in order when there are at most LIST_PROBE_CAP; else None.
    Asked without ORDER BY: the database finds them by its cheapest plan; this sorts them."""
    unordered = _ordered(qs, sort, descending=descending).order_by()
    for condition in conditions:
        unordered = unordered.filter(condition)
    found = list(unordered.values_list("pk", sort.field)[: LIST_PROBE_CAP + 1])
    if len(found) > LIST_PROBE_CAP:
        return None
    found.sort(key=lambda row: (row[1], row[0]), reverse=descending)
    return found


def _load(rows: QuerySet, keys: list[tuple]) -> list:
    """The rows of ``keys`` with what the list shows (one query by primary key), in key order."""
    if not keys:
        return []
    objects = rows.in_bulk([pk for pk, _value in keys])
    return [objects[pk] for pk, _value in keys if pk in objects]


def _page_keys(qs, rows, sort, *, descending, after, limit) -> tuple[list[tuple], int | None]:
    """The next ``limit`` keys in order, and the number of matches after ``after`` when all were seen.

    Walking the sort index and filtering (what PostgreSQL does for ORDER BY … LIMIT) is fast when
    matches are frequent or recent, and reads most of the table when they are few and old (an old
    client's calls); collecting the matches by another index and sorting them is the reverse. The
    planner assumes matches are spread evenly and cannot tell. So, bounded either way:

    1. the window: the next LIST_WINDOW rows in sort order (its last key is one index-only query);
       walk it and filter. Enough matches there: done.
    2. a few matches in the window (LIST_WALK_MIN or more): they are sparse, not absent; walk on
       past the window (about LIST_WINDOW × 25 / matches rows).
    3. else past the window, up to LIST_PROBE_CAP + 1 matches unordered (the cheapest plan, then
       sorted here): when that is all of them, done, and counted.
    4. else walk on in order: more than LIST_PROBE_CAP matches past the window are not rare.

    What stays slow: many matches that are all old while a few (LIST_WALK_MIN or more) are recent,
    or more than LIST_PROBE_CAP matches all far back: the walk then reads the rows in between.
    """
    start = [_beyond(sort.field, after[0], after[1], smaller=descending)] if after is not None else []
    edge = list(
        _ordered(rows, sort, descending=descending)
        .filter(*start)
        .values_list(sort.field, "pk")[LIST_WINDOW - 1 : LIST_WINDOW]
    )
    if not edge:  # fewer rows than the window left: walk them all
        keys = _keys(qs, sort, descending=descending, conditions=start, limit=limit)
        return keys, (len(keys) if len(keys) < limit else None)
    value, pk = edge[0]
    window = [*start, _up_to(sort.field, value, pk, smaller=descending)]
    keys = _keys(qs, sort, descending=descending, conditions=window, limit=limit)
    if len(keys) >= limit:
        return keys, None
    past = [*start, _beyond(sort.field, value, pk, smaller=descending)]
    if len(keys) >= LIST_WALK_MIN:
        return keys + _keys(qs, sort, descending=descending, conditions=past, limit=limit - len(keys)), None
    probed = _probe(qs, sort, descending=descending, conditions=past)
    if probed is not None:
        return keys + probed, len(keys) + len(probed)
    return keys + _keys(qs, sort, descending=descending, conditions=past, limit=limit - len(keys)), None


def keyset_page(
    qs: QuerySet,
    *,
    rows: QuerySet,
    sort: ListSort,
    descending: bool,
    after: str | None = None,
    before: str | None = None,
    size: int = LIST_PAGE_SIZE,
) -> KeysetPage:
    """One page of ``qs`` (``rows``: the unfiltered queryset the page's objects are loaded from),
    in a bounded number of queries whatever the page's depth (see _page_keys).

    ``after``/``before`` are cursors of an earlier page (malformed ones give the first page).
    """
    after_key = _decode_cursor(sort, after)
    before_key = None if after_key else _decode_cursor(sort, before)
    backwards = before_key is not None
    key = before_key or after_key
    keys, seen = _page_keys(qs, rows, sort, descending=descending != backwards, after=key, limit=size + 1)
    total = seen if key is None else None
    more = len(keys) > size
    keys = keys[:size]
    if backwards:
        keys.reverse()
    if not keys:
        return KeysetPage(items=[], next_cursor=None, previous_cursor=None, total=total)
    has_next = more if not backwards else True
    has_previous = (key is not None) if not backwards else more
    (first_pk, first_value), (last_pk, last_value) = keys[0], keys[-1]
    return KeysetPage(
        items=_load(rows, keys),
        next_cursor=_encode_cursor(sort, last_value, last_pk) if has_next else None,
        previous_cursor=_encode_cursor(sort, first_value, first_pk) if has_previous else None,
        total=total,
    )


def keyset_iterate(qs: QuerySet, *, rows: QuerySet, sort: ListSort, descending: bool, chunk: int = 2000):
    """Every row of ``qs`` in order, in chunks of ``chunk`` rows (CSV export of millions)."""
    key = None
    while True:
        keys, _seen = _page_keys(qs, rows, sort, descending=descending, after=key, limit=chunk)
        yield from _load(rows, keys)
        if len(keys) < chunk:
            return
        key = (keys[-1][1], keys[-1][0])


def bounded_count(qs: QuerySet, *, cap: int | None = None) -> tuple[int, bool]:
    """(count, capped): the exact count up to ``cap`` rows; capped=True means "more than cap"."""
    cap = cap or LIST_COUNT_CAP
    n = qs.order_by().select_related(None)[: cap + 1].count()
    return min(n, cap), n > cap


# The exact count of a filtered list may take at most this long on PostgreSQL; past it, the estimate.
LIST_COUNT_BUDGET_MS = 25


def list_count(qs: QuerySet) -> tuple[int, str]:
    """How many rows ``qs`` has, without counting millions: (n, kind), kind "exact", "more" (more
    than n = LIST_COUNT_CAP) or "estimate".

    PostgreSQL: the plan's estimate first (planning only, no rows read); when it is small, the
    rows are counted (up to the cap) within LIST_COUNT_BUDGET_MS — small estimates are the
    unreliable ones, and counting few rows is cheap unless many candidates must be checked to
    find them, which the time budget cuts short. SQLite: counted up to the cap.
    """
    if connections[qs.db].vendor != "postgresql":
        n, capped = bounded_count(qs)
        return n, "more" if capped else "exact"
    plan = json.loads(qs.order_by().values("pk").explain(format="json"))
    plan = plan[0] if isinstance(plan, list) else plan
    estimate = int(plan["Plan"]["Plan Rows"])
    if estimate > 2 * LIST_COUNT_CAP:
        return estimate, "estimate"
    try:
        with transaction.atomic(using=qs.db), connections[qs.db].cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = '{int(LIST_COUNT_BUDGET_MS)}ms'")
            n, capped = bounded_count(qs)
    except OperationalError as error:
        if not isinstance(error.__cause__, psycopg_errors.QueryCanceled):
            raise
        return estimate, "estimate"
    return n, "more" if capped else "exact"
