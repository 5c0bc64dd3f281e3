"""One side of bench_growth: serves the bench cases of one database (DATABASE_URL, with
BENCH_LISTS_SCALE giving its size) over stdin/stdout, one JSON line each way (answers start with
``@@``, so stray output is ignored).

Requests: ``{"case": label, "repeat": n, "pg": true}`` → p50/CPU ms of that page (and each
request's), with PG ms unless ``pg`` is false; ``{"explain": label}``
→ the EXPLAIN (ANALYZE, BUFFERS) of the page's slowest query. The first line written lists the
cases and the table sizes.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench.run as runner  # noqa: E402 - sets the bench environment defaults


def _answer(payload: dict) -> None:
    sys.stdout.write("@@" + json.dumps(payload) + "\n")
    sys.stdout.flush()


def main() -> None:
    runner.ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from bench import bench_forms, bench_lists, bench_thread
    from crm.models import Communication, Task, Thread

    bench_lists.seed()
    bench_lists.set_counters()
    manager, comm_cases, task_cases = bench_lists.prepare()
    client = Client()
    client.force_login(manager)
    urls = {f"communications: {label}": f"/communications/?{q}" if q else "/communications/" for label, q in comm_cases}
    urls |= {f"tasks: {label}": f"/tasks/?{q}" if q else "/tasks/" for label, q in task_cases}
    clients = dict.fromkeys(urls, client)
    thread_client, thread_urls = bench_thread.prepare()
    for n, url in thread_urls.items():
        urls[f"thread page, {n} events"] = url
        clients[f"thread page, {n} events"] = thread_client
    for label, url in bench_forms.form_urls(manager).items():
        urls[f"form: {label}"] = url
        clients[f"form: {label}"] = client
    counts = (
        f"{Communication.objects.count():,} communications, {Task.objects.count():,} tasks, "
        f"{Thread.objects.count():,} threads"
    )
    _answer({"cases": list(urls), "counts": counts})
    for line in sys.stdin:
        request = json.loads(line)
        label = request.get("case") or request["explain"]
        url, get_client = urls[label], clients[label]
        queries, response = bench_lists._one(get_client, url)
        if "explain" in request:
            _total, ms, sql = bench_lists._server_sql_ms(queries)
            _answer({"ms": round(ms, 1), "sql": sql, "plan": bench_lists._explain(sql)})
            continue
        load = os.getloadavg()[0]
        for _ in range(2):
            get_client.get(url)
        wall, cpu = [], []
        for _ in range(request["repeat"]):
            started, own = time.perf_counter(), time.process_time()
            get_client.get(url)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - own) * 1000)
        pg = bench_lists._server_sql_ms(queries)[0] if request.get("pg", True) else None
        _answer(
            {
                "p50": round(statistics.median(wall), 1),
                "cpu": round(statistics.median(cpu), 1),
                "wall_ms": wall,
                "cpu_ms": cpu,
                "pg": round(pg, 1) if pg is not None else None,
                "rows": response.count(b"<tr data-id="),
                "load": load,
            }
        )


if __name__ == "__main__":
    main()
