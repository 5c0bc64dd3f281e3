"""Interleaved A/B of list pages in process: two checkouts, one Django process each
(django.test.Client, the bench settings), the same URLs asked alternately (A then B, B then A),
CPU per request by ``time.process_time`` in the serving process (so a busy machine's waits are
not counted) and wall time. Not a bench/run.py module: it runs two processes of its own.

    BENCH_DATABASE_URL=… .venv/bin/python bench/ab_cpu.py /work/main /work/wt/<branch> [rounds] [url …]
"""

import json
import os
import statistics
import subprocess
import sys

URLS = [
    "/communications/",
    "/communications/?counterparty=алфа&direction=in",
    "/communications/?assignee=8&status=in_progress",
    "/tasks/",
    "/tasks/?assignee=8&status=in_progress",
    "/tasks/?counterparty=алфа&overdue=1",
    "/threads/",
    "/counterparties/",
]

WORKER = r"""
import json, os, sys, time
sys.path.insert(0, os.getcwd())
for k, v in {"DATABASE_URL": os.environ["BENCH_DATABASE_URL"], "REDIS_URL": "redis://127.0.0.1:6379/5",
             "DJANGO_SETTINGS_MODULE": "bench.settings", "DEBUG": "0", "SECURE_SSL_REDIRECT": "0",
             "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
             "ALLOWED_HOSTS": "localhost,127.0.0.1,testserver"}.items():
    os.environ.setdefault(k, v)
import logging, warnings
warnings.simplefilter("ignore")
import django
django.setup()
logging.disable(logging.WARNING)
from django.test import Client, override_settings
from accounts.models import User
client = Client()
client.force_login(User.objects.get(username="bench_000"))
storages = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
with override_settings(STORAGES=storages):
    print("ready", flush=True)
    for line in sys.stdin:
        url = line.strip()
        c0, w0 = time.process_time(), time.perf_counter()
        response = client.get(url)
        cpu, wall = (time.process_time() - c0) * 1000, (time.perf_counter() - w0) * 1000
        assert response.status_code == 200, (url, response.status_code)
        print(json.dumps([cpu, wall, len(response.content)]), flush=True)
"""


def worker(tree: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER],
        cwd=tree,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout.readline().strip() == "ready", tree
    return process


def ask(process: subprocess.Popen, url: str) -> list[float]:
    process.stdin.write(url + "\n")
    process.stdin.flush()
    return json.loads(process.stdout.readline())


def main(argv: list[str]) -> None:
    tree_a, tree_b = argv[:2]
    rounds = int(argv[2]) if len(argv) > 2 else 30
    urls = argv[3:] or URLS
    a, b = worker(tree_a), worker(tree_b)
    print(f"A = {tree_a}, B = {tree_b}; {rounds} requests per side and page, alternating; medians\n")
    print("| page | A CPU ms | B CPU ms | A ÷ B | A wall ms | B wall ms | A p95 wall | B p95 wall | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for url in urls:
        for _ in range(3):  # warm-up
            ask(a, url), ask(b, url)
        got = {"a": [], "b": []}
        loads = []
        for i in range(rounds):
            for side, process in (("a", a), ("b", b)) if i % 2 == 0 else (("b", b), ("a", a)):
                got[side].append(ask(process, url))
            loads.append(os.getloadavg()[0])
        cpu = {s: statistics.median(r[0] for r in got[s]) for s in got}
        wall = {s: statistics.median(r[1] for r in got[s]) for s in got}
        p95 = {s: sorted(r[1] for r in got[s])[int(0.95 * (len(got[s]) - 1))] for s in got}
        print(
            f"| `{url}` | {cpu['a']:.1f} | {cpu['b']:.1f} | {cpu['a'] / cpu['b']:.2f} | {wall['a']:.1f} | "
            f"{wall['b']:.1f} | {p95['a']:.1f} | {p95['b']:.1f} | {min(loads):.1f}–{max(loads):.1f} |",
            flush=True,
        )
    for process in (a, b):
        process.stdin.close()
        process.wait()


if __name__ == "__main__":
    main(sys.argv[1:])
