"""Every page of the app on a phone (390×844): no horizontal scroll, the bell outside the collapsed
menu, list filters behind a button, list rows drawn as cards. Each page is saved as a screenshot
(e2e/artifacts/mobile-*.png) for a person to look at."""

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
# Long unbroken words are what pushes a phone page sideways: names, subjects, e-mail addresses.
LONG_NAME = "Търговско-производствено-дружество-Балканска-логистика-и-складова-техника ЕООД"
LONG_SUBJECT = "Запитване за палетни стелажи, мецанини и конзолни системи за новия склад в Пловдив " * 2

OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5 && el.getClientRects().length)
    .slice(0, 5)
    .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + [...el.classList].join("."));
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide};
}"""


@pytest.fixture
def world(users):
    from django.contrib.auth import get_user_model

    from crm.tests.factories import CommunicationFactory, CounterpartyFactory, TaskFactory, ThreadFactory
    from notifications.models import Notification

    ivan = users["ivan"]
    User = get_user_model()
    User.objects.filter(pk=ivan.pk).update(is_staff=True, is_superuser=True)
    counterparty = CounterpartyFactory(
        name=LONG_NAME, email="очень-длинный-адрес.отдел-продажби@balkanska-logistika.example.com"
    )
    thread = ThreadFactory(subject=LONG_SUBJECT, counterparty=counterparty, author=ivan)
    communication = CommunicationFactory(
        thread=thread, subject=LONG_SUBJECT, author=ivan, assignee=users["maria"], description="Текст " * 80
    )
    task = TaskFactory(thread=thread, subject=LONG_SUBJECT, author=ivan, assignee=users["maria"])
    Notification.objects.create(
        recipient=ivan, actor=users["maria"], kind="mention", text=LONG_SUBJECT, url=task.get_absolute_url()
    )
    return {"thread": thread, "communication": communication, "task": task, "counterparty": counterparty}


def pages_of(world):
    thread, communication, task = world["thread"], world["communication"], world["task"]
    return {
        "dashboard": "/",
        "thread-list": "/threads/",
        "thread-detail": thread.get_absolute_url(),
        "thread-new": "/threads/new/",
        "thread-edit": f"{thread.get_absolute_url()}edit/",
        "copy-to-task": f"{communication.get_absolute_url()}to-task/",
        "promote": "/counterparties/promote/?name=" + LONG_NAME,
        "communication-list": "/communications/",
        "communication-new": "/communications/new/",
        "communication-detail": communication.get_absolute_url(),
        "communication-edit": f"{communication.get_absolute_url()}edit/",
        "task-list": "/tasks/",
        "task-new": "/tasks/new/",
        "task-detail": task.get_absolute_url(),
        "task-edit": f"{task.get_absolute_url()}edit/",
        "task-board": "/tasks/board/",
        "calendar": "/calendar/",
        "counterparty": world["counterparty"].get_absolute_url(),
        "notifications": "/notifications/",
        "profile": f"/accounts/employees/{thread.author_id}/",
        "admin": "/admin/",
        "admin-counterparties": "/admin/crm/counterparty/",
        "not-found": "/no-such-page/",
    }


def assert_fits(page, name):
    result = page.evaluate(OVERFLOW_JS)
    assert result["scrollWidth"] <= result["innerWidth"], f"{name} scrolls sideways at 390 px: {result}"


def test_every_page_fits_a_phone_without_horizontal_scroll(page, users, login, world, screenshot):
    page.set_viewport_size(PHONE)
    login(page.context, users["ivan"])
    too_wide = []
    for name, url in pages_of(world).items():
        page.goto(url)
        assert_no_traceback(page)
        page.wait_for_load_state("load")
        screenshot(page, f"mobile-{name}")
        result = page.evaluate(OVERFLOW_JS)
        if result["scrollWidth"] > result["innerWidth"]:
            too_wide.append(f"{name} ({url}): {result}")
    assert not too_wide, "pages that scroll sideways at 390 px:\n" + "\n".join(too_wide)


def test_the_login_page_fits_a_phone(page, screenshot):
    page.set_viewport_size(PHONE)
    page.goto("/accounts/login/")
    screenshot(page, "mobile-login")
    assert_fits(page, "login")


def test_on_a_phone_the_bell_stays_outside_the_collapsed_menu(page, users, login, world):
    page.set_viewport_size(PHONE)
    login(page.context, users["ivan"])
    page.goto("/")
    expect(page.locator(".navbar-toggler")).to_be_visible()
    expect(page.locator("#main-nav")).to_be_hidden()
    bell = page.locator("#notification-bell")
    expect(bell).to_be_visible()
    expect(page.locator("#notification-bell-count")).to_have_attribute("data-count", "1")
    bell.click()
    expect(page.locator(".notification-menu")).to_be_visible()
    assert_fits(page, "dashboard with the bell menu open")
    # On a wide screen it sits with the other navbar items, the menu expanded.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/")
    expect(page.locator("#main-nav")).to_be_visible()
    expect(page.locator("#notification-bell")).to_be_visible()
    expect(page.locator(".navbar-toggler")).to_be_hidden()


@pytest.mark.parametrize("url, table", [("/communications/", "#communication-table"), ("/tasks/", "#task-table")])
def test_on_a_phone_list_filters_hide_behind_a_button_and_rows_are_cards(
    page, users, login, world, url, table, screenshot
):
    page.set_viewport_size(PHONE)
    login(page.context, users["ivan"])
    page.goto(url)
    toggle = page.locator("#list-filters-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#list-filters-body")).to_be_hidden()
    # Rows are cards: each row is a block as wide as the list, its cells stacked with their labels.
    row = page.locator(f"{table} tbody tr").first
    expect(page.locator(f"{table} thead th:not([aria-sort])").first).to_be_hidden()
    shape = row.evaluate(
        """(tr) => ({display: getComputedStyle(tr).display, width: tr.getBoundingClientRect().width,
                    table: tr.closest('.list-results').getBoundingClientRect().width,
                    label: getComputedStyle(tr.querySelector('td:nth-child(2)'), '::before').content})"""
    )
    assert shape["display"] == "block", shape
    assert shape["width"] >= shape["table"] - 40, shape
    assert shape["label"] not in ("none", "normal", '""'), shape
    screenshot(page, f"mobile-cards-{table[1:]}")
    # The button opens the filters; applying one filters the cards and the URL follows.
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_have_text(re.compile("Скрий филтрите|Hide filters"))
    expect(page.locator("#list-filters-body")).to_be_visible()
    expect(page.locator("#id_subject")).to_be_visible()
    screenshot(page, f"mobile-filters-{table[1:]}")
    assert_fits(page, f"{url} with the filters open")
    page.fill("#id_subject", "няма-такова")
    expect(page.locator(f"{table} tbody tr.list-empty")).to_be_visible()
    assert_fits(page, f"{url} with no results")
    # On a wide screen the filters are always shown and the list is a table again.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(url)
    expect(page.locator("#list-filters-toggle")).to_be_hidden()
    expect(page.locator("#id_subject")).to_be_visible()
    expect(page.locator(f"{table} thead")).to_be_visible()
    assert page.locator(f"{table} tbody tr").first.evaluate("(tr) => getComputedStyle(tr).display") == "table-row"


def test_on_a_phone_the_thread_list_rows_are_cards(page, users, login, world):
    page.set_viewport_size(PHONE)
    login(page.context, users["ivan"])
    page.goto("/threads/")
    row = page.locator("#thread-table tbody tr").first
    assert row.evaluate("(tr) => getComputedStyle(tr).display") == "block"
    assert_fits(page, "thread list")


def test_the_full_navbar_fits_on_one_line_and_on_a_phone(page, users, login, screenshot):
    """A manager's navbar (every item, Reports too) in Bulgarian, the longest words: at 1366 px
    one row, each link's icon beside its label, nothing cut off; at 390 px the opened menu fits."""
    from django.contrib.auth.models import Permission

    manager = users["ivan"]
    manager.first_name, manager.last_name = "Стоян", "Колев"
    manager.save()
    manager.user_permissions.add(Permission.objects.get(content_type__app_label="crm", codename="view_reports"))
    login(page.context, manager)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/")
    expect(page.locator("#main-nav").get_by_role("link", name="Отчети")).to_be_visible()
    screenshot(page, "navbar-1366", full_page=False)
    rows = page.evaluate(
        """() => {
          const shown = '.navbar .nav-link, .navbar-search, #language-select, .navbar-brand';
          const items = [...document.querySelectorAll(shown)];
          const boxes = items.map((el) => el.getBoundingClientRect());
          return {
            tops: [...new Set(boxes.map((b) => Math.round(b.top + b.height / 2)))],
            tallest: Math.max(...boxes.map((b) => b.height)),
            right: Math.max(...boxes.map((b) => b.right)),
            clipped: items.filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.id || el.className),
          };
        }"""
    )
    assert max(rows["tops"]) - min(rows["tops"]) <= 4, f"the navbar wraps at 1366 px: {rows}"
    assert rows["tallest"] < 48, f"a navbar item takes two lines: {rows}"
    assert rows["right"] <= 1366 and not rows["clipped"], f"cut off at 1366 px: {rows}"
    assert page.locator("#navbar-search-input").bounding_box()["width"] >= 160, "the search box is squeezed"
    language = page.locator("#language-select")
    assert language.evaluate("(el) => el.scrollWidth <= el.clientWidth"), "the language name is cut off"
    # A small laptop or a tablet held sideways: the menu collapses rather than wrap.
    page.set_viewport_size({"width": 1024, "height": 768})
    expect(page.locator(".navbar-toggler")).to_be_visible()
    assert_fits(page, "navbar at 1024 px")

    page.set_viewport_size(PHONE)
    page.goto("/")
    screenshot(page, "navbar-390", full_page=False)
    assert_fits(page, "navbar at 390 px")
    page.locator(".navbar-toggler").click()
    expect(page.locator("#main-nav").get_by_role("link", name="Отчети")).to_be_visible()
    page.wait_for_timeout(400)  # the collapse transition
    screenshot(page, "navbar-390-open", full_page=False)
    assert_fits(page, "navbar at 390 px, menu open")
