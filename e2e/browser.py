"""Chromium and the watch on its pages, shared by the browser tests (e2e/) and the production
check (e2e_production/). No Django here: the production check talks to real servers over HTTP."""

from __future__ import annotations

import contextlib

from playwright.sync_api import BrowserContext
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Every page of every context reports Content-Security-Policy violations to the test (the
# binding survives navigations; the listener is added before any script of the page runs).
CSP_WATCH_JS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__e2eCspViolation([
    event.effectiveDirective || event.violatedDirective,
    event.blockedURI || "inline",
    (event.sourceFile || document.location.href) + ":" + event.lineNumber,
    event.sample || "",
  ].join(" | "));
}, true);
"""


def watch_csp(context: BrowserContext, violations: list[str]) -> None:
    """Record into `violations` every CSP violation of the context's pages: the DOM event, and
    Chromium's console message (which also covers what the event may miss, e.g. a worker)."""

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            violations.append(f"console: {message.text}")

    context.on("console", on_console)
    context.expose_binding("__e2eCspViolation", lambda _source, text: violations.append(text))
    context.add_init_script(CSP_WATCH_JS)


def flush_page_events(contexts) -> None:
    """A round trip to every open page: reports the pages sent before it have been delivered."""
    for context in contexts:
        for page in context.pages:
            # A page closing or navigating meanwhile has nothing left to report.
            with contextlib.suppress(PlaywrightError):
                page.evaluate("0")
