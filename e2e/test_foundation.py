"""The foundation in a real browser: login/logout, redirects, error pages, the live websocket."""

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import (
    assert_no_traceback,
    path_of,
    probe_websocket,
    wait_for_socket,
)

pytestmark = pytest.mark.e2e

LOGIN_PATH = "/accounts/login/"
LOGIN_FORM = "form:has(#id_username)"
WS_PATH = "/ws/notifications/"
# Translated text: starts with a Cyrillic word (English fallbacks start with a Latin letter).
CYRILLIC = re.compile(r"^\W*[А-Яа-яЁё]")


def submit_login(page, username, password):
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator(f"{LOGIN_FORM} button[type=submit]").click()


def test_login_page_renders_with_static_files(page, screenshot):
    response = page.goto(LOGIN_PATH)

    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "bg")
    expect(page.locator("#id_username")).to_be_visible()
    expect(page.locator("#id_password")).to_be_visible()
    expect(page.locator("label[for=id_username]")).to_be_visible()
    expect(page.locator("label[for=id_password]")).to_be_visible()
    expect(page.locator(f"{LOGIN_FORM} button[type=submit]")).to_be_visible()
    expect(page.locator("#id_username")).to_be_focused()  # autofocus
    # The language switch offers both languages, the current one (Bulgarian) in bold.
    expect(page.locator("button[name=language][value=bg]")).to_have_text("Български")
    expect(page.locator("button[name=language][value=bg]")).to_have_class(re.compile(r"\bfw-bold\b"))
    expect(page.locator("button[name=language][value=en]")).to_have_text("English")
    # Static files come from the live server: Bootstrap styles the button, htmx is loaded.
    colour = page.eval_on_selector(f"{LOGIN_FORM} .btn-primary", "el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(13, 110, 253)"
    assert page.evaluate("typeof htmx === 'object' && typeof bootstrap === 'object'")
    # No navbar (and so no websocket) for anonymous visitors.
    expect(page.locator("#user-menu")).to_have_count(0)
    expect(page.locator("body")).to_have_attribute("data-socket", "closed")

    screenshot(page, "login")


def test_login_page_dashboard_and_errors_are_in_bulgarian(page, users, login):
    page.goto(LOGIN_PATH)
    expect(page).to_have_title("Вход · CRM")
    expect(page.locator("label[for=id_username]")).to_have_text("Потребителско име")
    expect(page.locator("label[for=id_password]")).to_have_text("Парола")
    expect(page.locator(f"{LOGIN_FORM} button[type=submit]")).to_have_text("Вход")
    expect(page.locator(".login-card p").first).to_have_text(CYRILLIC)
    submit_login(page, "ivan", "wrong-password")
    expect(page.locator("#login-error")).to_have_text(CYRILLIC)

    login(page.context, users["ivan"])
    page.goto("/")
    expect(page.locator("#my-tasks-title")).to_have_text("Моите отворени задачи")
    expect(page.locator("#my-comms-title")).to_have_text("Комуникации, възложени на мен")
    expect(page.locator("#recent-threads-title")).to_have_text("Нишки с последна активност")
    expect(page.locator("#main-nav .nav-link").first).to_have_text("Нишки")
    expect(page.locator("#logout-button")).to_have_text("Изход")
    # Whatever else the dashboard says is translated too: no English words left in the main area.
    for text in page.locator("main h1, main h2, main .btn, main .list-group-item").all_inner_texts():
        assert not re.search(r"\b[A-Za-z]{3,}\b", text.replace("CRM", "")), text

    page.goto("/no-such-page/")
    expect(page.locator("main h1")).to_have_text("Страницата не е намерена")


def test_bad_login_shows_an_error_and_no_traceback(page, users):
    page.goto(LOGIN_PATH)
    submit_login(page, "ivan", "wrong-password")

    expect(page.locator("#login-error")).to_be_visible()
    expect(page.locator("#login-error")).not_to_be_empty()
    assert path_of(page) == LOGIN_PATH
    expect(page.locator("#id_username")).to_have_value("ivan")
    expect(page.locator("#id_password")).to_have_value("")
    assert_no_traceback(page)


def test_five_wrong_passwords_lock_the_login_and_the_page_says_why_in_bulgarian(page, users, screenshot):
    page.goto(LOGIN_PATH)
    for _ in range(5):
        submit_login(page, "ivan", "wrong-password")
        expect(page.locator("#login-error")).to_be_visible()
    locked = "Твърде много неуспешни опити за вход. Опитайте отново след 15 минути."
    expect(page.locator("#login-error")).to_have_text(locked)

    submit_login(page, "ivan", "parola123")  # the right password, too late

    expect(page.locator("#login-error")).to_have_text(locked)
    assert path_of(page) == LOGIN_PATH
    expect(page.locator("#id_username")).to_have_value("ivan")
    expect(page.locator("#user-menu")).to_have_count(0)
    assert_no_traceback(page)
    screenshot(page, "login-locked-out")


def test_form_login_lands_on_dashboard_and_logout_returns_to_login(page, users, live_server_url, screenshot):
    page.goto("/")
    # Anonymous: to the login page, remembering where to go next.
    expect(page).to_have_url(f"{live_server_url}{LOGIN_PATH}?next=/")

    submit_login(page, "ivan", "parola123")

    expect(page).to_have_url(f"{live_server_url}/")
    for section in ("#my-tasks", "#my-communications", "#recent-threads"):
        expect(page.locator(section)).to_be_visible()
    expect(page.locator("#user-menu")).to_contain_text("Иван Петров")
    expect(page.locator("h1")).to_contain_text("Иван")
    wait_for_socket(page)
    assert_no_traceback(page)
    screenshot(page, "dashboard")

    page.locator("#user-menu").click()
    expect(page.locator("#logout-button")).to_be_visible()
    page.locator("#logout-button").click()

    expect(page).to_have_url(f"{live_server_url}{LOGIN_PATH}")
    expect(page.locator("#id_username")).to_be_visible()
    expect(page.locator("#user-menu")).to_have_count(0)

    page.goto("/")
    expect(page).to_have_url(f"{live_server_url}{LOGIN_PATH}?next=/")


def test_anonymous_request_to_threads_redirects_to_login(page, live_server_url):
    # The raw answer: a redirect, not a page rendered for nobody.
    response = page.request.get("/threads/", max_redirects=0)
    assert response.status == 302
    assert response.headers["location"] == f"{LOGIN_PATH}?next=/threads/"

    page.goto("/threads/")
    expect(page).to_have_url(f"{live_server_url}{LOGIN_PATH}?next=/threads/")
    expect(page.locator("#id_username")).to_be_visible()


def test_unknown_url_shows_the_404_page(page, users, login, screenshot):
    response = page.goto("/no-such-page/")
    assert response.status == 404
    assert_no_traceback(page)
    expect(page.locator("main h1")).to_be_visible()

    # Signed in: the same page inside the app's layout, also for a record that does not exist.
    login(page.context, users["ivan"])
    for url in ("/no-such-page/", "/threads/999999/"):
        response = page.goto(url)
        assert response.status == 404, url
        assert_no_traceback(page)
        expect(page.locator("main h1")).to_be_visible()
        expect(page.locator("#user-menu")).to_be_visible()
    screenshot(page, "not-found")


def test_websocket_ping_round_trip_through_the_htmx_socket(page, users, login):
    login(page.context, users["ivan"])
    page.goto("/")
    wait_for_socket(page)

    # Record what reaches htmx's ws extension, then send a frame through it (ws-send).
    page.evaluate(
        """() => {
          window.e2eFrames = [];
          window.e2eOobMisses = [];
          document.body.addEventListener("htmx:wsAfterMessage", (e) => window.e2eFrames.push(e.detail.message));
          document.body.addEventListener("htmx:oobErrorNoTarget", (e) => window.e2eOobMisses.push(e.detail.target));
          const form = document.createElement("form");
          form.id = "e2e-ping";
          form.hidden = true;
          form.setAttribute("ws-send", "");
          form.innerHTML = '<input type="hidden" name="type" value="ping">'
            + '<input type="hidden" name="nonce" value="abc123">';
          document.getElementById("notification-socket").appendChild(form);
          htmx.process(form);
          form.requestSubmit();
        }"""
    )

    page.wait_for_function(
        """() => window.e2eFrames.some((frame) => frame.includes('data-nonce="abc123"'))""", timeout=10_000
    )
    # ...and htmx swapped it out of band into the page's placeholder (notifications/_bell.html).
    assert page.evaluate("window.e2eOobMisses") == []
    expect(page.locator("#socket-pong")).to_have_attribute("data-nonce", "abc123")


def test_websocket_raw_round_trip_and_catch_up_on_connect(page, users, login, live_server_ws_url):
    login(page.context, users["maria"])
    page.goto("/")  # same origin as the socket: the origin check passes

    result = probe_websocket(
        page,
        live_server_ws_url + WS_PATH,
        send='{"type": "ping", "nonce": "raw-42"}',
        wait_for='data-nonce="raw-42"',
    )

    assert result["opened"], result
    assert not result["timedOut"], result
    # First the bell, caught up from the database on connect; then the pong.
    assert 'id="notification-bell-count"' in result["messages"][0], result
    assert any('data-nonce="raw-42"' in m and 'id="socket-pong"' in m for m in result["messages"]), result


def test_a_lone_surrogate_ping_is_ignored_by_the_real_server(page, users, login, live_server_ws_url):
    """JSON may spell a lone surrogate ("\\ud800"); echoed in the pong, it made Daphne's UTF-8
    encoding raise in the consumer, which died (close 1011, and htmx reconnected in a loop)."""
    login(page.context, users["ivan"])
    page.goto("/")

    result = page.evaluate(
        """(url) => new Promise((resolve) => {
          const result = {messages: [], closeCode: null};
          const ws = new WebSocket(url);
          const timer = setTimeout(() => { ws.close(); resolve(result); }, 5000);
          ws.onopen = () => {
            ws.send('{"type": "ping", "nonce": "\\\\ud800"}');
            ws.send('{"type": "ping", "nonce": "after-surrogate"}');
          };
          ws.onmessage = (event) => {
            result.messages.push(String(event.data));
            if (String(event.data).includes("after-surrogate")) { clearTimeout(timer); ws.close(); resolve(result); }
          };
          ws.onclose = (event) => { result.closeCode = event.code; clearTimeout(timer); resolve(result); };
        })""",
        live_server_ws_url + WS_PATH,
    )

    assert result["closeCode"] is None, result  # still open when the second pong came
    pongs = [m for m in result["messages"] if 'id="socket-pong"' in m]
    assert len(pongs) == 1 and 'data-nonce="after-surrogate"' in pongs[0], result


def test_anonymous_websocket_is_refused(page, live_server_ws_url):
    page.goto(LOGIN_PATH)  # same origin, so only the missing login can refuse it

    result = probe_websocket(page, live_server_ws_url + WS_PATH, send='{"type": "ping", "nonce": "anon"}')

    assert not result["opened"], result
    assert not result["timedOut"], result
    assert result["closeCode"] is not None and result["closeCode"] != 1000, result
    assert result["messages"] == [], result


@pytest.mark.parametrize("pattern", ["/no-such-page-{i}/", "/threads/{n}/"])
def test_concurrent_error_pages_do_not_exhaust_the_db_pool(page, users, login, pattern):
    """Eight 404s at once for a signed-in user, three times: all answered, quickly.

    Django renders error pages in a worker thread outside the request's thread
    (`response_for_exception`, thread_sensitive=False); on PostgreSQL with the pool (max 4 by
    default), connections opened there were never given back and the request threads held theirs
    meanwhile, so every request then waited 30 s for a connection and failed with HTTP 500.
    """
    login(page.context, users["ivan"])
    page.goto("/")
    for _ in range(3):
        statuses = page.evaluate(
            """async (pattern) => Promise.all(Array.from({length: 8}, async (_, i) => {
                 const url = pattern.replace("{i}", i).replace("{n}", 999000 + i);
                 try { return (await fetch(url, {signal: AbortSignal.timeout(5000)})).status; }
                 catch (e) { return String(e.name); }
               }))""",
            pattern,
        )
        assert statuses == [404] * 8
