"""Counterparties in the app: the list (search, role, paging, query counts), create and edit with
contact people, ЕИК/VAT check digits, the duplicate warning, the merge service."""

import pytest

from crm import services
from crm.models import Communication, ContactPerson, Counterparty, Order, Task, Thread, ThreadEvent
from crm.tests.factories import (
    CommunicationFactory,
    ContactPersonFactory,
    CounterpartyFactory,
    OrderFactory,
    TaskFactory,
    ThreadFactory,
)

pytestmark = pytest.mark.django_db

LAYOUT = 4  # session, user, the navbar's permissions (1), the bell's count and rows (1) (test_query_counts.py)
VALID_EIK = "131234568"  # seed_demo's Алфа Трейд
OTHER_VALID_EIK = "201987657"


def _ids(response) -> list[int]:
    return [c.pk for c in response.context["page"]]


def _post(name="Гама Инженеринг ООД", contacts=(), **fields) -> dict:
    data = {"name": name, "contacts-TOTAL_FORMS": str(len(contacts)), "contacts-INITIAL_FORMS": "0", **fields}
    for i, contact in enumerate(contacts):
        for key, value in contact.items():
            data[f"contacts-{i}-{key}"] = value
    return data


# --- the list ------------------------------------------------------------------------------------


@pytest.fixture
def directory():
    alfa = CounterpartyFactory(
        name="Алфа Трейд ООД", roles=["client"], company_id=VALID_EIK, vat_number="BG131234568", email="Office@Alfa.bg"
    )
    metal = CounterpartyFactory(name="МЕТАЛ КОМЕРС АД", roles=["supplier"], phone="+359 32 600 700")
    east = CounterpartyFactory(name="Дистрибуция Изток", roles=["distributor", "client"])
    ContactPersonFactory(counterparty=metal, name="Даниела Христова")
    return alfa, metal, east


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("алфа", ["Алфа Трейд ООД"]),  # Cyrillic folded: the name is capitalised
        ("метал", ["МЕТАЛ КОМЕРС АД"]),
        ("131 234", ["Алфа Трейд ООД"]),  # the ЕИК, spaced as people write it
        ("bg1312", ["Алфа Трейд ООД"]),  # the VAT number, lower case
        ("office@alfa", ["Алфа Трейд ООД"]),  # the e-mail, case folded
        ("600 700", ["МЕТАЛ КОМЕРС АД"]),  # the phone
        ("христова", ["МЕТАЛ КОМЕРС АД"]),  # a contact person's name
        ("няма такъв", []),
    ],
)
def test_search_finds_by_every_field(client, user, directory, query, expected):
    client.force_login(user)
    response = client.get("/counterparties/", {"q": query})
    assert response.status_code == 200
    assert [c.name for c in response.context["page"]] == expected


def test_role_filter_and_quick_buttons(client, user, directory):
    alfa, metal, east = directory
    client.force_login(user)
    assert _ids(client.get("/counterparties/?role=client")) == [alfa.pk, east.pk]
    assert _ids(client.get("/counterparties/?role=supplier")) == [metal.pk]
    page = client.get("/counterparties/?role=distributor").content.decode()
    assert 'id="quick-role-distributor"' in page and 'aria-current="true"' in page
    # An unknown role is a message, not an error page; the list is unfiltered.
    response = client.get("/counterparties/?role=<script>")
    assert response.status_code == 200 and len(_ids(response)) == 3
    assert "<script>" not in response.content.decode().split("<main", 1)[1]


def test_list_pages_by_keyset_in_name_order(client, user):
    for i in range(30):
        CounterpartyFactory(name=f"Фирма {i:02d}")
    client.force_login(user)
    first = client.get("/counterparties/")
    names = [c.name for c in first.context["page"]]
    assert names == [f"Фирма {i:02d}" for i in range(25)]
    after = first.context["page"].next_cursor
    second = client.get("/counterparties/", {"after": after})
    assert [c.name for c in second.context["page"]] == [f"Фирма {i:02d}" for i in range(25, 30)]


@pytest.mark.parametrize("rows", [1, 20])
def test_list_runs_a_pinned_number_of_queries(client, user, rows, django_assert_num_queries):
    for i in range(rows):
        c = CounterpartyFactory(name=f"Фирма {i:02d}")
        ContactPersonFactory(counterparty=c)
    client.force_login(user)
    client.get("/counterparties/")  # the content types and permissions cached
    # The keyset window and the filtered keys (paging), the rows with their contact counts, the
    # sidebar's saved filters.
    with django_assert_num_queries(LAYOUT + 4):
        response = client.get("/counterparties/?q=фирма")
    assert len(response.context["page"]) == rows


def test_export_is_the_filtered_list(client, user, directory):
    client.force_login(user)
    response = client.get("/counterparties/export.csv?role=supplier")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "МЕТАЛ КОМЕРС АД" in body and "Алфа" not in body


def test_list_shows_new_button_to_those_who_may_create(client, user, manager):
    client.force_login(user)
    assert 'id="counterparty-new"' not in client.get("/counterparties/").content.decode()
    client.force_login(manager)
    assert 'id="counterparty-new"' in client.get("/counterparties/").content.decode()


# --- create and edit -----------------------------------------------------------------------------


def test_create_with_contacts(client, manager):
    client.force_login(manager)
    contacts = [{"name": "Иван Иванов", "position": "Управител", "email": "ivan@gama.bg"}, {"name": ""}]
    response = client.post(
        "/counterparties/new/",
        _post(roles=["client", "supplier"], company_id="131 234 568", vat_number="131234568", contacts=contacts),
    )
    counterparty = Counterparty.objects.get(name="Гама Инженеринг ООД")
    assert response.status_code == 302 and response["Location"] == counterparty.get_absolute_url()
    assert counterparty.company_id == VALID_EIK and counterparty.vat_number == "BG131234568"
    assert counterparty.roles == ["client", "supplier"]
    assert list(counterparty.contacts.values_list("name", "position")) == [("Иван Иванов", "Управител")]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("company_id", "131234567", "company_id_checksum"),
        ("company_id", "12345", "company_id_format"),
        ("vat_number", "BG131234567", "vat_checksum"),
        ("vat_number", "US123", "vat_country"),
        ("email", "не-е-адрес", "invalid"),
    ],
)
def test_create_refuses_bad_identifiers_and_saves_nothing(client, manager, field, value, code):
    client.force_login(manager)
    response = client.post("/counterparties/new/", _post(contacts=[{"name": "Иван"}], **{field: value}))
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()[field]] == [code]
    assert not Counterparty.objects.exists() and not ContactPerson.objects.exists()


def test_contact_row_without_name_is_an_error(client, manager):
    client.force_login(manager)
    response = client.post("/counterparties/new/", _post(contacts=[{"name": "", "email": "a@b.bg"}]))
    assert response.status_code == 200
    assert response.context["contacts"].forms[0].errors["name"]
    assert not Counterparty.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "  алфа трейд   ООД "},  # the name, case and spacing aside
        {"name": "Друго име", "company_id": VALID_EIK},
        {"name": "Друго име", "email": "OFFICE@alfa.bg"},
    ],
)
def test_duplicate_warning_then_save_anyway(client, manager, directory, fields):
    alfa = directory[0]
    client.force_login(manager)
    data = _post(**fields)
    first = client.post("/counterparties/new/", data)
    assert first.status_code == 200
    page = first.content.decode()
    assert 'id="duplicate-warning"' in page and f'href="{alfa.get_absolute_url()}"' in page
    assert Counterparty.objects.count() == 3
    # The same submit again, with what the warning showed: saved.
    again = client.post("/counterparties/new/", data | {"duplicates_seen": str(alfa.pk)})
    assert again.status_code == 302
    assert Counterparty.objects.count() == 4


def test_a_new_look_alike_warns_again(client, manager, directory):
    """Having seen one duplicate is no licence for another that appeared since."""
    alfa = directory[0]
    client.force_login(manager)
    CounterpartyFactory(name="Алфа Трейд ООД")
    response = client.post("/counterparties/new/", _post(name="Алфа Трейд ООД", duplicates_seen=str(alfa.pk)))
    assert response.status_code == 200 and len(response.context["duplicates"]) == 2


def test_duplicate_names_are_escaped_in_the_warning(client, manager):
    CounterpartyFactory(name="<img src=x onerror=alert(1)>")
    client.force_login(manager)
    page = client.post("/counterparties/new/", _post(name="<img src=x onerror=alert(1)>")).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page


def test_edit_changes_fields_and_contacts(client, manager):
    counterparty = CounterpartyFactory(name="Бета ЕООД", company_id="")
    kept = ContactPersonFactory(counterparty=counterparty, name="Анна")
    gone = ContactPersonFactory(counterparty=counterparty, name="Борис")
    thread = ThreadFactory(counterparty=counterparty)
    call = CommunicationFactory(thread=thread, counterparty=counterparty, contact=gone)
    foreign = ContactPersonFactory(name="Чужд")
    client.force_login(manager)
    data = {
        "name": "Бета Плюс ЕООД",
        "company_id": OTHER_VALID_EIK,
        "contacts-TOTAL_FORMS": "4",
        "contacts-INITIAL_FORMS": "2",
        "contacts-0-id": str(kept.pk),
        "contacts-0-name": "Анна Петрова",
        "contacts-1-id": str(gone.pk),
        "contacts-1-name": "Борис",
        "contacts-1-DELETE": "on",
        "contacts-2-name": "Вера",
        # A tampered row: another counterparty's contact is neither changed nor removed.
        "contacts-3-id": str(foreign.pk),
        "contacts-3-name": "Хакнат",
        "contacts-3-DELETE": "on",
    }
    response = client.post(f"/counterparties/{counterparty.pk}/edit/", data)
    assert response.status_code == 302
    counterparty.refresh_from_db()
    assert (counterparty.name, counterparty.company_id) == ("Бета Плюс ЕООД", OTHER_VALID_EIK)
    assert sorted(counterparty.contacts.values_list("name", flat=True)) == ["Анна Петрова", "Вера"]
    foreign.refresh_from_db()
    assert foreign.name == "Чужд"
    call.refresh_from_db()
    assert (call.contact_id, call.contact_name) == (None, "Борис")


def test_edit_keeps_a_stored_identifier_from_before_the_rule(client, manager):
    counterparty = CounterpartyFactory(name="Стара фирма", company_id="123")  # saved before the check existed
    client.force_login(manager)
    response = client.post(f"/counterparties/{counterparty.pk}/edit/", _post(name="Стара фирма АД", company_id="123"))
    assert response.status_code == 302
    counterparty.refresh_from_db()
    assert (counterparty.name, counterparty.company_id) == ("Стара фирма АД", "123")


def test_edit_form_query_count(client, manager, django_assert_num_queries):
    counterparty = CounterpartyFactory(name="Бета ЕООД")
    for i in range(5):
        ContactPersonFactory(counterparty=counterparty, name=f"Лице {i}")
    client.force_login(manager)
    client.get(f"/counterparties/{counterparty.pk}/edit/")
    # The counterparty and its contacts (the permission check reuses the layout's).
    with django_assert_num_queries(LAYOUT + 2):
        client.get(f"/counterparties/{counterparty.pk}/edit/")


def test_detail_has_prefilled_buttons(client, user, manager):
    counterparty = CounterpartyFactory(name="Алфа Трейд ООД")
    client.force_login(user)
    page = client.get(counterparty.get_absolute_url()).content.decode()
    assert f'href="/communications/new/?counterparty={counterparty.pk}"' in page
    assert f'href="/tasks/new/?counterparty={counterparty.pk}"' in page
    assert 'id="counterparty-edit"' not in page
    client.force_login(manager)
    assert 'id="counterparty-edit"' in client.get(counterparty.get_absolute_url()).content.decode()
    form = client.get(f"/communications/new/?counterparty={counterparty.pk}").context["form"]
    assert form.initial["counterparty"] == counterparty and form.initial["counterparty_name"] == "Алфа Трейд ООД"
    task_form = client.get(f"/tasks/new/?counterparty={counterparty.pk}").context["form"]
    assert task_form.initial["counterparty"] == counterparty
    # A stale id opens an empty form.
    assert "counterparty" not in client.get("/tasks/new/?counterparty=999999").context["form"].initial


# --- merge ---------------------------------------------------------------------------------------


def test_merge_moves_everything_and_records_it(user):
    survivor = CounterpartyFactory(name="Алфа Трейд ООД", roles=["client"], company_id=VALID_EIK, email="")
    duplicate = CounterpartyFactory(
        name="АЛФА ТРЕЙД", roles=["supplier"], email="office@alfa.bg", phone="02 123", notes="стар запис"
    )
    ContactPersonFactory(counterparty=duplicate, name="Николай")
    own_thread = ThreadFactory(counterparty=survivor)
    dup_thread = ThreadFactory(counterparty=duplicate)
    mixed_thread = ThreadFactory(counterparty=None, counterparty_name="")
    CommunicationFactory(thread=dup_thread, counterparty=duplicate)
    CommunicationFactory(thread=mixed_thread, counterparty=duplicate)
    TaskFactory(thread=mixed_thread, counterparty=duplicate)
    OrderFactory(counterparty=duplicate)

    merged = services.counterparty_merge(survivor=survivor, duplicate=duplicate, actor=user)

    assert not Counterparty.objects.filter(pk=duplicate.pk).exists()
    for model in (Thread, Communication, Task, Order, ContactPerson):
        assert not model.objects.filter(counterparty_id=duplicate.pk).exists()
    assert Communication.objects.filter(counterparty=survivor).count() == 2
    assert Order.objects.filter(counterparty=survivor).count() == 1
    assert list(survivor.contacts.values_list("name", flat=True)) == ["Николай"]
    merged.refresh_from_db()
    assert merged.roles == ["client", "supplier"]
    assert (merged.company_id, merged.email, merged.phone, merged.notes) == (
        VALID_EIK,
        "office@alfa.bg",
        "02 123",
        "стар запис",
    )
    events = ThreadEvent.objects.filter(kind=ThreadEvent.Kind.COUNTERPARTY_MERGED)
    assert sorted(events.values_list("thread_id", flat=True)) == sorted([dup_thread.pk, mixed_thread.pk])
    assert events.first().data["name"] == "АЛФА ТРЕЙД"
    assert not ThreadEvent.objects.filter(thread=own_thread).exists()


def test_merge_with_itself_is_refused(user):
    from django.core.exceptions import ValidationError

    one = CounterpartyFactory()
    with pytest.raises(ValidationError):
        services.counterparty_merge(survivor=one, duplicate=one, actor=user)
    assert Counterparty.objects.filter(pk=one.pk).exists()


def test_merge_event_is_shown_in_the_timeline(client, user):
    survivor = CounterpartyFactory(name="Алфа")
    duplicate = CounterpartyFactory(name="<b>Алфа 2</b>")
    thread = ThreadFactory(counterparty=duplicate)
    services.counterparty_merge(survivor=survivor, duplicate=duplicate, actor=user)
    client.force_login(user)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "&lt;b&gt;Алфа 2&lt;/b&gt;" in page and "<b>Алфа 2</b>" not in page
