"""The live ASGI server of the browser tests: Daphne + Channels in a forked process.

pytest-django's `live_server` speaks WSGI only, so websockets need this. The server is built like
channels' ChannelsLiveServerTestCase builds it (channels/testing/live.py): the project's
ASGI application (`settings.ASGI_APPLICATION`, i.e. `config.asgi.application`: HTTP through
Django, websockets through Channels) wrapped in `ASGIStaticFilesHandler`, run by
`daphne.testing.DaphneProcess` on 127.0.0.1 and a free port.

`DaphneProcess` is a `multiprocessing.Process` that relies on the `fork` start method: the child
inherits the parent's configured Django, including the test database name that pytest-django's
`django_db_setup` has written into `settings.DATABASES`. Hence, in the parent, before the fork:

- the test database must exist and the DB blocker be lifted (see `e2e/conftest.py`);
- every database connection, and psycopg's connection pool, must be closed: a socket shared by
  two processes corrupts both sides.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from pathlib import Path

from daphne.testing import DaphneProcess

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 30.0
SERVER_LOG = Path(__file__).resolve().parent / "artifacts" / "live-server.log"


class ClearProcessCaches:
    """ASGI middleware for the server process: forget per-process caches on every connection.

    The test process empties the database after each test (`transactional_db` flushes and
    re-creates content types and permissions), so ids the server cached during an earlier test
    can be stale. Content types are the cache that matters (mentions and notifications use
    generic foreign keys); clearing it costs one query per connection.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] in {"http", "websocket"}:
            from django.contrib.contenttypes.models import ContentType

            ContentType.objects.clear_cache()
        return await self.application(scope, receive, send)


def make_application():
    """Build the application inside the server process (module level, like channels' own)."""
    from channels.routing import get_default_application
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    # The whole ProtocolTypeRouter is wrapped: ASGIStaticFilesHandler serves /static/ for http
    # scopes (from the finders, so no collectstatic) and hands everything else, websockets
    # included, to the project's application untouched.
    return ClearProcessCaches(ASGIStaticFilesHandler(get_default_application()))


def _server_process_setup():
    """Runs in the server process just before it serves.

    The test process needs DJANGO_ALLOW_ASYNC_UNSAFE (Playwright's loop in the main thread); the
    server must not inherit it, or an ORM call made from async code (a consumer forgetting
    `database_sync_to_async`) would pass here and fail in production.
    """
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    # Its stderr lands in whichever test pytest is capturing at the time (and a traceback logged
    # after a test gave up is easily lost): keep the whole log in a file as well.
    SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(SERVER_LOG, mode="w", encoding="utf-8")
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)


def close_db_connections():
    """Close every connection and connection pool of this process (before a fork)."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
    for connection in connections.all():
        close_pool = getattr(connection, "close_pool", None)  # PostgreSQL with OPTIONS["pool"]
        if close_pool is not None:
            close_pool()


class LiveServer:
    """One Daphne process serving the project on 127.0.0.1 and a free port."""

    def __init__(self):
        self.process: DaphneProcess | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}"

    def start(self) -> LiveServer:
        if multiprocessing.get_start_method(allow_none=False) != "fork":
            # DaphneProcess hands the application factory and the Django state over by forking.
            multiprocessing.set_start_method("fork", force=True)
        close_db_connections()
        process = DaphneProcess(HOST, make_application, setup=_server_process_setup)
        process.daemon = True  # never outlives the test run, even if teardown is skipped
        process.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not process.ready.wait(timeout=0.2):
            if not process.is_alive() or time.monotonic() > deadline:
                if not process.errors.empty():
                    _error, detail = process.errors.get(False)
                elif process.is_alive():
                    detail = f"not listening after {STARTUP_TIMEOUT:.0f} s"
                else:
                    # Failed while building the application (an import error, say): the
                    # traceback went to the server's stderr, shown as this test's captured stderr.
                    detail = f"exit code {process.exitcode}, traceback in the captured stderr"
                process.terminate()
                raise RuntimeError(f"The live ASGI server did not start: {detail}")
        self.process = process
        self.port = process.port.value
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.process = None


def wait_for_server_db_sessions_to_end(timeout: float = 10.0) -> None:
    """PostgreSQL: wait until the stopped server's sessions are gone, so DROP DATABASE succeeds.

    This process's own pool is closed first; the count is taken from the maintenance database.
    """
    from django.db import connection

    close_db_connections()
    if connection.vendor != "postgresql":
        return
    test_database = connection.settings_dict["NAME"]
    deadline = time.monotonic() + timeout
    with connection._nodb_cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [test_database])
            (sessions,) = cursor.fetchone()
            if not sessions:
                return
            time.sleep(0.05)
