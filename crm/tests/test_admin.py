"""The Django admin of the CRM (crm/admin.py): every page loads in few queries, counterparties with
their contacts, filters, search, the promote action, escaping, and deletion (admin only)."""

import html as html_lib
import re

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from crm import services
from crm.models import (
    Attachment,
    Communication,
    ContactPerson,
    Counterparty,
    HeldMail,
    MailBounce,
    Mailbox,
    NumberSequence,
    Order,
    Product,
    Task,
    Thread,
    ThreadEvent,
)
from crm.tests.factories import (
    CommunicationFactory,
    ContactPersonFactory,
    CounterpartyFactory,
    OrderFactory,
    ProductFactory,
    TaskFactory,
    ThreadFactory,
)

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
CRM_MODELS = [
    "counterparty",
    "contactperson",
    "product",
    "order",
    "thread",
    "communication",
    "task",
    "attachment",
    "numbersequence",
    *("mailbox", "heldmail", "mailbounce"),
]


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", first_name="Админ", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def page(response) -> str:
    return response.content.decode()


def admin_messages(html: str) -> list[tuple[str, str]]:
    return [
        (kind, html_lib.unescape(re.sub(r"<[^>]+>", "", text)).strip())
        for kind, text in re.findall(r'<li class="(\w+)">(.*?)</li>', section(html, "messagelist"), re.S)
    ]


def section(html: str, css_class: str) -> str:
    match = re.search(rf'<ul class="{css_class}">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


def result_ids(html: str) -> list[int]:
    """The pks of the changelist's rows (their action checkboxes)."""
    return [int(v) for v in re.findall(r'name="_selected_action" value="(\d+)"', html)]


def row_count(html: str) -> int:
    body = re.search(r'<table id="result_list">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return len(re.findall(r"<tr\b", body))


def make_rows(n: int, *, author) -> dict:
    """``n`` rows of every CRM model the admin shows; returns one of each."""
    rows = {}
    for i in range(n):
        counterparty = CounterpartyFactory(roles=["client", "supplier"] if i % 2 else ["distributor"])
        contact = ContactPersonFactory(counterparty=counterparty)
        thread = ThreadFactory(counterparty=counterparty, author=author)
        communication = CommunicationFactory(thread=thread, author=author, assignee=author, contact=None)
        task = TaskFactory(thread=thread, author=author, assignee=author)
        attachment = Attachment(
            original_name=f"Файл {i}.pdf",
            size=10,
            content_type="application/pdf",
            uploaded_by=author,
            thread=thread,
            communication=communication,
        )
        attachment.file.name = default_storage.save(f"attachments/admin-{i}.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
        attachment.save()
        rows.update(
            counterparty=counterparty,
            contactperson=contact,
            product=ProductFactory(),
            order=OrderFactory(counterparty=counterparty),
            thread=thread,
            communication=communication,
            task=task,
            attachment=attachment,
            numbersequence=NumberSequence.objects.create(key=f"X-{NumberSequence.objects.count()}", last_value=i),
            mailbox=Mailbox.objects.create(key=f"crm{Mailbox.objects.count()}@mail.firm.bg:993/INBOX", last_error=XSS),
            heldmail=HeldMail.objects.create(raw=f"mail_held/{i}.eml", sender=f"robot{i}@x.bg", subject=XSS),
            mailbounce=MailBounce.objects.create(
                communication=communication, original_message_id=f"<{i}@x>", reason=XSS
            ),
        )
    return rows


def count_queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), page(response)


# --- every page loads -------------------------------------------------------------------------------


def test_the_crm_models_in_the_admin():
    registered = sorted(m._meta.model_name for m in admin.site._registry if m._meta.app_label == "crm")
    assert registered == sorted(CRM_MODELS)


@pytest.mark.parametrize("model", CRM_MODELS)
def test_changelist_loads_in_the_same_queries_for_3_or_30_rows(admin_client, superuser, model):
    make_rows(3, author=superuser)
    url = f"/admin/crm/{model}/"
    admin_client.get(url)  # warm up
    few, few_html = count_queries(admin_client, url)
    make_rows(27, author=superuser)
    many, many_html = count_queries(admin_client, url)

    assert row_count(few_html) == 3
    assert row_count(many_html) == 30
    assert many == few
    assert many <= 15


@pytest.mark.parametrize("model", CRM_MODELS)
def test_change_page_loads(admin_client, superuser, model):
    rows = make_rows(2, author=superuser)
    url = f"/admin/crm/{model}/{rows[model].pk}/change/"
    count, html = count_queries(admin_client, url)
    assert count <= 25
    assert "Traceback" not in html


@pytest.mark.parametrize("model", ["counterparty", "product", "order"])
def test_add_page_loads(admin_client, model):
    count, _html = count_queries(admin_client, f"/admin/crm/{model}/add/")
    assert count <= 15


@pytest.mark.parametrize(
    "model", ["thread", "communication", "task", "attachment", "numbersequence", "mailbox", "heldmail", "mailbounce"]
)
def test_documents_cannot_be_added_or_changed_in_the_admin(admin_client, superuser, model):
    """Threads, communications and tasks are written in the app (with their numbers, rules, events)."""
    rows = make_rows(1, author=superuser)
    assert admin_client.get(f"/admin/crm/{model}/add/").status_code == 403
    html = page(admin_client.get(f"/admin/crm/{model}/{rows[model].pk}/change/"))
    assert 'name="_save"' not in html


def test_admin_index_lists_the_crm(admin_client):
    html = page(admin_client.get("/admin/"))
    for model in CRM_MODELS:
        assert f'href="/admin/crm/{model}/"' in html


@pytest.mark.parametrize("who", ["anonymous", "employee", "manager"])
def test_admin_is_for_staff_only(client, user, manager, who):
    if who != "anonymous":
        client.force_login(user if who == "employee" else manager)
    for url in ("/admin/", "/admin/crm/communication/", "/admin/crm/counterparty/add/"):
        response = client.get(url)
        assert response.status_code == 302
        # The admin's own login page, or the site's for anonymous (LoginRequiredMiddleware comes first).
        assert response["Location"].startswith(("/admin/login/", "/accounts/login/"))


# --- counterparties and their contacts ---------------------------------------------------------------


def counterparty_post(**fields) -> dict:
    data = {
        "name": "Омега Пластик АД",
        "roles": ["client", "distributor"],
        "company_id": "175123459",
        "vat_number": "BG175123459",
        "email": "office@omega.bg",
        "phone": "+359 2 123 4567",
        "address": "София, бул. България 1",
        "notes": "",
        "contacts-TOTAL_FORMS": "2",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "contacts-0-id": "",
        "contacts-0-counterparty": "",
        "contacts-0-name": "Иван Иванов",
        "contacts-0-position": "Управител",
        "contacts-0-email": "ivan@omega.bg",
        "contacts-0-phone": "0888 111 222",
        "contacts-1-id": "",
        "contacts-1-counterparty": "",
        "contacts-1-name": "Мария Георгиева",
        "contacts-1-position": "Снабдяване",
        "contacts-1-email": "",
        "contacts-1-phone": "",
        "_save": "Save",
    }
    data.update(fields)
    return data


def test_add_page_has_the_contacts_inline(admin_client):
    html = page(admin_client.get("/admin/crm/counterparty/add/"))
    for name in ("contacts-TOTAL_FORMS", "contacts-INITIAL_FORMS", "contacts-0-name", "contacts-1-position"):
        assert f'name="{name}"' in html
    for role in ("client", "supplier", "distributor"):
        assert re.search(rf'<input type="checkbox" name="roles" value="{role}"', html)


def test_add_counterparty_with_two_contacts(admin_client):
    response = admin_client.post("/admin/crm/counterparty/add/", counterparty_post())

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    counterparty = Counterparty.objects.get()
    assert response["Location"] == "/admin/crm/counterparty/"
    assert (counterparty.name, counterparty.roles, counterparty.company_id, counterparty.vat_number) == (
        "Омега Пластик АД",
        ["client", "distributor"],
        "175123459",
        "BG175123459",
    )
    contacts = sorted(counterparty.contacts.values_list("name", "position", "email"))
    assert contacts == [("Иван Иванов", "Управител", "ivan@omega.bg"), ("Мария Георгиева", "Снабдяване", "")]


def test_add_counterparty_with_a_blank_contact_row_saves_only_the_filled_one(admin_client):
    response = admin_client.post(
        "/admin/crm/counterparty/add/",
        counterparty_post(**{"contacts-1-name": "", "contacts-1-position": ""}),
    )
    assert response.status_code == 302
    assert list(ContactPerson.objects.values_list("name", flat=True)) == ["Иван Иванов"]


def test_add_counterparty_without_a_name_is_an_error_and_saves_nothing(admin_client):
    response = admin_client.post("/admin/crm/counterparty/add/", counterparty_post(name="  "))
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert not Counterparty.objects.exists()
    assert not ContactPerson.objects.exists()


def test_change_counterparty_edits_adds_and_removes_contacts(admin_client):
    counterparty = CounterpartyFactory(name="Стара фирма", roles=["client"])
    keep = ContactPersonFactory(counterparty=counterparty, name="Остава")
    drop = ContactPersonFactory(counterparty=counterparty, name="Напуснал")
    data = counterparty_post(
        name="Нова фирма",
        roles=["supplier"],
        **{
            "contacts-TOTAL_FORMS": "3",
            "contacts-INITIAL_FORMS": "2",
            "contacts-0-id": str(keep.pk),
            "contacts-0-counterparty": str(counterparty.pk),
            "contacts-0-name": "Остава Преименуван",
            "contacts-1-id": str(drop.pk),
            "contacts-1-counterparty": str(counterparty.pk),
            "contacts-1-name": drop.name,
            "contacts-1-DELETE": "on",
            "contacts-2-id": "",
            "contacts-2-counterparty": str(counterparty.pk),
            "contacts-2-name": "Нов човек",
            "contacts-2-position": "",
            "contacts-2-email": "",
            "contacts-2-phone": "",
        },
    )

    response = admin_client.post(f"/admin/crm/counterparty/{counterparty.pk}/change/", data)

    assert response.status_code == 302
    counterparty.refresh_from_db()
    assert (counterparty.name, counterparty.roles) == ("Нова фирма", ["supplier"])
    assert sorted(counterparty.contacts.values_list("name", flat=True)) == ["Нов човек", "Остава Преименуван"]


def test_role_filter(admin_client):
    supplier = CounterpartyFactory(name="Доставчик ООД", roles=["supplier"])
    both = CounterpartyFactory(name="Клиент и доставчик ООД", roles=["client", "supplier"])
    client_only = CounterpartyFactory(name="Само клиент ООД", roles=["client"])
    distributor = CounterpartyFactory(name="Дистрибутор ООД", roles=["distributor"])

    html = page(admin_client.get("/admin/crm/counterparty/", {"role": "supplier"}))

    assert sorted(result_ids(html)) == sorted([supplier.pk, both.pk])
    assert sorted(result_ids(page(admin_client.get("/admin/crm/counterparty/", {"role": "client"})))) == sorted(
        [both.pk, client_only.pk]
    )
    assert result_ids(page(admin_client.get("/admin/crm/counterparty/", {"role": "distributor"}))) == [distributor.pk]
    assert len(result_ids(page(admin_client.get("/admin/crm/counterparty/")))) == 4


@pytest.mark.parametrize(("query", "found"), [("131234567", True), ("1312345", True), ("BG131", True), ("999", False)])
def test_search_by_company_id_and_vat(admin_client, query, found):
    alfa = CounterpartyFactory(name="Алфа Трейд ООД", company_id="131234567", vat_number="BG131234567")
    CounterpartyFactory(name="Бета ЕООД", company_id="204000111", vat_number="")

    ids = result_ids(page(admin_client.get("/admin/crm/counterparty/", {"q": query})))

    assert ids == ([alfa.pk] if found else [])


def test_changelist_shows_roles_and_thread_count(admin_client, user):
    counterparty = CounterpartyFactory(name="Алфа Трейд ООД", roles=["client", "supplier"])
    ThreadFactory.create_batch(3, counterparty=counterparty, author=user)
    html = page(admin_client.get("/admin/crm/counterparty/"))
    row = re.search(r"<tr>.*?Алфа Трейд ООД.*?</tr>", html, re.S).group(0)
    assert re.search(r'<td class="field-thread_count">3</td>', row)
    assert "field-roles_display" in row


# --- the promote action --------------------------------------------------------------------------------


def test_promote_action_on_communications(admin_client, superuser):
    thread = ThreadFactory(counterparty=None, counterparty_name="Гама Метал ООД")
    first = CommunicationFactory(thread=thread, counterparty=None, counterparty_name="Гама Метал ООД")
    second = CommunicationFactory(thread=thread, counterparty=None, counterparty_name="ГАМА МЕТАЛ ООД")
    delta = CommunicationFactory(
        thread=ThreadFactory(counterparty=None, counterparty_name="Делта ЕООД"),
        counterparty=None,
        counterparty_name="Делта ЕООД",
    )
    not_selected = CommunicationFactory(
        thread=ThreadFactory(counterparty=None, counterparty_name="Епсилон"),
        counterparty=None,
        counterparty_name="Епсилон",
    )
    task = TaskFactory(thread=thread, counterparty=None, counterparty_name="гама метал оод")

    response = admin_client.post(
        "/admin/crm/communication/",
        {"action": "promote_counterparty_names", "_selected_action": [first.pk, second.pk, delta.pk]},
        follow=True,
    )

    assert response.status_code == 200
    # One counterparty per name ignoring case; which spelling of "Гама Метал ООД" wins is not specified.
    names = sorted(name.lower() for name in Counterparty.objects.values_list("name", flat=True))
    assert names == ["гама метал оод", "делта еоод"]
    gama = Counterparty.objects.exclude(name="Делта ЕООД").get()
    for row in (thread, first, second, task):
        row.refresh_from_db()
        assert (row.counterparty, row.counterparty_name) == (gama, "")
    not_selected.refresh_from_db()
    assert (not_selected.counterparty, not_selected.counterparty_name) == (None, "Епсилон")
    assert ThreadEvent.objects.filter(kind=ThreadEvent.Kind.COUNTERPARTY_PROMOTED).count() == 2
    assert [kind for kind, _text in admin_messages(page(response))] == ["success"]


@pytest.mark.parametrize("model", ["thread", "task"])
def test_promote_action_on_threads_and_tasks(admin_client, model):
    thread = ThreadFactory(counterparty=None, counterparty_name="Зета ООД")
    task = TaskFactory(thread=thread, counterparty=None, counterparty_name="Зета ООД")
    selected = thread if model == "thread" else task
    admin_client.post(
        f"/admin/crm/{model}/", {"action": "promote_counterparty_names", "_selected_action": [selected.pk]}
    )
    zeta = Counterparty.objects.get(name="Зета ООД")
    thread.refresh_from_db()
    task.refresh_from_db()
    assert thread.counterparty == task.counterparty == zeta


def test_promote_action_without_free_text_names_warns(admin_client):
    linked = CommunicationFactory()
    before = Counterparty.objects.count()
    response = admin_client.post(
        "/admin/crm/communication/",
        {"action": "promote_counterparty_names", "_selected_action": [linked.pk]},
        follow=True,
    )
    assert Counterparty.objects.count() == before
    assert [kind for kind, _text in admin_messages(page(response))] == ["warning"]


def test_promote_action_is_offered_and_bulk_delete_is_not(admin_client):
    CommunicationFactory()
    html = page(admin_client.get("/admin/crm/communication/"))
    options = re.findall(r'<option value="(\w*)"', re.search(r'<select name="action".*?</select>', html, re.S).group(0))
    assert "promote_counterparty_names" in options
    assert "delete_selected" not in options


# --- escaping ----------------------------------------------------------------------------------------------


def test_markup_in_names_is_escaped_in_the_changelists(admin_client, superuser):
    counterparty = CounterpartyFactory(name=XSS, company_id="")
    thread = ThreadFactory(counterparty=None, counterparty_name=XSS, subject=XSS, author=superuser)
    CommunicationFactory(thread=thread, counterparty=None, counterparty_name=XSS, subject=XSS)
    TaskFactory(thread=thread, counterparty=None, counterparty_name=XSS, subject=XSS)
    OrderFactory(counterparty=counterparty)
    ProductFactory(name=XSS)
    attachment = Attachment(original_name=XSS, size=1, content_type="text/plain", uploaded_by=superuser, thread=thread)
    attachment.file.name = default_storage.save("attachments/xss.txt", ContentFile(b"x"))
    attachment.save()

    for model in ("counterparty", "thread", "communication", "task", "order", "product", "attachment"):
        html = page(admin_client.get(f"/admin/crm/{model}/"))
        assert XSS not in html, model
        assert XSS_ESCAPED in html, model
    for url in (f"/admin/crm/counterparty/{counterparty.pk}/change/", f"/admin/crm/thread/{thread.pk}/change/"):
        html = page(admin_client.get(url))
        assert XSS not in html, url


def test_promote_action_message_escapes_the_name(admin_client):
    communication = CommunicationFactory(
        thread=ThreadFactory(counterparty=None, counterparty_name=XSS), counterparty=None, counterparty_name=XSS
    )
    response = admin_client.post(
        "/admin/crm/communication/",
        {"action": "promote_counterparty_names", "_selected_action": [communication.pk]},
        follow=True,
    )
    html = page(response)
    assert Counterparty.objects.filter(name=XSS).exists()
    assert XSS not in html
    assert XSS_ESCAPED in section(html, "messagelist")


# --- deleting (the admin's job) ------------------------------------------------------------------------------


def test_admin_deletes_a_communication_and_its_number_is_never_reused(admin_client, superuser):
    first = services.communication_create(
        author=superuser, direction="in", channel="phone", subject="Първо", counterparty_name="Бета"
    )
    response = admin_client.post(f"/admin/crm/communication/{first.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Communication.objects.filter(pk=first.pk).exists()
    second = services.communication_create(
        author=superuser, direction="in", channel="phone", subject="Второ", counterparty_name="Бета"
    )
    assert second.number != first.number


@pytest.mark.parametrize("model", ["thread", "task"])
def test_admin_deletes_threads_and_tasks(admin_client, superuser, model):
    """A thread that holds communications and tasks can be deleted from the admin: although
    Communication.thread and Task.thread are PROTECT, ThreadAdmin lists them as deleted with it
    (get_deleted_objects) and services.thread_delete removes them first."""
    task = services.task_create(author=superuser, subject="За триене")
    obj = task.thread if model == "thread" else task
    response = admin_client.post(f"/admin/crm/{model}/{obj.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not type(obj).objects.filter(pk=obj.pk).exists()
    if model == "thread":
        assert not Task.objects.exists()
        assert not Thread.objects.exists()


def test_number_sequences_cannot_be_deleted(admin_client):
    sequence = NumberSequence.objects.create(key="T-2026", last_value=5)
    assert admin_client.get(f"/admin/crm/numbersequence/{sequence.pk}/delete/").status_code == 403
    assert admin_client.post(f"/admin/crm/numbersequence/{sequence.pk}/delete/", {"post": "yes"}).status_code == 403
    assert NumberSequence.objects.filter(pk=sequence.pk).exists()


def test_order_and_product_are_saved_through_the_admin(admin_client):
    counterparty = CounterpartyFactory()
    response = admin_client.post("/admin/crm/product/add/", {"code": "PR-1", "name": "Профил 40x40", "_save": "Save"})
    assert response.status_code == 302
    assert Product.objects.get().name == "Профил 40x40"
    response = admin_client.post(
        "/admin/crm/order/add/",
        {
            "kind": "purchase",
            "number": "PO-2026-00001",
            "counterparty": counterparty.pk,
            "date": "2026-02-01",
            "status": "confirmed",
            "description": "",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert Order.objects.get().counterparty == counterparty


# --- search folding, header, identifiers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "make", "query"),
    [
        ("/admin/crm/counterparty/", lambda user: CounterpartyFactory(name="АЛФА ТРЕЙД ООД"), "алфа"),
        ("/admin/crm/counterparty/", lambda user: CounterpartyFactory(name="алфа трейд оод"), "АЛФА ТРЕЙД"),
        ("/admin/crm/counterparty/", lambda user: CounterpartyFactory(name="Ёлка ЕООД"), "ёЛКА"),
        ("/admin/crm/product/", lambda user: ProductFactory(name="ЛАМАРИНА 2 ММ"), "ламарина"),
        ("/admin/crm/order/", lambda user: OrderFactory(counterparty=CounterpartyFactory(name="БЕТА")), "бета"),
        ("/admin/crm/thread/", lambda user: ThreadFactory(author=user, subject="ОФЕРТА ЗА ТРЪБИ"), "тръби"),
        (
            "/admin/crm/thread/",
            lambda user: ThreadFactory(author=user, counterparty=None, counterparty_name="ГАМА"),
            "гама",
        ),
        ("/admin/crm/communication/", lambda user: CommunicationFactory(author=user, subject="РЕКЛАМАЦИЯ"), "реклам"),
        ("/admin/crm/task/", lambda user: TaskFactory(author=user, subject="ОБАЖДАНЕ НА КЛИЕНТА"), "обаждане"),
        ("/admin/accounts/user/", lambda user: UserFactory(username="zlatka", last_name="ЗЛАТАНОВА"), "златанова"),
    ],
)
def test_admin_search_folds_cyrillic_case(admin_client, user, url, make, query):
    found = make(user)
    CounterpartyFactory(name="Друга фирма")

    ids = result_ids(page(admin_client.get(url, {"q": query})))

    assert ids == [found.pk]


def test_admin_search_keeps_the_admin_rules_every_word_and_quoted_phrases(admin_client):
    both = CounterpartyFactory(name="АЛФА ТРЕЙД ООД")
    CounterpartyFactory(name="Алфа Метал")
    CounterpartyFactory(name="Трейд Алфа")

    assert result_ids(page(admin_client.get("/admin/crm/counterparty/", {"q": "алфа оод"}))) == [both.pk]
    assert result_ids(page(admin_client.get("/admin/crm/counterparty/", {"q": '"алфа трейд"'}))) == [both.pk]
    assert result_ids(page(admin_client.get("/admin/crm/counterparty/", {"q": "%"}))) == []


def test_admin_autocomplete_of_counterparties_folds_case(admin_client):
    alfa = CounterpartyFactory(name="АЛФА ТРЕЙД ООД")
    response = admin_client.get(
        "/admin/autocomplete/",
        {"term": "алфа", "app_label": "crm", "model_name": "order", "field_name": "counterparty"},
    )
    assert [r["id"] for r in response.json()["results"]] == [str(alfa.pk)]


def test_admin_header_and_titles_are_the_products(admin_client):
    html = page(admin_client.get("/admin/"))
    assert re.search(r'<div id="site-name"><a href="/admin/">CRM</a></div>', html)
    assert "<title>Администрация | CRM администрация</title>" in html
    assert "Django" not in re.search(r"<header.*?</header>", html, re.S).group(0)


def test_contact_inline_says_add_another_contact_person_in_bulgarian(admin_client):
    html = page(admin_client.get("/admin/crm/counterparty/add/"))
    data = re.search(r'data-inline-formset="([^"]+)"', html).group(1)
    assert "Добави още едно лице за контакт" in html_lib.unescape(data).encode().decode("unicode_escape")
    assert "css/admin.css" in html


def test_admin_form_shows_wrong_check_digits_on_their_fields(admin_client):
    response = admin_client.post(
        "/admin/crm/counterparty/add/", counterparty_post(company_id="175074751", vat_number="BG175074751")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"company_id", "vat_number"}
    assert "контролна" in errors["company_id"][0]
    assert not Counterparty.objects.exists()


def test_admin_edits_a_counterparty_whose_stored_ezik_predates_the_rule(admin_client):
    legacy = CounterpartyFactory(name="Стара ООД", company_id="131234567", vat_number="BG131234567")
    data = counterparty_post(name="Стара Нова ООД", company_id="131234567", vat_number="BG131234567")
    data |= {"contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0"}
    response = admin_client.post(f"/admin/crm/counterparty/{legacy.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    legacy.refresh_from_db()
    assert legacy.name == "Стара Нова ООД"
