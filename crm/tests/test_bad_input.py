"""Bad input, rule by rule (docs/decisions.md, "Limits"): the range of dates, ids and the length of
texts, NUL characters, overlong query strings, timeline cursors. test_fuzz_inputs.py sends every
bad value everywhere; here each rule is pinned where it matters, with what the user sees.
"""

import datetime
import html as html_lib
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError

from accounts.tests.factories import UserFactory
from crm import services
from crm.inputs import DATE_MAX_YEAR, DATE_MIN_YEAR, ID_MAX, TEXT_MAX_LENGTH, parse_id
from crm.models import Communication, Counterparty, Order, Status, Task, Thread
from crm.tests.factories import (
    CommunicationFactory,
)
from savedfilters.models import SavedFilter

pytestmark = pytest.mark.django_db

SOFIA = ZoneInfo("Europe/Sofia")
DATE_MESSAGE = f"Въведете дата между {DATE_MIN_YEAR} и {DATE_MAX_YEAR} г."


def field_errors(response) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, text in re.findall(r'data-error-for="(\w+)">(.*?)</div>', response.content.decode(), re.S):
        found.setdefault(name, []).append(html_lib.unescape(text.strip()))
    return found


def error_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


def communication_data(w, **changes) -> dict:
    return {
        "thread": w["thread"].pk,
        "direction": "in",
        "channel": "phone",
        "subject": "Обаждане",
        "counterparty": w["counterparty"].pk,
        "counterparty_name": "Алфа",
        "status": "new",
        "occurred_at": "2026-03-01T10:00",
        **changes,
    }


def task_data(w, **changes) -> dict:
    return {"thread": w["thread"].pk, "subject": "Задача", "status": "new", **changes}


# --- dates ------------------------------------------------------------------------------------------

FORM_DATES = [
    # (url of the form, data builder, date field, model)
    ("/communications/new/", communication_data, "occurred_at", Communication),
    ("/tasks/new/", task_data, "deadline", Task),
]


@pytest.mark.parametrize(("url", "data", "field", "model"), FORM_DATES)
@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59", "1899-12-31T23:59", "2101-01-01T00:00"])
def test_a_date_out_of_range_is_a_message_on_its_field_and_the_pages_stay_up(
    client_ivan, world, url, data, field, model, value
):
    before = model.objects.count()
    response = client_ivan.post(url, data(world, **{field: value}))

    assert response.status_code == 200
    assert field_errors(response)[field] == [DATE_MESSAGE]
    assert f'value="{value}"' in response.content.decode()  # the input is kept
    assert model.objects.count() == before
    for page in ("/communications/", "/tasks/", world["thread"].get_absolute_url(), "/"):
        assert client_ivan.get(page).status_code == 200


@pytest.mark.parametrize(("url", "data", "field", "model"), FORM_DATES)
@pytest.mark.parametrize("value", ["1900-01-01T00:00", "2100-12-31T23:59"])
def test_the_first_and_last_day_of_the_range_are_accepted(client_ivan, world, url, data, field, model, value):
    response = client_ivan.post(url, data(world, **{field: value}))
    assert response.status_code == 302, field_errors(response)
    saved = getattr(model.objects.latest("pk"), field)
    assert saved.astimezone(SOFIA).replace(tzinfo=None) == datetime.datetime.fromisoformat(value)
    for page in ("/communications/", "/tasks/", world["thread"].get_absolute_url(), "/"):
        assert client_ivan.get(page).status_code == 200


@pytest.mark.parametrize("kind", ["communication", "task"])
def test_an_edit_to_a_year_1_date_is_refused_and_changes_nothing(client_ivan, world, kind):
    obj = world[kind]
    field, data = ("occurred_at", communication_data) if kind == "communication" else ("deadline", task_data)
    stored = getattr(obj, field)
    response = client_ivan.post(f"{obj.get_absolute_url()}edit/", data(world, **{field: "0001-01-01T00:00"}))
    assert field_errors(response)[field] == [DATE_MESSAGE]
    obj.refresh_from_db()
    assert getattr(obj, field) == stored


YEAR_1 = datetime.datetime(1, 1, 1, tzinfo=SOFIA)


def test_the_services_refuse_dates_out_of_range_too(user, world):
    """The admin, seed_demo and later an API write through the services, not the forms."""
    thread = world["thread"]
    with pytest.raises(ValidationError) as error:
        services.task_create(author=user, subject="Задача", thread=thread, deadline=YEAR_1)
    assert error.value.message_dict == {"deadline": [DATE_MESSAGE]}
    with pytest.raises(ValidationError) as error:
        services.communication_create(
            author=user,
            direction="in",
            channel="phone",
            subject="Обаждане",
            counterparty_name="Алфа",
            occurred_at=YEAR_1,
        )
    assert error.value.message_dict == {"occurred_at": [DATE_MESSAGE]}
    task = world["task"]
    with pytest.raises(ValidationError) as error:
        services.item_edit(item=task, actor=user, changes={"deadline": datetime.datetime(2101, 1, 1, tzinfo=SOFIA)})
    assert "deadline" in error.value.message_dict
    assert Task.objects.count() == 1 and Communication.objects.count() == 1


@pytest.mark.parametrize(
    ("value", "refused"), [("1899-12-31", True), ("1900-01-01", False), ("2100-12-31", False), ("2101-01-01", True)]
)
def test_the_list_filters_take_the_same_range(client_ivan, world, value, refused):
    html = client_ivan.get("/tasks/", {"deadline_before": value}).content.decode()
    slot = re.search(r'<div id="error-deadline_before"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert (DATE_MESSAGE in slot) is refused


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(("value", "saved"), [("0001-01-01", False), ("2101-01-01", False), ("2100-12-31", True)])
def test_the_admin_order_date_takes_the_range(admin_client, value, saved):
    response = admin_client.post(
        "/admin/crm/order/add/",
        {"kind": "sales", "number": "SO-2026-00001", "date": value, "status": "draft", "_save": "Save"},
    )
    assert Order.objects.exists() is saved
    if not saved:
        assert response.status_code == 200
        assert DATE_MESSAGE in html_lib.unescape(response.content.decode())


# --- lengths -----------------------------------------------------------------------------------------

DESCRIPTION_FORMS = [
    ("/communications/new/", communication_data, Communication),
    ("/tasks/new/", task_data, Task),
    ("/threads/new/", lambda w, **c: {"subject": "Тема", "counterparty_name": "Бета", **c}, Thread),
]


@pytest.mark.parametrize(("url", "data", "model"), DESCRIPTION_FORMS)
def test_a_description_over_the_limit_is_a_message_on_the_field(client_ivan, world, url, data, model):
    before = model.objects.count()
    response = client_ivan.post(url, data(world, description="@[x](user:1) " * 2_000))  # 25 999 characters, stripped
    assert response.status_code == 200
    assert field_errors(response)["description"] == [
        f"Уверете се, че тази стойност има най-много {TEXT_MAX_LENGTH} знака (тя има 25999)."
    ]
    assert model.objects.count() == before

    response = client_ivan.post(url, data(world, description="я" * TEXT_MAX_LENGTH))
    assert response.status_code == 302
    assert model.objects.latest("pk").description == "я" * TEXT_MAX_LENGTH


@pytest.mark.parametrize(("url", "data", "model"), DESCRIPTION_FORMS)
def test_line_breaks_of_a_description_are_stored_as_lf(client_ivan, world, url, data, model):
    """Browsers submit a textarea's line breaks as CRLF: stored as LF, so an edit form saved
    unchanged keeps the text, and a text of exactly the limit in LF lines is accepted."""
    lines = "ред\r\n" * (TEXT_MAX_LENGTH // 4 - 2) + "ред\rкрай"  # TEXT_MAX_LENGTH characters in LF
    response = client_ivan.post(url, data(world, description=lines))
    assert response.status_code == 302
    assert model.objects.latest("pk").description == lines.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize("url", ["/communications/new/", "/tasks/new/", "/threads/new/"])
def test_the_description_field_says_its_limit(client_ivan, url):
    html = client_ivan.get(url).content.decode()
    textarea = re.search(r'<textarea name="description"[^>]*>', html).group(0)
    assert f'maxlength="{TEXT_MAX_LENGTH}"' in textarea
    assert "До 20 000 знака." in html


def test_the_services_refuse_texts_their_columns_cannot_hold(user, world):
    """Forms say so first; the services say it again to the admin and any other caller, as a
    message on the field — before, PostgreSQL answered with a DataError and SQLite stored it."""
    cases = [
        (services.thread_create, {"subject": "Тема", "description": "x" * (TEXT_MAX_LENGTH + 1)}, "description"),
        (services.thread_create, {"subject": "x" * 256}, "subject"),
        (services.thread_create, {"subject": "Тема", "counterparty_name": "x" * 256}, "counterparty_name"),
        (services.thread_create, {"subject": "на\x00ул"}, "subject"),
        (services.task_create, {"subject": "Задача", "description": "x" * (TEXT_MAX_LENGTH + 1)}, "description"),
        (
            services.communication_create,
            {
                "direction": "in",
                "channel": "phone",
                "subject": "Т",
                "counterparty_name": "Алфа",
                "contact_name": "я" * 256,
            },
            "contact_name",
        ),
        (
            services.communication_create,
            {"direction": "in", "channel": "phone", "subject": "Т", "counterparty_name": "А\x00лфа"},
            "counterparty_name",
        ),
    ]
    for create, kwargs, field in cases:
        with pytest.raises(ValidationError) as error:
            create(author=user, **kwargs)
        assert list(error.value.message_dict) == [field], (create.__name__, field)
    with pytest.raises(ValidationError) as error:
        services.counterparty_promote(name="Гама\x00", actor=user)
    assert list(error.value.message_dict) == ["name"]
    assert Thread.objects.count() == 1 and Counterparty.objects.count() == 1


def test_a_row_saved_before_the_limit_still_takes_a_status_change_and_a_copy_explains(client_ivan, user, world):
    long = "x" * (TEXT_MAX_LENGTH + 5)
    Task.objects.filter(pk=world["task"].pk).update(description=long)
    Communication.objects.filter(pk=world["communication"].pk).update(description=long)
    task = Task.objects.get(pk=world["task"].pk)

    services.task_status_set(task=task, actor=user, status=Status.DONE)
    assert Task.objects.get(pk=task.pk).status == Status.DONE

    communication = world["communication"]
    response = client_ivan.post(f"/communications/{communication.pk}/to-task/")
    assert response.status_code == 302 and response["Location"] == communication.get_absolute_url()
    assert error_messages(response)
    assert Task.objects.count() == 1


def test_the_admin_refuses_counterparty_notes_over_the_limit(admin_client):
    response = admin_client.post(
        "/admin/crm/counterparty/add/",
        {
            "name": "Делта",
            "notes": "x" * (TEXT_MAX_LENGTH + 1),
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "_save": "Save",
        },
    )
    assert response.status_code == 200
    assert not Counterparty.objects.exists()


def test_a_tampered_form_token_is_no_token(client_ivan, world):
    """Not an error the user could not see: the form saves, and the session keeps nothing of it."""
    response = client_ivan.post("/tasks/new/", task_data(world, form_token="x" * 100_000))
    assert response.status_code == 302
    assert Task.objects.count() == 2
    assert "x" * 100 not in str(client_ivan.session.get("crm_form_tokens", {}))


# --- ids -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        (12, 12),
        (str(ID_MAX), ID_MAX),
        (str(ID_MAX + 1), None),
        (str(10**30), None),
        ("0", None),
        ("-1", None),
        ("²", None),
        ("١٢", None),
        (" 1", None),
        ("1.0", None),
        ("1" * 5000, None),
        ("", None),
        (None, None),
    ],
)
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize("raw", [str(2**63), str(2**64 + 1), str(10**30), "²", "-1", "abc"])
def test_the_contacts_endpoint_ignores_an_id_that_names_nothing(client_ivan, world, raw):
    response = client_ivan.get("/counterparties/contacts/", {"counterparty": raw})
    assert response.status_code == 200
    assert "Петя" not in response.content.decode()
    assert (
        "Петя"
        in client_ivan.get("/counterparties/contacts/", {"counterparty": world["counterparty"].pk}).content.decode()
    )


@pytest.mark.parametrize(
    "url", ["/communications/new/?thread={}", "/communications/new/?reply_to={}", "/tasks/new/?thread={}"]
)
@pytest.mark.parametrize("raw", [str(2**64 + 1), "²"])
def test_a_preselect_id_that_names_nothing_is_ignored(client_ivan, world, url, raw):
    response = client_ivan.get(url.format(raw))
    assert response.status_code == 200
    assert world["thread"].number not in response.content.decode()


@pytest.mark.parametrize("raw", [str(2**63), str(2**64 + 1), "²"])
def test_a_counterparty_id_that_names_nothing_is_a_message_on_the_field(client_ivan, world, raw):
    response = client_ivan.post("/communications/new/", communication_data(world, counterparty=raw, contact=""))
    assert response.status_code == 200
    assert field_errors(response)["counterparty"] == ["Този контрагент не съществува (вече)."]


# --- NUL, invalid UTF-8, overlong query strings ------------------------------------------------------


def test_a_nul_in_a_search_box_is_dropped(client_ivan, user, world):
    response = client_ivan.get("/mentions/autocomplete/", {"q": "Ив\x00ан", "trigger": "@"})
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [user.pk]

    response = client_ivan.get("/counterparties/search/", {"q": "Ал\x00фа"})
    assert response.status_code == 200
    assert re.findall(r'data-pick-id="(\d+)"', response.content.decode()) == [str(world["counterparty"].pk)]


def test_a_nul_in_a_list_filter_is_dropped(client_ivan, world):
    other = CommunicationFactory(thread=world["thread"], subject="Оферта")
    subject = world["communication"].subject
    html = client_ivan.get("/communications/", {"subject": subject[:3] + "\x00" + subject[3:]}).content.decode()
    assert world["communication"].number in html
    assert other.number not in html  # the filter applied, without the NUL


def test_a_nul_in_a_saved_filter_name_is_a_message(client_ivan):
    response = client_ivan.post("/saved-filters/", {"name": "Мо\x00и", "path": "/tasks/", "query": "status=new"})
    assert response.status_code == 302
    assert error_messages(response) == ["Празни знаци не са разрешени."]
    assert not SavedFilter.objects.exists()


@pytest.mark.parametrize("raw", ["%ED%A0%80", "%FF", "%C0%AF", "%F4%90%80%80"])
def test_invalid_utf8_in_a_query_string_is_replaced_not_an_error(client_ivan, world, raw):
    for url in ("/counterparties/search/?q=", "/mentions/autocomplete/?q=", "/communications/?subject="):
        assert client_ivan.get(url + raw).status_code == 200


def test_an_overlong_query_string_is_a_400(client_ivan, world):
    assert client_ivan.get("/counterparties/search/", {"q": "x" * 9000}).status_code == 400
    assert client_ivan.get("/tasks/", {"subject": "x" * 9000}).status_code == 400
    # A full filter in Cyrillic is far below the limit.
    filled = {"subject": "я" * 255, "counterparty": "я" * 255, "number": "я" * 32, "status": "new"}
    assert client_ivan.get("/tasks/", filled).status_code == 200


# --- the timeline cursor ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        "9999-12-31T23:59:59+00:00|0|1",  # past year 9999 in Sofia
        "0001-01-01T00:00:00+05:00|1|1",  # before year 1 in UTC
        "0001-01-01T00:00:00+00:00|1|1",
        "2101-01-01T00:00:00+00:00|1|1",
        "2026-03-01T10:00:00+00:00|9|1",  # no such kind
        f"2026-03-01T10:00:00+00:00|1|{2**64 + 1}",
        "2026-03-01T10:00:00+00:00|1|²",
        "2026-03-01T10:00:00+00:00|1|0",
        "2026-03-01T10:00:00|1|1",  # naive
        "2026-03-01T10:00:00+00:00|1|1|1",
        "x" * 1000,
    ],
)
def test_a_timeline_cursor_out_of_range_gives_the_newest_page(client_ivan, world, cursor):
    thread = world["thread"]
    newest = client_ivan.get(thread.get_absolute_url()).content.decode()
    response = client_ivan.get(thread.get_absolute_url(), {"before": cursor}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert world["communication"].number in html and world["task"].number in html
    assert html.count("timeline-item") == newest.count("timeline-item")


# --- redirects after a form ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["-1", "crm:dashboard", "0001-01-01T00:00", "https://evil.example/", "//evil.example/"]
)
def test_next_is_a_local_path_or_ignored(client_ivan, world, target):
    task = world["task"]
    response = client_ivan.post(f"/tasks/{task.pk}/edit/", {"status_only": "1", "status": "done", "next": target})
    assert response.status_code == 302 and response["Location"] == task.get_absolute_url()
    response = client_ivan.post("/counterparties/promote/", {"name": "Гама", "next": target})
    assert response.status_code == 302 and response["Location"].startswith("/counterparties/")
