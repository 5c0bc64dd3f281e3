"""A thread with 1,000 followers: one new communication notifies all of them — the follower
lookup, 1,000 notification rows, the commit and the push to Redis — within 500 ms (issue 14).

Each round creates a communication through ``crm.services.communication_create`` (the request's
path: numbering, save, thread touch, crm.effects, followers, notification rows) in a transaction
and stops the clock after the commit, whose on_commit callbacks send the push (one broadcast event
for the 1,000, notifications.services) and the live thread page's fragment. A channel in the
broadcast group then checks that the event reached Redis with all 1,000 recipients.
The 1-minute load average is read before and after each table (the machine is shared).
"""

from __future__ import annotations

import os
import statistics
import time

FOLLOWERS = 1000
ROUNDS = 10
USERNAME = "bench-follow-{:04d}"
THREAD_NUMBER = "TH-BENCH-FOLLOW"


def seed():
    """1,001 users (idempotent) and a thread the last 1,000 of them follow (pressed Follow)."""
    from accounts.models import User
    from crm.models import Thread, ThreadFollower
    from notifications.models import Notification

    names = [USERNAME.format(i) for i in range(FOLLOWERS + 1)]
    unusable = "!"  # no password: nobody signs in as these users
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [User(username=n, first_name="Бенч", last_name=n[-4:], password=unusable) for n in names if n not in existing]
    )
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    actor, followers = users[names[0]], [users[n] for n in names[1:]]
    thread = Thread.objects.filter(number=THREAD_NUMBER).first()
    if thread is None:  # made directly: numbering is other benches' business
        thread = Thread.objects.create(
            number=THREAD_NUMBER, subject="bench: followers", counterparty_name="Бенч ООД", author=actor
        )
    # Each run starts from no notifications: the unread counts the push reads grow with them.
    Notification.objects.filter(recipient__in=followers).delete()
    ThreadFollower.objects.bulk_create(
        [ThreadFollower(thread=thread, user=user) for user in followers], ignore_conflicts=True
    )
    return actor, followers, thread


def _stats(values: list[float]) -> list:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return [round(statistics.median(values), 1), round(p95, 1), round(max(values), 1)]


def run():
    from asgiref.sync import async_to_sync, sync_to_async
    from channels.layers import get_channel_layer

    from bench.tables import Table, measure
    from crm import selectors, services
    from notifications.groups import BROADCAST_GROUP
    from notifications.models import Notification

    actor, followers, thread = seed()
    layer = get_channel_layer()
    results: dict = {}

    async def in_loop():
        # As a sync view runs in Daphne: pushes (async_to_sync) reuse this loop's Redis connections.
        listener = await layer.new_channel()
        await layer.group_add(BROADCAST_GROUP, listener)

        def body():
            load_before = os.getloadavg()[0]
            lookup = measure(lambda: selectors.thread_follower_ids(thread=thread), repeat=20)
            assert len(selectors.thread_follower_ids(thread=thread)) == FOLLOWERS + 1  # and the author, who writes
            timings, cpu, delivered = [], [], []
            for i in range(ROUNDS + 1):
                started, cpu_started = time.perf_counter(), time.process_time()
                communication = services.communication_create(
                    author=actor,
                    direction="in",
                    channel="phone",
                    subject=f"bench: обаждане {i}",
                    thread=thread,
                    counterparty_name="Бенч ООД",
                )  # atomic: committed (and pushed) when it returns
                elapsed = (time.perf_counter() - started) * 1000
                cpu_ms = (time.process_time() - cpu_started) * 1000
                rows = Notification.objects.filter(target_id=communication.pk, kind="activity").count()
                assert rows == FOLLOWERS, rows
                event = async_to_sync(layer.receive)(listener)
                while event.get("type") != "notification.broadcast":
                    event = async_to_sync(layer.receive)(listener)
                delivered.append(len(event["recipients"]))
                if i:  # the first round warms caches and connections
                    timings.append(elapsed)
                    cpu.append(cpu_ms)
            results["lookup"] = lookup
            results["timings"] = timings
            results["cpu"] = cpu
            results["delivered"] = delivered
            results["load"] = (load_before, os.getloadavg()[0])

        await sync_to_async(body, thread_sensitive=False)()
        await layer.group_discard(BROADCAST_GROUP, listener)

    async_to_sync(in_loop)()
    p50, p95, worst = _stats(results["timings"])
    cpu50, cpu95, cpu_worst = _stats(results["cpu"])
    lookup = results["lookup"]
    before, after = results["load"]
    return [
        Table(
            title=f"A new communication in a thread of {FOLLOWERS:,} followers (budget 500 ms)",
            columns=["what", "p50 ms", "p95 ms", "max ms", "queries", "load avg (1 min) before → after"],
            rows=[
                [
                    f"communication_create → {FOLLOWERS:,} rows + commit + push ({ROUNDS} rounds)",
                    p50,
                    p95,
                    worst,
                    "—",
                    f"{before:.2f} → {after:.2f}",
                ],
                [
                    "… of which CPU time of this process (Python; PostgreSQL and Redis are other processes)",
                    cpu50,
                    cpu95,
                    cpu_worst,
                    "",
                    "",
                ],
                [
                    "follower lookup alone (selectors.thread_follower_ids)",
                    lookup["p50"],
                    lookup["p95"],
                    lookup["max"],
                    lookup["queries"],
                    "",
                ],
            ],
            note=(
                f"Every round: {FOLLOWERS:,} `activity` rows checked in the database and one broadcast event with "
                f"{min(results['delivered'])}–{max(results['delivered'])} recipients received from Redis."
            ),
        )
    ]
