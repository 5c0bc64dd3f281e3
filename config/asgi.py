"""ASGI entry point: HTTP through Django, websockets through Channels (one process serves both)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before anything imports models (consumers, auth middleware), as
# django.core.asgi.get_asgi_application does; its handler is replaced by one that keeps the
# requests' threads and runs the sync middleware chain and view in one hop (config/handlers.py).
django.setup(set_prefix=False)

from config.handlers import ThreadReusingASGIHandler  # noqa: E402

django_asgi_app = ThreadReusingASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.websocket import SameOriginValidator  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Origin checked as CSRF checks a POST (no cross-site socket), then the session user.
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
