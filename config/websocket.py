"""The websocket's Origin check: a socket is accepted from the site's own pages only, by the rule
CSRF applies to a POST (django.middleware.csrf.CsrfViewMiddleware, Origin verification).

channels' AllowedHostsOriginValidator compared the Origin's host with ALLOWED_HOSTS and nothing
else, so any scheme and port of an allowed host passed (``http://127.0.0.1:9999``,
``https://localhost:1``, ``ftp://127.0.0.1``). Here the Origin must be exactly the socket's own
origin — ``ws`` → ``http``, ``wss`` → ``https`` (or X-Forwarded-Proto through
SECURE_PROXY_SSL_HEADER), and the Host header with its port, which must be in ALLOWED_HOSTS — or
one of CSRF_TRUSTED_ORIGINS (``*.`` subdomain patterns included).
"""

import logging
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.utils.http import is_same_domain

logger = logging.getLogger(__name__)


class HandshakeRequest(HttpRequest):
    """The websocket handshake seen as a Django request, so that ``get_host()`` and
    ``is_secure()`` apply ALLOWED_HOSTS, USE_X_FORWARDED_HOST and SECURE_PROXY_SSL_HEADER exactly
    as they do for a page. Headers become META as in django.core.handlers.asgi.ASGIRequest."""

    def __init__(self, scope):
        super().__init__()
        self._secure_transport = scope.get("scheme") == "wss"
        server = scope.get("server") or ("unknown", "0")
        self.META = {"SERVER_NAME": str(server[0]), "SERVER_PORT": str(server[1])}
        for raw_name, raw_value in scope.get("headers", ()):
            name = raw_name.decode("latin1")
            if "_" in name:  # X_Forwarded_Proto must not pass for X-Forwarded-Proto (CVE-2015-0219)
                continue
            key = "HTTP_" + name.upper().replace("-", "_")
            value = raw_value.decode("latin1")
            self.META[key] = f"{self.META[key]},{value}" if key in self.META else value

    def _get_scheme(self):
        return "https" if self._secure_transport else "http"


def origin_allowed(scope) -> bool:
    origins = [value for name, value in scope.get("headers", ()) if name.lower() == b"origin"]
    if len(origins) != 1:
        return False  # none (not a browser page), or several (ambiguous)
    origin = origins[0].decode("latin1")
    request = HandshakeRequest(scope)
    try:
        host = request.get_host()  # the socket is served only on an allowed host
    except DisallowedHost:
        return False
    if origin == f"{request.scheme}://{host}":
        return True
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in {entry for entry in trusted if "*" not in entry}:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    return any(
        parsed.scheme == pattern.scheme and is_same_domain(parsed.netloc, pattern.netloc.lstrip("*"))
        for pattern in (urlsplit(entry) for entry in trusted if "*" in entry)
    )


class SameOriginValidator:
    """ASGI middleware in front of the websocket routes: a foreign Origin is refused at the
    handshake (HTTP 403), before the session is even read."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator only handles websockets")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        origin = next((value for name, value in scope.get("headers", ()) if name == b"origin"), b"")
        # As CSRF failures are: a proxy that drops the Host's port or X-Forwarded-Proto shows here.
        logger.warning("Websocket refused: Origin %r is not the site's own", origin[:200].decode("latin1"))
        return await WebsocketDenier()(scope, receive, send)
