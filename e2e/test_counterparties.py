"""Counterparties in the browser: create one in the app (a wrong ЕИК refused on its field, then
saved with a contact person added by the button), the duplicate warning, the list on a phone;
the admin's CSV import with a bad row (the per-row error report) and the merge of two duplicates;
the reports' charts on the demo data, a click on a bar opening the filtered list."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback, path_of

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def keeper(users):
    """An employee who keeps counterparties and sees the reports (like the demo manager)."""
    user = users["maria"]
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="crm", codename__in=["add_counterparty", "change_counterparty", "view_reports"]
        )
    )
    return user


def test_create_with_an_invalid_then_a_valid_ezik(page, keeper, login, screenshot):
    from crm.models import Counterparty

    page.set_viewport_size(DESKTOP)
    login(page.context, keeper)
    page.goto("/counterparties/")
    page.locator("#counterparty-new").click()
    page.wait_for_url("**/counterparties/new/")
    page.locator("#id_name").fill("Гама Инженеринг ООД")
    page.locator("input[name=roles][value=client]").check()
    page.locator("#id_company_id").fill("131 234 567")  # the last digit is wrong
    page.locator("#id_vat_number").fill("BG131234568")
    page.locator("#id_contacts-0-name").fill("Иван Иванов")
    page.locator("#contact-add").click()
    page.locator("#id_contacts-1-name").fill("Радост Маринова")
    page.locator("#id_contacts-1-position").fill("Снабдител")
    page.locator("#counterparty-save").click()

    error = page.locator("[data-error-for=company_id]")
    expect(error).to_contain_text("не е валиден")
    expect(page.locator("#id_company_id")).to_have_value("131 234 567")
    expect(page.locator("#id_contacts-1-name")).to_have_value("Радост Маринова")
    screenshot(page, "counterparty-form-error")
    assert not Counterparty.objects.exists()

    page.locator("#id_company_id").fill("131 234 568")
    page.locator("#counterparty-save").click()
    page.wait_for_url("**/counterparties/*/")
    expect(page.locator("h1")).to_contain_text("Гама Инженеринг ООД")
    expect(page.locator(".alert-success")).to_contain_text("Гама Инженеринг ООД")
    expect(page.get_by_text("Радост Маринова")).to_be_visible()
    counterparty = Counterparty.objects.get()
    assert counterparty.company_id == "131234568"
    assert sorted(counterparty.contacts.values_list("name", flat=True)) == ["Иван Иванов", "Радост Маринова"]
    screenshot(page, "counterparty-detail")

    # The page's buttons open the forms with the counterparty filled in.
    page.locator("#counterparty-new-task").click()
    page.wait_for_url("**/tasks/new/?counterparty=*")
    expect(page.locator("#id_counterparty_name")).to_have_value("Гама Инженеринг ООД")
    assert_no_traceback(page)


def test_duplicate_warning_links_and_save_anyway(page, keeper, login, screenshot):
    from crm.models import Counterparty
    from crm.tests.factories import CounterpartyFactory

    existing = CounterpartyFactory(name="Алфа Трейд ООД", email="office@alfatrade.bg")
    page.set_viewport_size(DESKTOP)
    login(page.context, keeper)
    page.goto("/counterparties/new/")
    page.locator("#id_name").fill("АЛФА ТРЕЙД ООД")
    page.locator("#counterparty-save").click()
    warning = page.locator("#duplicate-warning")
    expect(warning).to_be_visible()
    expect(warning.locator(f"a[data-duplicate='{existing.pk}']")).to_have_attribute("href", existing.get_absolute_url())
    expect(page.locator("#counterparty-save")).to_have_text("Запиши въпреки това")
    screenshot(page, "counterparty-duplicate-warning", full_page=False)
    assert Counterparty.objects.count() == 1
    page.locator("#counterparty-save").click()
    page.wait_for_url("**/counterparties/*/")
    assert Counterparty.objects.count() == 2


def test_list_search_and_role_on_a_phone(page, users, login, screenshot):
    from crm.tests.factories import ContactPersonFactory, CounterpartyFactory

    metal = CounterpartyFactory(name="Метал Комерс АД", roles=["supplier"], company_id="201987657")
    CounterpartyFactory(name="Алфа Трейд ООД", roles=["client"], email="office@alfatrade.bg", phone="+359 2 981 1234")
    ContactPersonFactory(counterparty=metal, name="Даниела Христова")
    page.set_viewport_size(PHONE)
    login(page.context, users["ivan"])
    page.goto("/counterparties/")
    rows = page.locator("#counterparty-table tbody tr")
    expect(rows).to_have_count(2)
    screenshot(page, "counterparty-list-phone")
    page.locator("#list-filters-toggle").click()
    page.locator("#id_q").fill("христова")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Метал Комерс АД")
    assert "q=" in page.url
    page.locator("#id_q").fill("")
    expect(rows).to_have_count(2)
    page.locator("#quick-role-client").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Алфа Трейд ООД")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "counterparty-list-phone-filtered")
    page.set_viewport_size(DESKTOP)
    page.goto("/counterparties/")
    screenshot(page, "counterparty-list")


@pytest.fixture
def admin_user():
    from accounts.tests.factories import UserFactory

    return UserFactory(username="admin", first_name="Админ", is_staff=True, is_superuser=True)


def test_admin_import_with_a_bad_row_shows_the_error_report(page, admin_user, login, screenshot, tmp_path):
    from crm.models import Counterparty

    csv = tmp_path / "counterparties.csv"
    csv.write_text(
        "id,name,roles,company_id,vat_number,email,phone,address,notes\n"
        ",Гама ООД,client,131234568,,office@gama.bg,,,\n"
        ",Делта АД,supplier,131234567,,,,,\n",
        encoding="utf-8",
    )
    page.set_viewport_size(DESKTOP)
    login(page.context, admin_user)
    page.goto("/admin/crm/counterparty/")
    page.get_by_role("link", name="Импортиране").click()
    page.locator("input[type=file]").set_input_files(str(csv))
    page.locator("select[name=format]").select_option(label="csv")
    page.locator("input[type=submit]").click()
    report = page.locator(".validation-error-container, .import-error-container, table.import-preview").first
    expect(report).to_be_visible()
    expect(page.get_by_text("Делта АД")).to_be_visible()
    expect(page.get_by_text("не е валиден").first).to_be_visible()
    expect(page.locator("input[name=import_file_name]")).to_have_count(0)  # nothing to confirm
    screenshot(page, "admin-import-errors")
    assert not Counterparty.objects.exists()

    csv.write_text(
        "id,name,roles,company_id,vat_number,email,phone,address,notes\n,Гама ООД,client,131234568,,,,,\n",
        encoding="utf-8",
    )
    page.goto("/admin/crm/counterparty/import/")
    page.locator("input[type=file]").set_input_files(str(csv))
    page.locator("select[name=format]").select_option(label="csv")
    page.locator("input[type=submit]").click()
    page.locator("form input[name=import_file_name] >> xpath=ancestor::form//input[@type='submit']").click()
    page.wait_for_url("**/admin/crm/counterparty/")
    assert Counterparty.objects.get().company_id == "131234568"
    assert_no_traceback(page)


def test_admin_merges_two_duplicates(page, admin_user, login, screenshot):
    from crm.models import Communication, Counterparty, ThreadEvent
    from crm.tests.factories import CommunicationFactory, CounterpartyFactory, ThreadFactory

    survivor = CounterpartyFactory(name="Алфа Трейд ООД")
    duplicate = CounterpartyFactory(name="Алфа Трейд (стар)")
    thread = ThreadFactory(counterparty=duplicate, subject="Оферта")
    CommunicationFactory(thread=thread, counterparty=duplicate)
    page.set_viewport_size(DESKTOP)
    login(page.context, admin_user)
    page.goto("/admin/crm/counterparty/")
    for pk in (survivor.pk, duplicate.pk):
        page.locator(f"input[name=_selected_action][value='{pk}']").check()
    page.locator("select[name=action]").select_option("merge_counterparties")
    page.locator("button[name=index]").click()
    expect(page.locator("#merge-table")).to_contain_text("Алфа Трейд (стар)")
    screenshot(page, "admin-merge")
    page.locator(f"#survivor-{survivor.pk}").check()
    page.locator("#merge-confirm").click()
    expect(page.locator(".messagelist")).to_contain_text("Алфа Трейд (стар)")
    assert list(Counterparty.objects.values_list("pk", flat=True)) == [survivor.pk]
    assert Communication.objects.get().counterparty_id == survivor.pk
    assert ThreadEvent.objects.filter(thread=thread, kind=ThreadEvent.Kind.COUNTERPARTY_MERGED).exists()
    page.goto(thread.get_absolute_url())
    expect(page.locator("#main")).to_contain_text("Алфа Трейд (стар)")


def test_reports_render_the_demo_data_and_a_bar_opens_the_list(page, users, login, screenshot):
    from django.core.management import call_command

    from accounts.models import User

    call_command("seed_demo", force=True, verbosity=0)
    manager = User.objects.get(username="stoyan")
    page.set_viewport_size(DESKTOP)
    login(page.context, manager)
    page.goto("/")
    page.locator("a.nav-link", has_text="Отчети").click()
    page.wait_for_url("**/reports/")
    expect(page.locator("body")).to_have_attribute("data-charts-ready", "1")
    for chart in ("open-tasks", "communications", "responses", "done"):
        expect(page.locator(f"#chart-{chart}")).to_have_attribute("data-ready", "1")
    expect(page.locator("#table-open-tasks tbody tr").first).not_to_contain_text("Няма")
    screenshot(page, "reports")
    # Click the first bar of the open-tasks chart where Chart.js drew it.
    point = page.evaluate(
        """() => {
          const canvas = document.getElementById('chart-open-tasks');
          const chart = Chart.getChart(canvas);
          for (let d = 0; d < chart.data.datasets.length; d++) {
            const meta = chart.getDatasetMeta(d);
            for (let i = 0; i < meta.data.length; i++) {
              if (chart.data.datasets[d].data[i] > 0) {
                const bar = meta.data[i].getProps(['x', 'y', 'base'], true);
                const box = canvas.getBoundingClientRect();
                return {x: box.left + (bar.x + bar.base) / 2, y: box.top + bar.y};
              }
            }
          }
          return null;
        }"""
    )
    assert point is not None
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url("**/tasks/?*assignee=*")
    assert path_of(page) == "/tasks/"
    expect(page.locator("#task-table tbody tr").first).to_be_visible()
    page.set_viewport_size(PHONE)
    page.goto("/reports/")
    expect(page.locator("body")).to_have_attribute("data-charts-ready", "1")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "reports-phone")


def test_only_managers_see_reports(page, users, login):
    page.set_viewport_size(DESKTOP)
    login(page.context, users["ivan"])
    page.goto("/")
    expect(page.locator("a.nav-link", has_text="Отчети")).to_have_count(0)
    expect(page.locator("a.nav-link", has_text="Контрагенти")).to_have_count(1)
    response = page.goto("/reports/")
    assert response.status == 403


def test_admin_export_page_select_all_works_under_csp(page, admin_user, login):
    page.set_viewport_size(DESKTOP)
    login(page.context, admin_user)
    page.goto("/admin/crm/counterparty/export/")
    boxes = page.locator(".selectable-field-export-row input[type=checkbox]")
    expect(boxes.first).to_be_checked()
    page.locator("input.select-toggle").uncheck()
    expect(boxes.first).not_to_be_checked()
    page.locator("input.select-toggle").check()
    expect(boxes.first).to_be_checked()
