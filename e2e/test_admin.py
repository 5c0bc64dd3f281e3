"""The Django admin in a browser: a counterparty with two contact people, the search by company
id, and the action that promotes free-text counterparty names."""

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback, path_of

pytestmark = pytest.mark.e2e

COMPANY_ID = "204567893"  # a valid ЕИК: its check digit is checked
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


def test_admin_search_folds_cyrillic_case(page, admin_user, users, login):
    """ "алфа" finds "АЛФА ТРЕЙД ООД" in the admin as in the app's lists (SQLite folds ASCII only)."""
    from crm import services
    from crm.tests.factories import CounterpartyFactory

    CounterpartyFactory(name="АЛФА ТРЕЙД ООД")
    CounterpartyFactory(name="Бета ЕООД")
    communication = services.communication_create(
        author=users["ivan"], direction="in", channel="phone", subject="Оферта", counterparty_name="ГАМА МЕТАЛ"
    )
    login(page.context, admin_user)

    page.goto("/admin/crm/counterparty/?q=алфа")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("АЛФА ТРЕЙД ООД")
    page.goto("/admin/crm/communication/?q=гама")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list tbody tr").first).to_contain_text(communication.number)
    page.goto("/admin/accounts/user/?q=иванова")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list tbody tr").first).to_contain_text("maria")


def test_admin_header_is_the_products(page, admin_user, login):
    login(page.context, admin_user)
    for path in ("/admin/", "/admin/crm/counterparty/"):
        page.goto(path)
        expect(page.locator("#site-name")).to_have_text("CRM")
        assert "Django" not in page.title(), page.title()
        assert "Django" not in page.locator("#header").inner_text()
    page.goto("/admin/")
    expect(page).to_have_title(re.compile(r"^Администрация \| CRM администрация$"))


def test_admin_contact_inline_fits_1366_and_reads_naturally(page, admin_user, login, screenshot):
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page.context, admin_user)
    page.goto("/admin/crm/counterparty/add/")
    group = page.locator("#contacts-group")
    expect(group).to_be_visible()
    add = group.locator(".add-row a")
    expect(add).to_have_text("Добави още едно лице за контакт")
    add.click()
    expect(group.locator("tr.dynamic-contacts")).to_have_count(3)
    widths = page.evaluate(
        """() => {
            const group = document.querySelector("#contacts-group");
            const table = group.querySelector("table");
            const scrollers = [group, ...group.querySelectorAll("*")].filter(
                (el) => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible");
            return {doc: document.documentElement.scrollWidth, inner: innerWidth,
                    table: table.getBoundingClientRect().right, group: group.getBoundingClientRect().right,
                    scrollers: scrollers.map((el) => el.className || el.tagName)};
        }"""
    )
    screenshot(page, "admin-counterparty-add-1366")
    assert widths["doc"] <= widths["inner"], widths
    assert widths["table"] <= widths["group"] + 1, widths
    assert not widths["scrollers"], widths


def test_admin_refuses_an_ezik_with_a_wrong_check_digit(page, admin_user, login):
    from crm.models import Counterparty

    login(page.context, admin_user)
    page.goto("/admin/crm/counterparty/add/")
    page.fill("#id_name", "Капа ООД")
    page.fill("#id_company_id", "175074751")
    page.fill("#id_vat_number", "BG175074751")
    page.locator("input[name=_save]").click()
    expect(page.locator(".field-company_id .errorlist")).to_contain_text("не е валиден")
    expect(page.locator(".field-vat_number .errorlist")).to_contain_text("не е валиден")
    expect(page.locator("#id_name")).to_have_value("Капа ООД")
    assert not Counterparty.objects.exists()
    page.fill("#id_company_id", "175 074 752")
    page.fill("#id_vat_number", "bg175074752")
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/crm/counterparty/")
    saved = Counterparty.objects.get()
    assert (saved.company_id, saved.vat_number) == ("175074752", "BG175074752")
