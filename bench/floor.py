"""A page's floor, and where a page's time above it goes (issue 13: "every list case and the thread
page at ≤ 2× their floor").

**Floor** of a page = the time to run the page's own SQL plus a minimal render of the same rows:

1. one request is made through the test client and its queries are captured
   (``CaptureQueriesContext``: the SQL as sent, parameters inlined);
2. the floor runs those same statements on the same connection, fetches every row
   (``cursor.fetchall()``: the driver's type conversion included), and renders every row of every
   result as escaped HTML table cells with a plain Python join
   (``<tr><td>…</td></tr>``, ``django.utils.html.escape`` per value);
3. that is timed ``repeat`` times; the floor is its median (p50).

Transaction control and session statements (``SAVEPOINT``, ``RELEASE``, ``SET``…) are left
out of the floor: they return no rows, and the floor is the cost of the rows. A server-side
cursor's ``DECLARE … CURSOR FOR <query>`` is run as its plain query (all rows fetched at once),
its ``FETCH``/``CLOSE`` left out.
The ratio reported is page p50 ÷ floor p50, both measured in the same process, interleaved
(page, floor, page, floor…) so a busy machine slows both.

**Split** (``split``): one more set of requests with a light instrumentation, per request:
``SQL`` (time in ``cursor.execute`` through ``connection.execute_wrapper``), ``templates`` (time
in django.template.base.Template._render by template name and in each ``{% block %}`` by block name,
each one's own time without the templates it includes, the blocks it holds or the SQL run while
rendering: ``base.html`` alone is the layout, ``block content`` the page inside it), ``view``
(the view function's own Python: filters, selectors building querysets, context), and
``middleware + handler`` (everything else in the request: the middleware chain, URL
resolution, the test client's request and response handling).
The instrumentation adds a little time of its own (a few µs per template), so the split is a
profile, not a second measurement of the page.
"""

from __future__ import annotations

import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from bench.tables import percentile

# The columns of a floor table (bench_lists, bench_thread; the first names the case).
COLUMNS = [
    "case",
    "page p50 ms",
    "floor p50 ms",
    "page ÷ floor",
    "middleware + handler ms",
    "view ms",
    "SQL ms",
    "templates ms",
    "heaviest templates (own ms)",
    "load",
]

CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "SET", "BEGIN", "COMMIT", "FETCH", "CLOSE", "MOVE")
# A server-side cursor (QuerySet.iterator() on PostgreSQL): its query, run as a plain one.
DECLARE = re.compile(r"DECLARE\s+\S+\s+.*?CURSOR\s+(?:WITH(?:OUT)?\s+HOLD\s+)?FOR\s+(.*)", re.DOTALL | re.IGNORECASE)


def capture(get: Callable[[], object]) -> tuple[list[str], object]:
    """The SQL of one request (as sent) and its response."""
    with CaptureQueriesContext(connection) as ctx:
        response = get()
    return [q["sql"] for q in ctx.captured_queries], response


def floor_once(queries: list[str]) -> tuple[float, int]:
    """Run the statements, fetch and render every row; (ms, cells rendered)."""
    started = time.perf_counter()
    cells = 0
    parts = []
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(sql)
            if cursor.description is None:
                continue
            for row in cursor.fetchall():
                parts.append("<tr>" + "".join(f"<td>{escape(value)}</td>" for value in row) + "</tr>")
                cells += len(row)
    html = "<table>" + "".join(parts) + "</table>"
    assert html
    return (time.perf_counter() - started) * 1000, cells


def page_and_floor(get: Callable[[], object], *, repeat: int = 30, warmup: int = 3) -> dict:
    """Page p50/p95 and floor p50/p95 in ms, interleaved; the ratio of the medians."""
    queries, _response = capture(get)
    runnable = [
        match.group(1) if (match := DECLARE.match(sql.lstrip())) else sql
        for sql in queries
        if not sql.lstrip().upper().startswith(CONTROL)
    ]
    for _ in range(warmup):
        get()
        floor_once(runnable)
    pages, floors = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        get()
        pages.append((time.perf_counter() - started) * 1000)
        floors.append(floor_once(runnable)[0])
    page50, floor50 = statistics.median(pages), statistics.median(floors)
    return {
        "page_p50": round(page50, 1),
        "page_p95": round(percentile(pages, 95), 1),
        "floor_p50": round(floor50, 1),
        "floor_p95": round(percentile(floors, 95), 1),
        "ratio": round(page50 / floor50, 2) if floor50 else float("inf"),
        "queries": len(queries),
    }


class _Profiler:
    """Own time per category (a stack of frames; a frame's time excludes its children)."""

    def __init__(self):
        self.own = defaultdict(float)
        self.stack: list[list] = []  # [name, started, children_time]

    def push(self, name: str) -> None:
        self.stack.append([name, time.perf_counter(), 0.0])

    def pop(self) -> None:
        name, started, children = self.stack.pop()
        spent = time.perf_counter() - started
        self.own[name] += spent - children
        if self.stack:
            self.stack[-1][2] += spent


def split(get: Callable[[], object], *, repeat: int = 10) -> dict[str, float]:
    """Median own time (ms) per category over ``repeat`` requests: see the module docstring."""
    from django.template import base, loader_tags
    from django.urls import resolvers

    profiler = _Profiler()
    original_render = base.Template._render
    original_block = loader_tags.BlockNode.render
    original_resolve = resolvers.URLResolver.resolve

    def timed_block(self, context):
        profiler.push(f"block {self.name}")
        try:
            return original_block(self, context)
        finally:
            profiler.pop()

    def timed_render(self, context):
        profiler.push(f"template {self.origin.template_name if self.origin else '?'}")
        try:
            return original_render(self, context)
        finally:
            profiler.pop()

    def timed_resolve(self, path):
        match = original_resolve(self, path)
        if self.pattern.regex.pattern in ("^/", "^/\\Z", ""):  # the root resolver only
            view = match.func

            def timed_view(*args, **kwargs):
                profiler.push("view")
                try:
                    return view(*args, **kwargs)
                finally:
                    profiler.pop()

            match.func = timed_view
        return match

    def timed_sql(execute, sql, params, many, context):
        profiler.push("SQL")
        try:
            return execute(sql, params, many, context)
        finally:
            profiler.pop()

    runs: list[dict[str, float]] = []
    base.Template._render = timed_render
    loader_tags.BlockNode.render = timed_block
    resolvers.URLResolver.resolve = timed_resolve
    try:
        with connection.execute_wrapper(timed_sql):
            for _ in range(repeat):
                profiler.own.clear()
                profiler.push("middleware + handler")
                get()
                profiler.pop()
                runs.append({k: v * 1000 for k, v in profiler.own.items()})
    finally:
        base.Template._render = original_render
        loader_tags.BlockNode.render = original_block
        resolvers.URLResolver.resolve = original_resolve
    names = {name for run in runs for name in run}
    return {name: round(statistics.median(run.get(name, 0.0) for run in runs), 2) for name in names}


def split_summary(parts: dict[str, float], *, top: int = 4) -> tuple[float, float, float, float, str]:
    """(middleware+handler, view, SQL, templates total) ms and the ``top`` template parts by own
    time: a template's name (its own time outside its blocks and includes), ``block <name>`` (a
    ``{% block %}``'s own time: a page's content inside the layout), ``widgets`` (every
    django/forms/widgets/ template together)."""
    rendering: dict[str, float] = defaultdict(float)
    for name, ms in parts.items():
        if name.startswith("template django/forms/widgets/"):
            rendering["widgets"] += ms
        elif name.startswith(("template ", "block ")):
            rendering[name.removeprefix("template ")] += ms
    heaviest = sorted(rendering.items(), key=lambda kv: -kv[1])[:top]
    return (
        parts.get("middleware + handler", 0.0),
        parts.get("view", 0.0),
        parts.get("SQL", 0.0),
        round(sum(rendering.values()), 1),
        ", ".join(f"{name} {ms:.1f}" for name, ms in heaviest),
    )


def row(label: str, get, load: float) -> list:
    """A row of a floor table: page and floor p50, their ratio, the profile split."""
    result = page_and_floor(get, repeat=20, warmup=2)
    middleware, view, sql, templates, heaviest = split_summary(split(get, repeat=5))
    flag = "" if result["ratio"] <= 2 else " ⚠"
    return [
        label,
        result["page_p50"],
        result["floor_p50"],
        f"{result['ratio']}{flag}",
        middleware,
        view,
        sql,
        templates,
        heaviest,
        f"{load:.1f}",
    ]
