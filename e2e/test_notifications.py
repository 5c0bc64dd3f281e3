"""Live notifications in a real browser: bell, dropdown, toasts, across processes, with Redis down.

Иван creates a task that mentions Мария and is assigned to Петър. Мария's and Петър's bells and
toasts update within 2 s without a reload; Иван's do not, nor does an uninvolved colleague's.
The same across two server processes sharing Redis; and with the channel layer unreachable the
change still saves and Мария sees it after a reload.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import assert_no_traceback, path_of, pick_employee, wait_for_socket
from e2e.notifications_servers import flush_layer, redis_layers, start_servers, stop_servers, unique_prefix

pytestmark = pytest.mark.e2e

LIVE_BUDGET_MS = 2000
REDIS_URL = "redis://127.0.0.1:6379"
DEAD_REDIS_URL = "redis://127.0.0.1:6399"  # nothing listens here: the layer is "down"
BELL_COUNT = "#notification-bell-count"
TOASTS = "#toasts .notification-toast"

# Records when the first notification toast lands in the page (ms since the epoch).
WATCH_TOASTS_JS = """() => {
  window.e2eToastAt = null;
  new MutationObserver(() => {
    if (window.e2eToastAt === null && document.querySelector("#toasts .notification-toast")) {
      window.e2eToastAt = Date.now();
    }
  }).observe(document.getElementById("toasts"), {childList: true, subtree: true});
}"""


@pytest.fixture
def elena():
    from accounts.tests.factories import UserFactory

    return UserFactory(username="elena", first_name="Елена", last_name="Николова")


def open_page(page_for, user, base_url: str, path: str = "/") -> Page:
    page = page_for(user)
    page.goto(base_url + path)
    wait_for_socket(page)
    expect(page.locator(BELL_COUNT)).to_have_attribute("data-count", "0")
    page.evaluate(WATCH_TOASTS_JS)
    return page


def create_task_mentioning(page: Page, base_url: str, *, mention, assignee, subject: str) -> float:
    """Fill and submit the new-task form; returns the time of the click (ms since the epoch)."""
    page.goto(base_url + "/tasks/new/")
    page.fill("#id_subject", subject)
    page.fill("textarea[name=description]", f"Моля, @[{mention.get_full_name()}](user:{mention.pk}) да прегледа.")
    pick_employee(page, "id_assignee", assignee)
    clicked_at = time.time() * 1000
    page.locator("#task-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/threads/\d+/"))
    assert_no_traceback(page)
    return clicked_at


def expect_live_notification(page: Page, *, clicked_at: float, contains: str) -> None:
    expect(page.locator(BELL_COUNT)).to_have_attribute("data-count", "1", timeout=LIVE_BUDGET_MS + 1000)
    toast = page.locator(TOASTS)
    expect(toast).to_have_count(1)
    expect(toast).to_be_visible()
    expect(toast).to_contain_text(contains)
    expect(page.locator("#notification-menu-list [data-notification-id]")).to_have_count(1)
    expect(page.locator("#notification-menu-list .notification-item.unread")).to_contain_text(contains)
    arrived_after = page.evaluate("window.e2eToastAt") - clicked_at
    assert arrived_after < LIVE_BUDGET_MS, f"the toast took {arrived_after:.0f} ms"


def expect_nothing(page: Page) -> None:
    expect(page.locator(BELL_COUNT)).to_have_attribute("data-count", "0")
    expect(page.locator(TOASTS)).to_have_count(0)
    assert page.evaluate("window.e2eToastAt") is None


def run_scenario(page_for, users, elena, *, actor_url: str, others_url: str, screenshot=None) -> None:
    ivan, maria, petar = users["ivan"], users["maria"], users["petar"]
    maria_page = open_page(page_for, maria, others_url)
    petar_page = open_page(page_for, petar, others_url)
    elena_page = open_page(page_for, elena, others_url)
    ivan_page = open_page(page_for, ivan, actor_url)

    clicked_at = create_task_mentioning(
        ivan_page, actor_url, mention=maria, assignee=petar, subject="Оферта за стелажи"
    )
    from crm.models import Task

    task = Task.objects.get(subject="Оферта за стелажи")

    expect_live_notification(maria_page, clicked_at=clicked_at, contains=task.number)
    expect_live_notification(petar_page, clicked_at=clicked_at, contains=task.number)
    expect(maria_page.locator(TOASTS)).to_contain_text("Иван Петров")
    expect(petar_page.locator(TOASTS)).to_contain_text("Иван Петров")
    wait_for_socket(ivan_page)  # the actor's page, after the redirect, is connected and quiet
    expect_nothing(elena_page)
    ivan_page.evaluate(WATCH_TOASTS_JS)
    expect_nothing(ivan_page)

    if screenshot is not None:
        screenshot(maria_page, "notifications-toast", full_page=False)

    # Мария opens the notification from the dropdown: to the object, marked read.
    maria_page.locator("#notification-bell").click()
    row = maria_page.locator("#notification-menu-list .notification-item").first
    expect(row).to_be_visible()
    if screenshot is not None:
        screenshot(maria_page, "notifications-dropdown", full_page=False)
    row.locator("a").click()
    maria_page.wait_for_url(re.compile(re.escape(task.get_absolute_url()) + "$"))
    expect(maria_page.locator(BELL_COUNT)).to_have_attribute("data-count", "0")
    assert_no_traceback(maria_page)


# --- one server (the session's) ---------------------------------------------------------------


def test_mention_and_assignment_reach_the_right_bells_live(page_for, users, elena, live_server_url, screenshot):
    run_scenario(page_for, users, elena, actor_url=live_server_url, others_url=live_server_url, screenshot=screenshot)


def test_a_notification_sent_while_offline_is_there_on_load_and_marked_read_from_the_list(
    page_for, users, live_server_url, screenshot
):
    from notifications.services import notification_send

    maria = users["maria"]
    texts = [
        "Иван Петров ви възложи задачата T-2026-00012 „Оферта за 20 палета с доставка до склада в Пловдив“",
        "Иван Петров ви спомена в IN-2026-00031 „Рекламация <b>стелажи</b>“",
        "Иван Петров ви спомена в T-2026-00014 „Обаждане“",
    ]
    for text in texts:
        notification_send(
            recipient_ids=[maria.pk], actor=users["ivan"], kind="mention", target=None, text=text, url="/"
        )
    page = page_for(maria)
    page.goto(live_server_url + "/")
    expect(page.locator(BELL_COUNT)).to_have_attribute("data-count", "3")
    wait_for_socket(page)
    expect(page.locator(BELL_COUNT)).to_have_attribute("data-count", "3")  # the catch-up agrees
    page.locator("#notification-bell").click()
    expect(page.locator("#notification-menu-list .notification-item")).to_have_count(3)
    expect(page.locator("#notification-menu-list")).to_contain_text("Рекламация <b>стелажи</b>")  # as text
    screenshot(page, "notifications-dropdown-several", full_page=False)
    page.keyboard.press("Escape")

    page.goto(live_server_url + "/notifications/?filter=unread")
    expect(page.locator("#notification-list .notification-row")).to_have_count(3)
    screenshot(page, "notifications-list", full_page=False)
    page.locator("#notification-list .notification-row").first.get_by_role("button").click()
    expect(page.locator("#notification-list .notification-row")).to_have_count(2)
    expect(page.locator(BELL_COUNT)).to_have_attribute("data-count", "2")

    # "Mark all read" in the dropdown: the bell goes to zero without leaving the page.
    page.goto(live_server_url + "/")
    wait_for_socket(page)
    page.locator("#notification-bell").click()
    page.locator("#notification-mark-all-read").click()
    expect(page.locator(BELL_COUNT)).to_have_attribute("data-count", "0")
    expect(page.locator(BELL_COUNT)).to_be_hidden()
    expect(page.locator("#notification-menu-list .notification-item.unread")).to_have_count(0)
    assert path_of(page) == "/"


def test_a_reconnecting_socket_catches_up_without_a_toast(page_for, users, live_server_url):
    from notifications.services import notification_send

    maria = users["maria"]
    page = open_page(page_for, maria, live_server_url)
    # The socket drops (as on a network change); nothing can be pushed to this page meanwhile.
    page.evaluate("() => document.getElementById('notification-socket')['htmx-internal-data'].webSocket.socket.close()")
    expect(page.locator("body")).to_have_attribute("data-socket", "closed")
    [missed] = notification_send(
        recipient_ids=[maria.pk], actor=users["ivan"], kind="mention", target=None, text="Пропуснато", url="/"
    )

    page.evaluate("() => document.getElementById('notification-socket')['htmx-internal-data'].webSocket.init()")

    wait_for_socket(page)
    expect(page.locator(BELL_COUNT)).to_have_attribute("data-count", "1")
    expect(page.locator(f'#notification-menu-list [data-notification-id="{missed.pk}"]')).to_contain_text("Пропуснато")
    expect(page.locator(TOASTS)).to_have_count(0)  # a catch-up, not news


def test_pushes_out_of_order_or_twice_leave_the_bell_right(page_for, users, live_server_url):
    """Two server processes can deliver pushes out of order, and a catch-up can repeat a row:
    the page keeps the newest count, each row once and newest first, one toast per notification."""
    from notifications.models import Notification
    from notifications.services import _push_messages

    maria = users["maria"]
    page = open_page(page_for, maria, live_server_url)
    frames = {}
    for i in (1, 2, 3):  # rows written directly: no real push reaches the page
        row = Notification.objects.create(recipient=maria, kind="mention", text=f"Известие {i}", url="/")
        [(_, event)] = _push_messages([row])
        frames[i] = (row.pk, event["html"])

    deliver = """(html) => document.getElementById('notification-socket')['htmx-internal-data']
        .webSocket.socket.dispatchEvent(new MessageEvent('message', {data: html}))"""
    for i in (3, 1, 3, 2):
        page.evaluate(deliver, frames[i][1])

    ids = page.locator("#notification-menu-list [data-notification-id]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.notificationId))"
    )
    assert ids == [frames[3][0], frames[2][0], frames[1][0]]
    expect(page.locator(BELL_COUNT)).to_have_attribute("data-count", "3")  # older counts ignored
    expect(page.locator(TOASTS)).to_have_count(3)


def test_logging_out_closes_the_sockets_of_that_session(new_context, login, users, live_server_url):
    context = new_context()
    login(context, users["maria"])
    first, second = context.new_page(), context.new_page()
    for page in (first, second):
        page.goto(live_server_url + "/")
        wait_for_socket(page)

    first.locator("#user-menu").click()
    first.locator("#logout-button").click()

    expect(second.locator("body")).to_have_attribute("data-socket", "closed")
    second.reload()
    assert "/accounts/login/" in second.url


def test_an_open_page_gets_no_more_notifications_once_its_password_changed(page_for, users, live_server_url):
    """The socket outlives the page's request: it checks the session again before each push."""
    maria, petar = users["maria"], users["petar"]
    maria_page = open_page(page_for, maria, live_server_url)
    maria.set_password("a-brand-new-password")  # an admin resets it while her page is open
    maria.save()

    ivan_page = page_for(users["ivan"])
    create_task_mentioning(ivan_page, live_server_url, mention=maria, assignee=petar, subject="Поверително")

    expect(maria_page.locator("body")).to_have_attribute("data-socket", "closed")
    expect_nothing(maria_page)
    maria_page.reload()
    assert "/accounts/login/" in maria_page.url


def test_someone_elses_notification_is_not_found(page, users, login, live_server_url):
    from notifications.models import Notification

    other = Notification.objects.create(recipient=users["maria"], kind="mention", text="лично", url="/")
    login(page.context, users["ivan"])
    response = page.goto(f"{live_server_url}/notifications/{other.pk}/open/")
    assert response.status == 404
    other.refresh_from_db()
    assert other.read_at is None


# --- two server processes on Redis ------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_servers(django_db_setup, django_db_blocker):
    """Two Daphne processes sharing a Redis channel layer (a prefix of their own)."""
    layers = redis_layers(REDIS_URL, unique_prefix())
    with django_db_blocker.unblock():
        servers = start_servers(2, channel_layers=layers)
    yield servers
    stop_servers(servers)
    flush_layer(layers)


def test_across_two_server_processes_on_redis(page_for, users, elena, redis_servers):
    actor_server, others_server = redis_servers
    assert actor_server.port != others_server.port
    run_scenario(page_for, users, elena, actor_url=actor_server.url, others_url=others_server.url)


# --- the channel layer is down ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server_without_redis(django_db_setup, django_db_blocker):
    """A server whose channel layer points where nothing listens: every push and socket fails.
    (The machine's Redis is left alone: CI and other tests use it.)"""
    with django_db_blocker.unblock():
        [server] = start_servers(1, channel_layers=redis_layers(DEAD_REDIS_URL, unique_prefix()))
    yield server
    stop_servers([server])


def test_with_redis_down_the_change_saves_and_the_bell_catches_up_on_reload(page_for, users, server_without_redis):
    url = server_without_redis.url
    ivan, maria, petar = users["ivan"], users["maria"], users["petar"]
    maria_page = page_for(maria)
    maria_page.goto(url + "/")
    expect(maria_page.locator(BELL_COUNT)).to_have_attribute("data-count", "0")
    ivan_page = page_for(ivan)
    ivan_page.goto(url + "/")

    started = time.monotonic()
    create_task_mentioning(ivan_page, url, mention=maria, assignee=petar, subject="Без Redis")
    assert time.monotonic() - started < 10
    expect(ivan_page.locator(".alert-success")).to_be_visible()  # "T-… saved."
    assert maria_page.locator("body").get_attribute("data-socket") == "closed"

    maria_page.reload()
    expect(maria_page.locator(BELL_COUNT)).to_have_attribute("data-count", "1")
    expect(maria_page.locator(BELL_COUNT)).to_be_visible()
    maria_page.locator("#notification-bell").click()
    expect(maria_page.locator("#notification-menu-list .notification-item.unread")).to_contain_text("Без Redis")
    assert_no_traceback(maria_page)
