"""The due pass at scale: one ``run_due`` over 300,000 open tasks of which 5,000 have their
reminder due, and an idle pass (nothing due).

Set-up (once, kept between runs; rows marked "bench-jobs"): 50 employees, one thread, 300,000
open tasks with a deadline and an assignee, each with its armed reminder and overdue rows
(600,000 ``crm_reminder`` rows) — made with INSERT … SELECT generate_series, as a real year of
tasks would stand in the table. 5,000 of the reminders are due "now"; the rest in the future.
Each measured pass is undone afterwards (its notifications deleted, the 5,000 armed again).

Targets (issue 14): the 5,000-reminder pass under 5 s with a fixed number of queries per
batch (JOBS_BATCH_SIZE); the idle pass under 50 ms.
"""

from __future__ import annotations

import datetime
import os
import statistics
import time

from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.tables import Table

TASKS = 300_000
DUE = 5_000
USERS = 50
REPEAT = 3
IDLE_REPEAT = 30
MARK = "bench-jobs"


def _setup(now: datetime.datetime) -> None:
    from accounts.models import User
    from crm.models import Reminder, Task, Thread

    if Task.objects.filter(subject__startswith=MARK).count() >= TASKS:
        return
    Reminder.objects.filter(task__subject__startswith=MARK).delete()
    Task.objects.filter(subject__startswith=MARK).delete()
    users = [
        User.objects.get_or_create(username=f"{MARK}-{i:02d}", defaults={"first_name": "Бенч", "last_name": str(i)})[0]
        for i in range(USERS)
    ]
    thread = Thread.objects.filter(subject=MARK).first() or Thread.objects.create(
        number=f"{MARK}-TH", subject=MARK, author=users[0], last_activity_at=now
    )
    user_ids = "{" + ",".join(str(u.pk) for u in users) + "}"
    with transaction.atomic(), connection.cursor() as cursor:
        # Deadlines: the first DUE tasks 23 hours from now (their reminder, 24 h before, is due),
        # the rest spread over the next year.
        cursor.execute(
            """
            INSERT INTO crm_task (number, thread_id, subject, description, counterparty_name, assignee_id,
                                  deadline, status, author_id, created_at)
            SELECT %(mark)s || '-' || g, %(thread)s, %(mark)s || ' задача ' || g, '', '',
                   (%(users)s::bigint[])[1 + g %% %(n_users)s],
                   CASE WHEN g <= %(due)s THEN %(now)s::timestamptz + interval '23 hours'
                        ELSE %(now)s::timestamptz + interval '2 days' + (g || ' minutes')::interval END,
                   'assigned', (%(users)s::bigint[])[1], %(now)s
            FROM generate_series(1, %(tasks)s) AS g
            """,
            {
                "mark": MARK,
                "thread": thread.pk,
                "users": user_ids,
                "n_users": USERS,
                "due": DUE,
                "now": now,
                "tasks": TASKS,
            },
        )
        cursor.execute(
            """
            INSERT INTO crm_reminder (kind, task_id, recipient_id, armed_for, due_at)
            SELECT k.kind, t.id, t.assignee_id, t.deadline,
                   CASE WHEN k.kind = 'reminder' THEN t.deadline - interval '1 day' ELSE t.deadline END
            FROM crm_task t CROSS JOIN (VALUES ('reminder'), ('overdue')) AS k(kind)
            WHERE t.subject LIKE %(like)s
            """,
            {"like": MARK + "%"},
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_task")
        cursor.execute("ANALYZE crm_reminder")
        cursor.execute("ANALYZE notifications_notification")


def _rearm() -> None:
    """Every bench reminder armed as set up (what a measured pass told is told again)."""
    from notifications.models import Notification

    Notification.objects.filter(recipient__username__startswith=MARK).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE crm_reminder SET notified_at = NULL,
                   due_at = CASE WHEN kind = 'reminder' THEN armed_for - interval '1 day' ELSE armed_for END
            WHERE (notified_at IS NOT NULL OR due_at IS NULL) AND task_id IN (
                SELECT id FROM crm_task WHERE subject LIKE %s)
            """,
            [MARK + "%"],
        )


def _load() -> float:
    return os.getloadavg()[0]


def _due_moment() -> datetime.datetime:
    """The moment the first DUE bench reminders are due by, and no other bench row."""
    from crm.models import Reminder

    return (
        Reminder.objects.filter(task__subject__startswith=MARK, kind="reminder")
        .order_by("due_at")
        .values_list("due_at", flat=True)[DUE - 1]
    )


def run() -> list[Table]:
    from crm.models import Reminder
    from jobs.runner import run_due

    _setup(timezone.now())
    _rearm()
    # Just past the DUE reminders (armed at set-up for its "now" minus one hour), before the rest.
    now = _due_moment()
    due = Reminder.objects.filter(due_at__lte=now).count()
    armed = Reminder.objects.filter(due_at__isnull=False).count()

    rows = []
    for attempt in range(REPEAT):
        load = _load()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            done = run_due(now=now)
            elapsed = time.perf_counter() - started
        told = done.get("crm_reminders", 0)
        queries = len(ctx.captured_queries)
        batches = -(-told // settings.JOBS_BATCH_SIZE)
        per_batch = [q for q in ctx.captured_queries if "crm_reminder" in q["sql"] or "notifications_" in q["sql"]]
        rows.append(
            [attempt + 1, f"{due:,}", told, batches, queries, len(per_batch), f"{elapsed:.2f} s", f"{load:.2f}"]
        )
        _rearm()

    idle_now = now - datetime.timedelta(days=30)  # nothing is due that early
    for _ in range(3):
        run_due(now=idle_now)
    timings = []
    load = _load()
    with CaptureQueriesContext(connection) as ctx:
        run_due(now=idle_now)
    idle_queries = len(ctx.captured_queries)
    for _ in range(IDLE_REPEAT):
        started = time.perf_counter()
        run_due(now=idle_now)
        timings.append((time.perf_counter() - started) * 1000)

    return [
        Table(
            title=f"run_due over {TASKS:,} open tasks ({armed:,} armed reminder rows), {DUE:,} due",
            columns=[
                "run",
                "due",
                "told",
                "batches",
                "queries (whole pass)",
                "of them reminders/notifications",
                "time",
                "load 1 min",
            ],
            rows=rows,
            note=(
                f"JOBS_BATCH_SIZE={settings.JOBS_BATCH_SIZE}. A pass: one query for the job queue's stale jobs, one "
                "'anything due?' per due pass, then per batch a locked select, the kind's preferences, one "
                "notification insert and one update, plus the savepoint pair; then the empty job queue."
            ),
        ),
        Table(
            title="Idle run_due (nothing due)",
            columns=["p50", "p95", "max", "queries", "load 1 min"],
            rows=[
                [
                    f"{statistics.median(timings):.1f} ms",
                    f"{sorted(timings)[int(len(timings) * 0.95) - 1]:.1f} ms",
                    f"{max(timings):.1f} ms",
                    idle_queries,
                    f"{load:.2f}",
                ]
            ],
        ),
    ]
