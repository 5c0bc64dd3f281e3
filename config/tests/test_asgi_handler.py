"""The HTTP side of config.asgi (config/handlers.py) as daphne calls it: every kind of answer is
Django's — pages, redirects to the login page, CSRF refusals, error pages, the login itself —
each request gives its database connection back, and requests reuse the thread (and so the
connection wrapper and its compiled queries) of earlier ones instead of a new thread each."""

import asyncio
import re
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from accounts import backends
from config.asgi import application  # imported once, early: it runs django.setup() (logging)
from config.tests.asgi_scope import http_scope, request_receiver, still_open

pytestmark = pytest.mark.django_db(transaction=True)  # the requests' threads see committed rows


async def _call(method: str, path: str, cookie: str, body: bytes, headers: list) -> tuple[int, dict, bytes]:
    scope = http_scope(method, path, cookie=cookie.encode(), headers=headers)
    done = asyncio.Event()
    receive = request_receiver(body, done)
    sent: list[dict] = []

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await asyncio.wait_for(application(scope, receive, send), timeout=15)
    start = next(m for m in sent if m["type"] == "http.response.start")
    response_headers: dict[str, list[str]] = {}
    for name, value in start["headers"]:
        response_headers.setdefault(name.decode().lower(), []).append(value.decode("latin-1"))
    return start["status"], response_headers, b"".join(m.get("body", b"") for m in sent[1:])


def asgi(method: str, path: str, *, cookie: str = "", body: bytes = b"", headers: list | None = None):
    """(status, headers, body) of one request through config.asgi, in an event loop of its own."""
    return asyncio.run(_call(method, path, cookie, body, headers or []))


@pytest.fixture
def cookie(user) -> str:
    client = Client()
    client.force_login(user)
    connection.close()
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _signed_in_page(cookie):
    status, headers, body = asgi("GET", "/notifications/settings/", cookie=cookie)
    assert status == 200 and b'id="notification-socket"' in body  # the layout, signed in
    assert "default-src 'self'" in headers["content-security-policy"][0]


def _anonymous_page(cookie):
    status, headers, _body = asgi("GET", "/tasks/")
    assert status == 302 and headers["location"] == ["/accounts/login/?next=/tasks/"]


def _htmx_anonymous_fragment(cookie):
    status, headers, _body = asgi("GET", "/tasks/", headers=[(b"hx-request", b"true")])
    assert status == 204 and headers["hx-redirect"] == ["/accounts/login/?next=/tasks/"]


def _post_without_csrf_token(cookie):
    status, _headers, _body = asgi(
        "POST",
        "/notifications/mark-all-read/",
        cookie=cookie,
        body=b"next=/",
        headers=[(b"content-type", b"application/x-www-form-urlencoded")],
    )
    assert status == 403


def _unknown_page(cookie):
    status, _headers, body = asgi("GET", "/no-such-page/", cookie=cookie)
    assert status == 404 and b'<html lang="bg">' in body


def _login_through_the_form(cookie):
    status, headers, body = asgi("GET", "/accounts/login/")
    assert status == 200
    csrf_cookie = next(c for c in headers["set-cookie"] if c.startswith("csrftoken=")).split(";")[0]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    status, headers, _body = asgi(
        "POST",
        "/accounts/login/",
        cookie=csrf_cookie,
        body=b"csrfmiddlewaretoken=" + token + b"&username=ivan&password=parola123",
        headers=[(b"content-type", b"application/x-www-form-urlencoded"), (b"referer", b"http://testserver/")],
    )
    assert status == 302 and headers["location"] == ["/"]
    session = next(c for c in headers["set-cookie"] if c.startswith(f"{settings.SESSION_COOKIE_NAME}="))
    status, _headers, _body = asgi("GET", "/notifications/settings/", cookie=session.split(";")[0])
    assert status == 200


ANSWERS = [
    _signed_in_page,
    _anonymous_page,
    _htmx_anonymous_fragment,
    _post_without_csrf_token,
    _unknown_page,
    _login_through_the_form,
]


@pytest.mark.parametrize("answer", ANSWERS, ids=[fn.__name__.strip("_") for fn in ANSWERS])
def test_each_answer_is_djangos_and_gives_its_connection_back(user, cookie, opened, answer):
    answer(cookie)
    assert still_open(opened) == []


def test_a_failing_view_gets_the_error_page_and_gives_its_connection_back(user, cookie, opened, monkeypatch):
    from notifications import urls

    pattern = next(p for p in urls.urlpatterns if p.name == "settings")
    monkeypatch.setattr(pattern, "callback", lambda request: 1 / 0)
    status, _headers, body = asgi("GET", "/notifications/settings/", cookie=cookie)
    assert status == 500 and b"<html" in body
    assert still_open(opened) == []


def test_later_requests_reuse_the_thread_and_its_compiled_queries(user, cookie, opened):
    compiled_before = {id(wrapper) for wrapper in list(backends._USER._plans)}
    for _ in range(5):
        _signed_in_page(cookie)
    used = [(thread, wrapper) for thread, wrapper in opened if thread is not threading.main_thread()]
    assert len(used) == 5  # five requests, five connections (each given back at its end)…
    assert len({thread for thread, _w in used}) == 1  # …in one thread
    (wrapper,) = {wrapper for _t, wrapper in used}  # …through one connection wrapper
    # The user's query compiled for that wrapper once, not once per request (config.compiled).
    assert wrapper in backends._USER._plans
    assert len([w for w in list(backends._USER._plans) if id(w) not in compiled_before]) <= 1


def test_requests_in_flight_together_run_in_threads_of_their_own(user, cookie, monkeypatch):
    """As with Django's handler, a slow page does not hold up the others: two requests are in
    their views at the same time (each waits for the other at a barrier; one thread for both
    would break it after its timeout and answer 500)."""
    from notifications import urls

    barrier = threading.Barrier(2, timeout=5)
    threads = []
    pattern = next(p for p in urls.urlpatterns if p.name == "settings")
    view = pattern.callback

    def meeting(request):
        threads.append(threading.current_thread())
        barrier.wait()
        return view(request)

    monkeypatch.setattr(pattern, "callback", meeting)

    async def both():
        return await asyncio.gather(*(_call("GET", "/notifications/settings/", cookie, b"", []) for _ in range(2)))

    answers = asyncio.run(both())
    assert [status for status, _h, _b in answers] == [200, 200]
    assert len(set(threads)) == 2
