"""Helpers for browser tests; the fixtures of e2e/conftest.py wrap them."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from playwright.sync_api import BrowserContext, Page, expect

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"

# What a server error page of Django's debug views, or a leaked exception, would contain.
TRACEBACK_MARKERS = ("Traceback (most recent call last)", "Exception Value", "Request Method:")


def login(context: BrowserContext, user, base_url: str) -> None:
    """Sign `user` in for every page of `context`: a real session row plus its cookie.

    `Client().force_login` writes the session through the session engine (committed: the tests
    run under `transactional_db`, so the server process sees it).
    """
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie.value,
                "url": base_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )


def wait_for_socket(page: Page, timeout: float = 10_000) -> None:
    """Wait until the page's notification websocket is open (static/js/app.js sets the marker)."""
    expect(page.locator("body")).to_have_attribute("data-socket", "open", timeout=timeout)


def assert_no_traceback(page: Page) -> None:
    content = page.content()
    for marker in TRACEBACK_MARKERS:
        assert marker not in content, f"{page.url} shows a traceback ({marker!r})"


def save_screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of the page to e2e/artifacts/<name>.png (gitignored) for a person to look at."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "page"
    path = ARTIFACTS_DIR / f"{safe}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def path_of(page: Page) -> str:
    return urlparse(page.url).path


# A raw websocket in the page: resolves with what happened (opened?, frames received, close code).
# Resolves as soon as a frame contains `waitFor`, on close, or after `timeoutMs`.
WEBSOCKET_PROBE_JS = """
async ({url, send, waitFor, timeoutMs}) => new Promise((resolve) => {
  const result = {opened: false, messages: [], closeCode: null, timedOut: false};
  const ws = new WebSocket(url);
  const finish = () => { clearTimeout(timer); resolve(result); };
  const timer = setTimeout(() => {
    result.timedOut = true;
    try { ws.close(); } catch (e) {}
    resolve(result);
  }, timeoutMs);
  ws.onopen = () => { result.opened = true; if (send !== null) ws.send(send); };
  ws.onmessage = (event) => {
    result.messages.push(String(event.data));
    if (waitFor !== null && String(event.data).includes(waitFor)) { ws.close(); finish(); }
  };
  ws.onclose = (event) => { result.closeCode = event.code; finish(); };
})
"""


def probe_websocket(page: Page, url: str, *, send: str | None = None, wait_for: str | None = None, timeout_ms=5000):
    return page.evaluate(WEBSOCKET_PROBE_JS, {"url": url, "send": send, "waitFor": wait_for, "timeoutMs": timeout_ms})


def run_in_thread(function, *args, **kwargs):
    """Run `function` in a worker thread and return its result (or raise its exception).

    Playwright's sync API keeps an event loop in the main thread, so `async_to_sync` fails there
    (STACK-NOTES pitfall 3). The worker closes its own database connections when done.
    """
    from django.db import connections

    outcome = {}

    def target():
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as error:  # re-raised in the calling thread
            outcome["error"] = error
        finally:
            connections.close_all()

    worker = threading.Thread(target=target, name="e2e-worker")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def channel_layer_is_shared() -> bool:
    """True when the channel layer crosses processes (Redis): the test process can then reach
    the live server's consumers. The in-memory layer cannot (STACK-NOTES pitfall 4)."""
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    return not backend.endswith("InMemoryChannelLayer")


def group_send(group: str, message: dict) -> None:
    """`channel_layer.group_send` from the test process (needs the Redis layer to arrive)."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    def send():
        async_to_sync(get_channel_layer().group_send)(group, message)

    run_in_thread(send)


def pick_employee(scope, field_id: str, user) -> None:
    """Type a part of the employee's name into an employee picker (crm.widgets.EmployeePicker) as a
    person would and click their suggestion; the hidden select then holds their id."""
    box = scope.locator(f"#{field_id}-search")
    box.click()
    box.press_sequentially(user.last_name[:4], delay=40)
    scope.locator(f'[data-employee-pick="{user.pk}"]').click()
    expect(box).to_have_value(str(user))
    expect(scope.locator(f"#{field_id}")).to_have_value(str(user.pk))
