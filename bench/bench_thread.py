"""The thread page (first page of the timeline) for threads of 50 and 2,000 events.

Target (issue "thread timeline"): p95 under 40 ms server time on a 2-core machine, and the same
number of queries whatever the thread holds.
"""

import datetime
import os
import random

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


def run() -> list[Table]:
    client, urls = prepare()
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
    return [table, floors]
