"""Task board bench: 300 000 tasks (the lists bench's seed), the board filtered to one department.

`.venv/bin/python bench/run.py board` (seeds like bench/bench_lists.py, once; adds a department
of 20 of the 200 bench employees, about 10 % of the tasks).

Measures ``/tasks/board/`` through ``django.test.Client`` (server time: filters, four column pages,
the grouped count, rendering; no network): p50/p95/max over 30 requests after 3 warm-ups, the
queries of one request, and the 1-minute load average when measured. Also a column's "load
more" page and the calendar's events for a month.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta

from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from bench import bench_lists
from bench.tables import Table, measure

DEPARTMENT = "bench: board team"
DEPARTMENT_SIZE = 20
TARGET_P95_MS = 80


def _department():
    from accounts.models import Department, User

    department, _created = Department.objects.get_or_create(name=DEPARTMENT)
    members = list(
        User.objects.filter(username__startswith="bench_", is_active=True).order_by("username")[:DEPARTMENT_SIZE]
    )
    department.members.set(members)
    return department


def run() -> list[Table]:
    import re

    from accounts.models import User
    from crm.models import Task

    assert connection.vendor == "postgresql", "the board bench needs PostgreSQL (DATABASE_URL)"
    seed_rows = bench_lists.seed()
    department = _department()
    manager = User.objects.get(username="bench_000")
    in_team = Task.objects.filter(assignee__departments=department).count()
    total = Task.objects.count()

    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    week = f"deadline_after={monday:%Y-%m-%d}&deadline_before={monday + timedelta(days=6):%Y-%m-%d}"
    cases = [
        ("whole board (300k tasks)", ""),
        ("one department", f"department={department.pk}"),
        ('one department, this week ("my team\'s tasks this week")', f"department={department.pk}&{week}"),
        ("one department + overdue", f"department={department.pk}&overdue=1"),
        ("one department + subject оферта", f"department={department.pk}&subject=оферта"),
    ]
    rows, loads = [], []
    with override_settings(ALLOWED_HOSTS=["*"]):
        client = Client()
        client.force_login(manager)
        htmx = {"HTTP_HX_REQUEST": "true"}
        for label, query in cases:
            url = f"/tasks/board/?{query}" if query else "/tasks/board/"
            queries, content = bench_lists._one(client, url)
            cards = content.count(b'<article class="board-card')
            loads.append(bench_lists._wait_for_quiet())
            page = measure(lambda url=url: client.get(url), repeat=30, warmup=3)
            partial = measure(lambda url=url: client.get(url, **htmx), repeat=15, warmup=1)
            flag = "" if page["p95"] < TARGET_P95_MS else " ⚠"
            rows.append(
                [label, f"`{query or '—'}`", page["p50"], f"{page['p95']}{flag}", page["max"], partial["p95"],
                 len(queries), cards, round(os.getloadavg()[0], 2)]
            )  # fmt: skip
        # A column's next page ("load more" on scroll), of the department's done tasks.
        html = client.get(f"/tasks/board/?department={department.pk}").content.decode()
        more = re.search(r'hx-get="([^"]*column=done[^"]*)"', html)
        more_rows = []
        if more:
            url = more.group(1).replace("&amp;", "&")
            queries, _content = bench_lists._one(client, url, **htmx)
            loads.append(bench_lists._wait_for_quiet())
            page = measure(lambda: client.get(url, **htmx), repeat=30, warmup=3)
            more_rows.append(["done column, page 2", page["p50"], page["p95"], page["max"], len(queries),
                              round(os.getloadavg()[0], 2)])  # fmt: skip
        # The calendar's events for the visible month (six weeks), everyone's and one employee's.
        start = today.replace(day=1) - timedelta(days=7)
        end = start + timedelta(days=42)
        someone = User.objects.get(username="bench_007").pk
        for label, extra in (
            ("calendar month, everyone", ""),
            ("calendar month, one assignee", f"&assignee={someone}"),
        ):
            url = f"/calendar/events/?start={start}&end={end}{extra}"
            queries, content = bench_lists._one(client, url)
            events = len(json.loads(content))
            loads.append(bench_lists._wait_for_quiet())
            page = measure(lambda url=url: client.get(url), repeat=30, warmup=3)
            more_rows.append([f"{label} ({events} events)", page["p50"], page["p95"], page["max"],
                              len(queries), round(os.getloadavg()[0], 2)])  # fmt: skip
    note = (
        f"{total:,} tasks, {in_team:,} of them assigned to the department's {DEPARTMENT_SIZE} members. "
        f"Target: p95 < {TARGET_P95_MS} ms for the department's board (⚠ marks a miss). "
        f"1-minute load average when measured: {min(loads):.2f}–{max(loads):.2f}."
    )
    return [
        Table("Board bench: seeding", ["step", "rows", "seconds"], seed_rows),
        Table(
            "Board bench: /tasks/board/ (ms)",
            ["case", "query", "p50", "p95", "max", "htmx p95", "queries", "cards", "load 1 min"],
            rows,
            note,
        ),
        Table(
            "Board bench: a column's next page, the calendar's events (ms)",
            ["case", "p50", "p95", "max", "queries", "load 1 min"],
            more_rows,
        ),  # fmt: skip
    ]
