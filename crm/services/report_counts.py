"""The reports' stored counts (crm/reports.py): the only writer of ``CommunicationDayCount``,
``CommunicationDayTotal`` (the same counts summed over the assignees) and ``TaskDoneDayTotal``.

Every write of a communication that changes what the chart counts — created (item_write), its
assignee changed (item_write), deleted (communication_delete, thread_delete) — calls
``communication_counts_add`` in its own transaction: one upsert that adds +1 / −1 to the rows of
(day, direction, assignee), so two writers at once add up (``INSERT … ON CONFLICT … DO UPDATE SET
n = n + excluded.n``, PostgreSQL and SQLite alike). The direction and created_at never change
after creation (crm.services.communications._clean; created_at is not editable).

``report_counts_rebuild`` recomputes everything from the base tables (the bench seed, which writes
by COPY past the write path; an operator after a manual change): the day counts in one INSERT …
SELECT … GROUP BY, and each done task's ``done_at`` from its timeline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.models import Status, Task, ThreadEvent

# The Europe/Sofia date of created_at, in SQL (the rebuild). SQLite: Django's own function, which
# it registers on every SQLite connection (what TruncDate compiles to there).
_LOCAL_DATE = {
    "postgresql": "(created_at AT TIME ZONE %(zone)s)::date",
    "sqlite": "django_datetime_cast_date(created_at, %(zone)s, 'UTC')",
}


def local_day(moment: datetime) -> date:
    """The day a moment is counted on: its date in ``settings.TIME_ZONE``."""
    return timezone.localtime(moment, ZoneInfo(settings.TIME_ZONE)).date()


def communication_counts_add(*, rows: Iterable[tuple[datetime, str, int | None, int]]) -> None:
    """Add ``delta`` to the day count of each (created_at, direction, assignee_id, delta) of
    ``rows`` and to the day's total: at most three statements (the totals, the assigned rows, the
    unassigned ones: each has its own unique index to conflict on), whatever the number of rows;
    a reassignment changes no total (its −1 and +1 cancel out: no statement)."""
    deltas: Counter = Counter()
    for created_at, direction, assignee_id, delta in rows:
        deltas[(local_day(created_at), direction, assignee_id)] += delta
    adapt = connection.ops.adapt_datefield_value
    totals: Counter = Counter()
    for (day, direction, _assignee_id), delta in deltas.items():
        totals[(day, direction)] += delta
    _upsert(
        "crm_communicationdaytotal (day, direction, n)",
        "(day, direction) DO UPDATE SET n = crm_communicationdaytotal.n + excluded.n",
        [(adapt(day), direction, k) for (day, direction), k in totals.items() if k],
    )
    targets = (
        ("(day, direction, assignee_id) WHERE assignee_id IS NOT NULL", lambda a: a is not None),
        ("(day, direction) WHERE assignee_id IS NULL", lambda a: a is None),
    )
    for target, belongs in targets:
        _upsert(
            "crm_communicationdaycount (day, direction, assignee_id, n)",
            f"{target} DO UPDATE SET n = crm_communicationdaycount.n + excluded.n",
            [(adapt(day), d, a, k) for (day, d, a), k in deltas.items() if belongs(a) and k],
        )


def _upsert(into: str, conflict: str, values: list[tuple]) -> None:
    """One INSERT … ON CONFLICT … of every row of ``values`` (none: no query)."""
    if not values:
        return
    row = f"({', '.join(['%s'] * len(values[0]))})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {into} VALUES {', '.join([row] * len(values))} ON CONFLICT {conflict}",  # noqa: S608 - our SQL
            [p for value in values for p in value],
        )


def communication_counted(*, item, created: bool, changed: Iterable[str], old_assignee_id: int | None) -> None:
    """After item_write (its after_write hook): a new communication counted; a changed assignee
    moves it from the old assignee's row to the new one's (one statement; two when one of them
    is nobody). Other edits change nothing counted: no query."""
    if created:
        communication_counts_add(rows=[(item.created_at, item.direction, item.assignee_id, 1)])
    elif "assignee" in changed and old_assignee_id != item.assignee_id:
        communication_counts_add(
            rows=[
                (item.created_at, item.direction, old_assignee_id, -1),
                (item.created_at, item.direction, item.assignee_id, 1),
            ]
        )


def communications_uncounted(*, communications) -> None:
    """Before ``communications`` (a queryset) are deleted: taken off their day counts (one query
    for their values, one or two upserts)."""
    # Locked: an assignee changed at the same moment is either counted here or waits for the delete.
    values = communications.select_for_update().values_list("created_at", "direction", "assignee_id")
    rows = [(created_at, direction, assignee_id, -1) for created_at, direction, assignee_id in values]
    if rows:
        communication_counts_add(rows=rows)


def tasks_done_add(*, rows: Iterable[tuple[datetime, int]]) -> None:
    """Add ``delta`` to the done total of the day of each (done_at, delta) of ``rows``: one
    statement, whatever the number of rows (none when they cancel out)."""
    deltas: Counter = Counter()
    for done_at, delta in rows:
        deltas[local_day(done_at)] += delta
    adapt = connection.ops.adapt_datefield_value
    _upsert(
        "crm_taskdonedaytotal (day, n)",
        "(day) DO UPDATE SET n = crm_taskdonedaytotal.n + excluded.n",
        [(adapt(day), k) for day, k in deltas.items() if k],
    )


def task_done_counted(*, item, created: bool, changed: Iterable[str], old_done_at: datetime | None) -> None:
    """After item_write (the task kind's after_write): a task created done, or whose ``done_at``
    was set, moved or cleared, taken off its old day and counted on its new one. ``old_done_at``
    is the stored value, re-read under the row's lock (ItemKind.locked_before), so two people
    setting one task done at once count it once. Other edits: no query."""
    rows = []
    if (created or "done_at" in changed) and item.done_at is not None:
        rows.append((item.done_at, 1))
    if not created and "done_at" in changed and old_done_at is not None:
        rows.append((old_done_at, -1))
    if rows:
        tasks_done_add(rows=rows)


def tasks_uncounted(*, tasks) -> None:
    """Before ``tasks`` (a queryset) are deleted: the done ones taken off their day (one query for
    their done_at, locked like a status change; one upsert)."""
    done = tasks.filter(done_at__isnull=False).select_for_update().values_list("done_at", flat=True)
    tasks_done_add(rows=[(done_at, -1) for done_at in done])


@transaction.atomic
def report_counts_rebuild() -> dict[str, int]:
    """The stored counts recomputed from scratch: every day count (one DELETE, one INSERT …
    SELECT … GROUP BY) and day total (summed from the day counts), ``Task.done_at`` of every
    task (the moment of its last status change to done on its timeline, its creation if it was
    created done; None unless done), and the done tasks per day from it. Returns the rows written."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM crm_communicationdaycount")
        day = _LOCAL_DATE[connection.vendor]
        cursor.execute(
            "INSERT INTO crm_communicationdaycount (day, direction, assignee_id, n) "  # noqa: S608 - our SQL
            f"SELECT {day}, direction, assignee_id, COUNT(*) FROM crm_communication GROUP BY 1, 2, 3",
            {"zone": settings.TIME_ZONE},
        )
        days = cursor.rowcount
        cursor.execute("DELETE FROM crm_communicationdaytotal")
        cursor.execute(
            "INSERT INTO crm_communicationdaytotal (day, direction, n) "
            "SELECT day, direction, SUM(n) FROM crm_communicationdaycount GROUP BY day, direction"
        )
    done = task_done_at_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM crm_taskdonedaytotal")
        cursor.execute(
            "INSERT INTO crm_taskdonedaytotal (day, n) "  # noqa: S608 - our SQL
            f"SELECT {_LOCAL_DATE[connection.vendor].replace('created_at', 'done_at')}, COUNT(*) "
            "FROM crm_task WHERE done_at IS NOT NULL GROUP BY 1",
            {"zone": settings.TIME_ZONE},
        )
    return {"day counts": days, "tasks done": done}


def task_done_at_rebuild() -> int:
    """``done_at`` of the done tasks from their timelines (one UPDATE), None for the others."""
    last_done = (
        ThreadEvent.objects.filter(task_id=OuterRef("pk"), kind=ThreadEvent.Kind.STATUS_CHANGED, data__new=Status.DONE)
        .order_by()
        .values("task_id")
        .annotate(at=Max("created_at"))
        .values("at")
    )
    Task.objects.exclude(status=Status.DONE).exclude(done_at=None).update(done_at=None)
    return Task.objects.filter(status=Status.DONE).update(done_at=Coalesce(Subquery(last_done), F("created_at")))
