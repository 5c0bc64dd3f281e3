"""The Django admin in a browser: a counterparty with two contact people, the search by company
id, and the action that promotes free-text counterparty names."""

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback, path_of

pytestmark = pytest.mark.e2e

COMPANY_ID = "204567891"
CONTACTS = [
    {"name": "Стоян Колев", "position": "Управител", "email": "stoyan@delta.bg", "phone": "+359 888 123 456"},
    {"name": "Елена Маринова", "position": "Снабдител", "email": "elena@delta.bg", "phone": "+359 877 654 321"},
]


@pytest.fixture
def admin_user():
    from accounts.tests.factories import UserFactory

    return UserFactory(username="admin", first_name="Админ", last_name="Системен", is_staff=True, is_superuser=True)


def test_admin_creates_a_counterparty_with_two_contacts_and_finds_it_by_company_id(page, admin_user, login, screenshot):
    from crm.models import Counterparty
    from crm.tests.factories import CounterpartyFactory

    CounterpartyFactory(name="Омега Трейд ЕООД", company_id="175000001")
    login(page.context, admin_user)

    page.goto("/admin/crm/counterparty/add/")
    assert_no_traceback(page)
    page.fill("#id_name", "Делта Индъстрийс АД")
    page.locator("input[name=roles][value=client]").check()
    page.locator("input[name=roles][value=supplier]").check()
    page.fill("#id_company_id", COMPANY_ID)
    page.fill("#id_vat_number", f"BG{COMPANY_ID}")
    page.fill("#id_phone", "+359 2 123 4567")
    for index, contact in enumerate(CONTACTS):
        for field, value in contact.items():
            page.fill(f"#id_contacts-{index}-{field}", value)
    screenshot(page, "admin-counterparty-add")
    page.locator("input[name=_save]").click()

    page.wait_for_url("**/admin/crm/counterparty/")
    expect(page.locator("ul.messagelist li.success")).to_be_visible()
    row = page.locator("#result_list tbody tr", has_text="Делта Индъстрийс АД")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(COMPANY_ID)
    counterparty = Counterparty.objects.get(name="Делта Индъстрийс АД")
    assert sorted(counterparty.roles) == ["client", "supplier"]
    assert (counterparty.company_id, counterparty.vat_number) == (COMPANY_ID, f"BG{COMPANY_ID}")
    assert sorted(counterparty.contacts.values_list("name", "position", "email", "phone")) == sorted(
        tuple(c.values()) for c in CONTACTS
    )

    # Its page lists the two contacts in the inline rows.
    row.locator("th a").click()
    page.wait_for_url(f"**/admin/crm/counterparty/{counterparty.pk}/change/")
    names = page.locator("input[name^=contacts-][name$=-name]")
    expect(names.nth(0)).to_have_value(CONTACTS[1]["name"])  # ContactPerson is ordered by name
    expect(names.nth(1)).to_have_value(CONTACTS[0]["name"])
    expect(page.locator("input[name=roles][value=client]")).to_be_checked()
    expect(page.locator("input[name=roles][value=supplier]")).to_be_checked()
    expect(page.locator("input[name=roles][value=distributor]")).not_to_be_checked()
    screenshot(page, "admin-counterparty-change")

    # The search box finds it by company id (and only it).
    page.goto("/admin/crm/counterparty/")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    page.fill("#searchbar", COMPANY_ID)
    page.locator("#searchbar").press("Enter")
    page.wait_for_url(re.compile(rf"/admin/crm/counterparty/\?q={COMPANY_ID}$"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Делта Индъстрийс АД")
    assert_no_traceback(page)


def test_admin_action_promotes_free_text_names_case_insensitively(page, admin_user, users, login, screenshot):
    from crm import services
    from crm.models import Communication, Counterparty

    first = services.communication_create(
        author=users["ivan"],
        direction="in",
        channel="phone",
        subject="Запитване за ламарина",
        counterparty_name="Гама Метал ООД",
    )
    second = services.communication_create(
        author=users["maria"],
        direction="out",
        channel="email",
        subject="Оферта за ламарина",
        counterparty_name="ГАМА МЕТАЛ ООД",
    )
    other = services.communication_create(
        author=users["ivan"], direction="in", channel="email", subject="Рекламация", counterparty_name="Сигма ЕООД"
    )
    login(page.context, admin_user)

    page.goto("/admin/crm/communication/")
    assert_no_traceback(page)
    for communication in (first, second):
        row = page.locator("#result_list tbody tr", has_text=communication.number)
        row.locator("input.action-select").check()
    expect(page.locator("input.action-select:checked")).to_have_count(2)
    page.locator("select[name=action]").select_option("promote_counterparty_names")
    page.locator("button[name=index]").click()

    success = page.locator("ul.messagelist li.success")
    expect(success).to_be_visible()
    assert path_of(page) == "/admin/crm/communication/"
    screenshot(page, "admin-promote-action")

    # One record for both spellings (compared in Python: SQLite's iexact ignores Cyrillic case)...
    gama = [c for c in Counterparty.objects.all() if c.name.lower() == "гама метал оод"]
    assert len(gama) == 1, gama
    promoted = gama[0]
    for communication in (first, second):
        communication.refresh_from_db()
        assert (communication.counterparty_id, communication.counterparty_name) == (promoted.pk, ""), communication
        communication.thread.refresh_from_db()
        assert communication.thread.counterparty_id == promoted.pk
    assert Communication.objects.filter(counterparty=promoted).count() == 2
    # ... and nothing else: the row that was not selected keeps its free text.
    other.refresh_from_db()
    assert (other.counterparty_id, other.counterparty_name) == (None, "Сигма ЕООД")
    assert not Counterparty.objects.filter(name="Сигма ЕООД").exists()
    # The changelist now shows the linked counterparty on both rows.
    rows = page.locator("#result_list tbody tr", has_text=re.compile("гама метал оод", re.IGNORECASE))
    expect(rows).to_have_count(2)
    # The record takes the name as it was first written, not the later all-caps spelling.
    expect(success).to_contain_text("Гама Метал ООД")
    assert promoted.name == "Гама Метал ООД"
