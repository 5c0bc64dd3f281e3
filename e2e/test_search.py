"""The navbar search box in a real browser: results as you type, grouped and highlighted; arrow
keys and Enter open one; Enter with none chosen opens /search/; the "/" shortcut; the phone layout."""

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback

pytestmark = pytest.mark.e2e

BOX = "#navbar-search-input"
MENU = "#navbar-search-menu"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def invoices(users):
    from crm import services

    ivan = users["ivan"]
    alfa = services.counterparty_create(name="Алфа Трейд ООД", email="office@alfa-trade.bg")
    first = services.communication_create(
        author=ivan,
        direction="in",
        channel="email",
        subject="Фактурата за май",
        description="Клиентът пита за фактурите от април.",
        counterparty=alfa,
    )
    services.task_create(
        author=ivan, subject="Провери фактурите", description="", counterparty=alfa, thread=first.thread
    )
    return {"alfa": alfa, "communication": first}


def test_type_in_the_navbar_box_pick_with_arrows_and_enter(page, users, invoices, login, screenshot):
    login(page.context, users["ivan"])
    page.goto("/")
    page.keyboard.press("/")  # the shortcut focuses the box from anywhere on the page
    expect(page.locator(BOX)).to_be_focused()
    page.locator(BOX).press_sequentially("фактурите", delay=40)

    menu = page.locator(MENU)
    expect(menu.locator("[data-group=thread]")).to_be_visible()
    expect(menu.locator("[data-group=communication]")).to_contain_text("Комуникации")
    expect(menu.locator("[data-group=task]")).to_contain_text("Задачи")
    # The matching words are marked: other forms of the word too.
    expect(menu.locator("mark", has_text="Фактурата").first).to_be_visible()
    expect(menu.locator("mark", has_text="фактурите").first).to_be_visible()
    screenshot(page, "search-dropdown", full_page=False)

    options = menu.locator("[data-search-option]")
    page.keyboard.press("ArrowDown")
    expect(options.nth(0)).to_have_class(re.compile(r"\bactive\b"))
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_class(re.compile(r"\bactive\b"))
    expect(options.nth(0)).not_to_have_class(re.compile(r"\bactive\b"))
    href = options.nth(1).get_attribute("href")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")
    assert_no_traceback(page)


def test_enter_opens_the_results_page_with_filters_and_more(page, users, invoices, login, screenshot):
    login(page.context, users["ivan"])
    page.goto("/threads/")
    page.locator(BOX).click()
    page.locator(BOX).press_sequentially("алфа", delay=40)
    expect(page.locator(MENU).locator("[data-search-option]").first).to_be_visible()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    groups = page.locator(".search-group")
    expect(page.locator(".search-group[data-group=counterparty]")).to_contain_text("Алфа Трейд ООД")
    expect(page.locator(".search-group[data-group=counterparty] mark").first).to_have_text("Алфа")
    assert groups.count() >= 3
    expect(page.locator(BOX)).to_have_value("алфа")
    screenshot(page, "search-page")
    # Filter by kind: only communications.
    page.select_option("#id_kind", "communication")
    page.locator("#search-filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"kind=communication"))
    expect(page.locator(".search-group")).to_have_count(1)
    assert_no_traceback(page)


def test_a_one_letter_search_explains_itself(page, users, invoices, login):
    login(page.context, users["ivan"])
    page.goto("/")
    page.locator(BOX).click()
    page.locator(BOX).press_sequentially("ф", delay=40)
    expect(page.locator(MENU)).to_contain_text("Въведете поне две букви или цифри")
    page.keyboard.press("Escape")
    expect(page.locator(MENU)).to_be_empty()


def test_the_box_and_results_on_a_phone(page, users, invoices, login, screenshot):
    page.set_viewport_size(PHONE)
    login(page.context, users["ivan"])
    page.goto("/")
    box = page.locator(BOX)
    expect(box).to_be_visible()  # outside the collapsed menu
    box.click()
    box.press_sequentially("фактура", delay=40)
    menu = page.locator(MENU)
    expect(menu.locator("[data-search-option]").first).to_be_visible()
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    bounds = menu.bounding_box()
    assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= PHONE["width"]
    screenshot(page, "search-dropdown-phone", full_page=False)
    page.goto("/search/?q=фактура")
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    screenshot(page, "search-page-phone")
