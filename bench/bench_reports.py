"""Reports bench: ``/reports/`` for a year on the lists bench's 1M-row set, and an import of
10 000 counterparties through the admin's resource (PostgreSQL).

`.venv/bin/python bench/run.py reports` (seeds like bench_lists: reuses its seed, once).

1. Seeds the lists' data (bench_lists.seed) and, once, a STATUS_CHANGED → done timeline event for
   every done task, by COPY; then the reports' stored counts (report_counts_rebuild: the day
   counts of communications, Task.done_at from those events), as the migration's backfill does.
2. Measures the full page through ``django.test.Client`` for the last 365 days: all departments and
   one department; cold (no cache, 10 requests) and cached (30 requests); p50/p95/max, the queries of one request, and
   each chart's query alone (its PostgreSQL time, EXPLAIN ANALYZE); then a communication
   create with and without the day-count upsert (interleaved, rolled back).
3. Unless BENCH_REPORTS_IMPORT=0, imports 10 000 counterparties (valid ЕИК and VAT numbers, one
   in twenty-five invalid) with
   CounterpartyResource: a dry run (the admin's preview) and the real import, wall time and the
   peak of Python memory (tracemalloc) and the process's RSS growth; the imported rows are then
   deleted, so a rerun measures the same thing.
"""

from __future__ import annotations

import os
import random
import resource
import time
import tracemalloc
from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from bench import bench_lists
from bench.tables import Table, measure

IMPORT_ROWS = 10_000
SEED = 20261201


def _seed_done_events() -> list:
    from crm.models import Task, ThreadEvent

    if ThreadEvent.objects.filter(kind=ThreadEvent.Kind.STATUS_CHANGED).exists():
        return ["done events", "already seeded, skipped", ""]
    started = time.perf_counter()
    rng = random.Random(SEED)
    rows = Task.objects.filter(status="done").values_list("pk", "thread_id", "created_at", "assignee_id")
    lines = []
    for pk, thread_id, created, assignee in rows.iterator(chunk_size=20_000):
        done_at = min(created + timedelta(hours=rng.randrange(1, 24 * 20)), bench_lists.END)
        actor = assignee if assignee is not None else r"\N"
        lines.append(
            f"{thread_id}\tstatus_changed\t{actor}\t{bench_lists._ts(done_at)}\t\\N\t{pk}\t\\N\t"
            '{"old": "in_progress", "new": "done"}\n'
        )
    with connection.cursor() as cursor:
        bench_lists._copy(
            cursor,
            "crm_threadevent",
            "thread_id, kind, actor_id, created_at, communication_id, task_id, order_id, data",
            lines,
        )
        cursor.execute("VACUUM ANALYZE crm_threadevent")
    return ["done events", len(lines), round(time.perf_counter() - started, 1)]


def _seed_answers() -> list:
    """The seed writes by COPY, past the write path: answered_at is set as the migration's backfill
    does (communication_answers_refresh, one UPDATE), once, then the table is vacuumed so the
    reports' index-only scans need no heap fetches (what autovacuum gives a live database)."""
    from crm.models import Communication
    from crm.services.communications import communication_answers_refresh

    if Communication.objects.filter(direction="in", answered_at__isnull=False).exists():
        return ["answered_at", "already set, skipped", ""]
    started = time.perf_counter()
    updated = communication_answers_refresh()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE crm_communication")
    return ["answered_at", updated, round(time.perf_counter() - started, 1)]


def _seed_report_counts() -> list:
    """The seed writes by COPY, past the write path: the day counts and Task.done_at are
    recomputed as the migration's backfill does (report_counts_rebuild), once, after the done
    events above; then vacuumed (the index-only scans)."""
    from crm.models import CommunicationDayCount, CommunicationDayTotal, TaskDoneDayTotal
    from crm.services.report_counts import report_counts_rebuild

    if all(model.objects.exists() for model in (CommunicationDayCount, CommunicationDayTotal, TaskDoneDayTotal)):
        return ["day counts, done_at", "already set, skipped", ""]
    started = time.perf_counter()
    written = report_counts_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE crm_communicationdaycount")
        cursor.execute("VACUUM ANALYZE crm_communicationdaytotal")
        cursor.execute("VACUUM ANALYZE crm_taskdonedaytotal")
        cursor.execute("VACUUM ANALYZE crm_task")
    rows = f"{written['day counts']:,} day counts, {written['tasks done']:,} done tasks"
    return ["day counts, done_at", rows, round(time.perf_counter() - started, 1)]


def _write_cost_rows(repeat: int = 60) -> list[list]:
    """A communication created through the service with and without the day-count upsert
    (crm.services.communications.communication_counted patched to a no-op), interleaved A/B,
    each in a transaction rolled back (the database is left as it was); and the upsert alone."""
    from unittest import mock

    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from crm import services
    from crm.services.report_counts import communication_counts_add

    author = User.objects.get(username="bench_001")
    assignee = User.objects.get(username="bench_002")

    def create() -> float:
        started = time.perf_counter()
        with transaction.atomic():
            services.communication_create(
                author=author,
                direction="in",
                channel="phone",
                subject="Бенч обаждане",
                counterparty_name="Бенч",
                assignee=assignee,
            )
            transaction.set_rollback(True)
        return (time.perf_counter() - started) * 1000

    def upsert() -> float:
        started = time.perf_counter()
        with transaction.atomic():
            communication_counts_add(rows=[(timezone.now(), "in", assignee.pk, 1)])
            transaction.set_rollback(True)
        return (time.perf_counter() - started) * 1000

    from crm.services import communications

    original = communications.communication_counted
    inside: list[float] = []

    def timed(**kwargs):  # the hook's own time inside each "with" create
        started = time.perf_counter()
        original(**kwargs)
        inside.append((time.perf_counter() - started) * 1000)

    with_counts, without, alone = [], [], []
    for _ in range(3):  # warm-up
        create()
    load = os.getloadavg()[0]
    for i in range(repeat):
        for variant in ("with", "without") if i % 2 == 0 else ("without", "with"):
            if variant == "with":
                with mock.patch("crm.services.communications.communication_counted", side_effect=timed):
                    with_counts.append(create())
            else:
                with mock.patch("crm.services.communications.communication_counted"):
                    without.append(create())
        alone.append(upsert())

    def med(values):
        return round(sorted(values)[len(values) // 2], 2)

    return [
        ["communication_create, with the day-count upsert", repeat, med(with_counts), round(load, 2)],
        ["communication_create, upsert patched out", repeat, med(without), round(os.getloadavg()[0], 2)],
        ["difference (median with − median without)", "", round(med(with_counts) - med(without), 2), ""],
        ["the upsert inside each create (communication_counted's own time)", repeat, med(inside), ""],
        ["the upsert alone (one row, own transaction)", repeat, med(alone), round(os.getloadavg()[0], 2)],
    ]


def _chart_sql_ms(queries: list[str]) -> list[float]:
    """PostgreSQL's planning + execution time of each query (median of three EXPLAIN ANALYZE)."""
    times = []
    with connection.cursor() as cursor:
        for sql in queries:
            runs = []
            for _ in range(3):
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
                plan = cursor.fetchone()[0]
                plan = plan[0] if isinstance(plan, list) else plan
                runs.append(plan["Planning Time"] + plan["Execution Time"])
            times.append(round(sorted(runs)[1], 1))
    return times


def _valid_eik(rng: random.Random) -> str:
    from stdnum.bg import vat

    digits = "".join(rng.choice("0123456789") for _ in range(8))
    return digits + vat.calc_check_digit_legal(digits)


def _import_dataset(rng: random.Random):
    import tablib

    from bench.bench_lists import _counterparty_name

    headers = ["id", "name", "roles", "company_id", "vat_number", "email", "phone", "address", "notes"]
    data, valid = tablib.Dataset(headers=headers), tablib.Dataset(headers=headers)
    for i in range(IMPORT_ROWS):
        eik = _valid_eik(rng)
        bad = i % 25 == 7
        if bad:  # a wrong check digit: an invalid row of the report
            eik = eik[:-1] + str((int(eik[-1]) + 1) % 10)
        row = [
            "",
            f"Импорт {_counterparty_name(rng)} {i}",
            rng.choice(["client", "supplier", "client, distributor", ""]),
            eik,
            "BG" + eik if i % 3 == 0 else "",
            f"office{i}@import.bg",
            f"+359 2 {rng.randrange(1000000, 9999999)}",
            "гр. София",
            "",
        ]
        data.append(row)
        if not bad:
            valid.append(row)
    return data, valid


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _import_rows() -> list[list]:
    from crm.admin_import import CounterpartyResource
    from crm.models import Counterparty

    rows = []
    rng = random.Random(SEED)
    data, valid = _import_dataset(rng)
    for label, dataset, dry in (
        ("dry run (the preview), 1 in 25 rows invalid", data, True),
        ("import of the valid rows", valid, False),
    ):
        before = set(Counterparty.objects.filter(name__startswith="Импорт ").values_list("pk", flat=True))
        rss = _rss_mb()
        tracemalloc.start()
        started = time.perf_counter()
        result = CounterpartyResource().import_data(dataset, dry_run=dry, use_transactions=True)
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        created = Counterparty.objects.filter(name__startswith="Импорт ").exclude(pk__in=before)
        rows.append(
            [
                label,
                len(dataset),
                len(result.invalid_rows),
                created.count(),
                round(seconds, 1),
                round(len(dataset) / seconds),
                round(peak / 2**20, 1),
                round(_rss_mb() - rss, 1),
                round(os.getloadavg()[0], 2),
            ]
        )
        created.delete()
    return rows


def run() -> list[Table]:
    from accounts.models import Department, User

    assert connection.vendor == "postgresql", "the reports bench needs PostgreSQL (DATABASE_URL)"
    seed_rows = (
        bench_lists.seed() + bench_lists.set_counters() + [_seed_done_events(), _seed_answers(), _seed_report_counts()]
    )
    tables = [Table("Reports bench: seeding", ["step", "rows", "seconds"], seed_rows)]

    manager = User.objects.get(username="bench_000")
    from django.contrib.auth.models import Permission

    manager.user_permissions.add(Permission.objects.get(codename="view_reports", content_type__app_label="crm"))
    department, _ = Department.objects.get_or_create(name="Бенч отдел")
    members = list(User.objects.filter(username__startswith="bench_").order_by("pk")[:20])
    department.members.add(*members)

    end = bench_lists.END.date()
    start = end - timedelta(days=364)
    cases = [
        ("a year, every department", f"start={start}&end={end}"),
        ("a year, one department (20 of 200 people)", f"start={start}&end={end}&department={department.pk}"),
        ("the default: twelve weeks", ""),
    ]
    client = Client()
    client.force_login(manager)
    rows = []
    static = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    storages = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}, **static}
    for label, query in cases:
        url = f"/reports/?{query}" if query else "/reports/"
        # Cold: every request computes the report (REPORTS_CACHE_SECONDS=0); warm: the cached one.
        with override_settings(STORAGES=storages, REPORTS_CACHE_SECONDS=0):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, response.status_code
            chart_queries = [
                q["sql"]
                for q in ctx.captured_queries
                if any(t in q["sql"] for t in ("crm_task", "crm_communication", "crm_threadevent"))
            ]
            load = bench_lists._wait_for_quiet()
            cold = measure(lambda url=url: client.get(url), repeat=10, warmup=1)
            per_chart = " / ".join(str(ms) for ms in _chart_sql_ms(chart_queries))
        with override_settings(STORAGES=storages, REPORTS_CACHE_SECONDS=300):
            cache.clear()
            warm = measure(lambda url=url: client.get(url), repeat=30, warmup=1)
        for kind, page in (("cold", cold), ("cached", warm)):
            flag = "" if page["p95"] < 300 else " ⚠"
            rows.append(
                [
                    f"{label}, {kind}",
                    f"`{query or '—'}`",
                    page["p50"],
                    f"{page['p95']}{flag}",
                    page["max"],
                    page["queries"],
                    per_chart if kind == "cold" else "—",
                    round(load if kind == "cold" else os.getloadavg()[0], 2),
                ]
            )
    tables.append(
        Table(
            "Reports bench: /reports/ (server time, django.test.Client)",
            ["case", "query string", "p50 ms", "p95 ms", "max ms", "queries", "PG ms per chart", "load 1 min"],
            rows,
            note=(
                "Target p95 < 300 ms (⚠ over). cold: REPORTS_CACHE_SECONDS=0, 10 requests after 1 warm-up, "
                "each computing the four charts; cached: the default (300 s), 30 requests, the first computes. "
                "PG ms per chart: PostgreSQL planning + execution of each chart's "
                "query (open tasks / communications per week / response times / tasks done), EXPLAIN ANALYZE. "
                "load 1 min: the 1-minute load average before the case's requests (2 cores, shared)."
            ),
        )
    )
    tables.append(
        Table(
            "Reports bench: the write path's cost of the day counts (in-process, interleaved A/B)",
            ["case", "creates", "median ms", "load 1 min"],
            _write_cost_rows(),
            note=(
                "Each create in its own transaction, rolled back; A and B alternate (ABBA) so load drifts "
                "hit both alike. Wall time in the bench process, PostgreSQL included."
            ),
        )
    )
    if os.environ.get("BENCH_REPORTS_IMPORT", "1") == "0":  # the page alone (the import takes minutes)
        return tables
    tables.append(
        Table(
            "Reports bench: admin import of 10 000 counterparties (CounterpartyResource, the services' checks)",
            [
                "run",
                "rows",
                "invalid",
                "created",
                "seconds",
                "rows/s",
                "Python peak MiB",
                "RSS growth MiB",
                "load 1 min",
            ],
            _import_rows(),
            note=(
                "Python peak: tracemalloc's peak during the import; "
                "RSS growth: the process's max RSS after minus before."
            ),
        )
    )
    return tables
