"""A real IMAP server for tests and the benchmark: pymap (pure Python, in-memory ``dict``
backend), started as a subprocess on a free port. Its UIDVALIDITY changes at each start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from imap_tools import MailBoxUnencrypted

USER, PASSWORD = "demouser", "demopass"  # pymap's --demo-data account


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ImapServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def start(self) -> ImapServer:
        pymap = Path(sys.executable).with_name("pymap")
        self.process = subprocess.Popen(  # noqa: S603 - our own venv's pymap, fixed arguments
            [str(pymap), "--host", "127.0.0.1", "--port", str(self.port), "--no-tls", "dict", "--demo-data"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        deadline = time.monotonic() + 60  # a loaded machine starts Python slowly
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("pymap did not start")
        with self.box() as box:  # the demo messages out of the way: each test puts its own
            if box.uids():
                box.delete(box.uids())
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    @contextmanager
    def box(self, folder: str = "INBOX"):
        with MailBoxUnencrypted("127.0.0.1", self.port).login(USER, PASSWORD, initial_folder=folder) as box:
            yield box

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        with self.box(folder) as box:
            for raw in messages:
                box.append(raw, folder, flag_set=())

    def uids(self, folder: str) -> list[str]:
        with self.box(folder) as box:
            return list(box.uids())

    def flags(self, folder: str) -> list[tuple]:
        with self.box(folder) as box:
            return [m.flags for m in box.fetch(mark_seen=False, headers_only=True)]


@contextmanager
def imap_server():
    server = ImapServer().start()
    try:
        yield server
    finally:
        server.stop()
