"""The numbers of ``/reports/`` (managers): one SQL query per chart, over a period and a department.

- ``open_tasks``: open tasks created in the period, per assignee and status, and how many of
  them are overdue now (stacked bars: the three open statuses, overdue as a bar of its own).
- ``communications_per_week``: communications recorded (``created_at``) in the period, per week
  (Monday, Europe/Sofia) and direction, from the day totals ``CommunicationDayTotal`` (every
  department) or the day counts ``CommunicationDayCount`` (a department's members), both kept by
  the write path: crm.services.report_counts.
- ``response_times``: per assignee of an incoming communication (occurred in the period), the
  median time until the next outgoing communication of the same thread (its stored
  ``answered_at``); incoming ones that were never answered are counted apart. PostgreSQL:
  ``percentile_cont(0.5)``, one person at a time. SQLite has no percentile aggregate:
  ``config.db`` registers ``median()`` (a Python aggregate) on every SQLite connection.
- ``tasks_done_per_week``: tasks done now whose last change to done (``Task.done_at``, kept by
  the write path) is in the period, per week; a task reopened is not counted (docs/decisions.md).
  Every department from the day totals ``TaskDoneDayTotal``; a department by range counts.

The department narrows every chart to its members' work (the assignee). Weeks start on Monday
in ``settings.TIME_ZONE``. Each query reads only the period's rows through the indexes on
(created_at), (assignee, occurred_at), (done_at), the day totals' (day, direction) and the day
counts' (assignee, day).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone

from crm.models import CommunicationDayCount, CommunicationDayTotal, Status, TaskDoneDayTotal

OPEN_STATUSES = [Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS]


@dataclass(frozen=True)
class Period:
    start: date  # first day, included
    end: date  # last day, included
    department_id: int | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(settings.TIME_ZONE)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=self.zone)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.zone)

    def weeks(self) -> list[date]:
        """Every Monday from the period's first week to its last (empty weeks are shown too)."""
        monday = self.start - timedelta(days=self.start.weekday())
        weeks = []
        while monday <= self.end:
            weeks.append(monday)
            monday += timedelta(days=7)
        return weeks


@dataclass
class AssigneeRow:
    assignee_id: int
    name: str
    by_status: dict[str, int] = field(default_factory=dict)
    overdue: int = 0

    @property
    def open(self) -> int:
        return sum(self.by_status.values())


def _name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def _members_sql(period: Period, column: str, params: dict) -> str:
    """The raw SQL queries' department condition on ``column`` (a user id), its parameter added."""
    if period.department_id is None:
        return ""
    params["department"] = period.department_id
    return f"AND {column} IN (SELECT user_id FROM accounts_department_members WHERE department_id = %(department)s)"  # noqa: S608 - our column


def _department_q(period: Period, column: str = "assignee") -> Q:
    if period.department_id is None:
        return Q()
    return Q(**{f"{column}__departments": period.department_id})


# Aggregated per (assignee, status) first, the names joined to the ~600 groups after: grouping by
# the names too made PostgreSQL hash every open task of the year with three text columns
# (51 → 19 ms for a year; docs/benchmarks.md, "Reports: open tasks"). The partial index
# task_open_created gives the rows from the index alone on PostgreSQL.
_OPEN_SQL = """
SELECT a.assignee_id, u.first_name, u.last_name, u.username, a.status, a.n, a.overdue
FROM (
    SELECT t.assignee_id, t.status, COUNT(*) AS n,
           SUM(CASE WHEN t.deadline < %(now)s THEN 1 ELSE 0 END) AS overdue
    FROM crm_task t
    WHERE t.status IN ({open_statuses}) AND t.assignee_id IS NOT NULL
          AND t.created_at >= %(since)s AND t.created_at < %(until)s {department}
    GROUP BY t.assignee_id, t.status
) a JOIN accounts_user u ON u.id = a.assignee_id
"""


def open_tasks(period: Period) -> list[AssigneeRow]:
    adapt = connection.ops.adapt_datetimefield_value
    params: dict = {"now": adapt(timezone.now()), "since": adapt(period.since), "until": adapt(period.until)}
    # The statuses as literals, as in the partial index's condition, so the planner may use it.
    sql = _OPEN_SQL.format(
        open_statuses=", ".join(f"'{status}'" for status in OPEN_STATUSES),
        department=_members_sql(period, "t.assignee_id", params),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    by_assignee: dict[int, AssigneeRow] = {}
    for assignee_id, first, last, username, status, n, overdue in rows:
        item = by_assignee.setdefault(assignee_id, AssigneeRow(assignee_id, _name(first, last, username)))
        item.by_status[status] = n
        item.overdue += overdue
    return sorted(by_assignee.values(), key=lambda r: (-r.open, r.name))


def communications_per_week(period: Period) -> list[dict]:
    """From the stored counts (crm.services.report_counts keeps them): every department from the
    day totals (a row per day and direction); one department from its members' day counts,
    summed per day in SQL; per week here."""
    if period.department_id is None:  # the day totals: a row per day and direction
        rows = CommunicationDayTotal.objects.filter(day__gte=period.start, day__lte=period.end).values(
            "day", "direction", "n"
        )
    else:
        rows = (
            CommunicationDayCount.objects.filter(_department_q(period), day__gte=period.start, day__lte=period.end)
            .values("day", "direction")
            .annotate(n=Sum("n"))
            .order_by()
        )
    counts: dict[tuple[date, str], int] = {}
    for row in rows:
        week = row["day"] - timedelta(days=row["day"].weekday())
        counts[(week, row["direction"])] = counts.get((week, row["direction"]), 0) + row["n"]
    return [
        {"week": week, "in": counts.get((week, "in"), 0), "out": counts.get((week, "out"), 0)}
        for week in period.weeks()
    ]


# A department's tasks done in each week of the period, by their stored done_at
# (crm.services.tasks._done_at): one range count per week from the partial index task_done_at
# (an index-only scan per week on PostgreSQL), not a time zone conversion and a week truncation
# of each of the period's rows.
_DONE_SQL = """
SELECT w.i, COUNT(*)
FROM ({weeks}) w
JOIN crm_task t ON t.done_at >= w.since AND t.done_at < w.until {department}
GROUP BY w.i
"""


def tasks_done_per_week(period: Period) -> list[dict]:
    if period.department_id is None:  # the day totals: a row per day
        counts: dict[date, int] = {}
        days = TaskDoneDayTotal.objects.filter(day__gte=period.start, day__lte=period.end)
        for day, n in days.values_list("day", "n"):
            week = day - timedelta(days=day.weekday())
            counts[week] = counts.get(week, 0) + n
        return [{"week": week, "done": counts.get(week, 0)} for week in period.weeks()]
    return _department_tasks_done_per_week(period)


def _department_tasks_done_per_week(period: Period) -> list[dict]:
    weeks = period.weeks()
    adapt = connection.ops.adapt_datetimefield_value
    params: list = []
    selects = []
    for i, monday in enumerate(weeks):
        since = datetime.combine(max(monday, period.start), time.min, tzinfo=period.zone)
        until = datetime.combine(
            min(monday + timedelta(days=7), period.end + timedelta(days=1)), time.min, tzinfo=period.zone
        )
        selects.append("SELECT %s AS i, %s AS since, %s AS until" if not selects else "SELECT %s, %s, %s")
        params += [i, adapt(since), adapt(until)]
    department = ""
    if period.department_id is not None:
        department = "AND t.assignee_id IN (SELECT user_id FROM accounts_department_members WHERE department_id = %s)"
        params.append(period.department_id)
    with connection.cursor() as cursor:
        cursor.execute(_DONE_SQL.format(weeks=" UNION ALL ".join(selects), department=department), params)
        counts = dict(cursor.fetchall())
    return [{"week": week, "done": counts.get(i, 0)} for i, week in enumerate(weeks)]


# Each incoming communication of the period carries its answer moment (answered_at, kept by the
# write path: crm.services.communications.communication_answers_refresh), so this reads only the
# period's incoming rows, from the partial index comm_in_assignee_answered alone on PostgreSQL.
# PostgreSQL: one LATERAL median per person, each over one range of the index (assignee,
# occurred_at): ~200 sorts of a person's ~1,000 rows instead of one sort of the year's 225,000
# by assignee then each group's again (300 ms → 60 ms for a year; docs/benchmarks.md, "Response
# time per assignee"). date_part() is a float, EXTRACT() a numeric, slower to sort.
# SQLite has no LATERAL: one GROUP BY (a test database's few rows).
_RESPONSE_SQL = {
    "postgresql": """
SELECT u.id, u.first_name, u.last_name, u.username, r.median_seconds, r.answered, r.unanswered
FROM accounts_user u CROSS JOIN LATERAL (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', o.answered_at - o.occurred_at))
               AS median_seconds,
           COUNT(o.answered_at) AS answered,
           COUNT(*) - COUNT(o.answered_at) AS unanswered
    FROM crm_communication o
    WHERE o.assignee_id = u.id AND o.direction = 'in'
          AND o.occurred_at >= %(since)s AND o.occurred_at < %(until)s
) r
WHERE r.answered + r.unanswered > 0 {department}
ORDER BY r.median_seconds
""",
    "sqlite": """
SELECT a.assignee_id, u.first_name, u.last_name, u.username, a.median_seconds, a.answered, a.unanswered
FROM (
    SELECT o.assignee_id,
           median((julianday(o.answered_at) - julianday(o.occurred_at)) * 86400.0) AS median_seconds,
           COUNT(o.answered_at) AS answered,
           COUNT(*) - COUNT(o.answered_at) AS unanswered
    FROM crm_communication o
    WHERE o.direction = 'in' AND o.occurred_at >= %(since)s AND o.occurred_at < %(until)s
          AND o.assignee_id IS NOT NULL
    GROUP BY o.assignee_id
) a JOIN accounts_user u ON u.id = a.assignee_id
WHERE 1 = 1 {department}
ORDER BY a.median_seconds
""",
}


def response_times(period: Period) -> list[dict]:
    # Raw SQL gets the values the ORM would send (SQLite stores UTC text without an offset).
    adapt = connection.ops.adapt_datetimefield_value
    params: dict = {"since": adapt(period.since), "until": adapt(period.until)}
    sql = _RESPONSE_SQL[connection.vendor].format(department=_members_sql(period, "u.id", params))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        {
            "assignee_id": assignee_id,
            "name": _name(first, last, username),
            "median_hours": round(float(seconds) / 3600, 1) if seconds is not None else None,
            "answered": answered,
            "unanswered": unanswered,
        }
        for assignee_id, first, last, username, seconds, answered, unanswered in rows
    ]


@dataclass(frozen=True)
class Report:
    computed_at: datetime
    period: Period
    open_tasks: list[AssigneeRow]
    communications: list[dict]
    response_times: list[dict]
    tasks_done: list[dict]


def report_cached(period: Period) -> Report:
    """``report(period)``, kept for REPORTS_CACHE_SECONDS (default 300) in Django's cache: a bonus
    since the response time reads the stored answered_at (the uncached page is the one measured
    against the target, docs/benchmarks.md); a manager's chart may be five minutes old, and the
    page says when it was computed. 0 turns the cache off (the tests)."""
    seconds = settings.REPORTS_CACHE_SECONDS
    if not seconds:
        return report(period)
    key = f"crm:reports:v1:{period.start}:{period.end}:{period.department_id or ''}"
    return cache.get_or_set(key, lambda: report(period), seconds)


def report(period: Period) -> Report:
    return Report(
        computed_at=timezone.now(),
        period=period,
        open_tasks=open_tasks(period),
        communications=communications_per_week(period),
        response_times=response_times(period),
        tasks_done=tasks_done_per_week(period),
    )
