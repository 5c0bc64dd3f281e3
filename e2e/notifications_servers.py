"""More live servers for the notification browser tests: Daphne processes sharing a channel layer.

The session's live server (e2e/conftest.py) is one process; "a notification caused by a request
served by one process reaches a browser connected to another" needs two, on Redis. These are
started with `subprocess` (the `daphne` command in a fresh interpreter), not forked: by the time
a test module asks for them Playwright's driver and event loop may already run in this process,
and a fork would inherit both. The fresh process is told the test database's name and the
channel layer through the environment (e2e/notifications_asgi.py).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 30.0
ROOT = Path(__file__).resolve().parent.parent
DAPHNE = Path(sys.executable).with_name("daphne")


def redis_layers(url: str, prefix: str) -> dict:
    """The production Redis layer (config.env.redis_channel_layer) under a prefix of the test's own."""
    from config.env import redis_channel_layer

    return {"default": redis_channel_layer(url, prefix)}


def unique_prefix() -> str:
    return f"crm-e2e-notifications-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`daphne e2e.notifications_asgi:application` on 127.0.0.1 and a free port."""

    def __init__(self, *, database_name: str, channel_layers: dict):
        self.database_name = database_name
        self.channel_layers = channel_layers
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> ServerProcess:
        self.port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "E2E_DATABASE_NAME": str(self.database_name),
            "E2E_CHANNEL_LAYERS": json.dumps(self.channel_layers),
            "PYTHONPATH": str(ROOT),
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        log_dir = ROOT / "var"
        log_dir.mkdir(exist_ok=True)
        self.log_path = log_dir / f"e2e-notifications-server-{self.port}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(DAPHNE), "-b", HOST, "-p", str(self.port), "e2e.notifications_asgi:application"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                close_fds=True,
            )
        self._wait_until_serving()
        return self

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop(keep_log=True)
        log = self.log_path.read_text(errors="replace")[-3000:] if self.log_path else ""
        raise RuntimeError(f"The extra live server did not start:\n{log}")

    def stop(self, *, keep_log: bool = False) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None
        if not keep_log and self.log_path is not None:
            self.log_path.unlink(missing_ok=True)


def start_servers(count: int, *, channel_layers: dict) -> list[ServerProcess]:
    """`count` servers on the current test database (settings.DATABASES, as pytest-django set it)."""
    from django.conf import settings

    database_name = settings.DATABASES["default"]["NAME"]
    servers: list[ServerProcess] = []
    try:
        for _ in range(count):
            servers.append(ServerProcess(database_name=database_name, channel_layers=channel_layers).start())
    except BaseException:
        stop_servers(servers)
        raise
    return servers


def stop_servers(servers: list[ServerProcess]) -> None:
    for server in servers:
        server.stop()


def flush_layer(channel_layers: dict) -> None:
    """Delete the keys the servers left in Redis under their prefix (sync client: no event loop
    in this process's main thread, where Playwright keeps its own)."""
    import redis

    config = channel_layers["default"]["CONFIG"]
    client = redis.Redis.from_url(config["hosts"][0]["address"], socket_timeout=2)
    try:
        keys = list(client.scan_iter(match=f"{config['prefix']}*", count=500))
        if keys:
            client.delete(*keys)
    except redis.ConnectionError:
        pass
    finally:
        client.close()
