"""Growth from 100k to 1M rows (issue 13 target: "no case grows more than 1.2× from 100k to 1M rows").

`.venv/bin/python bench/run.py growth`. Two databases seeded by the same generator
(bench_lists): the big one is the runner's (``DATABASE_URL``: 1M communications, 300k tasks, 100k
threads) and the small one ``BENCH_SMALL_DATABASE_URL`` (default: the big one's name + ``_100k``)
with ``BENCH_LISTS_SCALE=0.1`` (100k, 30k, 10k; 2k counterparties; the same 200 employees). The
small one is created and seeded on the first run (~30 s).

Each database is served by its own worker process (bench/growth_worker.py: one Django per
database, so nothing is shared but the machine). For every case (each list case of bench_lists,
the thread page of 50 and 2,000 events, the new and edit forms) the parent asks the two workers
in turn, in ROUNDS turns each, alternating which goes first, so a busy moment of the shared
machine hits both sides. Each worker measures the page ``REPEAT`` times in all (p50 wall time,
the Django process's CPU time)
and PostgreSQL's own time for the page's queries (EXPLAIN ANALYZE, planning + execution).

Reported per case: p50 and PG ms on both sides and the ratios 1M ÷ 100k; ⚠ where the page's
p50 grows more than 1.2×, with the EXPLAIN (ANALYZE, BUFFERS) of its slowest query on both sides.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from django.db import connection

from bench.tables import Table

ROOT = Path(__file__).resolve().parent.parent
REPEAT = int(os.environ.get("BENCH_GROWTH_REPEAT", "24"))
ROUNDS = int(os.environ.get("BENCH_GROWTH_ROUNDS", "4"))
LIMIT = 1.2


def _interleaved(big: Worker, small: Worker, label: str, *, big_first: bool) -> tuple[dict, dict]:
    """Each side's answer for ``label``, measured in ROUNDS turns of REPEAT ÷ ROUNDS requests
    (which side goes first alternating): a slow spell of the shared machine (this one's CPU speed
    varies by a third from minute to minute) falls on both sides. p50 and CPU: the medians of
    every request of the side; PostgreSQL's time measured once, in the last turn."""
    per_turn = max(1, REPEAT // ROUNDS)
    answers: dict[Worker, dict] = {}
    walls: dict[Worker, list] = {big: [], small: []}
    cpus: dict[Worker, list] = {big: [], small: []}
    for turn in range(ROUNDS):
        for worker in (big, small) if big_first == (turn % 2 == 0) else (small, big):
            answers[worker] = worker.ask(case=label, repeat=per_turn, pg=turn == ROUNDS - 1)
            walls[worker] += answers[worker]["wall_ms"]
            cpus[worker] += answers[worker]["cpu_ms"]
    for worker in (big, small):
        answers[worker] |= {
            "p50": round(statistics.median(walls[worker]), 1),
            "cpu": round(statistics.median(cpus[worker]), 1),
        }
    return answers[big], answers[small]


class Worker:
    """A bench/growth_worker.py process on one database: one JSON request, one JSON answer."""

    def __init__(self, database_url: str, scale: str):
        env = {**os.environ, "DATABASE_URL": database_url, "BENCH_LISTS_SCALE": scale}
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "growth_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.hello = self._read()

    def _read(self) -> dict:
        for line in self.process.stdout:
            if line.startswith("@@"):
                return json.loads(line[2:])
        raise RuntimeError(f"growth worker ended (exit {self.process.wait()})")

    def ask(self, **request) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def _small_url(big: str) -> str:
    base, _, name = big.rpartition("/")
    name, _, query = name.partition("?")
    return f"{base}/{name}_100k" + (f"?{query}" if query else "")


def run() -> list[Table]:
    assert connection.vendor == "postgresql", "the growth bench needs PostgreSQL (DATABASE_URL)"
    big_url = os.environ["DATABASE_URL"]
    small_url = os.environ.get("BENCH_SMALL_DATABASE_URL", _small_url(big_url))
    connection.close()  # the workers own the databases from here
    big, small = Worker(big_url, "1"), Worker(small_url, "0.1")
    try:
        labels = [label for label in big.hello["cases"] if label in small.hello["cases"]]
        rows, explains, loads = [], [], []
        for i, label in enumerate(labels):
            b, s = _interleaved(big, small, label, big_first=i % 2 == 0)
            loads.append(b["load"])
            ratio = b["p50"] / s["p50"] if s["p50"] else float("inf")
            pg_ratio = b["pg"] / s["pg"] if s["pg"] else float("inf")
            flag = "" if ratio <= LIMIT else " ⚠"
            rows.append(
                [
                    label,
                    s["p50"],
                    b["p50"],
                    f"{ratio:.2f}{flag}",
                    s["cpu"],
                    b["cpu"],
                    s["pg"],
                    b["pg"],
                    f"{pg_ratio:.2f}",
                    f"{s['rows']} / {b['rows']}",
                    f"{b['load']:.1f}",
                ]
            )
            if ratio > LIMIT:
                explains.append((label, ratio, small.ask(explain=label), big.ask(explain=label)))
        counts = f"{small.hello['counts']} against {big.hello['counts']}"
    finally:
        big.close()
        small.close()
    table = Table(
        "Growth: 100k → 1M rows, per case",
        [
            "case",
            "100k p50 ms",
            "1M p50 ms",
            "1M ÷ 100k",
            "100k CPU ms",
            "1M CPU ms",
            "100k PG ms",
            "1M PG ms",
            "PG 1M ÷ 100k",
            "rows shown",
            "load",
        ],
        rows,
        note=(
            f"{counts}. {REPEAT} requests per side and case in {ROUNDS} turns of {REPEAT // ROUNDS} (each after 2 "
            "warm-ups), the two databases' workers asked in turn (alternating which first). "
            f"⚠: the page's p50 grows more than {LIMIT}×. CPU: median CPU time of "
            "the Django process per page; PG: PostgreSQL planning + execution time of the page's queries (EXPLAIN "
            f"ANALYZE, median of 3). 1-minute load average: {min(loads):.1f}–{max(loads):.1f} (beside each case)."
        ),
    )
    tables = [table]
    for label, ratio, small_plan, big_plan in explains:
        tables.append(
            Table(
                f"Growth: {label} (×{ratio:.2f}), its slowest query",
                ["side", "query ms"],
                [["100k", small_plan["ms"]], ["1M", big_plan["ms"]]],
                "```sql\n"
                + big_plan["sql"]
                + "\n```\n\n100k:\n\n```\n"
                + small_plan["plan"]
                + "\n```\n\n1M:\n\n```\n"
                + big_plan["plan"]
                + "\n```",
            )
        )
    return tables
