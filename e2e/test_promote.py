"""Promoting a free-text counterparty in the browser: the dialog (roles, ЕИК, VAT number,
e-mail, phone) refuses a wrong check digit on its field and keeps what was typed; the free-text
contact becomes a contact person of the new counterparty."""

import pytest
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback

pytestmark = pytest.mark.e2e


def test_promote_dialog_refuses_an_invalid_ezik_then_creates_the_counterparty(page, users, login, screenshot):
    from crm import services
    from crm.models import ContactPerson, Counterparty

    call = services.communication_create(
        author=users["ivan"],
        direction="in",
        channel="phone",
        subject="Запитване за профили",
        counterparty_name="Гама Метал ООД",
        contact_name="Петя Костова",
    )
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page.context, users["ivan"])
    thread_url = f"/threads/{call.thread_id}/"
    page.goto(thread_url)

    page.locator(".promote-form button").first.click()
    dialog = page.locator("#promote-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#promote-dialog-title")).to_have_text("Направи контрагент")
    expect(dialog.locator("#promote-contacts")).to_contain_text("Петя Костова")
    expect(page.locator(".modal-backdrop.show")).to_have_count(1)
    expect(dialog.locator("input[name=roles]").first).to_be_focused()  # its first field
    dialog.locator("input[name=roles][value=supplier]").check()
    dialog.locator("#id_company_id").fill("175074751")
    dialog.locator("#id_vat_number").fill("BG175074752")
    dialog.locator("#id_email").fill("office@gama.bg")
    screenshot(page, "promote-dialog", full_page=False)
    dialog.locator("button[type=submit]").click()

    error = dialog.locator("[data-error-for=company_id]")
    expect(error).to_contain_text("не е валиден")
    expect(dialog.locator("#id_company_id")).to_have_class("form-control is-invalid")
    expect(dialog.locator("#id_company_id")).to_have_value("175074751")
    expect(dialog.locator("#id_email")).to_have_value("office@gama.bg")
    expect(dialog.locator("input[name=roles][value=supplier]")).to_be_checked()
    screenshot(page, "promote-dialog-error", full_page=False)
    assert not Counterparty.objects.exists()

    dialog.locator("#id_company_id").fill("175074752")
    dialog.locator("button[type=submit]").click()
    page.wait_for_url(f"**{thread_url}")
    expect(page.locator(".alert-success")).to_contain_text("Гама Метал ООД")
    expect(page.locator("#promote-dialog")).to_have_count(0)
    counterparty = Counterparty.objects.get()
    assert (counterparty.name, counterparty.roles, counterparty.company_id, counterparty.vat_number) == (
        "Гама Метал ООД",
        ["supplier"],
        "175074752",
        "BG175074752",
    )
    contact = ContactPerson.objects.get(counterparty=counterparty)
    assert contact.name == "Петя Костова"
    call.refresh_from_db()
    assert (call.counterparty_id, call.contact_id, call.contact_name) == (counterparty.pk, contact.pk, "")
    assert_no_traceback(page)


def test_closing_the_dialog_promotes_nothing_and_it_opens_again(page, users, login):
    from crm import services
    from crm.models import Counterparty

    call = services.communication_create(
        author=users["ivan"], direction="in", channel="phone", subject="Оферта", counterparty_name="Делта"
    )
    login(page.context, users["ivan"])
    page.goto(f"/communications/{call.pk}/")
    button = page.locator(".promote-form button")
    for _ in range(2):
        button.click()
        expect(page.locator("#promote-dialog")).to_be_visible()
        page.locator("#promote-dialog button[data-bs-dismiss=modal]").first.click()
        expect(page.locator("#promote-dialog")).to_have_count(0)
    assert not Counterparty.objects.exists()
