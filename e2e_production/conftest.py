"""The production check's fixtures: real servers named by the environment, Debian Chromium.

Run by `.ci/production`, which starts the README's production layout and sets:

- CRM_PROD_URL: the base URL of the proxy (nginx, in front of gunicorn and daphne);
- CRM_PROD_EMPLOYEE, CRM_PROD_COLLEAGUE, CRM_PROD_ADMIN: `username:password` of two employees
  and a superuser.

Without them this directory has nothing to test and says so: a usage error, never a pass. It is
outside `e2e/` (the browser suite's live-server fixtures must not start here) and outside
pytest.ini's testpaths, so neither `pytest` nor `pytest e2e` collects it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from e2e.browser import CHROMIUM, CHROMIUM_ARGS, flush_page_events, watch_csp

REQUIRED = ["CRM_PROD_URL", "CRM_PROD_EMPLOYEE", "CRM_PROD_COLLEAGUE", "CRM_PROD_ADMIN"]


@dataclass(frozen=True)
class Login:
    username: str
    password: str


def pytest_configure(config):
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        raise pytest.UsageError(
            f"e2e_production checks running servers: set {', '.join(missing)} (.ci/production does)."
        )


def login_from_env(name: str) -> Login:
    username, _, password = os.environ[name].partition(":")
    if not username or not password:
        raise pytest.UsageError(f"{name} must be username:password")
    return Login(username, password)


@pytest.fixture(scope="session")
def proxy() -> str:
    return os.environ["CRM_PROD_URL"].rstrip("/")


@pytest.fixture(scope="session")
def employee() -> Login:
    return login_from_env("CRM_PROD_EMPLOYEE")


@pytest.fixture(scope="session")
def colleague() -> Login:
    return login_from_env("CRM_PROD_COLLEAGUE")


@pytest.fixture(scope="session")
def admin() -> Login:
    return login_from_env("CRM_PROD_ADMIN")


@pytest.fixture(scope="session")
def base_url():
    """None: each context is given the proxy's URL (pytest-base-url's own fixture is not wanted)."""
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {"headless": True, **browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "bg-BG", "timezone_id": "Europe/Sofia"}


@pytest.fixture
def open_context(new_context):
    """`open_context(base_url)`: a fresh browser context whose pages must show no
    console error, no uncaught JS error, no CSP violation and no failed response (>= 400) but
    those a test declares with `context.expected_statuses[url] = status`."""
    contexts, problems, violations = [], [], []

    def factory(base_url: str):
        context = new_context(base_url=base_url)
        context.expected_statuses = {}
        contexts.append(context)

        def on_response(response):
            if response.status >= 400 and context.expected_statuses.get(response.url) != response.status:
                problems.append(f"HTTP {response.status} {response.request.method} {response.url}")

        def on_console(message):
            # A declared error response is also logged as "Failed to load resource" for its URL.
            if message.type == "error" and message.location.get("url") not in context.expected_statuses:
                problems.append(f"console error on {message.location.get('url')}: {message.text}")

        context.on("response", on_response)
        context.on("console", on_console)
        context.on("weberror", lambda error: problems.append(f"uncaught JS error: {error.error}"))
        watch_csp(context, violations)
        return context

    yield factory
    flush_page_events(contexts)
    found = [f"CSP: {v}" for v in violations] + problems
    if found:
        pytest.fail("The browser saw problems:\n  " + "\n  ".join(found), pytrace=False)
