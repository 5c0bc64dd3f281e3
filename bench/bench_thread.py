"""The thread page (first page of the timeline) for threads of 50 and 2,000 events.

Target (issue "thread timeline"): p95 under 40 ms server time on a 2-core machine, and the same
number of queries whatever the thread holds.
"""

import contextlib
import datetime
import os
import random
import statistics
import time
from contextlib import contextmanager
from pathlib import Path

from django.test import Client
from django.utils import timezone

from bench import floor
from bench.tables import Table, measure

SUBJECT = "bench: timeline of {n} events"


def _seed_thread(n_events: int, author, counterparty, orders):
    from crm.models import Communication, Status, Task, Thread, ThreadEvent, ThreadOrder

    subject = SUBJECT.format(n=n_events)
    thread = Thread.objects.filter(subject=subject).first()
    if thread is not None:
        return thread
    rng = random.Random(n_events)
    start = timezone.now() - datetime.timedelta(days=400)
    thread = Thread.objects.create(
        number=f"TH-BENCH-{n_events}", subject=subject, counterparty=counterparty, author=author, created_at=start
    )
    n_comm = n_events * 5 // 10
    n_task = n_events * 2 // 10
    n_link = min(len(orders), max(1, n_events // 100))
    n_event = n_events - n_comm - n_task - n_link
    step = datetime.timedelta(minutes=37)
    Communication.objects.bulk_create(
        Communication(
            number=f"IN-BENCH-{n_events}-{i:05d}",
            thread=thread,
            direction=rng.choice(["in", "out"]),
            channel=rng.choice(["email", "phone", "meeting"]),
            subject=f"Съобщение {i} по поръчката",
            description="Клиентът потвърди количествата и пита за срок на доставка.\nДа се върне отговор.",
            counterparty=counterparty,
            status=rng.choice(list(Status.values)),
            author=author,
            created_at=start + step * i,
            occurred_at=start + step * i,
        )
        for i in range(n_comm)
    )
    tasks = Task.objects.bulk_create(
        Task(
            number=f"T-BENCH-{n_events}-{i:05d}",
            thread=thread,
            subject=f"Задача {i}",
            counterparty=counterparty,
            assignee=author,
            deadline=start + step * (3 * i + 10),
            status=rng.choice(list(Status.values)),
            author=author,
            created_at=start + step * 3 * i,
        )
        for i in range(n_task)
    )
    ThreadOrder.objects.bulk_create(ThreadOrder(thread=thread, order=o, linked_by=author) for o in orders[:n_link])
    ThreadEvent.objects.bulk_create(
        ThreadEvent(
            thread=thread,
            kind=ThreadEvent.Kind.STATUS_CHANGED,
            actor=author,
            task=tasks[i % len(tasks)] if tasks else None,
            created_at=start + step * (2 * i + 1),
            data={"old": "new", "new": "in_progress"},
        )
        for i in range(n_event)
    )
    thread.last_activity_at = start + step * n_events
    thread.save(update_fields=["last_activity_at"])
    return thread


def prepare() -> tuple[Client, dict[int, str]]:
    """A signed-in client and the thread page's URL per thread size (the threads seeded once)."""
    from accounts.models import User
    from crm.models import Counterparty, Order

    author, _ = User.objects.get_or_create(
        username="bench-author", defaults={"first_name": "Бенч", "last_name": "Тест"}
    )
    counterparty, _ = Counterparty.objects.get_or_create(name="Бенч Клиент ООД", defaults={"roles": ["client"]})
    orders = list(Order.objects.filter(number__startswith="SO-BENCH-")[:20])
    if len(orders) < 20:
        today = timezone.localdate()
        Order.objects.bulk_create(
            [
                Order(
                    kind="sales", number=f"SO-BENCH-{i:03d}", counterparty=counterparty, date=today, status="confirmed"
                )
                for i in range(20)
            ],
            ignore_conflicts=True,
        )
        orders = list(Order.objects.filter(number__startswith="SO-BENCH-")[:20])
    client = Client()
    client.force_login(author)
    return client, {n: f"/threads/{_seed_thread(n, author, counterparty, orders).pk}/" for n in (50, 2000)}


def _interleaved(client, urls: dict[int, str], sides: dict, rounds: int) -> list[list]:
    """The page per thread size with side A then side B in force (``sides``: name → a context
    manager factory), interleaved in this process: A B, B A, … per round after 3 warm-up rounds;
    CPU = time.process_time per request; medians."""
    rows = []
    for n, url in urls.items():
        html = {}
        for side, in_force in sides.items():
            with in_force():
                html[side] = client.get(url).content
        # The same page but for the CSRF token's mask (a form per failed e-mail has one).
        assert len(html["A"]) == len(html["B"]), (len(html["A"]), len(html["B"]))
        cpu = {"A": [], "B": []}
        wall = {"A": [], "B": []}
        loads = []
        for i in range(rounds + 3):
            for side in ("A", "B") if i % 2 == 0 else ("B", "A"):
                with sides[side]():
                    c0, w0 = time.process_time(), time.perf_counter()
                    client.get(url)
                    c1, w1 = time.process_time(), time.perf_counter()
                if i >= 3:  # warm-up rounds
                    cpu[side].append((c1 - c0) * 1000)
                    wall[side].append((w1 - w0) * 1000)
            loads.append(os.getloadavg()[0])
        ca, cb = statistics.median(cpu["A"]), statistics.median(cpu["B"])
        wa, wb = statistics.median(wall["A"]), statistics.median(wall["B"])
        rows.append(
            [
                n,
                round(ca, 1),
                round(cb, 1),
                f"{ca / cb:.2f}",
                round(wa, 1),
                round(wb, 1),
                f"{wa / wb:.2f}",
                f"{min(loads):.1f}–{max(loads):.1f}",
            ]
        )
    return rows


def timeline_items_sides() -> dict:
    """A: the timeline items drawn by the template they replaced (crm/_timeline_item.html, kept
    in crm/tests/test_timeline_items.py); B: the timeline_items tag."""
    from django.template import engines

    from crm.tests.old_templates import engine_in_use, engine_with
    from crm.tests.test_timeline_items import TEMPLATE

    page = (Path(__file__).resolve().parent.parent / "crm/templates/crm/thread_detail.html").read_text()
    tag = "{% timeline_item item %}"
    assert tag in page
    old = engine_with(
        {
            "crm/thread_detail.html": page.replace(tag, '{% include "crm/_timeline_item.html" %}'),
            "crm/_timeline_item.html": TEMPLATE,
        }
    )
    current = engines["django"]
    return {"A": lambda: engine_in_use(old), "B": lambda: engine_in_use(current)}


class _EveryTime:
    """A CompiledQuery's queryset built and compiled by the ORM at every run (as before)."""

    def __init__(self, compiled):
        self.build = compiled.build

    def run(self, *values, **static):
        return list(self.build(*values, **static))


@contextmanager
def _compiled_every_time():
    """Every CompiledQuery of crm.selectors (alone or in a dict by kind) built at every run."""
    from config.compiled import CompiledQuery
    from crm import selectors

    saved = {
        name: value
        for name, value in vars(selectors).items()
        if isinstance(value, CompiledQuery)
        or (isinstance(value, dict) and value and all(isinstance(v, CompiledQuery) for v in value.values()))
    }
    for name, value in saved.items():
        every = {k: _EveryTime(v) for k, v in value.items()} if isinstance(value, dict) else _EveryTime(value)
        setattr(selectors, name, every)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(selectors, name, value)


def compiled_sql_sides() -> dict:
    """A: the timeline's querysets built and compiled at every request; B: compiled once."""
    return {"A": _compiled_every_time, "B": contextlib.nullcontext}


def both_sides() -> dict:
    """A: the items by the template and the SQL compiled per request (as before this branch);
    B: the tag and the SQL compiled once."""
    items, sql = timeline_items_sides(), compiled_sql_sides()

    @contextmanager
    def before():
        with items["A"](), sql["A"]():
            yield

    @contextmanager
    def after():
        with items["B"](), sql["B"]():
            yield

    return {"A": before, "B": after}


AB_CASES = {
    "items": ("timeline items by the template (A) against the timeline_items tag (B)", timeline_items_sides),
    "sql": (
        "the timeline's and side panels' SQL compiled per request (A) against once (B, config.compiled)",
        compiled_sql_sides,
    ),
    "both": ("both changes: as before (A) against after (B)", both_sides),
}
AB_COLUMNS = ["events in thread", "A CPU ms", "B CPU ms", "CPU A ÷ B", "A wall ms", "B wall ms", "wall A ÷ B", "load"]


def run() -> list[Table]:
    client, urls = prepare()
    tables = []
    # BENCH_THREAD_AB=<rounds> and BENCH_THREAD_AB_CASES=items,sql (default: both): interleaved A/Bs.
    rounds = int(os.environ.get("BENCH_THREAD_AB", "0"))
    for case in os.environ.get("BENCH_THREAD_AB_CASES", ",".join(AB_CASES)).split(",") if rounds else []:
        title, sides = AB_CASES[case.strip()]
        note = (
            f"In process (Django test client), {rounds} requests per side after 3 warm-up rounds, alternating "
            "A B / B A; medians; CPU = time.process_time; load: 1-minute load average during the rounds."
        )
        tables.append(
            Table(f"Thread page: {title}, interleaved", AB_COLUMNS, _interleaved(client, urls, sides(), rounds), note)
        )
    table = Table(
        "Thread page, first timeline page (server time through the Django test client)",
        ["events in thread", "p50 ms", "p95 ms", "max ms", "queries", "status"],
        note="Target: p95 < 40 ms, same number of queries for every size.",
    )
    floors = Table(
        "Thread page against its floor",
        ["events in thread", *floor.COLUMNS[1:]],
        note="Floor and split as in the lists bench (bench/floor.py); target page ÷ floor ≤ 2.",
    )
    for n, url in urls.items():
        status = client.get(url).status_code
        result = measure(lambda url=url: client.get(url), repeat=50)
        table.rows.append([n, result["p50"], result["p95"], result["max"], result["queries"], status])
        load = os.getloadavg()[0]
        floors.rows.append(floor.row(n, lambda url=url: client.get(url), load))
    table.note += f" 1-minute load average at the end: {os.getloadavg()[0]:.1f}."
    return [*tables, table, floors]
