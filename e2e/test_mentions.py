"""Mentions in a real browser: @ and # autocomplete (Tribute), the saved token, the chip link."""

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback, path_of

pytestmark = pytest.mark.e2e

MENU = ".tribute-container.mention-menu"


def type_slowly(locator, text: str) -> None:
    """Key by key, as a person types: Tribute reacts to key events."""
    locator.press_sequentially(text, delay=40)


def test_at_mention_an_employee_from_the_menu_and_see_the_chip(page, users, login, screenshot):
    from notifications.models import Notification

    maria = users["maria"]
    login(page.context, users["ivan"])
    page.goto("/communications/new/")
    page.fill("#id_subject", "Запитване за стелажи")
    page.fill("#id_counterparty_name", "Алфа ООД")
    description = page.locator("textarea[name=description]")
    description.click()
    type_slowly(description, "Моля, @Мар")

    option = page.locator(f"{MENU} li", has_text="Мария Иванова")
    expect(option).to_be_visible()
    expect(page.locator(f"{MENU} li").first).to_contain_text("Мария Иванова")
    screenshot(page, "mentions-at-menu")
    option.click()

    expect(description).to_have_value(re.compile(rf"^Моля, @\[Мария Иванова\]\(user:{maria.pk}\)\s$"))
    type_slowly(description, "да се обади.")
    page.locator("#communication-form button[type=submit]").click()

    page.wait_for_url(re.compile(r"/threads/\d+/"))
    chip = page.locator(f'a.mention-chip.mention-user[href="/accounts/employees/{maria.pk}/"]')
    expect(chip.first).to_be_visible()
    expect(chip.first).to_have_text("@Мария Иванова")
    assert_no_traceback(page)
    screenshot(page, "mentions-at-chip")
    assert Notification.objects.filter(recipient=maria, kind="mention").count() == 1

    chip.first.click()
    page.wait_for_url(f"**/accounts/employees/{maria.pk}/")
    expect(page.locator("#mentioned-in")).to_contain_text("Запитване за стелажи")


def test_hash_mention_an_order_in_the_thread_inline_form_with_the_keyboard(page, users, login, screenshot):
    from crm import services
    from crm.tests.factories import CounterpartyFactory, OrderFactory

    order = OrderFactory(number="SO-2026-00077", counterparty=CounterpartyFactory(name="Бета АД"))
    OrderFactory(number="PO-2026-00005")
    thread = services.thread_create(author=users["ivan"], subject="Доставка за Бета")
    login(page.context, users["ivan"])
    page.goto(thread.get_absolute_url())

    page.locator("#add-task").click()  # the form comes in through htmx
    description = page.locator("#inline-form textarea[name=description]")
    expect(description).to_be_visible()
    page.locator("#inline-form #id_subject").fill("Провери поръчката")
    description.click()
    type_slowly(description, "Виж #SO")

    option = page.locator(f"{MENU} li", has_text="SO-2026-00077")
    expect(option).to_be_visible()
    expect(page.locator(f"{MENU} li", has_text="PO-2026-00005")).to_have_count(0)
    screenshot(page, "mentions-hash-menu")
    description.press("Enter")  # Tribute's keyboard: the highlighted (first) option

    expect(description).to_have_value(re.compile(rf"^Виж #\[SO-2026-00077\]\(order:{order.pk}\)\s$"))
    page.locator("#inline-form button[type=submit]").click()

    chip = page.locator(f'#timeline a.mention-chip.mention-order[href="{order.get_absolute_url()}"]')
    expect(chip).to_be_visible()
    expect(chip).to_have_text("#SO-2026-00077")
    assert path_of(page) == thread.get_absolute_url()
    assert_no_traceback(page)
    screenshot(page, "mentions-hash-chip")


def test_names_in_the_menu_are_text_not_markup(page, users, login):
    from accounts.tests.factories import UserFactory

    UserFactory(username="evil", first_name='<img src=x onerror="window.pwned=1">Марко', last_name="Злобов")
    login(page.context, users["ivan"])
    page.goto("/tasks/new/")
    description = page.locator("textarea[name=description]")
    description.click()
    type_slowly(description, "@Злоб")
    option = page.locator(f"{MENU} li", has_text="Злобов")
    expect(option).to_be_visible()
    expect(page.locator(f"{MENU} img")).to_have_count(0)
    assert page.evaluate("window.pwned === undefined")
