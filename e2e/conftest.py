"""Fixtures of the browser tests: Debian Chromium, one live Daphne server per session, logins.

Every test here runs under `transactional_db` (autouse below): the server is another process and
only sees committed rows. Run with `make e2e` (DJANGO_ALLOW_ASYNC_UNSAFE=true pytest -q e2e).
"""

import os

# Playwright's sync API runs an asyncio loop in the main thread: without this, every ORM call
# of a test (factories, force_login) raises SynchronousOnlyOperation. The server process drops
# it again (e2e/server.py), so consumers stay checked.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import pytest  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from e2e import helpers  # noqa: E402
from e2e.browser import CHROMIUM, CHROMIUM_ARGS, flush_page_events, watch_csp  # noqa: E402
from e2e.server import HOST, LiveServer, wait_for_server_db_sessions_to_end  # noqa: E402

# An expectation waits up to 10 s, not Playwright's 5: CI runs the suites on two cores beside
# PostgreSQL and the workers, and an htmx round trip of a list page took over 5 s there under
# load (e2e/test_list_columns.py's type-ahead, a URL that changed a moment later). What is
# expected is unchanged; only how long a slow machine may take to show it.
expect.set_options(timeout=10_000)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "allow_page_errors: the test expects uncaught JS errors or HTTP 5xx responses in the browser",
    )


def _is_e2e(item):
    return "/e2e/" in str(item.path).replace(os.sep, "/")


def pytest_collection_modifyitems(config, items):
    browser_tests = [item for item in items if _is_e2e(item)]
    if browser_tests and len(browser_tests) != len(items):
        # This conftest sets DJANGO_ALLOW_ASYNC_UNSAFE and Playwright leaves an event loop in the
        # main thread: unit tests in the same process would pass or fail for the wrong reasons.
        raise pytest.UsageError("Run the browser tests in their own pytest process: `pytest e2e` (make e2e).")
    # Everything under e2e/ is a browser test, whether or not its module says so.
    for item in browser_tests:
        item.add_marker(pytest.mark.e2e)


# --- database ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """PostgreSQL: a test database of its own, so a unit-test run started meanwhile (which uses
    `test_<name>`) cannot drop it under the live server. SQLite already gets a per-process file
    from config/settings_test.py."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("sqlite3"):
        test = db.setdefault("TEST", {})
        base = test.get("NAME") or f"test_{db['NAME']}"
        test["NAME"] = f"{base}_e2e_{os.getpid()}"[:63]


@pytest.fixture(autouse=True)
def _e2e_transactional_db(transactional_db):
    """Committed rows for the server process; flushed after each test."""


# --- live server ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def asgi_live_server(django_db_setup, django_db_blocker):
    """The project's ASGI application (HTTP + websockets + static files) in a Daphne process.

    Not pytest-django's `live_server` (WSGI only, no websockets): do not use that one here.
    Started once the test database exists and with the DB blocker lifted, so the forked server
    inherits an unblocked ORM pointing at the test database.
    """
    from django.conf import settings
    from django.db import connection
    from django.http.request import validate_host

    if not validate_host(HOST, settings.ALLOWED_HOSTS):
        # Requests and AllowedHostsOriginValidator (websockets) would refuse the live server.
        raise pytest.UsageError(f"{HOST} must be in ALLOWED_HOSTS for the browser tests")
    with django_db_blocker.unblock():
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            raise pytest.UsageError("The live server is another process: the SQLite test database must be a file")
        server = LiveServer().start()
    yield server
    server.stop()
    with django_db_blocker.unblock():
        wait_for_server_db_sessions_to_end()


@pytest.fixture(scope="session")
def live_server_url(asgi_live_server):
    return asgi_live_server.url


@pytest.fixture(scope="session")
def live_server_ws_url(asgi_live_server):
    return asgi_live_server.ws_url


@pytest.fixture(scope="session", autouse=True)
def _live_server_before_browser(asgi_live_server):
    """Start (fork) the server before Playwright starts its driver and event loop: a process
    forked from one with Playwright running would inherit its pipes and a 'running' loop."""


@pytest.fixture(scope="session")
def base_url(live_server_url):
    """pytest-playwright passes this to every context: `page.goto("/threads/")` works."""
    return live_server_url


# --- browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Keeps pytest-playwright's command-line options (--headed, --slowmo); never `playwright install`.
    return {
        "headless": True,
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        # Headless Chromium asks for English otherwise; the app's default is Bulgarian anyway.
        "locale": "bg-BG",
        "timezone_id": "Europe/Sofia",
        "viewport": {"width": 1366, "height": 900},
    }


@pytest.fixture
def csp_violations():
    """The Content-Security-Policy violations the pages of this test reported (fails the test)."""
    return []


@pytest.fixture
def new_context(new_context, request, csp_violations):
    """pytest-playwright's context factory, plus a watch on every page of every context:
    an uncaught JS error or an HTTP 5xx response fails the test (unless marked
    `allow_page_errors`), and so does any Content-Security-Policy violation (always).
    Covers `page`, `context` and extra contexts for second users."""
    problems = []

    def on_response(response):
        if response.status >= 500:
            problems.append(f"HTTP {response.status} {response.request.method} {response.url}")

    contexts = []

    def factory(**kwargs):
        context = new_context(**kwargs)
        contexts.append(context)
        context.on("weberror", lambda error: problems.append(f"uncaught JS error: {error.error}"))
        context.on("response", on_response)
        watch_csp(context, csp_violations)
        return context

    yield factory
    flush_page_events(contexts)
    if csp_violations:
        pytest.fail("Content-Security-Policy violations:\n  " + "\n  ".join(csp_violations), pytrace=False)
    if problems and request.node.get_closest_marker("allow_page_errors") is None:
        pytest.fail("The browser saw errors:\n  " + "\n  ".join(problems), pytrace=False)


# --- users and logins -------------------------------------------------------------------------


@pytest.fixture
def users():
    """Three employees with Cyrillic names; every password is "parola123"."""
    from accounts.tests.factories import UserFactory

    return {
        "ivan": UserFactory(username="ivan", first_name="Иван", last_name="Петров"),
        "maria": UserFactory(username="maria", first_name="Мария", last_name="Иванова"),
        "petar": UserFactory(username="petar", first_name="Петър", last_name="Георгиев"),
    }


@pytest.fixture
def login(live_server_url):
    """`login(context, user)`: the context's pages are signed in as `user`."""

    def _login(context, user):
        helpers.login(context, user, live_server_url)

    return _login


@pytest.fixture
def page_for(new_context, login):
    """`page_for(user)`: a page in a fresh context signed in as `user` (a second user, say)."""

    def _page_for(user):
        context = new_context()
        login(context, user)
        return context.new_page()

    return _page_for


@pytest.fixture
def screenshot():
    """`screenshot(page, "name")` saves e2e/artifacts/name.png and returns its path."""
    return helpers.save_screenshot
