"""The CRM's pages (DESIGN.md "Pages", "Threads", "Domain"): forms, timelines, dashboard, counterparties.

communication_list / task_list are rewritten elsewhere (crm/list_views.py): test_access.py only
checks who may open them.
"""

import datetime
import html as html_lib
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from crm import services
from crm.models import (
    Attachment,
    Communication,
    Counterparty,
    Order,
    Status,
    Task,
    Thread,
    ThreadEvent,
    ThreadOrder,
)
from crm.tests.factories import (
    CommunicationFactory,
    ContactPersonFactory,
    CounterpartyFactory,
    OrderFactory,
    TaskFactory,
    ThreadFactory,
)

pytestmark = pytest.mark.django_db

SOFIA = ZoneInfo("Europe/Sofia")
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


# --- helpers ---------------------------------------------------------------------------------------


def page(response) -> str:
    return response.content.decode()


def field_errors(html: str) -> dict[str, list[str]]:
    """Errors the templates draw next to a field (``data-error-for="<field>"``)."""
    found: dict[str, list[str]] = {}
    for name, text in re.findall(r'data-error-for="(\w+)">(.*?)</div>', html, re.S):
        found.setdefault(name, []).append(html_lib.unescape(text.strip()))
    return found


def input_value(html: str, name: str) -> str | None:
    """The value of the <input name=...> (the first one with that name)."""
    for tag in re.findall(r"<input\b[^>]*>", html):
        if re.search(rf'\bname="{name}"', tag):
            value = re.search(r'\bvalue="([^"]*)"', tag)
            return html_lib.unescape(value.group(1)) if value else ""
    return None


def checked_radio(html: str, name: str) -> list[str]:
    return [
        re.search(r'value="([^"]*)"', tag).group(1)
        for tag in re.findall(r"<input\b[^>]*>", html)
        if f'name="{name}"' in tag and 'type="radio"' in tag and re.search(r"\schecked\b", tag)
    ]


def section(html: str, element_id: str) -> str:
    """The HTML of the element with ``id`` up to its closing tag of the same name (no nesting of it)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>', html)
    assert match, f"#{element_id} not on the page"
    tag = match.group(1)
    end = html.index(f"</{tag}>", match.end())
    return html[match.end() : end]


TIMELINE_ITEM = re.compile(r'<li class="timeline-item[^"]*"(?: id="(?P<id>[\w-]+)")?[^>]*>(?P<body>.*?)</li>', re.S)


def timeline_keys(html: str) -> list[str]:
    """The timeline's items top to bottom: ``communication-<pk>``, ``task-<pk>``, ``order-link-<pk>``, or
    ``event-EV-<n>`` for the events of fill_thread (their text shows the tag EV-<n>)."""
    keys = []
    for match in TIMELINE_ITEM.finditer(html):
        if match.group("id") and not match.group("id").startswith("event-"):  # events: by their tag
            keys.append(match.group("id"))
        else:
            name = re.search(r"EV-\d+", match.group("body"))
            keys.append(f"event-{name.group(0)}" if name else "event")
    return keys


def messages_on(html: str) -> list[tuple[str, str]]:
    return [
        (kind, html_lib.unescape(re.sub(r"<[^>]+>", "", text)).strip())
        for kind, text in re.findall(
            r'<div class="alert alert-(\w+) alert-dismissible[^"]*" role="alert">(.*?)</div>', html, re.S
        )
    ]


def communication_form(**fields) -> dict:
    data = {
        "form_token": uuid.uuid4().hex,
        "thread": "",
        "direction": "in",
        "channel": "phone",
        "subject": "Запитване за профили",
        "counterparty": "",
        "counterparty_name": "",
        "contact": "",
        "contact_name": "",
        "description": "",
        "occurred_at": "",
        "assignee": "",
        "status": "new",
    }
    data.update(fields)
    return data


def task_form(**fields) -> dict:
    data = {
        "form_token": uuid.uuid4().hex,
        "thread": "",
        "subject": "Изпрати оферта",
        "counterparty": "",
        "counterparty_name": "",
        "description": "",
        "assignee": "",
        "deadline": "",
        "status": "new",
    }
    data.update(fields)
    return data


def db_counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Thread, Communication, Task, Attachment, ThreadEvent, Counterparty))


def media_files() -> set[str]:
    root = Path(django_settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def alfa(db):
    return CounterpartyFactory(name="Алфа Трейд ООД", company_id="131234567")


@pytest.fixture
def georgi(db):
    return UserFactory(username="georgi", first_name="Георги", last_name="Димитров")


# --- creating a communication ----------------------------------------------------------------------


def test_new_communication_with_free_text_counterparty_opens_a_thread(client_ivan, user):
    response = client_ivan.post("/communications/new/", communication_form(counterparty_name="Бета Строй ЕООД"))

    communication = Communication.objects.get()
    thread = communication.thread
    assert response.status_code == 302
    assert response["Location"] == f"/threads/{thread.pk}/"
    assert (communication.counterparty, communication.counterparty_name) == (None, "Бета Строй ЕООД")
    assert (thread.subject, thread.counterparty_name, thread.author) == (
        "Запитване за профили",
        "Бета Строй ЕООД",
        user,
    )
    assert communication.author == user
    assert communication.number.startswith(f"{django_settings.NUMBER_PREFIX_INCOMING}-")
    html = page(client_ivan.get(response["Location"]))
    assert f'id="communication-{communication.pk}"' in html
    assert any(kind == "success" and communication.number in text for kind, text in messages_on(html))


def test_new_communication_with_a_linked_counterparty(client_ivan, alfa):
    contact = ContactPersonFactory(counterparty=alfa, name="Петя Стоянова")
    client_ivan.post(
        "/communications/new/",
        communication_form(counterparty=alfa.pk, counterparty_name=alfa.name, contact=contact.pk, direction="out"),
    )
    communication = Communication.objects.get()
    assert (communication.counterparty, communication.counterparty_name) == (alfa, "")
    assert communication.contact == contact
    assert communication.thread.counterparty == alfa
    assert communication.number.startswith(f"{django_settings.NUMBER_PREFIX_OUTGOING}-")


def test_picked_counterparty_with_its_name_in_other_case_is_a_link_not_free_text(client_ivan, alfa):
    """The type-ahead fills the box with the picked name; typing it in another case is the same name."""
    response = client_ivan.post(
        "/communications/new/", communication_form(counterparty=alfa.pk, counterparty_name="алфа трейд оод")
    )
    assert response.status_code == 302
    communication = Communication.objects.get()
    assert (communication.counterparty, communication.counterparty_name) == (alfa, "")


def test_new_communication_with_thread_field_joins_that_thread(client_ivan, alfa):
    thread = ThreadFactory(counterparty=alfa, subject="Доставка")
    before = Thread.objects.count()

    response = client_ivan.post(
        "/communications/new/", communication_form(thread=thread.pk, counterparty=alfa.pk, subject="Втори разговор")
    )

    assert response.status_code == 302
    assert response["Location"] == f"/threads/{thread.pk}/"
    assert Thread.objects.count() == before
    assert Communication.objects.get().thread == thread


def test_thread_query_parameter_preselects_the_thread(client_ivan, alfa):
    thread = ThreadFactory(counterparty=alfa, subject="Доставка на профили")
    html = page(client_ivan.get(f"/communications/new/?thread={thread.pk}"))
    assert input_value(html, "thread") == str(thread.pk)
    assert input_value(html, "counterparty") == str(alfa.pk)
    assert input_value(html, "counterparty_name") == alfa.name
    assert input_value(html, "subject") == "Доставка на профили"
    assert thread.number in html


def test_new_communication_form_has_a_fresh_token_each_time(client_ivan):
    first = input_value(page(client_ivan.get("/communications/new/")), "form_token")
    second = input_value(page(client_ivan.get("/communications/new/")), "form_token")
    assert first and second and first != second


def test_both_counterparty_and_another_name_is_an_error_on_the_name(client_ivan, alfa):
    before = db_counts()
    response = client_ivan.post(
        "/communications/new/",
        communication_form(counterparty=alfa.pk, counterparty_name="Гама ООД", subject="Моята уникална тема 42"),
    )

    assert response.status_code == 200
    html = page(response)
    assert set(field_errors(html)) == {"counterparty_name"}
    assert db_counts() == before
    # What the user typed is still there.
    assert input_value(html, "subject") == "Моята уникална тема 42"
    assert input_value(html, "counterparty_name") == "Гама ООД"
    assert "is-invalid" in re.search(r'<input[^>]*name="counterparty_name"[^>]*>', html).group(0)


def test_neither_counterparty_nor_name_is_an_error_on_counterparty(client_ivan):
    before = db_counts()
    response = client_ivan.post("/communications/new/", communication_form(subject="Без контрагент"))
    assert response.status_code == 200
    html = page(response)
    assert set(field_errors(html)) == {"counterparty"}
    assert input_value(html, "subject") == "Без контрагент"
    assert db_counts() == before


@pytest.mark.parametrize("thread_id", ["999999", "abc"])
def test_unknown_thread_is_an_error(client_ivan, thread_id):
    before = db_counts()
    response = client_ivan.post(
        "/communications/new/", communication_form(thread=thread_id, counterparty_name="Бета ЕООД")
    )
    assert response.status_code == 200
    assert "thread" in field_errors(page(response))
    assert db_counts() == before


def test_unknown_counterparty_id_is_an_error(client_ivan):
    before = db_counts()
    response = client_ivan.post("/communications/new/", communication_form(counterparty="999999"))
    assert response.status_code == 200
    assert "counterparty" in field_errors(page(response))
    assert db_counts() == before


def test_contact_of_another_counterparty_is_an_error(client_ivan, alfa):
    stranger = ContactPersonFactory(name="Чужд контакт")
    before = db_counts()
    response = client_ivan.post("/communications/new/", communication_form(counterparty=alfa.pk, contact=stranger.pk))
    assert response.status_code == 200
    assert "contact" in field_errors(page(response))
    assert db_counts() == before


def test_task_deadline_not_a_date_is_an_error(client_ivan):
    before = db_counts()
    response = client_ivan.post("/tasks/new/", task_form(deadline="not a date", subject="Задача със срок"))
    assert response.status_code == 200
    html = page(response)
    assert set(field_errors(html)) == {"deadline"}
    assert input_value(html, "subject") == "Задача със срок"
    assert db_counts() == before


def test_task_with_a_deadline_is_created_in_sofia_time(client_ivan):
    response = client_ivan.post("/tasks/new/", task_form(deadline="2026-12-31T17:00"))
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.deadline == datetime.datetime(2026, 12, 31, 17, 0, tzinfo=SOFIA)
    assert response["Location"] == f"/threads/{task.thread_id}/"


@pytest.mark.parametrize(
    ("url", "form"),
    [("/communications/new/", communication_form), ("/tasks/new/", task_form)],
    ids=["communication", "task"],
)
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("Голям файл.txt", b"x" * 2048),  # over the limit set below
        ("Снимка.jpg", b"this is no JPEG at all"),  # content does not match the name
        ("инсталатор.exe", b"MZ" + b"\x00" * 200),
    ],
    ids=["oversize", "fake-jpeg", "program"],
)
def test_refused_attachment_is_an_error_and_nothing_is_saved(client_ivan, settings, url, form, name, content):
    settings.ATTACHMENT_MAX_BYTES = 1024
    before, files_before = db_counts(), media_files()
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")

    response = client_ivan.post(url, {**form(counterparty_name="Бета ЕООД"), "attachments": [upload]})

    assert response.status_code == 200
    errors = field_errors(page(response))
    assert set(errors) == {"attachments"}
    assert name in errors["attachments"][0]
    assert db_counts() == before
    assert media_files() == files_before


def test_attachments_are_stored_with_the_communication(client_ivan):
    files = [
        SimpleUploadedFile("Оферта №5.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("бележки.txt", "Бележки от срещата".encode(), content_type="text/plain"),
    ]
    response = client_ivan.post(
        "/communications/new/", {**communication_form(counterparty_name="Бета"), "attachments": files}
    )
    assert response.status_code == 302
    communication = Communication.objects.get()
    assert sorted(a.original_name for a in communication.attachments.all()) == ["Оферта №5.pdf", "бележки.txt"]
    assert all(a.thread_id == communication.thread_id for a in communication.attachments.all())


# --- choosing an assignee in a form ------------------------------------------------------------------


def test_new_communication_with_an_assignee(client_ivan, georgi):
    """A picked assignee is a valid choice: the form is not validated before its __init__ has set
    the assignee queryset (add_bootstrap_classes reads ``form._errors``, not ``form.errors``)."""
    response = client_ivan.post(
        "/communications/new/", communication_form(counterparty_name="Бета ЕООД", assignee=georgi.pk)
    )
    assert response.status_code == 302, field_errors(page(response))
    communication = Communication.objects.get()
    assert (communication.assignee, communication.status) == (georgi, Status.ASSIGNED)


def test_new_task_with_an_assignee(client_ivan, georgi):
    """Same bug as above, in TaskForm."""
    response = client_ivan.post("/tasks/new/", task_form(assignee=georgi.pk))
    assert response.status_code == 302, field_errors(page(response))
    task = Task.objects.get()
    assert (task.assignee, task.status) == (georgi, Status.ASSIGNED)


# --- double submit -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "data", "model"),
    [
        ("/communications/new/", communication_form(counterparty_name="Бета ЕООД"), Communication),
        ("/tasks/new/", task_form(), Task),
        ("/threads/new/", {"form_token": uuid.uuid4().hex, "subject": "Нова тема", "counterparty_name": ""}, Thread),
    ],
    ids=["communication", "task", "thread"],
)
def test_double_submit_creates_one_object(client_ivan, url, data, model):
    first = client_ivan.post(url, data)
    second = client_ivan.post(url, data)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert model.objects.count() == 1
    assert Thread.objects.count() == 1


def test_two_forms_with_different_tokens_create_two_objects(client_ivan):
    client_ivan.post("/communications/new/", communication_form(counterparty_name="Бета ЕООД"))
    client_ivan.post("/communications/new/", communication_form(counterparty_name="Бета ЕООД"))
    assert Communication.objects.count() == 2


def test_rejected_submit_does_not_use_up_the_token(client_ivan):
    data = communication_form(counterparty_name="")
    assert client_ivan.post("/communications/new/", data).status_code == 200
    data["counterparty_name"] = "Бета ЕООД"
    assert client_ivan.post("/communications/new/", data).status_code == 302
    assert Communication.objects.count() == 1


# --- editing -----------------------------------------------------------------------------------------


@pytest.fixture
def call(user, alfa):
    """An incoming phone call by Иван."""
    thread = ThreadFactory(counterparty=alfa, author=user, subject="Доставка")
    return CommunicationFactory(thread=thread, counterparty=alfa, author=user, subject="Обаждане за цени")


def edit_form(communication, **fields) -> dict:
    data = {
        "direction": communication.direction,
        "channel": communication.channel,
        "subject": communication.subject,
        "description": communication.description,
        "counterparty": communication.counterparty_id or "",
        "counterparty_name": communication.counterparty_label,
        "contact": communication.contact_id or "",
        "contact_name": communication.contact_name,
        "assignee": communication.assignee_id or "",
        "status": communication.status,
        "occurred_at": "",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_edit_page_shows_the_current_values_and_a_locked_direction(client_ivan, call):
    html = page(client_ivan.get(f"/communications/{call.pk}/edit/"))
    assert input_value(html, "subject") == "Обаждане за цени"
    assert input_value(html, "counterparty") == str(call.counterparty_id)
    assert checked_radio(html, "direction") == ["in"]
    direction_inputs = [t for t in re.findall(r"<input\b[^>]*>", html) if 'name="direction"' in t]
    assert direction_inputs and all(re.search(r"\sdisabled\b", t) for t in direction_inputs)


def test_author_edits_a_communication_but_not_its_direction(client_ivan, call):
    number = call.number
    response = client_ivan.post(
        f"/communications/{call.pk}/edit/",
        edit_form(
            call,
            direction="out",
            channel="email",
            subject="Оферта по имейл",
            description="Изпратихме цени.",
            status="in_progress",
            occurred_at="2026-03-02T10:30",
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == f"/communications/{call.pk}/"
    call.refresh_from_db()
    assert (call.channel, call.subject, call.description, call.status) == (
        "email",
        "Оферта по имейл",
        "Изпратихме цени.",
        "in_progress",
    )
    assert call.occurred_at == datetime.datetime(2026, 3, 2, 10, 30, tzinfo=SOFIA)
    assert call.direction == "in"
    assert call.number == number
    assert ThreadEvent.objects.filter(communication=call, kind=ThreadEvent.Kind.STATUS_CHANGED).count() == 1


def test_edit_posted_by_a_browser_without_the_disabled_direction(client_ivan, call):
    """A browser does not send the disabled direction; the edit saves anyway (the form is validated
    after ``editing=True`` disabled the field) and the direction stays."""
    data = edit_form(call, subject="Без посока във формата", direction=None)
    response = client_ivan.post(f"/communications/{call.pk}/edit/", data)
    assert response.status_code == 302, field_errors(page(response))
    call.refresh_from_db()
    assert (call.subject, call.direction) == ("Без посока във формата", "in")


def test_edit_assigns_a_colleague(client_ivan, call, georgi):
    """Assigning on edit works like on create (see test_new_communication_with_an_assignee)."""
    response = client_ivan.post(f"/communications/{call.pk}/edit/", edit_form(call, assignee=georgi.pk))
    assert response.status_code == 302, field_errors(page(response))
    call.refresh_from_db()
    assert (call.assignee, call.status) == (georgi, Status.ASSIGNED)
    assert ThreadEvent.objects.filter(communication=call, kind=ThreadEvent.Kind.ASSIGNED).exists()


def test_invalid_edit_changes_nothing(client_ivan, call):
    response = client_ivan.post(f"/communications/{call.pk}/edit/", edit_form(call, subject="", channel="fax"))
    assert response.status_code == 200
    assert {"subject", "channel"} <= set(field_errors(page(response)))
    call.refresh_from_db()
    assert (call.subject, call.channel) == ("Обаждане за цени", "phone")


@pytest.fixture
def task(user, alfa):
    thread = ThreadFactory(counterparty=alfa, author=user)
    return TaskFactory(thread=thread, counterparty=alfa, author=user, subject="Оферта до Алфа", status=Status.NEW)


def test_quick_status_change_records_an_event(client_ivan, task, user):
    response = client_ivan.post(f"/tasks/{task.pk}/edit/", {"status_only": "1", "status": "done"})

    assert response.status_code == 302
    assert response["Location"] == f"/tasks/{task.pk}/"
    task.refresh_from_db()
    assert task.status == Status.DONE
    event = ThreadEvent.objects.get(task=task)
    assert (event.kind, event.thread_id, event.actor, event.data) == (
        ThreadEvent.Kind.STATUS_CHANGED,
        task.thread_id,
        user,
        {"old": "new", "new": "done"},
    )
    html = page(client_ivan.get(f"/threads/{task.thread_id}/"))
    assert 'data-event="status_changed"' in html


def test_quick_status_change_returns_to_a_safe_next(client_ivan, task):
    response = client_ivan.post(
        f"/tasks/{task.pk}/edit/", {"status_only": "1", "status": "in_progress", "next": f"/threads/{task.thread_id}/"}
    )
    assert response["Location"] == f"/threads/{task.thread_id}/"
    response = client_ivan.post(
        f"/tasks/{task.pk}/edit/", {"status_only": "1", "status": "done", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/tasks/{task.pk}/"


def test_quick_status_change_to_unknown_status_changes_nothing(client_ivan, task):
    response = client_ivan.post(f"/tasks/{task.pk}/edit/", {"status_only": "1", "status": "archived"}, follow=True)
    task.refresh_from_db()
    assert task.status == Status.NEW
    assert not ThreadEvent.objects.exists()
    assert [kind for kind, _text in messages_on(page(response))] == ["danger"]


def test_task_edit_changes_fields_and_records_deadline_event(client_ivan, task):
    response = client_ivan.post(
        f"/tasks/{task.pk}/edit/",
        task_form(
            subject="Оферта до Алфа — спешно",
            counterparty=task.counterparty_id,
            counterparty_name=task.counterparty.name,
            deadline="2026-06-01T09:00",
            status="in_progress",
        ),
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.subject, task.status) == ("Оферта до Алфа — спешно", "in_progress")
    assert task.deadline == datetime.datetime(2026, 6, 1, 9, 0, tzinfo=SOFIA)
    kinds = set(ThreadEvent.objects.filter(task=task).values_list("kind", flat=True))
    assert kinds == {ThreadEvent.Kind.STATUS_CHANGED, ThreadEvent.Kind.DEADLINE_CHANGED}


# --- copy to task --------------------------------------------------------------------------------------


def test_copy_to_task_creates_a_prefilled_task(client, other_user, user, alfa):
    """The contract's plain POST (no form fields): the communication copied as it is."""
    communication = services.communication_create(
        author=user,
        direction="in",
        channel="email",
        subject="Рекламация",
        description="Счупени профили.",
        counterparty=alfa,
        assignee=user,
        files=[SimpleUploadedFile("снимка на щетите.pdf", PDF)],
    )
    client.force_login(other_user)

    response = client.post(f"/communications/{communication.pk}/to-task/")

    task = Task.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/threads/{communication.thread_id}/"
    assert task.source_communication == communication
    assert (task.thread, task.subject, task.description, task.counterparty, task.assignee) == (
        communication.thread,
        "Рекламация",
        "Счупени профили.",
        alfa,
        user,
    )
    assert task.author == other_user
    assert [a.original_name for a in task.attachments.all()] == ["снимка на щетите.pdf"]
    assert ThreadEvent.objects.filter(kind=ThreadEvent.Kind.TASK_COPIED, task=task).exists()
    html = page(client.get(response["Location"]))
    card = section(html, f"communication-{communication.pk}")
    assert f"копирано в {task.number}" in card
    assert f'href="/tasks/{task.pk}/"' in card
    assert "/to-task/" not in card  # copied: the card links the task instead of offering a copy


def copy_form(html: str) -> dict:
    """The copy-to-task form's fields as the browser would send them."""
    form = section(html, "copy-task-form")
    values = {}
    for tag in re.findall(r"<input [^>]*>", form):
        named = re.search(r'name="(\w+)"', tag)
        if named is None:  # a box with no name (the employee picker's type-ahead) is not sent
            continue
        name = named.group(1)
        value = re.search(r'value="([^"]*)"', tag)
        values[name] = value.group(1) if value else ""
    textarea = re.search(r'<textarea name="description"[^>]*>(.*?)</textarea>', form, re.S)
    values["description"] = html_lib.unescape(textarea.group(1)).strip()
    chosen = re.search(r'<select[^>]* name="assignee".*?<option value="(\d*)" selected>', form, re.S)
    values["assignee"] = chosen.group(1) if chosen else ""
    return {k: html_lib.unescape(v) for k, v in values.items()}


def test_copy_to_task_by_get_shows_a_prefilled_form_and_creates_nothing(client_ivan, user, other_user, alfa):
    communication = services.communication_create(
        author=user,
        direction="in",
        channel="phone",
        subject="Обаждане за рекламация",
        description="Липсват 3 палета.",
        counterparty=alfa,
        assignee=other_user,
        files=[SimpleUploadedFile("протокол.pdf", PDF)],
    )

    response = client_ivan.get(f"/communications/{communication.pk}/to-task/")

    assert response.status_code == 200
    assert not Task.objects.exists()
    html = page(response)
    values = copy_form(html)
    assert values["subject"] == "Обаждане за рекламация"
    assert values["description"] == "Липсват 3 палета."
    assert values["assignee"] == str(other_user.pk)  # carried over
    assert values.get("deadline", "") == ""
    assert re.fullmatch(r"[0-9a-f]{32}", values["form_token"])
    assert "протокол.pdf" in section(html, "copy-task-files")
    assert 'id="already-copied"' not in html


def test_copy_to_task_form_creates_the_task_with_what_the_user_changed(client_ivan, user, other_user, petar, alfa):
    communication = services.communication_create(
        author=user,
        direction="in",
        channel="phone",
        subject="Обаждане",
        counterparty=alfa,
        assignee=other_user,
        files=[SimpleUploadedFile("протокол.pdf", PDF)],
    )
    values = copy_form(page(client_ivan.get(f"/communications/{communication.pk}/to-task/")))
    values |= {"subject": "Изпрати нова доставка", "assignee": str(petar.pk), "deadline": "2026-12-31T17:00"}

    response = client_ivan.post(f"/communications/{communication.pk}/to-task/", values)

    task = Task.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/threads/{communication.thread_id}/"
    assert (task.subject, task.assignee, task.source_communication) == ("Изпрати нова доставка", petar, communication)
    assert task.deadline == datetime.datetime(2026, 12, 31, 17, 0, tzinfo=SOFIA)
    assert task.status == Status.ASSIGNED
    # The file is shared, not stored again: the thread lists it once.
    assert {a.file.name for a in task.attachments.all()} == {a.file.name for a in communication.attachments.all()}
    listing = section(page(client_ivan.get(response["Location"])), "thread-attachments")
    assert listing.count("протокол.pdf") == 1
    # A second submit of the same form makes nothing new.
    again = client_ivan.post(f"/communications/{communication.pk}/to-task/", values)
    assert again["Location"] == response["Location"]
    assert Task.objects.count() == 1


def test_copy_to_task_form_with_no_assignee_leaves_the_task_unassigned(client_ivan, user, other_user, alfa):
    communication = services.communication_create(
        author=user, direction="in", channel="phone", subject="Обаждане", counterparty=alfa, assignee=other_user
    )
    values = copy_form(page(client_ivan.get(f"/communications/{communication.pk}/to-task/"))) | {"assignee": ""}
    client_ivan.post(f"/communications/{communication.pk}/to-task/", values)
    assert Task.objects.get().assignee is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"deadline": "31.13.2026"}, "deadline"),
        ({"deadline": "0001-01-01T00:00"}, "deadline"),
        ({"assignee": "999999"}, "assignee"),
        ({"assignee": "x"}, "assignee"),
        ({"description": "д" * 20_001}, "description"),
    ],
)
def test_copy_to_task_form_errors_keep_the_input_and_save_nothing(client_ivan, user, alfa, change, field):
    communication = services.communication_create(
        author=user, direction="in", channel="phone", subject="Обаждане", counterparty=alfa, description="Текст"
    )
    values = copy_form(page(client_ivan.get(f"/communications/{communication.pk}/to-task/"))) | change

    response = client_ivan.post(f"/communications/{communication.pk}/to-task/", values)

    assert response.status_code == 200
    assert not Task.objects.exists()
    html = page(response)
    assert field_errors(html).get(field), field_errors(html)
    kept = copy_form(html)
    for name, value in change.items():
        if name != "assignee":
            assert kept[name] == value


def test_copy_to_task_form_on_a_copied_communication_says_so_and_copies_again(client_ivan, user, alfa):
    communication = services.communication_create(
        author=user, direction="in", channel="phone", subject="Обаждане", counterparty=alfa
    )
    first = services.communication_copy_to_task(communication=communication, actor=user)

    html = page(client_ivan.get(f"/communications/{communication.pk}/to-task/"))
    assert first.number in section(html, "already-copied")
    values = copy_form(html)
    assert values["again"] == "True"
    client_ivan.post(f"/communications/{communication.pk}/to-task/", values)
    assert Task.objects.filter(source_communication=communication).count() == 2


def test_copy_to_task_form_sent_after_someone_else_copied_names_that_task(client_ivan, user, alfa):
    communication = services.communication_create(
        author=user, direction="in", channel="phone", subject="Обаждане", counterparty=alfa
    )
    values = copy_form(page(client_ivan.get(f"/communications/{communication.pk}/to-task/")))
    first = services.communication_copy_to_task(communication=communication, actor=user)  # meanwhile

    response = client_ivan.post(f"/communications/{communication.pk}/to-task/", values)

    assert response["Location"] == f"/tasks/{first.pk}/"
    assert Task.objects.count() == 1


# --- linking orders ------------------------------------------------------------------------------------


def test_link_order_adds_it_to_the_thread(client_ivan, call, user):
    order = OrderFactory(counterparty=call.counterparty, number="SO-2026-00077")
    thread = call.thread

    response = client_ivan.post(f"/threads/{thread.pk}/link-order/", {"order": order.pk})

    assert response.status_code == 302
    assert response["Location"] == f"/threads/{thread.pk}/"
    link = ThreadOrder.objects.get()
    assert (link.thread, link.order, link.linked_by) == (thread, order, user)
    event = ThreadEvent.objects.get(kind=ThreadEvent.Kind.ORDER_LINKED)
    assert (event.thread, event.order, event.data["number"]) == (thread, order, "SO-2026-00077")
    html = page(client_ivan.get(response["Location"]))
    assert f'id="order-link-{link.pk}"' in html
    assert "SO-2026-00077" in section(html, "thread-orders")


def test_linking_an_order_twice_is_a_message_not_a_500(client_ivan, call):
    order = OrderFactory(counterparty=call.counterparty)
    url = f"/threads/{call.thread_id}/link-order/"
    client_ivan.post(url, {"order": order.pk}, follow=True)

    response = client_ivan.post(url, {"order": order.pk}, follow=True)

    assert response.status_code == 200
    assert ThreadOrder.objects.count() == 1
    assert ThreadEvent.objects.filter(kind=ThreadEvent.Kind.ORDER_LINKED).count() == 1
    assert [kind for kind, _text in messages_on(page(response))] == ["danger"]


@pytest.mark.parametrize("order_id", ["999999", "abc", ""])
def test_linking_an_unknown_order_is_a_message_not_a_500(client_ivan, call, order_id):
    response = client_ivan.post(f"/threads/{call.thread_id}/link-order/", {"order": order_id}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(f"/threads/{call.thread_id}/", 302)]
    assert not ThreadOrder.objects.exists()
    messages = messages_on(page(response))
    assert [kind for kind, _text in messages] == ["danger"]
    assert all(text for _kind, text in messages)


# --- promoting a free-text counterparty ------------------------------------------------------------------


def test_promote_creates_the_counterparty_and_relinks_rows_case_insensitively(client_ivan, user):
    thread = ThreadFactory(counterparty=None, counterparty_name="Гама Метал ООД", author=user)
    first = CommunicationFactory(thread=thread, counterparty=None, counterparty_name="ГАМА МЕТАЛ ООД", author=user)
    second = CommunicationFactory(thread=thread, counterparty=None, counterparty_name="гама метал оод", author=user)
    task = TaskFactory(thread=thread, counterparty=None, counterparty_name="Гама метал ООД", author=user)
    other = CommunicationFactory(
        thread=ThreadFactory(counterparty=None, counterparty_name="Делта ЕООД"),
        counterparty=None,
        counterparty_name="Делта ЕООД",
    )

    response = client_ivan.post("/counterparties/promote/", {"name": "Гама Метал ООД"})

    counterparty = Counterparty.objects.get(name="Гама Метал ООД")
    assert response.status_code == 302
    assert response["Location"] == f"/counterparties/{counterparty.pk}/"
    for row in (thread, first, second, task):
        row.refresh_from_db()
        assert (row.counterparty, row.counterparty_name) == (counterparty, "")
    other.refresh_from_db()
    assert (other.counterparty, other.counterparty_name) == (None, "Делта ЕООД")
    assert ThreadEvent.objects.filter(thread=thread, kind=ThreadEvent.Kind.COUNTERPARTY_PROMOTED).count() == 1
    html = page(client_ivan.get(response["Location"]))
    assert first.number in html and task.number in html and thread.number in html


@pytest.mark.parametrize("name", ["", "   "])
def test_promote_without_a_name_is_a_message(client_ivan, name):
    response = client_ivan.post("/counterparties/promote/", {"name": name}, follow=True)
    assert response.status_code == 200
    assert not Counterparty.objects.exists()
    assert [kind for kind, _text in messages_on(page(response))] == ["danger"]


def test_promote_returns_to_next_on_this_site(client_ivan, call):
    response = client_ivan.post("/counterparties/promote/", {"name": "Бета", "next": f"/threads/{call.thread_id}/"})
    assert response["Location"] == f"/threads/{call.thread_id}/"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/phish", "//evil.example/phish", "http://testserver.evil.example/"]
)
def test_promote_never_follows_an_external_next(client_ivan, next_url):
    response = client_ivan.post("/counterparties/promote/", {"name": "Бета Строй", "next": next_url})
    counterparty = Counterparty.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/counterparties/{counterparty.pk}/"
    assert not urlsplit(response["Location"]).netloc


def test_promote_button_is_on_pages_with_a_free_text_name(client_ivan, user):
    thread = ThreadFactory(counterparty=None, counterparty_name="Гама ООД", author=user)
    communication = CommunicationFactory(thread=thread, counterparty=None, counterparty_name="Гама ООД", author=user)
    for url in (f"/threads/{thread.pk}/", f"/communications/{communication.pk}/"):
        html = page(client_ivan.get(url))
        form = re.search(r'<form[^>]*action="/counterparties/promote/".*?</form>', html, re.S).group(0)
        assert input_value(form, "name") == "Гама ООД"
        assert input_value(form, "next") == url


# --- reply / follow-up -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("direction", "reply"), [("in", "out"), ("out", "in")])
def test_reply_prefills_subject_reversed_direction_and_thread(client_ivan, alfa, direction, reply):
    contact = ContactPersonFactory(counterparty=alfa)
    source = CommunicationFactory(
        thread=ThreadFactory(counterparty=alfa),
        counterparty=alfa,
        contact=contact,
        direction=direction,
        channel="email",
        subject="Цени за 2026",
    )

    html = page(client_ivan.get(f"/communications/new/?reply_to={source.pk}"))

    assert input_value(html, "subject") == "Re: Цени за 2026"
    assert checked_radio(html, "direction") == [reply]
    assert checked_radio(html, "channel") == ["email"]
    assert input_value(html, "thread") == str(source.thread_id)
    assert input_value(html, "counterparty") == str(alfa.pk)
    assert re.search(rf'<option value="{contact.pk}"[^>]*selected', html)


def test_reply_to_a_reply_does_not_stack_re(client_ivan, alfa):
    source = CommunicationFactory(thread=ThreadFactory(counterparty=alfa), counterparty=alfa, subject="Re: Цени")
    assert input_value(page(client_ivan.get(f"/communications/new/?reply_to={source.pk}")), "subject") == "Re: Цени"


def test_reply_posted_as_is_lands_in_the_same_thread(client_ivan, call):
    html = page(client_ivan.get(f"/communications/new/?reply_to={call.pk}"))
    data = {
        name: input_value(html, name)
        for name in ("form_token", "thread", "subject", "counterparty", "counterparty_name")
    }
    response = client_ivan.post(
        "/communications/new/", communication_form(**data, direction="out", channel=call.channel)
    )
    assert response.status_code == 302
    reply = Communication.objects.exclude(pk=call.pk).get()
    assert (reply.thread, reply.direction, reply.counterparty, reply.counterparty_name) == (
        call.thread,
        "out",
        call.counterparty,
        "",
    )


def test_communication_page_has_reply_link(client_ivan, call):
    html = page(client_ivan.get(f"/communications/{call.pk}/"))
    assert f'href="/communications/new/?reply_to={call.pk}"' in html


# --- the thread page: a fixed number of queries, pages of 30 ---------------------------------------------


def fill_thread(thread: Thread, n: int, *, author, start: datetime.datetime, step=datetime.timedelta(days=1)) -> list:
    """``n`` timeline items of every kind, item i at ``start + i*step``; returns the expected timeline
    keys in chronological order. Orders sit at midnight (Sofia) of their date."""
    tag = f"{thread.pk}"
    assignee = UserFactory()
    communications, tasks, orders, events = [], [], [], []
    for i in range(n):
        moment = start + i * step
        kind = i % 5
        if kind in (0, 1):
            communications.append(
                Communication(
                    number=f"{'IN' if kind == 0 else 'OUT'}-X{tag}-{i:05d}",
                    thread=thread,
                    direction="in" if kind == 0 else "out",
                    channel=("email", "phone", "meeting")[i % 3],
                    subject=f"Разговор {i}",
                    description=f"Описание {i}\nред 2",
                    counterparty=thread.counterparty,
                    counterparty_name=thread.counterparty_name,
                    contact_name="Петя" if i % 2 else "",
                    assignee=assignee if i % 3 else None,
                    status=Status.values[i % 4],
                    author=author,
                    created_at=moment,
                    occurred_at=moment,
                )
            )
        elif kind == 2:
            tasks.append(
                Task(
                    number=f"T-X{tag}-{i:05d}",
                    thread=thread,
                    subject=f"Задача {i}",
                    counterparty=thread.counterparty,
                    counterparty_name=thread.counterparty_name,
                    assignee=assignee,
                    deadline=moment + datetime.timedelta(days=1),
                    status=Status.values[i % 4],
                    author=author,
                    created_at=moment,
                )
            )
        elif kind == 3:
            orders.append(
                Order(
                    kind=Order.Kind.values[i % 3],
                    number=f"SO-X{tag}-{i:05d}",
                    counterparty=thread.counterparty,
                    date=moment.astimezone(SOFIA).date(),
                )
            )
        else:
            events.append((i, moment))
    Communication.objects.bulk_create(communications)
    Task.objects.bulk_create(tasks)
    Order.objects.bulk_create(orders)
    communications = list(Communication.objects.filter(thread=thread).order_by("pk"))
    tasks = list(Task.objects.filter(thread=thread).order_by("pk"))
    orders = list(Order.objects.filter(number__startswith=f"SO-X{tag}-").order_by("pk"))
    ThreadOrder.objects.bulk_create(ThreadOrder(thread=thread, order=o, linked_by=author) for o in orders)
    kinds = ["status_changed", "assigned", "order_linked", "task_copied", "counterparty_promoted"]
    thread_events = []
    for j, (i, moment) in enumerate(events):
        kind = kinds[j % len(kinds)]
        tag_text = f"EV-{i:05d}"  # shown by each kind's text, so the item can be found on the page
        data = {
            "status_changed": {"old": "new", "new": tag_text},
            "assigned": {"new": tag_text},
            "order_linked": {"number": tag_text},
            "task_copied": {"number": tag_text, "source": "IN"},
            "counterparty_promoted": {"name": tag_text},
        }[kind]
        thread_events.append(
            ThreadEvent(
                thread=thread,
                kind=kind,
                actor=author,
                created_at=moment,
                task=tasks[j % len(tasks)] if tasks and kind in ("status_changed", "task_copied") else None,
                communication=communications[j % len(communications)]
                if communications and kind == "assigned"
                else None,
                order=orders[j % len(orders)] if orders and kind == "order_linked" else None,
                data={**data, "tag": tag_text},
            )
        )
    ThreadEvent.objects.bulk_create(thread_events)
    # Files on every 4th communication and task, and one on the thread itself.
    attachments = [
        Attachment(
            file=f"attachments/{tag}-{obj.pk}.pdf",
            original_name=f"Файл {obj.number}.pdf",
            size=1234,
            content_type="application/pdf",
            uploaded_by=author,
            thread=thread,
            communication=obj if isinstance(obj, Communication) else None,
            task=obj if isinstance(obj, Task) else None,
        )
        for obj in communications[::4] + tasks[::4]
    ]
    attachments.append(
        Attachment(
            file=f"attachments/{tag}-thread.pdf",
            original_name="Договор.pdf",
            size=99,
            content_type="application/pdf",
            uploaded_by=author,
            thread=thread,
        )
    )
    Attachment.objects.bulk_create(attachments)

    links = list(ThreadOrder.objects.filter(thread=thread).select_related("order"))
    rows = [((c.occurred_at, 1, c.pk), f"communication-{c.pk}") for c in communications]
    rows += [((t.created_at, 2, t.pk), f"task-{t.pk}") for t in tasks]
    rows += [
        (
            (datetime.datetime.combine(link.order.date, datetime.time.min, tzinfo=SOFIA), 0, link.pk),
            f"order-link-{link.pk}",
        )
        for link in links
    ]
    rows += [((e.created_at, 3, e.pk), f"event-{e.data['tag']}") for e in ThreadEvent.objects.filter(thread=thread)]
    rows.sort()
    return [key for _sort, key in rows]


def count_queries(client, url: str, **kwargs) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(queries), page(response)


# The session and its user; the thread; the timeline's keys (communications, tasks and events in
# one UNION ALL: 3 → 1) and rows (3 kinds); the thread's files and order links (which also give the
# timeline's first page its orders' keys and rows and its items' files: 19 → 16 when they were
# loaded twice or three times); the order picker (2); the bell (1: count and latest rows together);
# "mentioned in"; the followers card: its facts (assignees, Follow/Mute rows and mentions in one
# UNION ALL: 3 → 1) and the followers' names (2); the navbar's permission check (the Reports entry,
# 1: user and group permissions in one UNION).
THREAD_PAGE_QUERIES = 16


def test_thread_page_runs_a_fixed_number_of_queries(client_ivan, user, alfa):
    start = datetime.datetime(2025, 1, 1, 12, 0, tzinfo=SOFIA)
    small = ThreadFactory(counterparty=alfa, author=user)
    big = ThreadFactory(counterparty=CounterpartyFactory(), author=user)
    fill_thread(small, 10, author=user, start=start)
    fill_thread(big, 500, author=user, start=start, step=datetime.timedelta(hours=7))
    OrderFactory.create_batch(3)  # orders elsewhere, for the link-order picker
    client_ivan.get(f"/threads/{small.pk}/")  # warm up (content types, session)

    small_count, small_html = count_queries(client_ivan, f"/threads/{small.pk}/")
    big_count, big_html = count_queries(client_ivan, f"/threads/{big.pk}/")

    assert len(timeline_keys(small_html)) == 10
    assert len(timeline_keys(big_html)) == 30
    assert (small_count, big_count) == (THREAD_PAGE_QUERIES, THREAD_PAGE_QUERIES)


def test_thread_page_shows_30_items_and_a_load_older_link(client_ivan, user, alfa):
    thread = ThreadFactory(counterparty=alfa, author=user)
    expected = fill_thread(thread, 75, author=user, start=datetime.datetime(2025, 1, 1, 12, tzinfo=SOFIA))

    html = page(client_ivan.get(f"/threads/{thread.pk}/"))

    # Newest first; "load older" below the page.
    assert timeline_keys(html) == expected[::-1][:30]
    assert 'id="load-older"' in html
    assert "?before=" in section(html, "load-older")
    assert html.index('id="load-older"') > html.rindex('class="timeline-item')


def walk_timeline(client, thread: Thread) -> tuple[list[str], int]:
    """Every page of the thread's timeline, oldest first, following the Load older links as htmx does
    (each page is newest first, and each older page comes below)."""
    html = page(client.get(f"/threads/{thread.pk}/"))
    pages = [timeline_keys(html)]
    for _ in range(100):
        link = re.search(r'id="load-older".*?href="\?before=([^"]+)"', html, re.S)
        if not link:
            break
        response = client.get(
            f"/threads/{thread.pk}/?before={html_lib.unescape(link.group(1))}", HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        html = page(response)
        assert "<html" not in html and 'id="main-nav"' not in html  # a partial, not a page
        assert len(timeline_keys(html)) <= 30
        pages.append(timeline_keys(html))
    return [key for keys in pages for key in keys][::-1], len(pages)


def test_load_older_walks_every_item_once_in_order(client_ivan, user, alfa):
    thread = ThreadFactory(counterparty=alfa, author=user)
    expected = fill_thread(thread, 95, author=user, start=datetime.datetime(2025, 1, 1, 12, tzinfo=SOFIA))

    seen, pages = walk_timeline(client_ivan, thread)

    assert pages == 4
    assert seen == expected


def test_load_older_partial_runs_a_fixed_number_of_queries(client_ivan, user, alfa):
    start = datetime.datetime(2025, 1, 1, 12, tzinfo=SOFIA)
    small, big = ThreadFactory(counterparty=alfa, author=user), ThreadFactory(counterparty=alfa, author=user)
    fill_thread(small, 40, author=user, start=start)
    fill_thread(big, 400, author=user, start=start, step=datetime.timedelta(hours=5))
    counts = []
    for thread in (small, big, small):
        html = page(client_ivan.get(f"/threads/{thread.pk}/"))
        cursor = html_lib.unescape(re.search(r'id="load-older".*?href="\?before=([^"]+)"', html, re.S).group(1))
        count, _html = count_queries(client_ivan, f"/threads/{thread.pk}/?before={cursor}", HTTP_HX_REQUEST="true")
        counts.append(count)
    assert counts[1] == counts[2]


def test_load_older_with_many_items_at_the_same_minute(client_ivan, user, alfa):
    """More items at one timestamp than a page holds (a meeting's notes logged at one minute, an
    import, orders of one day at midnight): "load older" walks through all of them, because the
    tie at the cursor's time is cut in SQL (time, then rank and id), not after the LIMIT."""
    thread = ThreadFactory(counterparty=alfa, author=user)
    same_minute = datetime.datetime(2025, 5, 5, 10, 30, tzinfo=SOFIA)
    CommunicationFactory.create_batch(
        70, thread=thread, counterparty=alfa, author=user, occurred_at=same_minute, created_at=same_minute
    )
    expected = [
        f"communication-{pk}"
        for pk in Communication.objects.filter(thread=thread).order_by("pk").values_list("pk", flat=True)
    ]

    seen, _pages = walk_timeline(client_ivan, thread)

    assert len(seen) == 70
    assert seen == expected


def test_bad_cursor_shows_the_newest_page(client_ivan, user, alfa):
    thread = ThreadFactory(counterparty=alfa, author=user)
    expected = fill_thread(thread, 40, author=user, start=datetime.datetime(2025, 1, 1, 12, tzinfo=SOFIA))
    for cursor in ("garbage", "2025-01-01T00:00:00|x|1", "2025-01-01T00:00:00|1|1"):
        response = client_ivan.get(f"/threads/{thread.pk}/", {"before": cursor})
        assert response.status_code == 200
        assert timeline_keys(page(response)) == expected[::-1][:30]


def test_timeline_is_chronological_by_each_kinds_own_time(client_ivan, user, alfa):
    """Communications at occurred_at, tasks at created_at, orders at their date (not when linked);
    newest first (docs/decisions.md, "Timeline order")."""
    now = timezone.now()
    thread = ThreadFactory(counterparty=alfa, author=user)
    # Logged today about a call three days ago.
    late_logged_call = CommunicationFactory(
        thread=thread, counterparty=alfa, occurred_at=now - datetime.timedelta(days=3), created_at=now
    )
    task = TaskFactory(thread=thread, counterparty=alfa, created_at=now - datetime.timedelta(days=2))
    email = CommunicationFactory(
        thread=thread,
        counterparty=alfa,
        direction="out",
        channel="email",
        occurred_at=now - datetime.timedelta(hours=1),
        created_at=now - datetime.timedelta(hours=1),
    )
    old_order = OrderFactory(counterparty=alfa, date=(now - datetime.timedelta(days=10)).astimezone(SOFIA).date())
    recent_order = OrderFactory(counterparty=alfa, date=(now - datetime.timedelta(days=1)).astimezone(SOFIA).date())
    # Linked in the "wrong" order, both today.
    recent_link = ThreadOrder.objects.create(thread=thread, order=recent_order, linked_by=user)
    old_link = ThreadOrder.objects.create(thread=thread, order=old_order, linked_by=user)

    html = page(client_ivan.get(f"/threads/{thread.pk}/"))

    assert timeline_keys(html) == [  # newest first
        f"communication-{email.pk}",
        f"order-link-{recent_link.pk}",
        f"task-{task.pk}",
        f"communication-{late_logged_call.pk}",
        f"order-link-{old_link.pk}",
    ]
    items = dict(re.findall(r'id="(communication-\d+)" data-kind="communication" data-direction="(\w+)"', html))
    assert items == {f"communication-{late_logged_call.pk}": "in", f"communication-{email.pk}": "out"}


def test_thread_page_lists_every_attachment_of_the_thread(client_ivan, user, alfa):
    communication = services.communication_create(
        author=user,
        direction="in",
        channel="email",
        subject="Чертежи",
        counterparty=alfa,
        files=[SimpleUploadedFile("чертеж 1.pdf", PDF)],
    )
    services.task_create(
        author=user,
        subject="Провери чертежа",
        thread=communication.thread,
        files=[SimpleUploadedFile("забележки.txt", "бележки".encode())],
    )
    html = page(client_ivan.get(f"/threads/{communication.thread_id}/"))
    listing = section(html, "thread-attachments")
    for attachment in Attachment.objects.all():
        assert f'href="/attachments/{attachment.pk}/"' in listing
        assert attachment.original_name in listing


# --- dashboard ---------------------------------------------------------------------------------------------


def make_my_work(user, other_user, alfa, *, n_extra: int = 0):
    now = timezone.now()
    thread = ThreadFactory(counterparty=alfa, author=user, last_activity_at=now)
    later = TaskFactory(thread=thread, assignee=user, status=Status.ASSIGNED, deadline=now + datetime.timedelta(days=5))
    no_deadline = TaskFactory(thread=thread, assignee=user, status=Status.IN_PROGRESS, deadline=None)
    overdue = TaskFactory(
        thread=thread, assignee=user, status=Status.ASSIGNED, deadline=now - datetime.timedelta(days=1)
    )
    soon = TaskFactory(thread=thread, assignee=user, status=Status.NEW, deadline=now + datetime.timedelta(hours=3))
    done = TaskFactory(thread=thread, assignee=user, status=Status.DONE, deadline=now - datetime.timedelta(days=3))
    not_mine = TaskFactory(thread=thread, assignee=other_user, status=Status.ASSIGNED)
    mine = CommunicationFactory(thread=thread, counterparty=alfa, assignee=user, status=Status.ASSIGNED)
    mine_done = CommunicationFactory(thread=thread, counterparty=alfa, assignee=user, status=Status.DONE)
    not_mine_comm = CommunicationFactory(thread=thread, counterparty=alfa, assignee=other_user, status=Status.ASSIGNED)
    for i in range(n_extra):
        extra_thread = ThreadFactory(author=other_user, last_activity_at=now - datetime.timedelta(minutes=i + 1))
        TaskFactory(
            thread=extra_thread, assignee=user, status=Status.ASSIGNED, deadline=now + datetime.timedelta(days=30 + i)
        )
        CommunicationFactory(thread=extra_thread, assignee=user, status=Status.IN_PROGRESS)
    return {
        "thread": thread,
        "tasks_in_order": [overdue, soon, later, no_deadline],
        "hidden_tasks": [done, not_mine],
        "mine": mine,
        "hidden_communications": [mine_done, not_mine_comm],
    }


def test_dashboard_shows_my_open_tasks_overdue_first(client_ivan, user, other_user, alfa):
    work = make_my_work(user, other_user, alfa)

    html = page(client_ivan.get("/"))

    tasks = section(html, "my-tasks")
    numbers = re.findall(r'class="dash-task-number"[^>]*>(T-F-\d+)<', tasks)
    assert numbers == [t.number for t in work["tasks_in_order"]]
    overdue = work["tasks_in_order"][0]
    overdue_row = re.search(rf'<li class="list-group-item([^"]*)">\s*(?:(?!</li>).)*{overdue.number}', tasks, re.S)
    assert "overdue-row" in overdue_row.group(1)
    communications = section(html, "my-communications")
    assert work["mine"].number in communications
    for hidden in work["hidden_communications"]:
        assert hidden.number not in communications
    assert work["thread"].number in section(html, "recent-threads")


def test_dashboard_shows_an_overdue_task_older_than_hundreds_of_newer_ones(client_ivan, user, alfa):
    """The order is the database's: no cut of the newest rows first, then a sort in Python."""
    now = timezone.now()
    thread = ThreadFactory(counterparty=alfa, author=user)
    overdue = TaskFactory(
        thread=thread,
        assignee=user,
        status=Status.ASSIGNED,
        deadline=now - datetime.timedelta(days=40),
        created_at=now - datetime.timedelta(days=60),
    )
    Task.objects.bulk_create(
        Task(
            number=f"T-N-{i:05d}",
            thread=thread,
            subject=f"Нова {i}",
            assignee=user,
            author=user,
            status=Status.NEW,
            deadline=None,
            created_at=now - datetime.timedelta(minutes=i),
        )
        for i in range(600)
    )

    numbers = re.findall(
        r'class="dash-task-number"[^>]*>(T-[FN]-\d+)<', section(page(client_ivan.get("/")), "my-tasks")
    )

    assert numbers[0] == overdue.number
    assert numbers[1:] == [f"T-N-{i:05d}" for i in range(19)]  # no deadline: in the order they were made


# The session, its user, the bell's unread count and latest rows (one query); my tasks, my
# communications, the recent threads.
DASHBOARD_QUERIES = 7  # 1 of them the navbar's permission check (the Reports entry)


def test_dashboard_runs_a_fixed_number_of_queries(client_ivan, user, other_user, alfa):
    make_my_work(user, other_user, alfa)
    client_ivan.get("/")
    few, _html = count_queries(client_ivan, "/")
    make_my_work(user, other_user, CounterpartyFactory(), n_extra=25)
    many, html = count_queries(client_ivan, "/")
    assert len(re.findall(r"T-F-\d+", section(html, "my-tasks"))) > 4
    assert (few, many) == (DASHBOARD_QUERIES, DASHBOARD_QUERIES)


def test_dashboard_for_a_new_employee_is_empty_but_fine(client, db):
    client.force_login(UserFactory(username="nova"))
    response = client.get("/")
    assert response.status_code == 200


# --- counterparty page, type-ahead, contacts ------------------------------------------------------------------


def test_counterparty_page_lists_its_threads_communications_tasks_orders(client_ivan, user, alfa):
    contact = ContactPersonFactory(counterparty=alfa, name="Петя Стоянова")
    thread = ThreadFactory(counterparty=alfa, author=user)
    communication = CommunicationFactory(thread=thread, counterparty=alfa)
    task = TaskFactory(thread=thread, counterparty=alfa)
    order = OrderFactory(counterparty=alfa)
    other = CounterpartyFactory(name="Друга фирма")
    other_thread = ThreadFactory(counterparty=other)
    other_communication = CommunicationFactory(thread=other_thread, counterparty=other)
    other_task = TaskFactory(thread=other_thread, counterparty=other)
    other_order = OrderFactory(counterparty=other)

    html = page(client_ivan.get(f"/counterparties/{alfa.pk}/"))

    for mine in (thread, communication, task, order):
        assert mine.number in html
        assert f'href="{mine.get_absolute_url()}"' in html
    for theirs in (other_thread, other_communication, other_task, other_order):
        assert theirs.number not in html
    assert contact.name in html
    assert alfa.company_id in html


@pytest.mark.parametrize("query", ["алфа", "АЛФА", "Алфа", "трейд", "1312", "131234567"])
def test_counterparty_type_ahead_finds_cyrillic_any_case_and_company_id(client_ivan, query):
    alfa = CounterpartyFactory(name="АЛФА ТРЕЙД ООД", company_id="131234567")
    CounterpartyFactory(name="Бета ЕООД", company_id="204000111")

    response = client_ivan.get("/counterparties/search/", {"q": query})

    assert response.status_code == 200
    html = page(response)
    assert re.findall(r'data-pick-id="(\d+)"', html) == [str(alfa.pk)]
    assert 'data-pick-name="АЛФА ТРЕЙД ООД"' in html


def test_counterparty_type_ahead_company_id_matches_prefix_only(client_ivan):
    CounterpartyFactory(name="АЛФА ТРЕЙД ООД", company_id="131234567")
    html = page(client_ivan.get("/counterparties/search/", {"q": "234567"}))
    assert "data-pick-id" not in html


def test_counterparty_type_ahead_without_match_says_it_stays_free_text(client_ivan):
    CounterpartyFactory(name="АЛФА ТРЕЙД ООД")
    html = page(client_ivan.get("/counterparties/search/", {"q": "<b>Омега</b>"}))
    assert "data-pick-id" not in html
    assert "&lt;b&gt;Омега&lt;/b&gt;" in html
    assert "<b>Омега</b>" not in html


def test_counterparty_type_ahead_empty_query_is_empty(client_ivan):
    CounterpartyFactory(name="АЛФА ТРЕЙД ООД")
    assert page(client_ivan.get("/counterparties/search/", {"q": ""})).strip() == ""


def test_contact_options_lists_only_that_counterpartys_contacts(client_ivan, alfa):
    mine = [
        ContactPersonFactory(counterparty=alfa, name="Петя Стоянова"),
        ContactPersonFactory(counterparty=alfa, name="Асен Асенов"),
    ]
    theirs = ContactPersonFactory(name="Чужд Човек")

    html = page(client_ivan.get("/counterparties/contacts/", {"counterparty": alfa.pk}))

    values = [v for v in re.findall(r'<option value="(\d*)"', html) if v]
    assert sorted(values) == sorted(str(c.pk) for c in mine)
    assert theirs.name not in html


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_contact_options_for_no_or_unknown_counterparty_is_only_the_blank(client_ivan, alfa, value):
    ContactPersonFactory(counterparty=alfa)
    html = page(client_ivan.get("/counterparties/contacts/", {"counterparty": value}))
    assert re.findall(r'<option value="(\d*)"', html) == [""]


# --- escaping: what users type is never markup ----------------------------------------------------------------


def test_typed_markup_is_escaped_on_every_page(client_ivan, user):
    thread = ThreadFactory(counterparty=None, counterparty_name=XSS, author=user, subject=XSS, description=XSS)
    communication = CommunicationFactory(
        thread=thread,
        counterparty=None,
        counterparty_name=XSS,
        contact_name=XSS,
        subject=XSS,
        description=XSS,
        assignee=user,
        author=user,
    )
    task = TaskFactory(
        thread=thread, counterparty=None, counterparty_name=XSS, subject=XSS, description=XSS, assignee=user
    )
    counterparty = CounterpartyFactory(name=f"{XSS} ООД", notes=XSS, address=XSS)
    ContactPersonFactory(counterparty=counterparty, name=XSS, position=XSS)
    urls = [
        "/",
        f"/threads/{thread.pk}/",
        f"/communications/{communication.pk}/",
        f"/communications/{communication.pk}/edit/",
        f"/communications/new/?reply_to={communication.pk}",
        f"/tasks/{task.pk}/",
        f"/tasks/{task.pk}/edit/",
        f"/counterparties/{counterparty.pk}/",
        "/counterparties/search/?q=script",
        f"/counterparties/contacts/?counterparty={counterparty.pk}",
    ]
    for url in urls:
        html = page(client_ivan.get(url))
        assert XSS not in html, url
        assert XSS_ESCAPED in html, url


def test_typed_markup_in_a_rejected_form_is_escaped(client_ivan):
    response = client_ivan.post("/communications/new/", communication_form(subject=XSS, counterparty_name=""))
    html = page(response)
    assert XSS not in html
    assert input_value(html, "subject") == XSS


def test_promote_message_escapes_the_name(client_ivan):
    response = client_ivan.post("/counterparties/promote/", {"name": XSS}, follow=True)
    html = page(response)
    assert XSS not in html
    assert XSS_ESCAPED in html
