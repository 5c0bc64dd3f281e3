"""CSV export as daphne serves it (ASGI): a failure mid-stream ends the file cleanly, and neither
a failing nor an abandoned download keeps a database connection.

The requests go through the project's ASGI application (config.asgi) in an event loop of their
own, each served by a sync thread of its own as under daphne. Every connection opened meanwhile is
recorded (``connection_created``) and must be closed — given back to the pool on PostgreSQL — once
its request is over. On PostgreSQL the pool is also shrunk to two connections with a 3 s wait, so
a leak wedges the next request there exactly as four leaks wedge a production worker.
"""

import asyncio
import contextlib
import csv
import io
import logging

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client

from config.asgi import application  # imported once, early: it runs django.setup() (logging)
from config.tests.asgi_scope import http_scope, request_receiver, still_open
from crm import list_views
from crm.tests.factories import CommunicationFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the requests' threads see committed rows

POOL = {"min_size": 1, "max_size": 2, "timeout": 3}
BROKEN = "Развалено обаждане"
CUT_SHORT = "Експортът е прекъснат от грешка: файлът е непълен."


@pytest.fixture
def small_pool():
    """PostgreSQL: two pooled connections, 3 s to wait for one (instead of 4 and 30 s)."""
    if connection.vendor != "postgresql":
        yield
        return
    options = connections.settings["default"]["OPTIONS"]
    saved = options.get("pool")
    connection.close()
    connection.close_pool()
    options["pool"] = POOL
    yield
    connection.close()
    connection.close_pool()
    options["pool"] = saved


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def _asgi_get(path: str, cookie: bytes, disconnect_after: int | None, on_piece) -> tuple[int, bytes, bool]:
    scope = http_scope("GET", path, cookie=cookie)
    gone = asyncio.Event()
    receive = request_receiver(b"", gone)
    sent: list[dict] = []

    async def send(message):
        sent.append(message)
        parts = sum(1 for m in sent if m["type"] == "http.response.body")
        if on_piece is not None and message["type"] == "http.response.body":
            on_piece(parts)
        if disconnect_after is not None and parts >= disconnect_after:
            gone.set()  # the client closes the connection after this many pieces

    await asyncio.wait_for(application(scope, receive, send), timeout=15)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    finished = sent[-1]["type"] == "http.response.body" and not sent[-1].get("more_body", False)
    return status, body, finished


def asgi_get(
    path: str, cookie: bytes, *, disconnect_after: int | None = None, on_piece=None
) -> tuple[int, bytes, bool]:
    """(status, body, finished): one GET through config.asgi, the way daphne calls it.

    ``on_piece(n)`` is called as the n-th piece of the body reaches the client; the client hangs
    up after ``disconnect_after`` pieces.
    """
    # Not async_to_sync: under it, the request's sync code would run in this (the calling)
    # thread. With a loop of its own, each request gets a sync thread of its own, as under daphne.
    return asyncio.run(_asgi_get(path, cookie, disconnect_after, on_piece))


def rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


@pytest.fixture
def cookie(user, monkeypatch):
    """Six communications, exported two rows a piece; the requests run in threads of their own."""
    monkeypatch.setattr(list_views, "EXPORT_CHUNK", 2)
    for i in range(6):
        CommunicationFactory(author=user, subject=BROKEN if i == 3 else f"Обаждане {i}")
    cookie = session_cookie(user)
    connection.close()
    return cookie


@pytest.fixture
def fragile_row(monkeypatch):
    """The row formatter fails on the communication called BROKEN (the 3rd row, newest first)."""
    row = list_views._communication_row

    def fragile(communication):
        if communication.subject == BROKEN:
            raise ValueError("a row that cannot be formatted")
        return row(communication)

    monkeypatch.setattr(list_views, "_communication_row", fragile)


def test_a_failure_mid_stream_ends_the_file_saying_it_is_incomplete(cookie, fragile_row, opened, caplog):
    with caplog.at_level(logging.ERROR, logger="crm.list_views"):
        status, body, finished = asgi_get("/communications/export.csv", cookie)

    assert (status, finished) == (200, True)  # a complete HTTP response, not a dropped connection
    header, *data = rows(body)
    assert [r[5] for r in data[:-1]] == ["Обаждане 5", "Обаждане 4"]
    assert data[-1] == [CUT_SHORT]
    [record] = caplog.records
    assert "cut short at row 3" in record.getMessage() and record.exc_info[0] is ValueError
    assert still_open(opened) == []


def test_failing_exports_keep_no_connection_and_the_next_request_is_served(small_pool, cookie, fragile_row, opened):
    """The wedge: each failed export kept its connection; on PostgreSQL the pool ran dry."""
    for _ in range(POOL["max_size"] + 2):
        # How the failed download ends is the test above's business (it used to raise): this is the leak.
        with contextlib.suppress(ValueError):
            asgi_get("/communications/export.csv", cookie)
    assert still_open(opened) == []

    status, _body, _finished = asgi_get("/communications/", cookie)
    assert status == 200


def test_a_slow_or_departed_client_keeps_no_connection(small_pool, cookie, opened):
    held_while_waiting = []

    def on_piece(n):
        held_while_waiting.append(still_open(opened))  # the client has not asked for more yet

    for _ in range(POOL["max_size"] + 2):
        _status, _body, finished = asgi_get("/communications/export.csv", cookie, disconnect_after=2, on_piece=on_piece)
        assert not finished
    assert held_while_waiting == [[]] * len(held_while_waiting)
    assert still_open(opened) == []

    status, body, finished = asgi_get("/communications/export.csv", cookie)
    assert (status, finished) == (200, True)
    assert len(rows(body)) == 1 + 6


def test_the_sync_export_ends_the_file_the_same_way(client_ivan, fragile_row, user):
    for i in range(3):
        CommunicationFactory(author=user, subject=BROKEN if i == 1 else f"Обаждане {i}")
    response = client_ivan.get("/communications/export.csv")
    data = rows(b"".join(response.streaming_content))[1:]
    assert [r[5] for r in data[:-1]] == ["Обаждане 2"]
    assert data[-1] == [CUT_SHORT]
