"""Websocket clients of the real ASGI application (config.asgi: origin check, session auth)."""

import re

from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

WS_PATH = "/ws/notifications/"
HOST = "testserver"
ORIGIN = "http://testserver"
NOTIFICATION_ID = re.compile(r'data-notification-id="(\d+)"')


def session_key_for(user) -> str:
    """A committed session signing ``user`` in (the tests using it run under transactional_db)."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def communicator(
    *,
    session_key: str | None = None,
    origin: str | None = ORIGIN,
    host: str | None = HOST,
    scheme: str = "ws",
    headers: list[tuple[bytes, bytes]] = (),
    path: str = WS_PATH,
) -> WebsocketCommunicator:
    """A socket as a browser opens it: Host and Origin headers, the session cookie; ``scheme``
    "wss" when TLS ends at this server; ``path`` with a query string for a topic."""
    from config.asgi import application

    headers = list(headers)
    if host is not None:
        headers.append((b"host", host.encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode("latin1")))
    if session_key is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()))

    async def with_scheme(scope, receive, send):
        return await application({**scope, "scheme": scheme}, receive, send)

    return WebsocketCommunicator(with_scheme, path, headers=headers)


def ids_in(frame: str) -> list[int]:
    return [int(pk) for pk in NOTIFICATION_ID.findall(frame)]
