"""Live notifications: commit → websocket latency across processes, and a 1,000-member mention.

Set-up (all on 127.0.0.1): two Daphne processes serving ``config.asgi:application`` share a
Redis channel layer (a prefix of this run); a client process holds 500 signed-in websockets,
250 on each server. This process is the one that commits (as a third server process would):
each notification is written in its own transaction and pushed on commit.

Latency is taken from the commit (an on_commit callback queued before the push) to the frame
arriving at the client (``time.monotonic``, one clock for every process on the machine).
Targets (issue "Real-time notifications"): p99 under 100 ms with 500 clients on 2 processes;
a mention of a 1,000-member department writes its rows and pushes in under 500 ms.

Every loop is bounded in count and in time; the client process and the servers are stopped at
the end, the bench's Redis keys and notifications deleted.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import select
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CLIENTS = 500
SERVERS = 2
MEMBERS = 1000
LATENCY_SENDS = 1000
LATENCY_PAUSE_S = 0.01
FANOUT_ROUNDS = 5
ARRIVAL_WAIT_S = 10.0
STARTUP_TIMEOUT_S = 60.0
USERNAME = "bench-notify-{:04d}"
DEPARTMENT = "bench: notifications 1000"
NOTIFICATION_ID = re.compile(rb'data-notification-id="(\d+)"')


# --- the websocket client process -------------------------------------------------------------


def client_main() -> None:
    """Runs in its own process. Reads {"servers": [...], "sessions": [...], "cookie": name} on
    stdin, connects every session (round robin over the servers), prints "READY <n>", then one
    "A <notification id> <monotonic time>" line per pushed notification, until stdin closes or
    the time limit passes."""
    import asyncio

    import txaio

    txaio.use_asyncio()
    from autobahn.asyncio.websocket import WebSocketClientFactory, WebSocketClientProtocol

    config = json.loads(sys.stdin.readline())
    out = sys.stdout
    deadline = time.monotonic() + config.get("max_seconds", 600)

    class Client(WebSocketClientProtocol):
        def onOpen(self):
            self.factory.opened.set_result(True) if not self.factory.opened.done() else None

        def onMessage(self, payload, is_binary):
            now = time.monotonic()
            if not self.factory.caught_up.done():
                self.factory.caught_up.set_result(True)  # the bell on connect
                return
            match = NOTIFICATION_ID.search(payload)
            if match:
                out.write(f"A {match.group(1).decode()} {now:.6f}\n")

        def onClose(self, was_clean, code, reason):
            if not self.factory.caught_up.done():
                self.factory.caught_up.set_exception(RuntimeError(f"closed {code} {reason}"))

    async def connect(index: int, session_key: str):
        host, port = config["servers"][index % len(config["servers"])]
        factory = WebSocketClientFactory(
            f"ws://{host}:{port}/ws/notifications/",
            origin=f"http://{host}:{port}",
            headers={"Cookie": f"{config['cookie']}={session_key}"},
        )
        factory.protocol = Client
        factory.opened = asyncio.get_running_loop().create_future()
        factory.caught_up = asyncio.get_running_loop().create_future()
        await asyncio.wait_for(asyncio.get_running_loop().create_connection(factory, host, port), 20)
        await asyncio.wait_for(factory.caught_up, 30)

    async def main():
        semaphore = asyncio.Semaphore(50)

        async def bounded(index, key):
            async with semaphore:
                await connect(index, key)

        await asyncio.gather(*(bounded(i, key) for i, key in enumerate(config["sessions"])))
        out.write(f"READY {len(config['sessions'])}\n")
        out.flush()
        loop = asyncio.get_running_loop()
        stdin_closed = loop.run_in_executor(None, sys.stdin.read)
        while not stdin_closed.done() and time.monotonic() < deadline:
            out.flush()
            await asyncio.sleep(0.05)
        out.flush()

    asyncio.run(main())


class ClientProcess:
    """The parent's handle on the client process: arrival times by notification id."""

    def __init__(self, servers: list[tuple[str, int]], sessions: list[str], cookie: str):
        self.arrivals: dict[int, float] = {}
        self.lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from bench.bench_notifications import client_main; client_main()"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.process.stdin.write(json.dumps({"servers": servers, "sessions": sessions, "cookie": cookie}) + "\n")
        self.process.stdin.flush()
        self._wait_ready(len(sessions))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _wait_ready(self, n: int) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.5)
            if ready:
                line = self.process.stdout.readline()
                if line.startswith("READY"):
                    assert int(line.split()[1]) == n
                    return
                if not line:
                    break
        self.process.kill()
        raise RuntimeError(f"websocket clients did not connect: {self.process.stderr.read()[-2000:]}")

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.startswith("A "):
                _, pk, at = line.split()
                with self.lock:
                    self.arrivals.setdefault(int(pk), float(at))

    def wait_for(self, ids, timeout: float = ARRIVAL_WAIT_S) -> dict[int, float]:
        wanted = set(ids)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if wanted <= self.arrivals.keys():
                    break
            time.sleep(0.02)
        with self.lock:
            return {pk: self.arrivals[pk] for pk in wanted if pk in self.arrivals}

    def stop(self) -> None:
        try:
            self.process.stdin.close()
            self.process.wait(timeout=10)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            self.process.kill()
            self.process.wait(timeout=5)


# --- the servers ------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_servers(n: int, prefix: str, redis_url: str) -> list[tuple[subprocess.Popen, int]]:
    servers = []
    env = {**os.environ, "REDIS_URL": redis_url, "REDIS_PREFIX": prefix, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    daphne = str(Path(sys.executable).with_name("daphne"))
    try:
        for _ in range(n):
            port = _free_port()
            process = subprocess.Popen(
                [daphne, "-b", HOST, "-p", str(port), "config.asgi:application"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
            )
            servers.append((process, port))
        for process, port in servers:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while True:
                try:
                    with urllib.request.urlopen(f"http://{HOST}:{port}/accounts/login/", timeout=2):  # noqa: S310
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"daphne on port {port} did not start") from None
                    time.sleep(0.1)
    except BaseException:
        stop_servers(servers)
        raise
    return servers


def stop_servers(servers) -> None:
    for process, _ in servers:
        process.terminate()
    for process, _ in servers:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# --- data -------------------------------------------------------------------------------------


def seed():
    """1,001 users (idempotent), the department of 1,000, a session for each of the first 500."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from accounts.models import Department, User
    from crm.models import Task, Thread

    names = [USERNAME.format(i) for i in range(MEMBERS + 1)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    unusable = "!"  # no password: these users only hold sessions made below
    User.objects.bulk_create(
        [User(username=n, first_name="Бенч", last_name=n[-4:], password=unusable) for n in names if n not in existing]
    )
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    actor, members = users[names[0]], [users[n] for n in names[1:]]
    department, _ = Department.objects.get_or_create(name=DEPARTMENT)
    department.members.set(members)
    task = Task.objects.filter(number="T-BENCH-NOTIFY").first()
    if task is None:  # rows made directly: the numbering of crm_bench is other benches' business
        thread = Thread.objects.create(
            number="TH-BENCH-NOTIFY", subject="bench: notifications", counterparty_name="Бенч ООД", author=actor
        )
        task = Task.objects.create(
            number="T-BENCH-NOTIFY", thread=thread, subject="bench: notifications", author=actor, status="new"
        )

    store = SessionStore()
    expire = timezone.now() + datetime.timedelta(hours=2)
    sessions = []
    for user in members[:CLIENTS]:
        data = {
            SESSION_KEY: str(user.pk),
            # The backend that signs users in (axes' one, first in the list, only refuses logins).
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        sessions.append(Session(session_key=uuid.uuid4().hex, session_data=store.encode(data), expire_date=expire))
    Session.objects.bulk_create(sessions)
    return actor, members, department, task, [s.session_key for s in sessions]


def cleanup(members, session_keys) -> None:
    from django.contrib.sessions.models import Session

    from notifications.models import Notification

    Notification.objects.filter(recipient__in=members).delete()
    Session.objects.filter(session_key__in=session_keys).delete()


def flush_redis(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for i in range(0, len(keys), 1000):
            client.delete(*keys[i : i + 1000])
    finally:
        client.close()


# --- measurements -----------------------------------------------------------------------------


def _ms(values: list[float], p: float) -> float:
    from bench.tables import percentile

    return round(percentile(values, p) * 1000, 1) if values else float("nan")


def measure_latency(*, actor, recipients, clients: ClientProcess) -> tuple[list[float], int]:
    """LATENCY_SENDS notifications, one per transaction, round robin over the connected users."""
    from django.db import transaction

    from notifications.services import notification_send

    committed: dict[int, float] = {}
    deadline = time.monotonic() + 120
    for i in range(LATENCY_SENDS):
        if time.monotonic() > deadline:
            break
        stamp: list[float] = []
        with transaction.atomic():
            transaction.on_commit(lambda stamp=stamp: stamp.append(time.monotonic()))  # before the push
            [row] = notification_send(
                recipient_ids=[recipients[i % len(recipients)].pk],
                actor=actor,
                kind="mention",
                target=None,
                text=f"Бенч Тест ви спомена в T-BENCH-{i:05d} „латентност“",
                url="/",
            )
        committed[row.pk] = stamp[0]
        time.sleep(LATENCY_PAUSE_S)
    arrived = clients.wait_for(committed)
    return [arrived[pk] - committed[pk] for pk in arrived], len(committed)


def measure_fanout(*, actor, department, task, clients: ClientProcess, connected_ids: set[int]) -> dict:
    """Mention the 1,000-member department in the task's description: rows + pushes (sender
    side), then the arrival at the 500 connected members."""
    from django.db import transaction

    from crm.services import _pipeline
    from notifications.models import Notification

    def save(text: str) -> set[int]:
        # The description's sync and its notification, as a save of the task does them.
        task.description = text
        return set(_pipeline.effects_apply(item=task, actor=actor, changed={"description"}))

    token = f"@[{department.name}](department:{department.pk})"
    sender_ms, arrival, received, expected = [], [], 0, 0
    for _ in range(FANOUT_ROUNDS):
        save("")  # forget the previous mention
        before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        stamp: list[float] = []
        started = time.monotonic()
        with transaction.atomic():
            transaction.on_commit(lambda stamp=stamp: stamp.append(time.monotonic()))
            notified = save(f"Моля, {token} — прегледайте.")
        sender_ms.append((time.monotonic() - started) * 1000)
        assert len(notified) == MEMBERS, len(notified)
        ids = list(
            Notification.objects.filter(pk__gt=before, recipient_id__in=connected_ids).values_list("pk", flat=True)
        )
        got = clients.wait_for(ids)
        expected += len(ids)
        received += len(got)
        arrival += [at - stamp[0] for at in got.values()]
    return {"sender_ms": sender_ms, "arrival": arrival, "received": received, "expected": expected}


def measure_send_only(*, actor, members) -> list[float]:
    """notification_send to 1,000 recipient ids (no mention parsing), rows + push, 5 rounds."""
    from django.db import transaction

    from notifications.services import notification_send

    timings = []
    for i in range(FANOUT_ROUNDS):
        started = time.monotonic()
        with transaction.atomic():
            notification_send(
                recipient_ids=[m.pk for m in members], actor=actor, kind="mention", target=None, text=f"x{i}", url="/"
            )
        timings.append((time.monotonic() - started) * 1000)
    return timings


def run():
    from asgiref.sync import async_to_sync, sync_to_async
    from django.conf import settings
    from django.test.utils import override_settings

    from bench.tables import Table
    from config.env import redis_channel_layer

    redis_url = os.environ["REDIS_URL"]
    prefix = f"crm-bench-notify-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    # The same layer as the servers' (config/settings.py builds it from REDIS_URL).
    layers = {"default": redis_channel_layer(redis_url, prefix)}
    server_redis_url = redis_url
    actor, members, department, task, session_keys = seed()
    connected = members[:CLIENTS]
    servers = clients = None
    results = {}
    try:
        with override_settings(CHANNEL_LAYERS=layers):
            servers = start_servers(SERVERS, prefix, server_redis_url)
            clients = ClientProcess([(HOST, port) for _, port in servers], session_keys, settings.SESSION_COOKIE_NAME)

            # Pushes from sync code go through async_to_sync: run the whole bench inside one
            # event loop, as a sync view runs inside Daphne's, so Redis connections are reused.
            async def in_loop():
                def body():
                    results["latency"] = measure_latency(actor=actor, recipients=connected, clients=clients)
                    results["fanout"] = measure_fanout(
                        actor=actor,
                        department=department,
                        task=task,
                        clients=clients,
                        connected_ids={m.pk for m in connected},
                    )
                    results["send_only"] = measure_send_only(actor=actor, members=members)

                await sync_to_async(body)()

            async_to_sync(in_loop)()
    finally:
        if clients is not None:
            clients.stop()
        if servers is not None:
            stop_servers(servers)
        flush_redis(redis_url, prefix)
        cleanup(members, session_keys)

    latencies, sent = results["latency"]
    fanout = results["fanout"]
    send_only = results["send_only"]
    return [
        Table(
            title="Notifications: commit → websocket frame, 500 clients on 2 Daphne processes + Redis",
            columns=["notifications", "arrived", "p50 ms", "p99 ms", "max ms", "mean ms"],
            rows=[
                [
                    sent,
                    len(latencies),
                    _ms(latencies, 50),
                    _ms(latencies, 99),
                    _ms(latencies, 100),
                    round(statistics.mean(latencies) * 1000, 1) if latencies else "n/a",
                ]
            ],
            note=f"One notification per transaction, one recipient each, {LATENCY_PAUSE_S * 1000:.0f} ms apart, "
            "round robin over 500 signed-in users (250 sockets per process); the committing process is a "
            "third one. Target: p99 < 100 ms.",
        ),
        Table(
            title="Notifications: a mention of a 1,000-member department",
            columns=["what", "rounds", "p50 ms", "max ms"],
            rows=[
                [
                    "mention_sync + commit + push (1,000 rows, one broadcast event)",
                    FANOUT_ROUNDS,
                    round(statistics.median(fanout["sender_ms"]), 1),
                    round(max(fanout["sender_ms"]), 1),
                ],
                [
                    "notification_send(1,000 ids) + commit + push",
                    FANOUT_ROUNDS,
                    round(statistics.median(send_only), 1),
                    round(max(send_only), 1),
                ],
                [
                    f"arrival at the 500 connected members ({fanout['received']}/{fanout['expected']} frames), p99 "
                    f"{_ms(fanout['arrival'], 99)} ms",
                    FANOUT_ROUNDS,
                    _ms(fanout["arrival"], 50),
                    _ms(fanout["arrival"], 100),
                ],
            ],
            note="Target: rows and pushes under 500 ms. Arrival is from commit to the frame at the client.",
        ),
    ]


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "client":
    client_main()
