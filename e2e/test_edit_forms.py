"""The edit forms in the browser: stored attachments listed with "remove", a form error that
says the chosen files must be chosen again, and the focus staying in the counterparty field
after picking a suggestion."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def call(users):
    from crm import services

    return services.communication_create(
        author=users["ivan"],
        direction="in",
        channel="email",
        subject="Рекламация за профили",
        counterparty_name="Бета ЕООД",
        files=[pdf("протокол.pdf"), pdf("оферта.pdf")],
    )


def test_removing_an_attachment_in_the_edit_form(page, users, login, call, screenshot, tmp_path):
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page.context, users["ivan"])
    page.goto(f"/communications/{call.pk}/edit/")
    stored = page.locator("#stored-attachments")
    expect(stored.locator("li")).to_have_count(2)
    offer = stored.locator("li", has_text="оферта.pdf")
    offer.get_by_label("Премахни").check()

    # A form error first: nothing is removed, the tick stays, the new file must be chosen again.
    new_file = tmp_path / "нов.pdf"
    new_file.write_bytes(PDF)
    page.locator("#id_attachments").set_input_files(str(new_file))
    page.fill("#id_subject", "")
    page.locator("#communication-form button[type=submit]").click()
    expect(page.locator("[data-error-for=subject]")).to_be_visible()
    expect(page.locator("[data-files-again]")).to_contain_text("изберете го отново")
    expect(page.locator("#stored-attachments li", has_text="оферта.pdf").get_by_label("Премахни")).to_be_checked()
    screenshot(page, "communication-edit-attachments-error")
    assert call.attachments.count() == 2

    page.fill("#id_subject", "Рекламация за профили")
    page.locator("#id_attachments").set_input_files(str(new_file))
    page.locator("#communication-form button[type=submit]").click()
    page.wait_for_url(f"**/communications/{call.pk}/")
    assert sorted(call.attachments.values_list("original_name", flat=True)) == ["нов.pdf", "протокол.pdf"]
    expect(page.locator("main")).not_to_contain_text("оферта.pdf")
    expect(page.locator("main")).to_contain_text("нов.pdf")
    assert_no_traceback(page)


def test_focus_stays_in_the_counterparty_field_after_picking(page, users, login, call):
    from crm.tests.factories import CounterpartyFactory

    alfa = CounterpartyFactory(name="Алфа Трейд ООД")
    login(page.context, users["ivan"])
    page.goto(f"/communications/{call.pk}/edit/")
    field = page.locator("#id_counterparty_name")
    option = page.locator(f".typeahead-menu [data-pick-id='{alfa.pk}']")
    menu_options = page.locator(".typeahead-menu [data-pick-id]")

    # By keyboard: ArrowDown to the option, Enter picks it, focus is back in the field.
    field.fill("")
    field.press_sequentially("алф")
    expect(option).to_be_visible()
    field.press("ArrowDown")
    expect(option).to_be_focused()
    page.keyboard.press("Enter")
    expect(field).to_be_focused()
    expect(field).to_have_value("Алфа Трейд ООД")
    expect(page.locator("#id_counterparty")).to_have_value(str(alfa.pk))

    # By mouse: the same, and the field's focus trigger does not open the menu again.
    field.fill("")
    field.press_sequentially("алфа")
    expect(option).to_be_visible()
    option.click()
    expect(field).to_have_value("Алфа Трейд ООД")
    expect(field).to_be_focused()
    expect(page.locator("#id_counterparty")).to_have_value(str(alfa.pk))
    page.wait_for_timeout(400)  # a reopened menu would be back by now
    expect(menu_options).to_have_count(0)
