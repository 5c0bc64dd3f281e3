"""Keyset pages and capped counts over any Django queryset: pages whose cost does not grow with
their depth, and totals that never count millions of rows.

Generic: it knows querysets, not models (no app imports it back; crm's list selectors use it).

What the caller supplies
  - ``qs``: the filtered queryset, and ``rows``: the unfiltered one the page's objects are loaded
    from (its ``select_related``/``defer``: what a row shows). Keys are read from ``qs`` alone, so
    the planner weighs its plans on the filtered table without the joins of the displayed rows.
  - a :class:`Sort`: the query-string name of a column (``key``, part of the cursor), the field or
    annotation it orders on (``field``, with ``expression`` for an annotation), and whether it is a
    datetime or text. The sort value must never be NULL (wrap a nullable column in ``Coalesce``);
    ties are broken by the primary key, an auto-incremented integer. An index on (field, id)
    makes a page a range scan.

What a page is
  :class:`KeysetPage`: ``items`` (at most ``size``, in order), ``next_cursor`` (pass as ``after``)
  and ``previous_cursor`` (pass as ``before``), None at either end, and ``total``: the number of
  matches when the page's own queries saw all of them (a first page only), else None. A page is
  "rows after (sort value, id) of the last row", so page 40 000 costs what page 1 costs; how the
  keys are found in a bounded number of queries is in ``_page_keys``.

The cursor
  URL-safe base64, unpadded, of the JSON list ``[sort key, value, id]``; the value is ISO 8601
  with its UTC offset for datetimes, the text itself otherwise. It is opaque to callers and
  untrusted: :func:`decode_cursor` turns anything that is not a position in that sort's order
  into None, and the page is then the first one — a cursor made for another sort, malformed
  base64 or JSON, more than CURSOR_MAX_LENGTH characters, an id outside 1 … KEY_MAX, text with NUL
  or lone surrogates (which no database stores), a datetime without an offset or outside what UTC
  can express. Moments at the far ends (year 1, 9999-12-31) are positions, and are honoured.

Counts
  :func:`capped_counts`: exact up to a cap, else "more than the cap", for several querysets in
  one statement. :func:`list_counts` (and :func:`list_count` of one): what a list shows as its
  total — on PostgreSQL the planner's estimate when that is large, else the rows counted within
  COUNT_BUDGET_MS (``SET LOCAL statement_timeout`` in a savepoint rolled back after it, so the
  caller's transaction keeps its own timeout), the estimate if that runs out; elsewhere counted
  up to the cap. Several querysets (a board's columns) cost the statements of one.

:func:`keyset_iterate` walks every row in order in chunks (exports of millions of rows).
"""

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import EmptyResultSet
from django.db import OperationalError, connections, transaction
from django.db.models import F, Q, QuerySet

# Row comparisons: PostgreSQL gets ``(a, b) >= (x, y)``, SQLite the equivalent ANDs and ORs. Not
# in Django's documented API (it is what composite primary keys use), so pinned by paging's tests.
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThanOrEqual, TupleLessThanOrEqual
from psycopg import errors as psycopg_errors

PAGE_SIZE = 25
COUNT_CAP = 1000
# How many rows (in sort order, unfiltered) the first look at a page walks; see _page_keys.
WINDOW = 5000
# At most this many matches past the window are fetched unordered and sorted here.
PROBE_CAP = 5000
# With at least this many matches in the window, matches are merely sparse: walk on in order.
WALK_MIN = 3
# The exact count of a filtered list may take at most this long on PostgreSQL; past it, the estimate.
COUNT_BUDGET_MS = 25
# Longer cursors are not ours (a text sort value this long is not either).
CURSOR_MAX_LENGTH = 500
# The largest id of a Django integer key (BigAutoField); ids start at 1.
KEY_MAX = 2**63 - 1


@dataclass(frozen=True)
class Sort:
    """One sortable column: ``key`` is its query-string name (``sort=key`` or ``sort=-key``)."""

    key: str
    field: str  # the model field, or the annotation below, ordered and compared on
    is_datetime: bool = True  # else text
    expression: object = None  # an annotation when ``field`` is not a model field


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


# --- cursors -------------------------------------------------------------------------------------


def encode_cursor(sort: Sort, value, pk: int) -> str:
    raw = json.dumps([sort.key, value.isoformat() if isinstance(value, datetime) else value, pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(sort: Sort, raw: str | None) -> tuple | None:
    """(value, pk) from a cursor made for ``sort``; None when it is no position in its order."""
    if not raw or len(raw) > CURSOR_MAX_LENGTH:
        return None
    try:
        key, value, pk = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, TypeError):
        return None
    if key != sort.key or type(pk) is not int or not 1 <= pk <= KEY_MAX or not _storable(value):
        return None
    if sort.is_datetime:
        value = _moment(value)
    return None if value is None else (value, pk)


def _storable(value) -> bool:
    """Text every database takes as a parameter: PostgreSQL refuses NUL, any UTF-8 lone surrogates."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _moment(value: str) -> datetime | None:
    """The aware datetime of ``value``, in UTC (SQLite stores UTC; PostgreSQL refuses offsets past
    ±15:59); None without an offset, or when UTC cannot express it (year 1 east of Greenwich)."""
    try:
        moment = datetime.fromisoformat(value)
        if moment.utcoffset() is None:
            return None
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


# --- pages ---------------------------------------------------------------------------------------


def _beyond(field: str, value, pk: int, *, smaller: bool) -> Q:
    """Rows after (value, pk) in the order: ``field <= value AND (field < value OR id < pk)``.

    The first term is a plain range on the sort index (a row comparison spelled with OR alone
    would make PostgreSQL scan the index from its start on every page). Not a row comparison
    ``(field, id) < (value, pk)``: this bound is where a scan starts, and PostgreSQL 15 starts
    at a row comparison rather than at a tighter plain bound of the filters (``created_before``
    a year back: 600,000 index entries read, ~65 ms, instead of none).
    """
    if smaller:
        return Q(**{f"{field}__lte": value}) & (Q(**{f"{field}__lt": value}) | Q(pk__lt=pk))
    return Q(**{f"{field}__gte": value}) & (Q(**{f"{field}__gt": value}) | Q(pk__gt=pk))


def _ordered(qs: QuerySet, sort: Sort, *, descending: bool) -> QuerySet:
    if sort.expression is not None:
        qs = qs.annotate(**{sort.field: sort.expression})
    prefix = "-" if descending else ""
    return qs.order_by(f"{prefix}{sort.field}", f"{prefix}pk")


def _up_to(field: str, value, pk: int, *, smaller: bool) -> Q:
    """Rows up to and including (value, pk) in the order (the complement of ``_beyond``): the row
    comparison ``(field, id) >= (value, pk)`` (``<=`` ascending).

    The window's far end, where a scan stops. PostgreSQL estimates a row comparison from its
    first column, which is right; the same bound spelled ``field >= value AND (field > value OR
    id >= pk)`` is estimated as the product of its terms: the 5,000 rows of the window became
    ~25, and a filter matching 8 % of the table (``counterparty=физическо``, 1M rows) was then
    collected through its trigram index over the whole table (82,000 entries, ~56 ms) instead of
    walking the window in order (~400 rows, 0.4 ms). SQLite gets the ANDs and ORs (Django has no
    row comparison for it), which its planner handles.
    """
    lookup = TupleGreaterThanOrEqual if smaller else TupleLessThanOrEqual
    return Q(lookup(Tuple(F(field), F("pk")), (value, pk)))


def _keys(qs: QuerySet, sort: Sort, *, descending: bool, conditions: list[Q], limit: int) -> list[tuple]:
    """(pk, sort value) of the first ``limit`` rows in order, on the filtered table alone (without
    the joins of the displayed rows, so the planner weighs its plans on the table itself)."""
    ordered = _ordered(qs, sort, descending=descending)
    for condition in conditions:
        ordered = ordered.filter(condition)
    return list(ordered.values_list("pk", sort.field)[:limit])


def _probe(qs: QuerySet, sort: Sort, *, descending: bool, conditions: list[Q]) -> list[tuple] | None:
    """Every match (pk, sort value) in order when there are at most PROBE_CAP; else None.
    Asked without ORDER BY: the database finds them by its cheapest plan; this sorts them."""
    unordered = _ordered(qs, sort, descending=descending).order_by()
    for condition in conditions:
        unordered = unordered.filter(condition)
    found = list(unordered.values_list("pk", sort.field)[: PROBE_CAP + 1])
    if len(found) > PROBE_CAP:
        return None
    found.sort(key=lambda row: (row[1], row[0]), reverse=descending)
    return found


def _load(rows: QuerySet, keys: list[tuple], load: Callable[[list[int]], list] | None = None) -> list:
    """The rows of ``keys`` with what the list shows (one query by primary key), in key order;
    ``load``: the caller's own query for these ids, when it has one (``rows.in_bulk`` otherwise)."""
    if not keys:
        return []
    ids = [pk for pk, _value in keys]
    objects = {obj.pk: obj for obj in load(ids)} if load is not None else rows.in_bulk(ids)
    return [objects[pk] for pk, _value in keys if pk in objects]


_UNKNOWN = object()


def window_edge_query(rows: QuerySet, sort: Sort, *, descending: bool, start: list[Q] = (), window: int | None = None):
    """The query of the window's edge: (sort value, pk) of the ``window``-th row (default WINDOW)
    after ``start`` in order, unfiltered. A first page's (no ``start``) depends on ``rows`` and the
    sort alone, so a caller may compile it once (keyset_page's ``first_edge``)."""
    window = window or WINDOW
    return _ordered(rows, sort, descending=descending).filter(*start).values_list(sort.field, "pk")[window - 1 : window]


def _window_edge(rows: QuerySet, sort: Sort, *, descending: bool, start: list[Q]) -> tuple | None:
    """(sort value, pk) of the window's last row (the WINDOW-th after ``start``, unfiltered: one
    index-only look), or None when fewer rows are left."""
    edge = list(window_edge_query(rows, sort, descending=descending, start=start))
    return edge[0] if edge else None


def _page_keys(qs, rows, sort, *, descending, after, limit, edge=_UNKNOWN) -> tuple[list[tuple], int | None]:
    """The next ``limit`` keys in order, and the number of matches after ``after`` when all were seen.

    Walking the sort index and filtering (what PostgreSQL does for ORDER BY … LIMIT) is fast when
    matches are frequent or recent, and reads most of the table when they are few and old (an old
    client's calls); collecting the matches by another index and sorting them is the reverse. The
    planner assumes matches are spread evenly and cannot tell. So, bounded either way:

    1. the window: the next WINDOW rows in sort order (its last key is one index-only query);
       walk it and filter. Enough matches there: done.
    2. a few matches in the window (WALK_MIN or more): they are sparse, not absent; walk on
       past the window (about WINDOW × 25 / matches rows).
    3. else past the window, up to PROBE_CAP + 1 matches unordered (the cheapest plan, then
       sorted here): when that is all of them, done, and counted.
    4. else walk on in order: more than PROBE_CAP matches past the window are not rare.

    What stays slow: many matches that are all old while a few (WALK_MIN or more) are recent,
    or more than PROBE_CAP matches all far back: the walk then reads the rows in between.
    """
    start = [_beyond(sort.field, after[0], after[1], smaller=descending)] if after is not None else []
    if edge is _UNKNOWN:
        edge = _window_edge(rows, sort, descending=descending, start=start)
    if edge is None:  # fewer rows than the window left: walk them all
        keys = _keys(qs, sort, descending=descending, conditions=start, limit=limit)
        return keys, (len(keys) if len(keys) < limit else None)
    value, pk = edge
    window = [*start, _up_to(sort.field, value, pk, smaller=descending)]
    keys = _keys(qs, sort, descending=descending, conditions=window, limit=limit)
    if len(keys) >= limit:
        return keys, None
    past = [*start, _beyond(sort.field, value, pk, smaller=descending)]
    if len(keys) >= WALK_MIN:
        return keys + _keys(qs, sort, descending=descending, conditions=past, limit=limit - len(keys)), None
    probed = _probe(qs, sort, descending=descending, conditions=past)
    if probed is not None:
        return keys + probed, len(keys) + len(probed)
    return keys + _keys(qs, sort, descending=descending, conditions=past, limit=limit - len(keys)), None


def keyset_page(
    qs: QuerySet,
    *,
    rows: QuerySet,
    sort: Sort,
    descending: bool,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
    load: Callable[[list[int]], list] | None = None,
    first_edge: Callable[[], list[tuple]] | None = None,
) -> KeysetPage:
    """One page of ``qs`` (``rows``: the unfiltered queryset the page's objects are loaded from),
    in a bounded number of queries whatever the page's depth (see _page_keys).

    ``after``/``before`` are cursors of an earlier page (any that decode_cursor refuses: the
    first page). ``load``: the objects of a list of ids, as ``rows.filter(pk__in=ids)`` would
    give them (any order) — a query compiled once (config.compiled) instead of ``in_bulk``
    building and compiling ``rows``' joins for every page. ``first_edge``: for a first page, the
    rows of ``window_edge_query(rows, sort, descending=descending)`` (a list of at most one
    (value, pk)), from a query the caller compiled once.
    """
    after_key = decode_cursor(sort, after)
    before_key = None if after_key else decode_cursor(sort, before)
    backwards = before_key is not None
    key = before_key or after_key
    edge = _UNKNOWN
    if key is None and first_edge is not None:
        found = first_edge()
        edge = tuple(found[0]) if found else None
    keys, seen = _page_keys(qs, rows, sort, descending=descending != backwards, after=key, limit=size + 1, edge=edge)
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
        items=_load(rows, keys, load),
        next_cursor=encode_cursor(sort, last_value, last_pk) if has_next else None,
        previous_cursor=encode_cursor(sort, first_value, first_pk) if has_previous else None,
        total=total,
    )


def keyset_first_pages(
    querysets: list[QuerySet],
    *,
    rows: QuerySet,
    sort: Sort,
    descending: bool,
    size: int = PAGE_SIZE,
    load: Callable[[list[int]], list] | None = None,
) -> list[KeysetPage]:
    """The first page of each of ``querysets`` (filters of the same ``rows``: a board's columns),
    as keyset_page would give them, in fewer queries: the window's edge depends on ``rows`` and
    the sort alone, so it is looked up once, and every page's objects are loaded by one query
    (``load`` as for keyset_page)."""
    edge = _window_edge(rows, sort, descending=descending, start=[])
    found = [
        _page_keys(qs, rows, sort, descending=descending, after=None, limit=size + 1, edge=edge) for qs in querysets
    ]
    objects = _load(rows, [key for keys, _seen in found for key in keys[:size]], load)
    by_pk = {obj.pk: obj for obj in objects}
    pages = []
    for keys, seen in found:
        more, keys = len(keys) > size, keys[:size]
        items = [by_pk[pk] for pk, _value in keys if pk in by_pk]
        if not keys:
            pages.append(KeysetPage(items=[], next_cursor=None, previous_cursor=None, total=seen))
            continue
        last_pk, last_value = keys[-1]
        cursor = encode_cursor(sort, last_value, last_pk) if more else None
        pages.append(KeysetPage(items=items, next_cursor=cursor, previous_cursor=None, total=seen))
    return pages


def keyset_iterate(qs: QuerySet, *, rows: QuerySet, sort: Sort, descending: bool, chunk: int = 2000):
    """Every row of ``qs`` in order, in chunks of ``chunk`` rows (CSV export of millions)."""
    key = None
    while True:
        keys, _seen = _page_keys(qs, rows, sort, descending=descending, after=key, limit=chunk)
        yield from _load(rows, keys)
        if len(keys) < chunk:
            return
        key = (keys[-1][1], keys[-1][0])


# --- counts --------------------------------------------------------------------------------------


def capped_counts(querysets: list[QuerySet], *, cap: int | None = None) -> list[int]:
    """Each queryset's rows counted up to ``cap`` + 1 (more than ``cap``: "more"), in one statement
    of scalar subqueries whatever their number (a board's columns)."""
    cap = cap or COUNT_CAP
    if len(querysets) == 1:
        return [querysets[0].order_by().select_related(None)[: cap + 1].count()]
    parts, params = [], []
    for i, qs in enumerate(querysets):
        try:
            sql, part_params = qs.order_by().select_related(None).values("pk")[: cap + 1].query.sql_with_params()
        except EmptyResultSet:  # a filter Django knows matches nothing (an empty IN list)
            parts.append("0")
            continue
        # Django's own SQL of each queryset, its values bound as parameters.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{i})")  # noqa: S608
        params.extend(part_params)
    with connections[querysets[0].db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        return list(cursor.fetchone())


def _estimate(qs: QuerySet) -> int:
    """The planner's row estimate of ``qs`` (PostgreSQL; planning only). One EXPLAIN per
    queryset: the parts of one EXPLAIN of a UNION ALL cannot be told apart reliably (a parallel
    Append orders its parts by cost and estimates rows per worker)."""
    text = qs.order_by().values("pk").explain(format="json")
    if not text:  # nothing was planned: Django knows it matches nothing (an empty IN list)
        return 0
    plan = json.loads(text)
    return int((plan[0] if isinstance(plan, list) else plan)["Plan"]["Plan Rows"])


def list_counts(querysets: list[QuerySet]) -> list[tuple[int, str]]:
    """How many rows each of ``querysets`` (of one database) has, without counting millions:
    (n, kind) each, kind "exact", "more" (more than n = COUNT_CAP) or "estimate".

    PostgreSQL: the plan's estimates first (planning only, no rows read); the querysets whose
    estimate is small are counted (up to the cap) within COUNT_BUDGET_MS together — small
    estimates are the unreliable ones, and counting few rows is cheap unless many candidates
    must be checked to find them, which the time budget cuts short; when it runs out, they keep
    their estimates. An EXPLAIN per queryset, then four statements for all the small ones.
    SQLite: counted up to the cap, in one statement.
    """
    if not querysets:
        return []
    db = querysets[0].db

    def counted(n: int) -> tuple[int, str]:
        return (min(n, COUNT_CAP), "more") if n > COUNT_CAP else (n, "exact")

    if connections[db].vendor != "postgresql":
        return [counted(n) for n in capped_counts(querysets)]
    results = [(_estimate(qs), "estimate") for qs in querysets]
    small = [i for i, (estimate, _kind) in enumerate(results) if estimate <= 2 * COUNT_CAP]
    if not small:
        return results
    try:
        with transaction.atomic(using=db), connections[db].cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = '{int(COUNT_BUDGET_MS)}ms'")
            counts = capped_counts([querysets[i] for i in small])
            # Rolled back, not released: inside a caller's transaction a released savepoint would
            # keep the budget for the rest of it (SET LOCAL lasts to the end of the transaction).
            transaction.set_rollback(True, using=db)
    except OperationalError as error:
        if not isinstance(error.__cause__, psycopg_errors.QueryCanceled):
            raise
        return results
    for i, n in zip(small, counts, strict=True):
        results[i] = counted(n)
    return results


def list_count(qs: QuerySet) -> tuple[int, str]:
    """list_counts of one queryset: what a list shows as its total."""
    return list_counts([qs])[0]
