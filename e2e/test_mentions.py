"""Mentions in a real browser: the mention editor (static/js/mentions.js) — @ and # suggestions,
chips that stand for tokens, text that is never lost — the saved token and the chip link."""

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback, path_of

pytestmark = pytest.mark.e2e

MENU = "ul.mention-menu:not([hidden])"
EDITOR = ".mention-editor"


def type_slowly(locator, text: str) -> None:
    """Key by key, as a person types."""
    locator.press_sequentially(text, delay=40)


def editor_and_field(page, scope: str = ""):
    prefix = f"{scope} " if scope else ""
    return page.locator(f"{prefix}{EDITOR}"), page.locator(f"{prefix}textarea[name=description]")


def test_at_mention_an_employee_from_the_menu_and_see_the_chip(page, users, login, screenshot):
    from notifications.models import Notification

    maria = users["maria"]
    login(page.context, users["ivan"])
    page.goto("/communications/new/")
    page.fill("#id_subject", "Запитване за стелажи")
    page.fill("#id_counterparty_name", "Алфа ООД")
    editor, field = editor_and_field(page)
    editor.click()
    type_slowly(editor, "Моля, @Мар")

    option = page.locator(f"{MENU} [role=option]", has_text="Мария Иванова")
    expect(option).to_be_visible()
    expect(page.locator(f"{MENU} [role=option]").first).to_contain_text("Мария Иванова")
    expect(option).to_contain_text("Служител")  # the kind, translated
    screenshot(page, "mentions-at-menu", full_page=False)
    option.click()

    # A chip in the box, the token only in the form's field.
    chip = editor.locator(".mention-chip.mention-user")
    expect(chip).to_have_text("@Мария Иванова")
    expect(editor).not_to_contain_text("](user:")
    expect(field).to_have_value(f"Моля, @[Мария Иванова](user:{maria.pk}) ")
    # Punctuation right after the chip takes the place of the space put after it.
    type_slowly(editor, ", да се обади.")
    expect(field).to_have_value(f"Моля, @[Мария Иванова](user:{maria.pk}), да се обади.")
    expect(editor).to_have_text("Моля, @Мария Иванова, да се обади.")
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


def test_backspace_deletes_a_chip_as_one_unit(page, users, login):
    login(page.context, users["ivan"])
    page.goto("/tasks/new/")
    editor, field = editor_and_field(page)
    editor.click()
    type_slowly(editor, "Питай @Мари")
    expect(page.locator(f"{MENU} [role=option].active")).to_contain_text("Мария Иванова")
    editor.press("Enter")  # the highlighted suggestion: what was typed starts its name
    expect(editor.locator(".mention-chip")).to_have_count(1)
    expect(field).to_have_value(f"Питай @[Мария Иванова](user:{users['maria'].pk}) ")

    editor.press("Backspace")  # the space after the chip
    editor.press("Backspace")  # the chip, whole
    expect(editor.locator(".mention-chip")).to_have_count(0)
    expect(field).to_have_value("Питай ")
    expect(editor).to_have_text("Питай ")

    # Undo brings the chip back whole, redo takes it away again.
    editor.press("Control+z")
    expect(editor.locator(".mention-chip")).to_have_text("@Мария Иванова")
    expect(field).to_have_value(f"Питай @[Мария Иванова](user:{users['maria'].pk})")
    editor.press("Control+Shift+Z")
    expect(field).to_have_value("Питай ")
    type_slowly(editor, "утре")
    expect(field).to_have_value("Питай утре")


@pytest.mark.parametrize("key", ["Enter", "Tab"])
def test_a_name_nobody_has_stays_as_typed_on_enter_or_tab(page, users, login, key):
    login(page.context, users["ivan"])
    page.goto("/tasks/new/")
    editor, field = editor_and_field(page)
    editor.click()
    type_slowly(editor, "Обади се на @Драган")
    empty = page.locator(f"{MENU} .mention-menu-empty")
    expect(empty).to_have_text("Няма съвпадения")
    editor.press(key)

    expect(page.locator(MENU)).to_have_count(0)
    expected = "Обади се на @Драган\n" if key == "Enter" else "Обади се на @Драган"
    expect(field).to_have_value(expected)
    assert "No Match" not in page.content()
    if key == "Enter":
        type_slowly(editor, "утре")
        expect(field).to_have_value("Обади се на @Драган\nутре")


def test_a_number_after_hash_stays_text_and_enter_is_a_new_line(page, users, login):
    from crm.tests.factories import CounterpartyFactory

    alfa = CounterpartyFactory(name="Алфа ООД", company_id="512345674")
    login(page.context, users["ivan"])
    page.goto("/tasks/new/")
    editor, field = editor_and_field(page)
    editor.click()
    type_slowly(editor, "Точка #5")
    # The menu offers the company whose ЕИК starts with 5, but nothing is picked for the user.
    expect(page.locator(f"{MENU} [role=option]", has_text="Алфа ООД")).to_be_visible()
    expect(page.locator(f"{MENU} [role=option].active")).to_have_count(0)
    editor.press("Enter")
    type_slowly(editor, "нов ред")
    expect(field).to_have_value("Точка #5\nнов ред")
    expect(editor.locator(".mention-chip")).to_have_count(0)

    # Escape closes the menu, the text stays; ↓ then Enter picks, the keyboard alone.
    type_slowly(editor, " #5")
    expect(page.locator(f"{MENU} [role=option]", has_text="Алфа ООД")).to_be_visible()
    editor.press("Escape")
    expect(page.locator(MENU)).to_have_count(0)
    type_slowly(editor, " и #5")
    expect(page.locator(f"{MENU} [role=option]", has_text="Алфа ООД")).to_be_visible()
    editor.press("ArrowDown")
    expect(page.locator(f"{MENU} [role=option].active")).to_contain_text("Алфа ООД")
    editor.press("Enter")
    expect(editor.locator(".mention-chip.mention-counterparty")).to_have_text("#Алфа ООД")
    expect(field).to_have_value(f"Точка #5\nнов ред #5 и #[Алфа ООД](counterparty:{alfa.pk}) ")


def test_hash_mention_an_order_in_the_thread_inline_form_with_the_keyboard(page, users, login, screenshot):
    from crm import services
    from crm.tests.factories import CounterpartyFactory, OrderFactory

    order = OrderFactory(number="SO-2026-00077", counterparty=CounterpartyFactory(name="Бета АД"))
    OrderFactory(number="PO-2026-00005")
    thread = services.thread_create(author=users["ivan"], subject="Доставка за Бета")
    login(page.context, users["ivan"])
    page.goto(thread.get_absolute_url())

    page.locator("#add-task").click()  # the form comes in through htmx
    editor, field = editor_and_field(page, "#inline-form")
    expect(editor).to_be_visible()
    page.locator("#inline-form #id_subject").fill("Провери поръчката")
    editor.click()
    type_slowly(editor, "Виж #SO")

    option = page.locator(f"{MENU} [role=option]", has_text="SO-2026-00077")
    expect(option).to_be_visible()
    expect(option).to_contain_text("Бета АД")  # the secondary line
    expect(page.locator(f"{MENU} [role=option]", has_text="PO-2026-00005")).to_have_count(0)
    screenshot(page, "mentions-hash-menu", full_page=False)
    expect(option).to_have_class(re.compile(r"\bactive\b"))  # what was typed starts its number
    editor.press("Enter")

    expect(editor.locator(".mention-chip.mention-order")).to_have_text("#SO-2026-00077")
    expect(field).to_have_value(f"Виж #[SO-2026-00077](order:{order.pk}) ")
    page.locator("#inline-form button[type=submit]").click()

    chip = page.locator(f'#timeline a.mention-chip.mention-order[href="{order.get_absolute_url()}"]')
    expect(chip).to_be_visible()
    expect(chip).to_have_text("#SO-2026-00077")
    assert path_of(page) == thread.get_absolute_url()
    assert_no_traceback(page)
    screenshot(page, "mentions-hash-chip")


def test_an_edit_form_shows_chips_and_saving_unchanged_keeps_the_text(page, users, login, screenshot):
    from crm.tests.factories import TaskFactory

    maria = users["maria"]
    description = (
        f"Първи ред за @[Мария Иванова](user:{maria.pk}), виж #5.\nВтори ред с [скоби](не токен) и <b>текст</b>."
    )
    task = TaskFactory(author=users["ivan"], assignee=users["ivan"], description=description)
    login(page.context, users["ivan"])
    page.goto(f"/tasks/{task.pk}/edit/")
    editor, field = editor_and_field(page)

    expect(editor.locator(".mention-chip.mention-user")).to_have_text("@Мария Иванова")
    expect(editor).not_to_contain_text("(user:")
    expect(editor).to_contain_text("Втори ред с [скоби](не токен) и <b>текст</b>.")
    expect(field).to_have_value(description)
    screenshot(page, "mentions-edit-form", full_page=False)
    page.locator("#task-form button[type=submit]").click()

    page.wait_for_url(f"**/tasks/{task.pk}/")
    assert_no_traceback(page)
    task.refresh_from_db()
    assert task.description == description
    expect(page.locator(f'a.mention-chip.mention-user[href="/accounts/employees/{maria.pk}/"]')).to_be_visible()


PASTE = """(editor, [html, text]) => {
    const data = new DataTransfer();
    if (html) data.setData("text/html", html);
    if (text) data.setData("text/plain", text);
    editor.focus();
    editor.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
}"""


def test_paste_inserts_text_only(page, users, login):
    login(page.context, users["ivan"])
    page.goto("/tasks/new/")
    editor, field = editor_and_field(page)
    editor.click()
    type_slowly(editor, "Начало: ")

    # HTML only (as some apps copy): its text, no element of it.
    editor.evaluate(PASTE, ['<b>Жирно</b> <img src=x class="evil"> и <a href="https://x.bg">връзка</a>', ""])
    expect(editor.locator("b, img, a")).to_have_count(0)
    expect(field).to_have_value("Начало: Жирно  и връзка")
    # Both flavours: the plain text, line breaks kept.
    editor.evaluate(PASTE, ["<p>ред 1</p><p>ред 2</p>", "\nред 1\r\nред 2"])
    expect(field).to_have_value("Начало: Жирно  и връзка\nред 1\nред 2")
    expect(editor.locator("p")).to_have_count(0)
    assert page.evaluate("window.pwned === undefined")


def test_names_in_the_menu_are_text_not_markup(page, users, login):
    from accounts.tests.factories import UserFactory

    UserFactory(username="evil", first_name='<img src=x onerror="window.pwned=1">Марко', last_name="Злобов")
    login(page.context, users["ivan"])
    page.goto("/tasks/new/")
    editor, _field = editor_and_field(page)
    editor.click()
    type_slowly(editor, "@Злоб")
    option = page.locator(f"{MENU} [role=option]", has_text="Злобов")
    expect(option).to_be_visible()
    expect(page.locator(f"{MENU} img")).to_have_count(0)
    editor.press("ArrowDown")
    editor.press("Enter")
    expect(editor.locator(".mention-chip")).to_contain_text("Злобов")
    expect(editor.locator("img")).to_have_count(0)
    assert page.evaluate("window.pwned === undefined")
