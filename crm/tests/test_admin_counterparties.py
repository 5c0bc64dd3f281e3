"""The admin for counterparties: import (preview, per-row errors, the services' rules), export,
the merge action, the role and "has open tasks" filters, escaping."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from crm.admin_import import CounterpartyResource
from crm.models import Communication, ContactPerson, Counterparty, Status, ThreadEvent
from crm.tests.factories import (
    CommunicationFactory,
    ContactPersonFactory,
    CounterpartyFactory,
    TaskFactory,
    ThreadFactory,
)

pytestmark = pytest.mark.django_db

VALID_EIK = "131234568"
HEADER = "id,name,roles,company_id,vat_number,email,phone,address,notes\n"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


def _upload(admin_client, text: str, name="counterparties.csv", fmt="0"):
    upload = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return admin_client.post("/admin/crm/counterparty/import/", {"format": fmt, "import_file": upload})


def test_import_preview_reports_the_bad_row_and_imports_nothing(admin_client):
    text = (
        HEADER + ",Гама ООД,client,131 234 568,,office@gama.bg,,,\n"
        ",Делта АД,supplier,131234567,,,,,\n"  # a wrong check digit
        ",Епсилон,unknown-role,,,,,,\n"
        ",Зета,,,BG999,,,,\n"
    )
    response = _upload(admin_client, text)
    assert response.status_code == 200
    result = response.context["result"]
    assert result.has_validation_errors()
    invalid = {row.number: row for row in result.invalid_rows}
    assert set(invalid) == {2, 3, 4}
    assert "company_id" in invalid[2].error_dict
    assert "roles" in invalid[3].error_dict
    assert "vat_number" in invalid[4].error_dict
    page = response.content.decode()
    assert "Делта АД" in page and "confirm_form" not in response.context  # no confirm with errors
    assert not Counterparty.objects.exists()  # the dry run was rolled back


def test_import_of_a_good_file_goes_through_the_services(admin_client):
    text = HEADER + ',Гама ООД,"Клиент, supplier",131 234 568,131234568,office@gama.bg,,,\n'
    preview = _upload(admin_client, text)
    assert not preview.context["result"].has_errors() and not preview.context["result"].has_validation_errors()
    assert not Counterparty.objects.exists()
    confirm = preview.context["confirm_form"]
    response = admin_client.post("/admin/crm/counterparty/process_import/", confirm.initial)
    assert response.status_code == 302
    gama = Counterparty.objects.get()
    # The services' spelling: the ЕИК digits only, the VAT number with its country code.
    assert (gama.name, gama.roles, gama.company_id, gama.vat_number) == (
        "Гама ООД",
        ["client", "supplier"],
        VALID_EIK,
        "BG131234568",
    )


def test_import_updates_by_id_and_keeps_the_rules():
    gama = CounterpartyFactory(name="Гама", company_id="")
    dataset = CounterpartyResource().export()
    dataset.dict = [{**dataset.dict[0], "company_id": "131234567"}]
    result = CounterpartyResource().import_data(dataset, dry_run=False, use_transactions=True)
    assert result.has_validation_errors()
    gama.refresh_from_db()
    assert gama.company_id == ""


def test_xlsx_round_trip(admin_client):
    CounterpartyFactory(name="Алфа <b>Трейд</b>", roles=["client"], company_id=VALID_EIK)
    form = admin_client.get("/admin/crm/counterparty/export/").context["form"]
    # What the export page posts: every field ticked (their initial), XLSX (the second format).
    data = {name: field.initial for name, field in form.fields.items() if field.initial not in (None, False)}
    response = admin_client.post("/admin/crm/counterparty/export/", data | {"format": "1", "resource": "0"})
    assert response.status_code == 200, response.content[:500]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.active.values)
    assert rows[0][:3] == ("id", "name", "roles")
    assert rows[1][1:4] == ("Алфа <b>Трейд</b>", "client", VALID_EIK)


def test_import_preview_escapes_names(admin_client):
    response = _upload(admin_client, HEADER + ",<script>alert(1)</script>,,,,,,,\n")
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_merge_action_page_and_merge(admin_client):
    survivor = CounterpartyFactory(name="Алфа Трейд ООД")
    duplicate = CounterpartyFactory(name="<i>Алфа</i> дубликат")
    thread = ThreadFactory(counterparty=duplicate)
    CommunicationFactory(thread=thread, counterparty=duplicate)
    ContactPersonFactory(counterparty=duplicate, name="Иван")
    ids = [str(survivor.pk), str(duplicate.pk)]
    page = admin_client.post("/admin/crm/counterparty/", {"action": "merge_counterparties", "_selected_action": ids})
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;i&gt;Алфа&lt;/i&gt; дубликат" in html and "<i>Алфа</i>" not in html
    response = admin_client.post(
        "/admin/crm/counterparty/",
        {"action": "merge_counterparties", "_selected_action": ids, "confirm": "yes", "survivor": str(survivor.pk)},
    )
    assert response.status_code == 302
    assert not Counterparty.objects.filter(pk=duplicate.pk).exists()
    assert Communication.objects.get().counterparty == survivor
    assert ContactPerson.objects.get().counterparty == survivor
    assert ThreadEvent.objects.filter(thread=thread, kind=ThreadEvent.Kind.COUNTERPARTY_MERGED).count() == 1


def test_merge_needs_exactly_two(admin_client):
    one = CounterpartyFactory()
    response = admin_client.post(
        "/admin/crm/counterparty/", {"action": "merge_counterparties", "_selected_action": [str(one.pk)]}, follow=True
    )
    assert response.status_code == 200
    assert Counterparty.objects.filter(pk=one.pk).exists()
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_open_tasks_and_role_filters(admin_client):
    busy = CounterpartyFactory(name="Заета", roles=["client"])
    idle = CounterpartyFactory(name="Свободна", roles=["supplier"])
    thread = ThreadFactory(counterparty=busy)
    TaskFactory(thread=thread, counterparty=busy, status=Status.IN_PROGRESS)
    TaskFactory(thread=ThreadFactory(counterparty=idle), counterparty=idle, status=Status.DONE)

    def names(query):
        return [c.name for c in admin_client.get(f"/admin/crm/counterparty/?{query}").context["cl"].result_list]

    assert names("open_tasks=yes") == ["Заета"]
    assert names("open_tasks=no") == ["Свободна"]
    assert names("role=supplier") == ["Свободна"]


def test_contact_people_admin_lists_and_imports(admin_client):
    alfa = CounterpartyFactory(name="Алфа")
    ContactPersonFactory(counterparty=alfa, name="Анна")
    assert admin_client.get("/admin/crm/contactperson/").status_code == 200
    text = (
        "id,counterparty,counterparty_name,name,position,email,phone\n"
        f",{alfa.pk},,Борис,Снабдител,,\n,{alfa.pk},,,,x,\n"
    )
    upload = SimpleUploadedFile("contacts.csv", text.encode(), content_type="text/csv")
    response = admin_client.post("/admin/crm/contactperson/import/", {"format": "0", "import_file": upload})
    invalid = response.context["result"].invalid_rows
    assert [row.number for row in invalid] == [2]
    assert ContactPerson.objects.count() == 1
