"""The foundation in a real browser: login/logout, redirects, error pages, the live websocket."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.helpers import (
    assert_no_traceback,
    channel_layer_is_shared,
    group_send,
    path_of,
    probe_websocket,
    wait_for_socket,
)

pytestmark = pytest.mark.e2e

LOGIN_PATH = "/accounts/login/"
LOGIN_FORM = "form:has(#id_username)"
WS_PATH = "/ws/notifications/"
BG_CATALOG = Path(__file__).resolve().parent.parent / "locale" / "bg" / "LC_MESSAGES" / "django.mo"
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


@pytest.mark.skipif(
    not BG_CATALOG.exists(),
    reason=f"no compiled Bulgarian catalog ({BG_CATALOG.relative_to(BG_CATALOG.parents[3])}): run `make messages`",
)
def test_login_page_and_dashboard_are_in_bulgarian(page, users, login):
    page.goto(LOGIN_PATH)
    expect(page).to_have_title(CYRILLIC)
    for selector in ("label[for=id_username]", "label[for=id_password]", f"{LOGIN_FORM} button[type=submit]"):
        expect(page.locator(selector)).to_have_text(CYRILLIC)
    expect(page.locator(".login-card p").first).to_have_text(CYRILLIC)

    login(page.context, users["ivan"])
    page.goto("/")
    for selector in ("#my-tasks-title", "#my-comms-title", "#recent-threads-title", "#main-nav .nav-link >> nth=0"):
        expect(page.locator(selector)).to_have_text(CYRILLIC)
    expect(page.locator("#logout-button")).to_have_text(CYRILLIC)


def test_bad_login_shows_an_error_and_no_traceback(page, users):
    page.goto(LOGIN_PATH)
    submit_login(page, "ivan", "wrong-password")

    expect(page.locator("#login-error")).to_be_visible()
    expect(page.locator("#login-error")).not_to_be_empty()
    assert path_of(page) == LOGIN_PATH
    expect(page.locator("#id_username")).to_have_value("ivan")
    expect(page.locator("#id_password")).to_have_value("")
    assert_no_traceback(page)


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
    pong = page.locator("#socket-pong")
    if pong.count() == 0 and page.evaluate("window.e2eOobMisses.includes('#socket-pong')"):
        # The reply arrived but had nowhere to go: base.html lacks the out-of-band target.
        pytest.xfail('round trip OK, but templates/base.html has no <span id="socket-pong" hidden> to swap into')
    expect(pong).to_have_attribute("data-nonce", "abc123")


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


def test_anonymous_websocket_is_refused(page, live_server_ws_url):
    page.goto(LOGIN_PATH)  # same origin, so only the missing login can refuse it

    result = probe_websocket(page, live_server_ws_url + WS_PATH, send='{"type": "ping", "nonce": "anon"}')

    assert not result["opened"], result
    assert not result["timedOut"], result
    assert result["closeCode"] is not None and result["closeCode"] != 1000, result
    assert result["messages"] == [], result


@pytest.mark.skipif(not channel_layer_is_shared(), reason="in-memory channel layer: cannot cross into the server")
def test_push_from_the_test_process_reaches_the_browser(page, users, login):
    """With Redis, a group message sent here reaches the user's socket in the server process."""
    from notifications.groups import user_group_name

    ivan = users["ivan"]
    login(page.context, ivan)
    page.goto("/")
    wait_for_socket(page)
    expect(page.locator("#notification-bell-count")).to_have_attribute("data-count", "0")

    group_send(
        user_group_name(ivan.pk),
        {
            "type": "notification.push",
            "html": '<span id="notification-bell-count" hx-swap-oob="true" data-count="7">7</span>',
        },
    )

    expect(page.locator("#notification-bell-count")).to_have_attribute("data-count", "7")
