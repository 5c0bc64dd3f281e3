"""A real SMTP server for the tests: aiosmtpd in a thread on a free local port, no mocks.

``smtp_server`` (a fixture) starts one per test and points Django's SMTP backend at it. It keeps
every message it accepted (the raw bytes, the envelope) and can be told to answer RCPT or DATA
with an error (``server.refuse_rcpt = "550 5.1.1 …"``) to exercise permanent and temporary failures.
"""

from __future__ import annotations

import email
import socket
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        # policy.default decodes RFC 2047/2231 the way a modern client does.
        return email.message_from_bytes(self.raw, policy=policy.default)


@dataclass
class Recorder:
    """The server's handler: what it accepted, and the errors it is told to answer with."""

    received: list[Received] = field(default_factory=list)
    refuse_rcpt: str | None = None
    refuse_data: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook name
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.refuse_data:
            return self.refuse_data
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server_running(settings):
    """A started server, Django's SMTP backend (``settings``: pytest-django's fixture) pointed at it."""
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield recorder
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(settings):
    with smtp_server_running(settings) as recorder:
        yield recorder
