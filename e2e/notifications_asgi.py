"""The ASGI application of an extra live server process (see e2e/notifications_servers.py).

Run by the `daphne` command in a fresh interpreter, never imported by the tests: the test
process hands over the test database's name and the channel layer in the environment, because
a fresh process would otherwise compute its own (config/settings_test.py names the SQLite file
and the Redis prefix after the process id).
"""

import json
import os

# Like e2e/server.py's forked server: no async-unsafe escape hatch in the server process.
os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")

from django.conf import settings  # noqa: E402

settings.DATABASES["default"]["NAME"] = os.environ["E2E_DATABASE_NAME"]
settings.CHANNEL_LAYERS = json.loads(os.environ["E2E_CHANNEL_LAYERS"])

import django  # noqa: E402

django.setup()

from e2e.server import make_application  # noqa: E402

application = make_application()
