"""The websocket's Origin check (config/websocket.py) through the real ASGI application and
consumer: a signed-in user's socket opens only from the site's own origin, as CSRF decides.

Plain ``django_db`` is enough: the session is read in this thread (thread-sensitive
database_sync_to_async under async_to_sync), inside the test's transaction.
"""

import pytest
from asgiref.sync import async_to_sync

from notifications.tests.ws import communicator, session_key_for

pytestmark = pytest.mark.django_db

TIMEOUT = 3
HTTPS = [(b"x-forwarded-proto", b"https")]  # set by the TLS proxy (SECURE_PROXY_SSL_HEADER)
TRUSTED = ["https://crm.example.bg"]
TRUSTED_SUBDOMAINS = ["https://*.example.bg"]

# host header, Origin header, scheme the server saw, extra headers, CSRF_TRUSTED_ORIGINS
ACCEPTED = {
    "same origin": ("testserver", "http://testserver", "ws", [], []),
    "same origin with its port": ("127.0.0.1:8000", "http://127.0.0.1:8000", "ws", [], []),
    "TLS at this server": ("localhost:8443", "https://localhost:8443", "wss", [], []),
    "TLS at the proxy": ("testserver", "https://testserver", "ws", HTTPS, []),
    "a trusted origin": ("testserver", "https://crm.example.bg", "ws", HTTPS, TRUSTED),
    "a trusted subdomain pattern": ("testserver", "https://crm.example.bg", "ws", HTTPS, TRUSTED_SUBDOMAINS),
}
REFUSED = {
    # The three: an allowed host on another port or scheme is another origin.
    "another port": ("127.0.0.1:8000", "http://127.0.0.1:9999", "ws", [], []),
    "https to an http site, odd port": ("localhost:8000", "https://localhost:1", "ws", [], []),
    "ftp": ("127.0.0.1", "ftp://127.0.0.1", "ws", [], []),
    "the port left out": ("127.0.0.1:8000", "http://127.0.0.1", "ws", [], []),
    "a port the site does not use": ("testserver", "http://testserver:8000", "ws", [], []),
    "https without TLS": ("testserver", "https://testserver", "ws", [], []),
    "http page of an https site (proxy)": ("testserver", "http://testserver", "ws", HTTPS, []),
    "http page of an https site (wss)": ("testserver", "http://testserver", "wss", [], []),
    "an underscore header is not X-Forwarded-Proto": (
        "testserver",
        "https://testserver",
        "ws",
        [(b"x_forwarded_proto", b"https")],
        [],
    ),
    "another site": ("testserver", "http://evil.example", "ws", [], []),
    "a lookalike subdomain": ("testserver", "http://testserver.evil.example", "ws", [], []),
    "a host not in ALLOWED_HOSTS": ("evil.example", "http://evil.example", "ws", [], []),
    "no Host at all": (None, "http://testserver", "ws", [], []),
    "an opaque origin": ("testserver", "null", "ws", [], []),
    "no origin": ("testserver", None, "ws", [], []),
    "two origins": ("testserver", "http://testserver", "ws", [(b"origin", b"http://evil.example")], []),
    "bytes that are no URL": ("testserver", "\xff\xfe\x00", "ws", [], TRUSTED_SUBDOMAINS),
    "a broken IPv6 literal": ("testserver", "https://[::1", "ws", [], TRUSTED_SUBDOMAINS),
    "a trusted origin over http": ("testserver", "http://crm.example.bg", "ws", [], TRUSTED),
    "a trusted origin on another port": ("testserver", "https://crm.example.bg:8443", "ws", [], TRUSTED),
    "a subdomain of a trusted origin": ("testserver", "https://evil.crm.example.bg", "ws", [], TRUSTED),
    "a subdomain pattern over http": ("testserver", "http://crm.example.bg", "ws", [], TRUSTED_SUBDOMAINS),
    "a subdomain pattern's lookalike": ("testserver", "https://example.bg.evil.com", "ws", [], TRUSTED_SUBDOMAINS),
}
CASES = [pytest.param(*case, True, id=f"accepted: {name}") for name, case in ACCEPTED.items()] + [
    pytest.param(*case, False, id=f"refused: {name}") for name, case in REFUSED.items()
]


@pytest.mark.parametrize(("host", "origin", "scheme", "headers", "trusted", "accepted"), CASES)
def test_a_signed_in_socket_opens_only_from_the_sites_own_origin(
    user, settings, host, origin, scheme, headers, trusted, accepted
):
    settings.CSRF_TRUSTED_ORIGINS = trusted
    key = session_key_for(user)

    async def scenario():
        ws = communicator(session_key=key, host=host, origin=origin, scheme=scheme, headers=headers)
        ok, _ = await ws.connect(timeout=TIMEOUT)
        if ok:
            assert 'id="notification-bell-count"' in await ws.receive_from(timeout=TIMEOUT)
            await ws.disconnect()
        return ok

    assert async_to_sync(scenario)() is accepted
