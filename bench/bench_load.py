"""Load bench: the production layout under mixed traffic, on loopback only.

`.venv/bin/python bench/run.py load` (after `bench/run.py lists`, whose seed it uses: 1M
communications, 300k tasks, 100k threads).

1. Starts the app servers of each process model on 127.0.0.1 (free ports), with the production
   settings (DEBUG=0; bench.settings only drops the static manifest), PostgreSQL and Redis of
   the bench: the README's layout (nginx with deploy/nginx/crm-locations.conf in front of
   gunicorn's sync workers and a daphne for /ws/), the same gunicorn without the proxy, several
   daphne processes (the client spreads requests over them as a proxy would), uvicorn with as
   many workers, and gunicorn WSGI workers with threads (no websocket traffic here). All are started together, and each
   offered rate runs on every layout in turn (the order reversed at each rate), so they share
   the machine's other load alike.
2. Signed-in sessions (one per bench employee, made with the session backend as a login would)
   send mixed traffic — 60 % list pages (communications, tasks, threads, with the filters people
   use), 30 % thread pages, 10 % creates through the real form (GET the form, POST it with its
   CSRF and form tokens) — at stepped offered rates (open loop: a request is sent on schedule
   whether or not earlier ones have answered, so queueing shows as latency). Each new task is
   assigned to one of BENCH_LOAD_SOCKETS (default 50) other employees, whose notifications
   sockets are held open on every layout that serves websockets (through nginx to the daphne on
   the production layout), answering pings and counting the pushes.
3. Per step: p50/p95/p99 of the latency (from the scheduled send), errors (any status ≥ 400,
   a 500, a timeout, a refused connection), the achieved rate, and the CPU split per request:
   the app server processes vs the PostgreSQL backends serving this database
   (/proc/<pid>/stat of each), with the 1-minute load average. The rate at which p95 first
   crosses 250 ms is reported per layout.

Bounded: BENCH_LOAD_STEPS rates (default 24,36,48,60,72 requests/s), BENCH_LOAD_SECONDS per step
(default 8), a layout stops stepping once saturated (p95 > 2 s or > 5 % errors), at most 64
requests in flight, 10 s timeout per request; the servers are stopped however it ends. By default
only the production layout runs (DEFAULT_LAYOUT, the README's; about 1.5 minutes);
BENCH_LOAD_LAYOUTS=all runs every process model, or name some: BENCH_LOAD_LAYOUTS="nginx,daphne ×2".
The client is a minimal asyncio HTTP/1.1 client (RawClient) on the same cores as the servers, so
its CPU per request is reported too; BENCH_LOAD_CLIENT=httpx uses httpx instead.

With BENCH_AB_BASE=<a checkout of an older commit> (its .venv and compiled messages ready), and
optionally BENCH_AB_AFTER=<another checkout> (default: this one), an interleaved A/B of single
pages is added: one server per tree, requests alternating A, B, A, B…
over the same URLs, so both sides see the same machine load; the ratio of medians (before ÷
after) stays meaningful on a shared, busy machine where absolute times do not.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import os
import random
import re
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from pathlib import Path

from django.db import connection

from bench.tables import Table, percentile

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
P95_LIMIT_MS = 250
MAX_IN_FLIGHT = 64
TIMEOUT_S = 10.0
CORES = os.cpu_count() or 2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
APP_NAME = "crm-load-bench"
# The README's production layout (Procfile, deploy/): what `bench/run.py load` runs.
PROXIED_LAYOUT = f"nginx → gunicorn sync ×{CORES + 1} (+ daphne for /ws/)"
DEFAULT_LAYOUT = PROXIED_LAYOUT
NGINX_LOCAL = ROOT / "deploy" / "nginx" / "local.py"


def _steps() -> list[int]:
    raw = os.environ.get("BENCH_LOAD_STEPS", "24,36,48,60,72")
    return [int(x) for x in raw.split(",") if x.strip()]


def _seconds() -> float:
    return float(os.environ.get("BENCH_LOAD_SECONDS", "8"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _daphne(venv_bin: Path, n: int) -> list[list[str]]:
    return [[str(venv_bin / "daphne"), "-b", LOOPBACK, "-p", "{port}", "config.asgi:application"] for _ in range(n)]


def _gunicorn_sync(venv_bin: Path, workers: int) -> list[str]:
    return [
        str(venv_bin / "gunicorn"),
        "config.wsgi:application",
        "-b",
        f"{LOOPBACK}:{{port}}",
        "-w",
        str(workers),
        "-k",
        "sync",
        "--no-control-socket",  # gunicorn 27's default one is a fixed path: one per machine
    ]


def _nginx(directory: Path, http_url: str, ws_url: str):
    """nginx with the README's locations (deploy/nginx/crm-locations.conf) in front of the two
    servers: a command for _servers, which chooses the port."""
    local_conf = runpy.run_path(str(NGINX_LOCAL))["local_conf"]

    def command(port: int) -> list[str]:
        conf = directory / "nginx.conf"
        upstream = {"http": http_url.removeprefix("http://"), "ws": ws_url.removeprefix("http://")}
        conf.write_text(local_conf(listen=f"{LOOPBACK}:{port}", directory=directory, **upstream))
        return ["nginx", "-e", str(directory / "error.log"), "-c", str(conf)]

    return command


@contextmanager
def _proxied(venv_bin: Path, env: dict[str, str]):
    """The production layout: traffic goes to nginx only, which passes pages to gunicorn's sync
    workers and /ws/ to the daphne (idle here: the bench opens no websocket)."""
    backends = [_gunicorn_sync(venv_bin, CORES + 1), _daphne(venv_bin, 1)[0]]
    with (
        tempfile.TemporaryDirectory(prefix="crm-load-nginx-") as directory,
        _servers(backends, ROOT, env) as (backend_procs, (http_url, ws_url)),
        _servers([_nginx(Path(directory), http_url, ws_url)], ROOT, env) as (nginx_procs, urls),
    ):
        yield backend_procs + nginx_procs, urls


def _layouts(venv_bin: Path) -> dict[str, list[list[str]] | Callable]:
    """Each process model: the commands to start (each gets its own port as {port}), or a
    context manager, given the servers' environment, that starts them and yields (processes,
    the URLs traffic goes to)."""
    workers = str(CORES)
    return {
        PROXIED_LAYOUT: lambda env: _proxied(venv_bin, env),
        f"daphne ×{CORES}": _daphne(venv_bin, CORES),
        # Sync views wait on PostgreSQL: one process more than cores may fill those gaps.
        f"daphne ×{CORES + 1}": _daphne(venv_bin, CORES + 1),
        f"uvicorn --workers {CORES}": [
            [
                str(venv_bin / "uvicorn"),
                "config.asgi:application",
                "--host",
                LOOPBACK,
                "--port",
                "{port}",
                "--workers",
                workers,
                "--no-access-log",
                "--lifespan",
                "off",
            ]
        ],
        f"gunicorn WSGI {CORES}×4 threads": [
            [
                str(venv_bin / "gunicorn"),
                "config.wsgi:application",
                "-b",
                f"{LOOPBACK}:{{port}}",
                "-w",
                workers,
                "--threads",
                "4",
                "-k",
                "gthread",
            ]
        ],
        # The production layout's page servers without the proxy: what nginx costs.
        f"gunicorn WSGI sync ×{CORES + 1}, no proxy": [_gunicorn_sync(venv_bin, CORES + 1)],
    }


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="0",
        ALLOWED_HOSTS=f"{LOOPBACK},localhost",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        PYTHONPATH=str(ROOT),
        # libpq's application name: the CPU split counts the backends of these servers only
        # (not the bench's own connection, nor another run on the same database).
        PGAPPNAME=APP_NAME,
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


@contextmanager
def _servers(commands: list, cwd: Path, env: dict[str, str] | None = None):
    """Start the commands (new process groups), wait until each answers, stop them all after."""
    procs, urls = [], []
    try:
        for command in commands:
            port = _free_port()
            argv = command(port) if callable(command) else [part.replace("{port}", str(port)) for part in command]
            procs.append(
                subprocess.Popen(  # noqa: S603 - our own commands
                    argv,
                    cwd=cwd,
                    env=env or _server_env(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
            urls.append(f"http://{LOOPBACK}:{port}")
        import httpx

        for url, proc in zip(urls, procs, strict=True):
            for _ in range(300):
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited: {' '.join(proc.args)}")
                try:
                    httpx.get(url + "/accounts/login/", timeout=2)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                raise RuntimeError(f"server does not answer: {url}")
        yield procs, urls
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# --- CPU accounting ------------------------------------------------------------------------------


def _tree(pids: list[int]) -> set[int]:
    """The processes and all their descendants (workers forked by gunicorn/uvicorn)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, []))
    return found


def _cpu_seconds(pids: set[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
        except (OSError, IndexError, ValueError):
            continue
    return out


def _pg_backends() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            [APP_NAME],
        )
        return {row[0] for row in cursor.fetchall()}


def _delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(after[pid] - before.get(pid, 0.0) for pid in after)


# --- traffic -------------------------------------------------------------------------------------


EMPLOYEES = 1_723  # as many as the bench database held (the other bench modules add users)


def _employees() -> None:
    """At least EMPLOYEES users, so the pickers face the company size the issue measured."""
    from accounts.models import User

    missing = EMPLOYEES - User.objects.count()
    if missing > 0:
        User.objects.bulk_create(
            User(
                username=f"bench_staff_{i:04d}",
                first_name=["Иван", "Мария", "Петър", "Елена"][i % 4],
                last_name=f"Служител-{i}",
                password="!",  # noqa: S106 - unusable password
            )
            for i in range(missing)
        )


def _sessions(n: int, *, skip: int = 0) -> list[tuple[str, int]]:
    """(session key, user id) of n active bench employees, made as a login makes them."""
    from django.test import Client

    from accounts.models import User

    found = []
    employees = User.objects.filter(username__startswith="bench_", is_active=True).order_by("username")
    for user in employees[skip : skip + n]:
        client = Client()
        client.force_login(user)
        found.append((client.cookies["sessionid"].value, user.pk))
    return found


def _socket_count() -> int:
    return int(os.environ.get("BENCH_LOAD_SOCKETS", "50"))


# --- websockets held open --------------------------------------------------------------------


class Sockets:
    """The notifications sockets of signed-in employees who have the app open, held through a
    layout's steps (a thread of their own with its own event loop): each answers the server's
    pings and counts the pushes it gets. A minimal RFC 6455 client (no library in the venv):
    the server's frames are not masked, the client's pong is."""

    def __init__(self, url: str | None, sessions: list[tuple[str, int]]):
        self.url, self.sessions = url, sessions
        self.counts: collections.Counter = collections.Counter()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.futures = []  # asyncio keeps only weak references to tasks: these keep them alive

    def __enter__(self) -> Sockets:
        if self.url and self.sessions:
            self.thread.start()
            for key, _user in self.sessions:
                self.futures.append(asyncio.run_coroutine_threadsafe(self._hold(key), self.loop))
            deadline = time.monotonic() + 30
            while self.counts["opened"] + self.counts["refused"] < len(self.sessions) and time.monotonic() < deadline:
                time.sleep(0.1)
        return self

    def __exit__(self, *exc) -> None:
        if self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._close_all(), self.loop).result(timeout=10)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
        self.loop.close()  # also the unused loop of a layout without websockets
        if self.sessions and self.url:
            print(f"sockets on {self.url}: {dict(self.counts)}", file=sys.stderr)

    async def _close_all(self) -> None:
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _hold(self, session_key: str) -> None:
        host, port = self.url.split("//", 1)[1].rsplit(":", 1)
        try:
            reader, writer = await asyncio.open_connection(host, int(port))
            handshake = [
                "GET /ws/notifications/ HTTP/1.1",
                f"Host: {host}:{port}",
                "Upgrade: websocket",
                "Connection: Upgrade",
                f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
                "Sec-WebSocket-Version: 13",
                f"Origin: http://{host}:{port}",
                f"Cookie: sessionid={session_key}",
            ]
            writer.write(("\r\n".join(handshake) + "\r\n\r\n").encode("latin-1"))
            if b" 101 " not in await reader.readline():
                self.counts["refused"] += 1
                return
            while await reader.readline() not in (b"\r\n", b""):
                pass
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.counts["refused"] += 1
            return
        self.counts["opened"] += 1
        self.counts["open"] += 1
        try:
            while True:
                first, second = await reader.readexactly(2)
                length = second & 0x7F
                if length >= 126:
                    length = int.from_bytes(await reader.readexactly(2 if length == 126 else 8), "big")
                payload = await reader.readexactly(length)
                opcode = first & 0x0F
                if opcode == 0x9:  # ping: a masked pong with the same payload
                    mask = os.urandom(4)
                    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                    writer.write(bytes([0x8A, 0x80 | len(payload)]) + mask + masked)
                elif opcode == 0x8:
                    self.counts["closed by the server"] += 1
                    return
                elif opcode in (0x1, 0x2):
                    self.counts["messages"] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.counts["dropped"] += 1
        finally:
            self.counts["open"] -= 1
            writer.close()


def _targets() -> dict:
    from accounts.models import User
    from crm.models import Communication, Thread

    users = list(User.objects.filter(username__startswith="bench_", is_active=True).values_list("pk", flat=True)[:50])
    from bench.bench_lists import N_THREADS

    # The seed's threads only (ids 1…N_THREADS, COPY'd): one that a create of an earlier run,
    # or another bench, made is its author's alone (a 404 counted as an error).
    top = min(Thread.objects.order_by("-id").values_list("pk", flat=True).first() or 1, N_THREADS)
    numbers = list(Communication.objects.order_by("-id").values_list("number", flat=True)[1000:1020])
    return {"users": users, "top_thread": top, "numbers": numbers}


def _list_url(rng: random.Random, t: dict) -> str:
    page = rng.choice(["/communications/", "/tasks/", "/threads/"])
    choice = rng.random()
    if choice < 0.35:
        return page
    if choice < 0.55:
        return page + "?status=" + rng.choice(["new", "assigned", "in_progress"]) if page != "/threads/" else page
    if choice < 0.75 and page != "/threads/":
        return f"{page}?assignee={rng.choice(t['users'])}&status=assigned"
    if choice < 0.85:
        return page + "?mine=" + ("assigned" if page != "/threads/" else "created")
    if choice < 0.93 and page == "/communications/":
        return f"/communications/?number={rng.choice(t['numbers'])}"
    return page + "?counterparty=" + rng.choice(["алфа", "бета", "орион", "вега"])


class ClientError(Exception):
    """A request that got no HTTP answer (refused, reset, timed out, malformed)."""


class _Response:
    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class RawClient:
    """A minimal HTTP/1.1 client on asyncio streams: keep-alive connections, cookies kept as a
    browser keeps them (name=value of Set-Cookie), no redirects followed. The load client runs
    on the same cores as the system under test; httpx spends several times this CPU per request
    for the same traffic (BENCH_LOAD_CLIENT=httpx to compare)."""

    def __init__(self, base_url: str, cookies: dict[str, str], timeout: float):
        self.base_url = base_url
        host_port = base_url.split("//", 1)[1]
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)
        self.cookies = dict(cookies)
        self.timeout = timeout
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def get(self, path: str) -> _Response:
        return await self._request("GET", path)

    async def post(self, path: str, *, data: dict[str, str], headers: dict[str, str] | None = None) -> _Response:
        from urllib.parse import urlencode

        body = urlencode(data).encode()
        extra = {**(headers or {}), "Content-Type": "application/x-www-form-urlencoded"}
        return await self._request("POST", path, body, extra)

    async def _request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> _Response:
        try:
            return await asyncio.wait_for(self._send(method, path, body, headers or {}), self.timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            raise ClientError(repr(exc)) from exc

    async def _send(self, method: str, path: str, body: bytes, headers: dict) -> _Response:
        from urllib.parse import quote

        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        # A browser sends a Cyrillic query as UTF-8 percent-escapes; the request line is ASCII.
        path = quote(path, safe="/?=&%:+,;@-._~")
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Cookie: {cookie}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        if method == "POST":
            head.append(f"Content-Length: {len(body)}")
        request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        while True:
            reused = bool(self.idle)
            reader, writer = self.idle.pop() if reused else await asyncio.open_connection(self.host, self.port)
            writer.write(request)
            try:
                await writer.drain()
                status_line = await reader.readline()
            except OSError:
                status_line = b""
            if status_line:
                break
            writer.close()
            if not reused:
                raise ClientError("connection closed before the status line")
            # A kept-alive connection the server had closed: try once more on a fresh one.
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = None, False, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif name == "connection":
                close = value.lower() == "close"
            elif name == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        if chunked:
            parts = []
            while size := int((await reader.readline()).split(b";", 1)[0], 16):
                parts.append(await reader.readexactly(size + 2))
            await reader.readline()
            content = b"".join(p[:-2] for p in parts)
        elif length is not None:
            content = await reader.readexactly(length)
        else:
            content, close = await reader.read(), True
        if close:
            writer.close()
        else:
            self.idle.append((reader, writer))
        return _Response(status, content)

    async def aclose(self) -> None:
        for _reader, writer in self.idle:
            writer.close()
        self.idle.clear()


def _client_kind() -> str:
    return os.environ.get("BENCH_LOAD_CLIENT", "raw")


def _client(base_url: str, session_key: str):
    # A CSRF cookie as a browser has after its first page: without one, two forms fetched at
    # once by the same client each set a new secret, and the first POST fails with 403 (seen
    # once in ~600 creates; a signed-in browser never starts without the cookie).
    cookies = {"sessionid": session_key, "csrftoken": _csrf_secret(session_key)}
    if _client_kind() == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT)
        return httpx.AsyncClient(
            base_url=base_url,
            cookies=cookies,
            timeout=TIMEOUT_S,
            limits=limits,
            follow_redirects=False,
        )
    return RawClient(base_url, cookies, TIMEOUT_S)


def _csrf_secret(session_key: str) -> str:
    """A valid CSRF cookie secret (32 letters and digits), the same for a session every step."""
    from django.middleware.csrf import CSRF_SECRET_LENGTH

    return (session_key * 2)[:CSRF_SECRET_LENGTH]


CREATED_SUBJECT = "Натоварване"
TOKEN = re.compile(r'name="(csrfmiddlewaretoken|form_token)" value="([^"]+)"')


async def _create(client, rng: random.Random, assignees: list[int]) -> list[tuple[float, int]]:
    """The new-task form as a person uses it: GET it, POST it back with its tokens."""
    started = time.perf_counter()
    response = await client.get("/tasks/new/")
    got = [(time.perf_counter() - started, response.status_code)]
    tokens = dict(TOKEN.findall(response.text))
    form = {
        **tokens,
        "subject": f"{CREATED_SUBJECT} {rng.randrange(10**9)}",
        "counterparty_name": "Алфа Трейд ООД",
        "status": "assigned",
        "assignee": str(rng.choice(assignees)),
        "description": "",
    }
    started = time.perf_counter()
    response = await client.post("/tasks/new/", data=form, headers={"Referer": str(client.base_url) + "/tasks/new/"})
    ok = response.status_code if response.status_code != 302 else 200
    got.append((time.perf_counter() - started, ok))
    return got


async def _step(urls: list[str], sessions: list[str], targets: dict, rate: float, seconds: float, seed: int):
    """One offered rate for ``seconds``: latencies in ms (from the scheduled send) and errors."""
    import httpx

    rng = random.Random(seed)
    clients = [_client(urls[i % len(urls)], key) for i, key in enumerate(sessions)]
    latencies: list[float] = []
    kinds: dict[str, list[float]] = {"list": [], "thread": [], "create": []}
    errors = 0
    failures: collections.Counter = collections.Counter()  # (kind, status or exception): told on stderr
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def one(scheduled: float, kind: str, client) -> None:
        nonlocal errors
        async with in_flight:
            try:
                if kind == "create":
                    results = await _create(client, rng, targets["assignees"])
                    wait = time.perf_counter() - scheduled - sum(r[0] for r in results)
                    for duration, status in results:
                        errors += status >= 400
                        if status >= 400:
                            failures[(kind, status)] += 1
                        ms = (duration + max(0.0, wait)) * 1000
                        latencies.append(ms)
                        kinds[kind].append(ms)
                        wait = 0.0
                    return
                if kind == "list":
                    url = _list_url(rng, targets)
                else:
                    url = f"/threads/{rng.randrange(1, targets['top_thread'])}/"
                response = await client.get(url)
                errors += response.status_code >= 400
                if response.status_code >= 400:
                    failures[(kind, response.status_code, url)] += 1
            except (httpx.HTTPError, ClientError) as error:
                errors += 1
                failures[(kind, repr(error)[:160])] += 1
            ms = (time.perf_counter() - scheduled) * 1000
            latencies.append(ms)
            kinds[kind].append(ms)

    tasks = []
    start = time.perf_counter() + 0.05
    count = int(rate * seconds)
    for k in range(count):
        scheduled = start + k / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        r = rng.random()
        kind = "list" if r < 0.6 else "thread" if r < 0.9 else "create"
        tasks.append(asyncio.create_task(one(scheduled, kind, rng.choice(clients))))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for client in clients:
        await client.aclose()
    if failures:
        print(f"load step {rate} rps, failures: {dict(failures)}", file=sys.stderr)
    return latencies, kinds, errors, elapsed


def _measure_step(name: str, procs, urls, sessions, targets, rate: int, sockets: Sockets) -> list:
    app_pids = _tree([p.pid for p in procs])
    pushes0 = sockets.counts["messages"]
    pg_pids = _pg_backends()
    app0, pg0 = _cpu_seconds(app_pids), _cpu_seconds(pg_pids)
    load = os.getloadavg()[0]
    client0 = time.process_time()
    latencies, kinds, errors, elapsed = asyncio.run(
        _step(urls, sessions, targets, rate=rate, seconds=_seconds(), seed=rate)
    )
    client_cpu = time.process_time() - client0
    app_pids |= _tree([p.pid for p in procs])
    pg_pids |= _pg_backends()
    app_cpu = _delta(app0, _cpu_seconds(app_pids))
    pg_cpu = _delta(pg0, _cpu_seconds(pg_pids))
    n = len(latencies)
    return [
        name,
        rate,
        round(n / elapsed, 1),
        n,
        errors,
        round(statistics.median(latencies)),
        round(percentile(latencies, 95)),
        round(percentile(latencies, 99)),
        round(percentile(kinds["list"], 95)) if kinds["list"] else "",
        round(percentile(kinds["thread"], 95)) if kinds["thread"] else "",
        round(percentile(kinds["create"], 95)) if kinds["create"] else "",
        round(app_cpu * 1000 / n, 1),
        round(pg_cpu * 1000 / n, 1),
        round(client_cpu * 1000 / n, 1),
        sockets.counts["open"],
        sockets.counts["messages"] - pushes0,
        f"{load:.1f}",
    ]


def _run_layouts(
    layouts: dict[str, list[list[str]] | Callable], sessions, socket_sessions, targets
) -> tuple[list[list], list[list]]:
    """Every layout's servers up at once (idle ones cost nothing), then each offered rate is run
    on every layout in turn, the order reversed at each rate (A B C, C B A, …): the layouts
    share the machine's other load alike, so they compare even when it is busy. Each layout
    that serves websockets has the socket sessions' sockets open throughout."""
    rows: list[list] = []
    crossed = dict.fromkeys(layouts, "not crossed")
    best = dict.fromkeys(layouts, 0.0)
    with ExitStack() as stack:
        running = {}
        for index, (name, commands) in enumerate(layouts.items()):
            # A channel layer of its own: a create on one layout must not push to the sockets
            # (and cost the CPU) of another.
            env = {**_server_env(), "REDIS_PREFIX": f"{APP_NAME}-{os.getpid()}-{index}"}
            servers = commands(env) if callable(commands) else _servers(commands, ROOT, env)
            procs, urls = stack.enter_context(servers)
            # WSGI alone serves no websocket (in production a daphne beside it would).
            ws_url = None if "WSGI" in name else urls[0]
            sockets = stack.enter_context(Sockets(ws_url, socket_sessions))
            # Warm every worker and this database's pages in PostgreSQL's cache: the first step
            # measured otherwise pays for them (p95 ×4 over the next step's, on a fresh copy).
            asyncio.run(_step(urls, sessions, targets, rate=12, seconds=8, seed=0))
            running[name] = (procs, urls, sockets)
        order = list(layouts)
        # One round at the first rate, not measured: the first layouts measured otherwise paid
        # for PostgreSQL's and the OS's cold cache (p95 ×4–10 over their next step).
        for name in order:
            _procs, urls, _sockets = running[name]
            asyncio.run(_step(urls, sessions, targets, rate=_steps()[0], seconds=_seconds(), seed=1))
        for i, rate in enumerate(_steps()):
            for name in order if i % 2 == 0 else order[::-1]:
                if name not in running:
                    continue
                procs, urls, sockets = running[name]
                row = _measure_step(name, procs, urls, sessions, targets, rate, sockets)
                rows.append(row)
                best[name] = max(best[name], row[2])
                p95, errors, n = row[6], row[4], row[3]
                if p95 > P95_LIMIT_MS and crossed[name] == "not crossed":
                    crossed[name] = f"{rate} rps"
                if p95 > 2000 or errors > 0.05 * n:
                    del running[name]  # saturated: higher rates only queue longer
    rows.sort(key=lambda row: (order.index(row[0]), row[1]))
    return rows, [[name, crossed[name], best[name]] for name in layouts]


# --- interleaved A/B of single pages -------------------------------------------------------------


def _ab(side_a: tuple[Path, dict], side_b: tuple[Path, dict], sessions: list[str], targets: dict) -> list[list]:
    """Each side is (checkout, server environment): one gunicorn WSGI worker each."""
    import httpx

    thread = targets["top_thread"] - 5000
    number = targets["numbers"][0]
    urls = [
        "/communications/",
        "/tasks/",
        "/threads/",
        f"/communications/?number={number}",
        f"/tasks/?assignee={targets['users'][7]}&status=assigned",
        f"/threads/{thread}/",
        "/communications/new/",
        "/tasks/new/",
    ]

    def gunicorn(tree: Path) -> list[str]:
        venv = tree / ".venv" / "bin"
        return [str(venv / "gunicorn"), "config.wsgi:application", "-b", f"{LOOPBACK}:{{port}}", "-w", "1"]

    rows = []
    rounds = int(os.environ.get("BENCH_AB_ROUNDS", "25"))
    (tree_a, env_a), (tree_b, env_b) = side_a, side_b
    with (
        _servers([gunicorn(tree_a)], tree_a, env_a) as (procs_a, (url_a,)),
        _servers([gunicorn(tree_b)], tree_b, env_b) as (procs_b, (url_b,)),
    ):
        pids = {"a": _tree([p.pid for p in procs_a]), "b": _tree([p.pid for p in procs_b])}
        cookies = {"sessionid": sessions[0]}
        with (
            httpx.Client(base_url=url_a, cookies=cookies, timeout=30) as a,
            httpx.Client(base_url=url_b, cookies=cookies, timeout=30) as b,
        ):
            for path in urls:
                times = {"a": [], "b": []}
                cpu = {"a": 0.0, "b": 0.0}  # the server's own CPU (utime+stime), warm-up excluded
                sizes = {}
                loads = []
                for i in range(rounds + 2):
                    for side, client in (("a", a), ("b", b)) if i % 2 == 0 else (("b", b), ("a", a)):
                        cpu0 = _cpu_seconds(pids[side])
                        started = time.perf_counter()
                        response = client.get(path)
                        ms = (time.perf_counter() - started) * 1000
                        assert response.status_code == 200, (side, path, response.status_code)
                        sizes[side] = len(response.content)
                        if i >= 2:  # two warm-up rounds
                            times[side].append(ms)
                            cpu[side] += _delta(cpu0, _cpu_seconds(pids[side]))
                    loads.append(os.getloadavg()[0])
                ma, mb = statistics.median(times["a"]), statistics.median(times["b"])
                ca, cb = cpu["a"] * 1000 / rounds, cpu["b"] * 1000 / rounds
                rows.append(
                    [
                        f"`{path}`",
                        round(ma, 1),
                        round(mb, 1),
                        f"{ma / mb:.2f}",
                        round(ca, 1),
                        round(cb, 1),
                        f"{ca / cb:.2f}" if cb else "",
                        f"{sizes['a'] / 1024:.0f}",
                        f"{sizes['b'] / 1024:.0f}",
                        f"{min(loads):.1f}–{max(loads):.1f}",
                    ]
                )
    return rows


def run() -> list[Table]:
    import logging

    assert connection.vendor == "postgresql", "the load bench needs PostgreSQL (DATABASE_URL)"
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    # A stopped bench (timeout, kill) still stops its servers: SIGTERM unwinds through _servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from crm.models import Communication

    assert Communication.objects.exists(), "seed first: bench/run.py lists"
    _employees()
    sessions = [key for key, _user in _sessions(16)]
    # Other employees with the app open: their sockets get the creates' notifications.
    socket_sessions = _sessions(_socket_count(), skip=16)
    targets = _targets()
    targets["assignees"] = [user for _key, user in socket_sessions] or targets["users"]
    tables = []
    ab_note = (
        f"{os.environ.get('BENCH_AB_ROUNDS', '25')} requests per side and page, alternating A/B then B/A, "
        "over loopback (wall time incl. HTTP); server CPU: utime+stime of that side's gunicorn processes "
        "over the measured rounds (clock ticks summed, then per request); load: 1-minute load average "
        "during the page's rounds."
    )
    ab_columns = [
        "page",
        "A ms (median)",
        "B ms (median)",
        "A ÷ B",
        "A server CPU ms/req",
        "B server CPU ms/req",
        "CPU A ÷ B",
        "A KB",
        "B KB",
        "load",
    ]
    base = os.environ.get("BENCH_AB_BASE")
    if base:
        after = Path(os.environ.get("BENCH_AB_AFTER", str(ROOT)))  # another checkout: one change at a time
        side_a = (Path(base), {**_server_env(), "PYTHONPATH": base})
        side_b = (after, {**_server_env(), "PYTHONPATH": str(after)})
        rows = _ab(side_a, side_b, sessions, targets)
        title = f"Load bench: interleaved A/B, A = {base} (before), B = {after}"
        tables.append(Table(title, ab_columns, rows, ab_note))
    options = os.environ.get("BENCH_AB_DB_OPTIONS")  # e.g. server_side_binding=true&prepare_threshold=5
    if options:
        env_b = {**_server_env(), "DATABASE_URL": os.environ["DATABASE_URL"] + "?" + options}
        rows = _ab((ROOT, _server_env()), (ROOT, env_b), sessions, targets)
        tables.append(Table(f"Load bench: interleaved A/B, A = default, B = `?{options}`", ab_columns, rows, ab_note))
    only = os.environ.get("BENCH_LOAD_LAYOUTS", DEFAULT_LAYOUT)
    if only == "all":
        only = ""
    layouts = {
        name: commands
        for name, commands in _layouts(Path(sys.executable).parent).items()
        if not only or any(part.strip() and part.strip() in name for part in only.split(","))
    }
    rows, crossings = _run_layouts(layouts, sessions, socket_sessions, targets) if layouts else ([], [])
    columns = [
        "layout",
        "offered rps",
        "achieved rps",
        "requests",
        "errors",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "lists p95",
        "thread p95",
        "create p95",
        "app CPU ms/req",
        "PG CPU ms/req",
        "client CPU ms/req",
        "sockets",
        "pushes",
        "load",
    ]
    note = (
        f"Mixed traffic (60 % lists, 30 % thread pages, 10 % new-task form GET+POST), {len(sessions)} signed-in "
        f"sessions, open loop, {_seconds():.0f} s per step, at most {MAX_IN_FLIGHT} in flight, over loopback; "
        "latency from the scheduled send. Each new task is assigned to one of "
        f"{len(socket_sessions)} other employees whose notifications socket is open (sockets: open at the end "
        "of the step; pushes: messages they got in it; none on a layout without websockets). CPU: utime+stime "
        "of the server processes (nginx included) / of this database's PostgreSQL backends, per request. "
        "load: 1-minute load average at the start of the step."
    )
    tables.append(Table("Load bench: stepped offered rate per process model", columns, rows, note))
    tables.append(
        Table(
            f"Load bench: where p95 crosses {P95_LIMIT_MS} ms",
            ["layout", "offered rate", "best achieved rps"],
            crossings,
        )
    )
    return tables
