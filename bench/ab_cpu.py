"""Interleaved A/B of CPU per request between two checkouts (issue 13, branch ``request``).

    BENCH_DATABASE_URL=… .venv/bin/python bench/ab_cpu.py <tree A> <tree B> [path …]

One worker process per tree (its own code, the bench settings, the same database and Redis),
each signed in as the same bench employee through django.test.Client. The driver asks them in
turn — A, B, then B, A, … — for a batch of requests to each path and collects
time.process_time per request (the worker's own CPU: the app side, PostgreSQL's not included),
so the machine's other load weighs on both sides alike. Prints the medians per path, the ratio
A ÷ B, the queries per request and the 1-minute load average. BENCH_AB_ROUNDS (default 40)
batches of BENCH_AB_BATCH (default 5) requests per side and path.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

WORKER = r"""
import json, os, sys, time
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
import django
django.setup()
from django.db import connection
from django.test import Client, override_settings
from accounts.models import User

user = User.objects.filter(username__startswith="bench_", is_active=True).order_by("username").first()
with override_settings(ROOT_URLCONF="bench.cpu_urls", ALLOWED_HOSTS=["testserver"]):
    client = Client()
    client.force_login(user)
    for line in sys.stdin:
        path, n = line.split()
        times, queries = [], []
        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)
        with connection.execute_wrapper(count):
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        for _ in range(int(n)):
            started = time.process_time()
            client.get(path)
            times.append((time.process_time() - started) * 1000)
        print(json.dumps({"times": times, "queries": len(queries)}), flush=True)
"""


def _worker(tree: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", ""))
    env.setdefault("REDIS_URL", os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"))
    env.setdefault("DEBUG", "0")
    env.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    env.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
    env.setdefault("SECURE_SSL_REDIRECT", "0")
    env["PYTHONPATH"] = str(tree)
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [str(tree / ".venv" / "bin" / "python"), "-c", WORKER],
        cwd=tree,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _ask(proc: subprocess.Popen, path: str, n: int) -> dict:
    proc.stdin.write(f"{path} {n}\n")
    proc.stdin.flush()
    return json.loads(proc.stdout.readline())


def main(argv: list[str]) -> int:
    tree_a, tree_b = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    paths = argv[2:] or ["/_bench/bare/", "/_bench/base/", "/tasks/", "/"]
    rounds = int(os.environ.get("BENCH_AB_ROUNDS", "40"))
    batch = int(os.environ.get("BENCH_AB_BATCH", "5"))
    workers = {"A": _worker(tree_a), "B": _worker(tree_b)}
    try:
        times = {(side, path): [] for side in workers for path in paths}
        queries = {}
        for path in paths:  # warm-up
            for side, proc in workers.items():
                queries[side, path] = _ask(proc, path, 3)["queries"]
        for i in range(rounds):
            for path in paths:
                for side in ("A", "B") if i % 2 == 0 else ("B", "A"):
                    times[side, path] += _ask(workers[side], path, batch)["times"]
        print(f"A = {tree_a}, B = {tree_b}; {rounds}×{batch} requests per side and path, interleaved")
        print("| page | A CPU ms | B CPU ms | A ÷ B | A queries | B queries | load |")
        print("|---|---|---|---|---|---|---|")
        for path in paths:
            a, b = statistics.median(times["A", path]), statistics.median(times["B", path])
            print(
                f"| `{path}` | {a:.2f} | {b:.2f} | {a / b:.2f} | {queries['A', path]} | {queries['B', path]} "
                f"| {os.getloadavg()[0]:.1f} |"
            )
    finally:
        for proc in workers.values():
            proc.stdin.close()
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
