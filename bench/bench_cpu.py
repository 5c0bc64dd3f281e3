"""CPU per request of the mixed load's pages, in process (django.test.Client, DEBUG=0, the
bench settings), and where it goes.

Per page: CPU ms per request (time.process_time over N requests after warm-up; this process
only, i.e. the app's side: Django, the templates, psycopg), queries per request, and the same
for two pages every request pays for: the bare stack (a logged-in view answering "ok" through
all the middleware) and the base layout (base.html alone: navbar, bell, search box, the
Reports permission check). BENCH_CPU_PROFILE=1 adds a cProfile of each page (top functions by
cumulative time) printed to stderr. BENCH_CPU_ROUNDS (default 30) requests per page;
BENCH_CPU_PAGES=<name>,… only those pages.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import time

from django.db import connection
from django.test import Client, override_settings

from bench.tables import Table

TOKEN = re.compile(r'name="(csrfmiddlewaretoken|form_token)" value="([^"]+)"')


def _pages() -> list[tuple[str, str]]:
    from crm.models import Thread

    top = Thread.objects.order_by("-id").values_list("pk", flat=True).first() or 1
    return [
        ("bare stack", "/_bench/bare/"),
        ("base layout", "/_bench/base/"),
        ("communications", "/communications/"),
        ("communications, status", "/communications/?status=assigned"),
        ("tasks", "/tasks/"),
        ("tasks, mine", "/tasks/?mine=assigned"),
        ("threads", "/threads/"),
        ("thread page", f"/threads/{top - 5000}/"),
        ("new-task form GET", "/tasks/new/"),
    ]


def _post_task(client: Client, n: int):
    response = client.get("/tasks/new/")
    tokens = dict(TOKEN.findall(response.content.decode()))
    data = {
        **tokens,
        "subject": f"CPU bench {n}",
        "counterparty_name": "Алфа Трейд ООД",
        "status": "new",
        "description": "",
    }
    return client.post("/tasks/new/", data=data)


class _Counter:
    """An execute wrapper that keeps each query's SQL (the pool's connections log nothing)."""

    def __init__(self, queries: list[str]):
        self.queries = queries

    def __call__(self, execute, sql, params, many, context):
        self.queries.append(sql)
        return execute(sql, params, many, context)


def _cpu(fn, rounds: int) -> tuple[float, float]:
    for _ in range(3):
        fn()
    cpu, wall = [], []
    for _ in range(rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    cpu.sort()
    wall.sort()
    return cpu[len(cpu) // 2], wall[len(wall) // 2]


def _profile(name: str, fn) -> None:
    profiler = cProfile.Profile(time.process_time)  # CPU, not the waits on PostgreSQL
    profiler.enable()
    for _ in range(10):
        fn()
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        lines = int(os.environ.get("BENCH_CPU_PROFILE_LINES", "60"))
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(lines)
        print(f"\n===== profile: {name} (10 requests, by {order}) =====\n{out.getvalue()}", file=sys.stderr)


def _rows_ab(rounds: int) -> list[list]:
    """The list rows as the templates drew them (kept in crm/tests/test_list_rows.py) against the
    list_rows tags, on 25 rows of each list, alternating old/new each round (CPU ms per 25 rows)."""
    from django.template import engines

    from crm import selectors
    from crm.tests.test_list_rows import TAGS, TEMPLATES

    engine = engines["django"]
    querysets = {
        "communication_list": selectors.communication_list_queryset().order_by("-id"),
        "task_list": selectors.task_list_queryset().order_by("-id"),
        "thread_list": selectors.thread_list_queryset().order_by("-id"),
    }
    rows = []
    for name, queryset in querysets.items():
        var, old_source = TEMPLATES[name]
        old = engine.from_string(old_source)
        new = engine.from_string("{% load list_rows %}{% " + TAGS[name] + " " + var + " %}")
        objects = list(queryset[:25])
        times = {"old": [], "new": []}
        for i in range(rounds):
            for side in ("old", "new") if i % 2 == 0 else ("new", "old"):
                template = old if side == "old" else new
                started = time.process_time()
                html = [template.render({var: obj}) for obj in objects]
                times[side].append((time.process_time() - started) * 1000)
                assert html
        o, n = statistics.median(times["old"]), statistics.median(times["new"])
        rows.append([name, round(o, 2), round(n, 2), f"{o / n:.1f}", f"{os.getloadavg()[0]:.1f}"])
    return rows


def run() -> list[Table]:
    from accounts.models import User

    rounds = int(os.environ.get("BENCH_CPU_ROUNDS", "30"))
    user = User.objects.filter(username__startswith="bench_", is_active=True).order_by("username").first()
    assert user is not None, "seed first: bench/run.py lists"
    rows = []
    with override_settings(ROOT_URLCONF="bench.cpu_urls", ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(user)
        cases = [(name, (lambda p=path: client.get(p))) for name, path in _pages()]
        counter = iter(range(10**9))
        cases.append(("new-task form GET+POST", lambda: _post_task(client, next(counter))))
        only = [part.strip() for part in os.environ.get("BENCH_CPU_PAGES", "").split(",") if part.strip()]
        for name, fn in cases:
            if only and name not in only:
                continue
            response = fn()
            assert response.status_code in (200, 302), (name, response.status_code)
            queries: list[str] = []
            with connection.execute_wrapper(_Counter(queries)):
                fn()
            cpu, wall = _cpu(fn, rounds)
            rows.append([name, round(cpu, 1), round(wall, 1), len(queries), f"{os.getloadavg()[0]:.1f}"])
            if os.environ.get("BENCH_CPU_PROFILE"):
                _profile(name, fn)
    note = (
        f"django.test.Client in process, DEBUG=0 (bench.settings), median of {rounds} requests after 3 warm-up; "
        "CPU = time.process_time of this process (the app side, PostgreSQL's own CPU not included); "
        "load: 1-minute load average after the page's rounds."
    )
    tables = [Table("CPU per request, in process", ["page", "CPU ms", "wall ms", "queries", "load"], rows, note)]
    if not os.environ.get("BENCH_CPU_PAGES"):
        tables.append(
            Table(
                "List rows: the replaced row templates against the list_rows tags (interleaved, in process)",
                ["list", "templates CPU ms / 25 rows", "tags CPU ms / 25 rows", "templates ÷ tags", "load"],
                _rows_ab(rounds * 2),
                f"{rounds * 2} rounds per side, alternating old/new then new/old; median.",
            )
        )
    return tables
