"""The README's production layout, in a browser: DEBUG=0, PostgreSQL, Redis, collected static
files served by WhiteNoise, gunicorn's sync workers for the pages and daphne for the websockets
behind nginx (started by `.ci/production`).

Through the proxy an employee logs in with the real login form and opens the dashboard, a
thread, both lists and an error page; an administrator opens the admin. Every page must load its
hashed static files (CSS applied, htmx and Bootstrap running, icon font loaded) with no console
error, no CSP violation and no failed request. A task created through gunicorn reaches a
colleague's browser connected to daphne (the Redis channel layer); a file of several megabytes
goes up and comes back whole (the proxy's body limit and buffering).
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

HASHED_STATIC = re.compile(r"^/static/.+\.[0-9a-f]{12}\.(css|js)$")
LIVE_BUDGET_MS = 5000


def log_in(page: Page, who, *, next_path: str = "/") -> None:
    """Through the login form, as a person would (CSRF cookie and token, session cookie)."""
    page.goto(next_path)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", who.username)
    page.fill("#id_password", who.password)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + r"$"))


def assert_static_served(page: Page) -> None:
    """The page links hashed files from the manifest, WhiteNoise serves them for good, and they
    took effect: Bootstrap's CSS and JS, htmx, the icon font."""
    links = page.evaluate(
        "Array.from(document.querySelectorAll('link[rel=stylesheet], script[src]'))"
        ".map((el) => new URL(el.href || el.src).pathname)"
    )
    assert links, f"{page.url} links no static file"
    for path in links:
        assert HASHED_STATIC.match(path), f"{path} is not a hashed static name (no manifest?)"
    response = page.request.get(links[0], headers={"Accept-Encoding": "gzip"})
    assert response.ok
    assert "immutable" in response.headers["cache-control"], response.headers
    assert response.headers.get("content-encoding") == "gzip", response.headers
    # Bootstrap's stylesheet applied (body.bg-body-tertiary), its JS and htmx loaded.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(248, 249, 250)"
    assert page.evaluate("typeof window.htmx === 'object' && typeof window.bootstrap === 'object'")
    page.wait_for_function(
        "Array.from(document.fonts).some((f) => f.family.includes('bootstrap-icons') && f.status === 'loaded')"
    )
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).ok


def test_an_employee_works_through_the_proxy(open_context, proxy, employee):
    page = open_context(proxy).new_page()
    log_in(page, employee)
    expect(page.locator("h1")).to_be_visible()
    assert_static_served(page)
    expect(page.locator("body")).to_have_attribute("data-socket", "open", timeout=10_000)

    page.goto("/threads/")
    hrefs = page.locator("main a").evaluate_all("(links) => links.map((a) => a.getAttribute('href'))")
    threads = [href for href in hrefs if href and re.fullmatch(r"/threads/\d+/", href)]
    assert threads, "the seeded demo has no thread"
    page.goto(threads[0])
    expect(page.locator(".timeline-item").first).to_be_visible()
    assert_static_served(page)

    for path, table in [("/communications/", "#communication-table"), ("/tasks/", "#task-table")]:
        page.goto(path)
        expect(page.locator(f"{table} tbody tr[data-id]").first).to_be_visible()
        assert_static_served(page)

    missing = proxy + "/no-such-page/"
    page.context.expected_statuses[missing] = 404
    assert page.goto(missing).status == 404
    assert_static_served(page)  # the error page keeps the site's look

    favicon = page.request.get("/favicon.ico")
    assert favicon.ok and favicon.headers["content-type"] in {"image/x-icon", "image/vnd.microsoft.icon"}


def test_the_admin_through_the_proxy(open_context, proxy, admin):
    page = open_context(proxy).new_page()
    log_in(page, admin)
    page.goto("/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    links = page.evaluate("Array.from(document.querySelectorAll('link[rel=stylesheet]')).map((l) => l.href)")
    assert any(re.search(r"/static/admin/css/base\.[0-9a-f]{12}\.css$", link) for link in links), links
    # The admin's stylesheet applied: its header bar is coloured.
    assert page.evaluate("getComputedStyle(document.getElementById('header')).backgroundColor") != "rgba(0, 0, 0, 0)"
    page.goto("/admin/crm/thread/")
    expect(page.locator("#result_list tbody tr").first).to_be_visible()


def test_a_task_created_through_gunicorn_reaches_a_colleague_on_daphne(open_context, proxy, employee, colleague):
    watcher = open_context(proxy).new_page()
    log_in(watcher, colleague)
    expect(watcher.locator("body")).to_have_attribute("data-socket", "open", timeout=10_000)
    before = int(watcher.locator("#notification-bell-count").get_attribute("data-count"))
    colleague_name = watcher.locator("#user-menu").inner_text().strip()  # as the assignee list shows it

    actor = open_context(proxy).new_page()
    log_in(actor, employee, next_path="/tasks/new/")
    subject = f"Проверка между процесите {time.time():.0f}"
    actor.fill("#id_subject", subject)
    # The assignee picker's type-ahead (crm.widgets.EmployeePicker): type a part, click the name.
    actor.locator("#id_assignee-search").press_sequentially(colleague_name.split()[-1][:4], delay=40)
    actor.locator(f'[data-employee-name="{colleague_name}"]').first.click()
    actor.locator("#task-form button[type=submit]").click()
    actor.wait_for_url(re.compile(r"/threads/\d+/"))

    expect(watcher.locator("#notification-bell-count")).to_have_attribute(
        "data-count", str(before + 1), timeout=LIVE_BUDGET_MS
    )
    expect(watcher.locator("#toasts .notification-toast")).to_contain_text(subject)


def padded_pdf(path, size: int):
    """A PDF of about `size` bytes: a real header and trailer around a comment of filler."""
    head, tail = b"%PDF-1.4\n", b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    path.write_bytes(head + b"%" + b"0" * (size - len(head) - len(tail) - 1) + tail)
    return path


def test_a_large_attachment_goes_up_and_down_through_the_proxy(open_context, proxy, employee, tmp_path):
    """nginx refuses a body over 1 MB unless told otherwise (client_max_body_size)."""
    size = 6 * 1024 * 1024
    pdf = padded_pdf(tmp_path / "Договор-сканиран.pdf", size)
    page = open_context(proxy).new_page()
    log_in(page, employee, next_path="/threads/")
    hrefs = page.locator("main a").evaluate_all("(links) => links.map((a) => a.getAttribute('href'))")
    page.goto(next(href for href in hrefs if href and re.fullmatch(r"/threads/\d+/", href)))
    page.locator("#add-communication").click()
    form = page.locator("#inline-form #communication-form")
    expect(form).to_be_visible()
    subject = f"Сканиран договор {time.time():.0f}"
    form.locator("label[for=direction-in]").click()
    form.locator("label[for=channel-phone]").click()
    form.locator("#id_subject").fill(subject)
    form.locator("#id_counterparty_name").fill("Бета ООД")  # the thread may have none (an internal one)
    form.locator("#id_attachments").set_input_files(str(pdf))
    form.locator("button[type=submit]").click()

    item = page.locator("#timeline li[data-kind=communication]", has_text=subject)
    chip = item.locator("a.file-chip", has_text="Договор-сканиран.pdf")
    expect(chip).to_be_visible(timeout=15_000)
    download = page.request.get(chip.get_attribute("href"))
    assert download.ok, download.status
    assert len(download.body()) == size
