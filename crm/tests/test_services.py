"""Rules of crm/services.py (DESIGN.md "Domain"): counterparties, threads, statuses, events, promotion, atomicity."""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import timezone

from crm import services
from crm.models import (
    Attachment,
    Communication,
    Counterparty,
    NumberSequence,
    Status,
    Task,
    Thread,
    ThreadEvent,
    ThreadOrder,
)
from crm.tests.factories import ContactPersonFactory, CounterpartyFactory, OrderFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def communication(author, **kwargs):
    kwargs.setdefault("direction", "in")
    kwargs.setdefault("channel", "phone")
    kwargs.setdefault("subject", "Запитване за цена")
    return services.communication_create(author=author, **kwargs)


def update_communication(comm, actor, files=(), **changes):
    return services.item_edit(item=comm, actor=actor, changes=changes, files=files)


def update_task(task, actor, files=(), **changes):
    return services.item_edit(item=task, actor=actor, changes=changes, files=files)


def counts() -> dict[str, int]:
    return {
        "threads": Thread.objects.count(),
        "communications": Communication.objects.count(),
        "tasks": Task.objects.count(),
        "attachments": Attachment.objects.count(),
        "events": ThreadEvent.objects.count(),
        "sequences": sum(NumberSequence.objects.values_list("last_value", flat=True)),
    }


def error_keys(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


@pytest.fixture
def alfa(db):
    return CounterpartyFactory(name="Алфа Трейд ООД")


@pytest.fixture
def beta(db):
    return CounterpartyFactory(name="Бета Логистик ЕООД")


# --- counterparty / contact rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("with_counterparty", "name", "error_key"),
    [
        (True, "Алфа Трейд ООД", "counterparty_name"),  # both
        (True, "Друга фирма", "counterparty_name"),  # both, even when they differ
        (False, "", "counterparty"),  # neither
        (False, "   ", "counterparty"),  # whitespace is no name
        (True, "", None),
        (True, "  ", None),
        (False, "Алфа Трейд ООД", None),
    ],
)
def test_communication_needs_exactly_one_counterparty(user, alfa, with_counterparty, name, error_key):
    before = counts()
    kwargs = {"counterparty": alfa if with_counterparty else None, "counterparty_name": name}
    if error_key is None:
        comm = communication(user, **kwargs)
        comm.refresh_from_db()
        assert (comm.counterparty_id is not None) != bool(comm.counterparty_name)
        assert comm.counterparty_name == name.strip()
        return
    with pytest.raises(ValidationError) as excinfo:
        communication(user, **kwargs)
    assert error_keys(excinfo) == {error_key}
    assert counts() == before


@pytest.mark.parametrize("make", ["thread", "task"])
@pytest.mark.parametrize(
    ("with_counterparty", "name", "error_key", "expected_name"),
    [
        (False, "", None, ""),  # none: an internal task / thread
        (True, "", None, ""),
        (False, "  Алфа Трейд ООД ", None, "Алфа Трейд ООД"),
        (True, "Алфа Трейд ООД", "counterparty_name", None),  # both
    ],
)
def test_thread_and_task_allow_none_but_not_both(user, alfa, make, with_counterparty, name, error_key, expected_name):
    create = services.thread_create if make == "thread" else services.task_create
    kwargs = {"author": user, "subject": "Вътрешно", "counterparty": alfa if with_counterparty else None}
    kwargs["counterparty_name"] = name
    before = counts()
    if error_key:
        with pytest.raises(ValidationError) as excinfo:
            create(**kwargs)
        assert error_keys(excinfo) == {error_key}
        assert counts() == before
        return
    obj = create(**kwargs)
    obj.refresh_from_db()
    assert obj.counterparty_id == (alfa.pk if with_counterparty else None)
    assert obj.counterparty_name == expected_name


@pytest.mark.parametrize(
    ("contact_of", "contact_name", "use_counterparty", "error_key"),
    [
        ("alfa", "Иван Иванов", True, "contact_name"),  # both contact and contact_name
        ("beta", "", True, "contact"),  # contact of another counterparty
        ("alfa", "", False, "contact"),  # a contact, but the counterparty is only free text
        ("alfa", "", True, None),
        (None, "Иван Иванов", True, None),
        (None, "Иван Иванов", False, None),
        (None, "", True, None),
    ],
)
def test_contact_rules(user, alfa, beta, contact_of, contact_name, use_counterparty, error_key):
    contact = ContactPersonFactory(counterparty={"alfa": alfa, "beta": beta}[contact_of]) if contact_of else None
    kwargs = {"contact": contact, "contact_name": contact_name}
    if use_counterparty:
        kwargs["counterparty"] = alfa
    else:
        kwargs["counterparty_name"] = "Алфа Трейд ООД"
    before = counts()
    if error_key:
        with pytest.raises(ValidationError) as excinfo:
            communication(user, **kwargs)
        assert error_keys(excinfo) == {error_key}
        assert counts() == before
        return
    comm = communication(user, **kwargs)
    comm.refresh_from_db()
    assert comm.contact_id == (contact.pk if contact else None)
    assert comm.contact_name == contact_name


def test_update_checks_the_same_counterparty_rules(user, alfa):
    comm = communication(user, counterparty=alfa)
    with pytest.raises(ValidationError) as excinfo:
        update_communication(comm, user, counterparty=None, counterparty_name="")
    assert error_keys(excinfo) == {"counterparty"}
    with pytest.raises(ValidationError) as excinfo:
        update_communication(comm, user, counterparty=alfa, counterparty_name="Алфа")
    assert error_keys(excinfo) == {"counterparty_name"}
    comm.refresh_from_db()
    assert comm.counterparty_id == alfa.pk and comm.counterparty_name == ""


# --- threads opened or joined ---------------------------------------------------------------------


@pytest.mark.parametrize("linked", [True, False])
def test_communication_without_thread_opens_one_from_subject_and_counterparty(user, alfa, linked):
    kwargs = {"counterparty": alfa} if linked else {"counterparty_name": "Гама АД"}
    before = Thread.objects.count()
    comm = communication(user, subject="Доставка на палети", **kwargs)
    assert Thread.objects.count() == before + 1
    thread = Thread.objects.get(pk=comm.thread_id)
    assert thread.subject == "Доставка на палети"
    assert thread.counterparty_id == (alfa.pk if linked else None)
    assert thread.counterparty_name == ("" if linked else "Гама АД")
    assert thread.author == user
    assert thread.created_at == comm.created_at


@pytest.mark.parametrize(("linked", "name"), [(True, ""), (False, "Гама АД"), (False, "")])
def test_task_without_thread_opens_one_from_subject_and_counterparty(user, alfa, linked, name):
    task = services.task_create(
        author=user, subject="Калибриране", counterparty=alfa if linked else None, counterparty_name=name
    )
    thread = Thread.objects.get(pk=task.thread_id)
    assert thread.subject == "Калибриране"
    assert thread.counterparty_id == (alfa.pk if linked else None)
    assert thread.counterparty_name == name


def test_items_with_a_thread_join_it(user, alfa):
    thread = services.thread_create(author=user, subject="Рамков договор 2026", counterparty=alfa)
    before = Thread.objects.count()
    comm = communication(user, thread=thread, subject="Отговор", counterparty=alfa)
    task = services.task_create(author=user, thread=thread, subject="Подготви анекс", counterparty=alfa)
    assert Thread.objects.count() == before
    assert comm.thread_id == thread.pk and task.thread_id == thread.pk
    thread.refresh_from_db()
    assert thread.subject == "Рамков договор 2026"
    assert set(thread.communications.all()) == {comm}
    assert set(thread.tasks.all()) == {task}


# --- status ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", ["communication", "task"])
@pytest.mark.parametrize(
    ("with_assignee", "status", "expected"),
    [
        (False, None, Status.NEW),
        (False, Status.NEW, Status.NEW),
        (True, None, Status.ASSIGNED),
        (True, Status.NEW, Status.ASSIGNED),
        (True, Status.ASSIGNED, Status.ASSIGNED),
        (True, Status.IN_PROGRESS, Status.IN_PROGRESS),
        (True, Status.DONE, Status.DONE),
        (False, Status.IN_PROGRESS, Status.IN_PROGRESS),
        (False, Status.DONE, Status.DONE),
    ],
)
def test_status_on_create(user, other_user, alfa, make, with_assignee, status, expected):
    assignee = other_user if with_assignee else None
    if make == "communication":
        obj = communication(user, counterparty=alfa, assignee=assignee, status=status)
    else:
        obj = services.task_create(author=user, subject="Задача", assignee=assignee, status=status)
    obj.refresh_from_db()
    assert obj.status == expected
    assert obj.assignee_id == (other_user.pk if with_assignee else None)


@pytest.mark.parametrize(
    ("old_status", "old_assignee", "new_status", "new_assignee", "expected"),
    [
        (Status.NEW, False, Status.NEW, True, Status.ASSIGNED),
        (Status.NEW, False, Status.IN_PROGRESS, True, Status.IN_PROGRESS),
        (Status.ASSIGNED, True, Status.IN_PROGRESS, True, Status.IN_PROGRESS),
        (Status.IN_PROGRESS, True, Status.DONE, True, Status.DONE),
        (Status.NEW, False, Status.NEW, False, Status.NEW),
    ],
)
def test_status_on_update(user, other_user, old_status, old_assignee, new_status, new_assignee, expected):
    task = services.task_create(
        author=user, subject="Задача", assignee=other_user if old_assignee else None, status=old_status
    )
    update_task(task, user, status=new_status, assignee=other_user if new_assignee else None)
    task.refresh_from_db()
    assert task.status == expected


@pytest.mark.parametrize("make", ["communication", "task"])
def test_unknown_status_is_refused(user, alfa, make):
    before = counts()
    with pytest.raises(ValidationError) as excinfo:
        if make == "communication":
            communication(user, counterparty=alfa, status="archived")
        else:
            services.task_create(author=user, subject="Задача", status="archived")
    assert error_keys(excinfo) == {"status"}
    assert counts() == before


# --- direction ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("created", "attempted"), [("in", "out"), ("out", "in")])
def test_direction_cannot_change_on_update(user, alfa, created, attempted):
    comm = communication(user, direction=created, counterparty=alfa, subject="Първоначално")
    with pytest.raises(ValidationError) as excinfo:
        update_communication(comm, user, direction=attempted, subject="Променено")
    assert error_keys(excinfo) == {"direction"}
    fresh = Communication.objects.get(pk=comm.pk)
    assert fresh.direction == created
    assert fresh.subject == "Първоначално"


def test_update_with_same_or_no_direction_keeps_it(user, alfa):
    comm = communication(user, direction="out", counterparty=alfa)
    update_communication(comm, user, direction="out", subject="Ново заглавие")
    update_communication(comm, user, channel="email")
    fresh = Communication.objects.get(pk=comm.pk)
    assert (fresh.direction, fresh.subject, fresh.channel) == ("out", "Ново заглавие", "email")
    assert fresh.number.startswith("OUT-")


@pytest.mark.parametrize(("field", "value"), [("direction", "sideways"), ("channel", "fax"), ("subject", "   ")])
def test_communication_create_refuses_bad_choices(user, alfa, field, value):
    before = counts()
    with pytest.raises(ValidationError) as excinfo:
        communication(user, counterparty=alfa, **{field: value})
    assert error_keys(excinfo) == {field}
    assert counts() == before


# --- copy to task ---------------------------------------------------------------------------------


def _png_bytes() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 20, 20)).save(out, format="PNG")
    return out.getvalue()


def test_communication_copy_to_task(user, other_user, alfa):
    pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    comm = communication(
        user,
        counterparty=alfa,
        subject="Рекламация по доставка",
        description="Липсват 3 палета.",
        files=[
            SimpleUploadedFile("Протокол № 7.pdf", pdf, content_type="application/pdf"),
            SimpleUploadedFile("снимка.png", _png_bytes(), content_type="image/png"),
        ],
    )
    events_before = ThreadEvent.objects.count()

    task = services.communication_copy_to_task(communication=comm, actor=other_user)

    task.refresh_from_db()
    assert task.thread_id == comm.thread_id
    assert task.subject == "Рекламация по доставка"
    assert task.description == "Липсват 3 палета."
    assert task.counterparty_id == alfa.pk and task.counterparty_name == ""
    assert task.source_communication_id == comm.pk
    assert task.author == other_user
    assert task.number.startswith("T-")

    originals = {a.original_name: a for a in comm.attachments.all()}
    copies = {a.original_name: a for a in task.attachments.all()}
    assert set(copies) == set(originals) == {"Протокол № 7.pdf", "снимка.png"}
    for name, copy in copies.items():
        original = originals[name]
        assert copy.pk != original.pk
        assert copy.file.name == original.file.name  # the same stored file, shared (docs/decisions.md)
        assert copy.thread_id == comm.thread_id and copy.communication_id is None
        assert (copy.size, copy.content_type) == (original.size, original.content_type)
    assert (
        bool(copies["снимка.png"].thumbnail)
        and copies["снимка.png"].thumbnail.name == originals["снимка.png"].thumbnail.name
    )
    assert not copies["Протокол № 7.pdf"].thumbnail
    # The communication keeps its own files.
    assert comm.attachments.count() == 2

    events = ThreadEvent.objects.filter(kind=ThreadEvent.Kind.TASK_COPIED)
    assert ThreadEvent.objects.count() == events_before + 1
    event = events.get()
    assert (event.thread_id, event.communication_id, event.task_id, event.actor) == (
        comm.thread_id,
        comm.pk,
        task.pk,
        other_user,
    )


def test_copy_to_task_keeps_a_free_text_counterparty(user):
    comm = communication(user, counterparty_name="Делта ЕТ", subject="Обаждане")
    task = services.communication_copy_to_task(communication=comm, actor=user)
    assert (task.counterparty_id, task.counterparty_name) == (None, "Делта ЕТ")
    assert task.attachments.count() == 0


# --- orders ---------------------------------------------------------------------------------------


def test_thread_link_order_records_an_event_and_refuses_twice(user, alfa):
    thread = services.thread_create(
        author=user, subject="Поръчка", counterparty=alfa, created_at=timezone.now() - datetime.timedelta(days=3)
    )
    order = OrderFactory(counterparty=alfa, number="SO-2026-00012")

    link = services.thread_link_order(thread=thread, order=order, actor=user)

    assert ThreadOrder.objects.filter(thread=thread, order=order).count() == 1
    assert link.linked_by == user
    event = ThreadEvent.objects.get(thread=thread)
    assert (event.kind, event.order_id, event.actor) == (ThreadEvent.Kind.ORDER_LINKED, order.pk, user)
    thread.refresh_from_db()
    assert thread.last_activity_at == link.linked_at

    with pytest.raises(ValidationError) as excinfo:
        services.thread_link_order(thread=thread, order=order, actor=user)
    assert error_keys(excinfo) == {"order"}
    assert ThreadOrder.objects.filter(thread=thread, order=order).count() == 1
    assert ThreadEvent.objects.filter(thread=thread).count() == 1


def test_the_same_order_can_be_linked_to_another_thread(user, alfa):
    order = OrderFactory(counterparty=alfa)
    first = services.thread_create(author=user, subject="Първа", counterparty=alfa)
    second = services.thread_create(author=user, subject="Втора", counterparty=alfa)
    services.thread_link_order(thread=first, order=order, actor=user)
    services.thread_link_order(thread=second, order=order, actor=user)
    assert ThreadOrder.objects.filter(order=order).count() == 2


# --- task_update events ---------------------------------------------------------------------------

DEADLINE = datetime.datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
LATER = datetime.datetime(2026, 5, 22, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "expected_kinds"),
    [
        ({}, set()),
        ({"subject": "Ново заглавие", "description": "Още текст"}, set()),
        ({"status": Status.IN_PROGRESS}, {ThreadEvent.Kind.STATUS_CHANGED}),
        ({"assignee": "other"}, {ThreadEvent.Kind.ASSIGNED}),
        ({"assignee": None}, {ThreadEvent.Kind.ASSIGNED}),
        ({"deadline": LATER}, {ThreadEvent.Kind.DEADLINE_CHANGED}),
        ({"deadline": None}, {ThreadEvent.Kind.DEADLINE_CHANGED}),
        # The same instant written in Sofia time is no change.
        ({"deadline": DEADLINE.astimezone(datetime.timezone(datetime.timedelta(hours=3)))}, set()),
        (
            {"status": Status.DONE, "assignee": "other", "deadline": LATER},
            {ThreadEvent.Kind.STATUS_CHANGED, ThreadEvent.Kind.ASSIGNED, ThreadEvent.Kind.DEADLINE_CHANGED},
        ),
    ],
)
def test_task_update_records_only_real_changes(user, other_user, change, expected_kinds):
    task = services.task_create(author=user, subject="Задача", assignee=user, deadline=DEADLINE)
    assert task.status == Status.ASSIGNED
    task = Task.objects.get(pk=task.pk)  # as a view would load it
    before = set(ThreadEvent.objects.values_list("pk", flat=True))
    if change.get("assignee") == "other":
        change = {**change, "assignee": other_user}

    update_task(task, other_user, **change)

    new_events = ThreadEvent.objects.exclude(pk__in=before)
    assert sorted(e.kind for e in new_events) == sorted(expected_kinds)
    assert all(e.task_id == task.pk and e.thread_id == task.thread_id and e.actor == other_user for e in new_events)


def test_task_update_event_data(user, other_user):
    task = services.task_create(author=user, subject="Задача", deadline=DEADLINE)
    update_task(task, user, assignee=other_user, deadline=LATER)
    assigned = ThreadEvent.objects.get(kind=ThreadEvent.Kind.ASSIGNED)
    status = ThreadEvent.objects.get(kind=ThreadEvent.Kind.STATUS_CHANGED)
    deadline = ThreadEvent.objects.get(kind=ThreadEvent.Kind.DEADLINE_CHANGED)
    assert assigned.data["new_id"] == other_user.pk and assigned.data["old_id"] is None
    assert (status.data["old"], status.data["new"]) == (Status.NEW, Status.ASSIGNED)
    assert datetime.datetime.fromisoformat(deadline.data["old"]) == DEADLINE
    assert datetime.datetime.fromisoformat(deadline.data["new"]) == LATER


@pytest.mark.parametrize(
    ("change", "expected_kinds"),
    [
        ({}, set()),
        ({"description": "Допълнение", "channel": "email"}, set()),
        ({"status": Status.DONE}, {ThreadEvent.Kind.STATUS_CHANGED}),
        ({"assignee": "other"}, {ThreadEvent.Kind.ASSIGNED}),
        ({"assignee": None}, {ThreadEvent.Kind.ASSIGNED}),
        (
            {"assignee": "other", "status": Status.IN_PROGRESS},
            {ThreadEvent.Kind.ASSIGNED, ThreadEvent.Kind.STATUS_CHANGED},
        ),
    ],
)
def test_communication_update_records_only_real_changes(user, other_user, alfa, change, expected_kinds):
    comm = communication(user, counterparty=alfa, assignee=user)
    comm = Communication.objects.get(pk=comm.pk)
    before = set(ThreadEvent.objects.values_list("pk", flat=True))
    if change.get("assignee") == "other":
        change = {**change, "assignee": other_user}
    update_communication(comm, other_user, **change)
    new_events = ThreadEvent.objects.exclude(pk__in=before)
    assert sorted(e.kind for e in new_events) == sorted(expected_kinds)
    assert all(e.communication_id == comm.pk and e.thread_id == comm.thread_id for e in new_events)


def test_task_set_status_records_one_event(user):
    task = services.task_create(author=user, subject="Задача", assignee=user)
    services.task_status_set(task=task, actor=user, status=Status.DONE)
    services.task_status_set(task=task, actor=user, status=Status.DONE)
    assert list(ThreadEvent.objects.values_list("kind", flat=True)) == [ThreadEvent.Kind.STATUS_CHANGED]
    assert Task.objects.get(pk=task.pk).status == Status.DONE


# --- promotion ------------------------------------------------------------------------------------


def test_counterparty_promote_links_every_case_variant_and_nothing_else(user, beta):
    same = ["Алфа Трейд ООД", "АЛФА ТРЕЙД ООД", "алфа трейд оод", "аЛфА тРеЙд ООД"]
    other = ["Алфа Трейд", "Алфа Трейд ООД - клон Пловдив", "Нова Алфа Трейд ООД", "Алфа Трейд ЕООД"]

    threads_same = [services.thread_create(author=user, subject=f"Тема {n}", counterparty_name=n) for n in same]
    threads_other = [services.thread_create(author=user, subject=f"Друга {n}", counterparty_name=n) for n in other]
    comms_same = [communication(user, counterparty_name=n, thread=threads_same[0]) for n in same]
    comms_other = [communication(user, counterparty_name=n, thread=threads_other[0]) for n in other]
    tasks_same = [services.task_create(author=user, subject="З", counterparty_name=n) for n in same]
    tasks_other = [services.task_create(author=user, subject="З", counterparty_name=n) for n in other]
    # Already linked to another counterparty: stays linked there.
    linked_thread = services.thread_create(author=user, subject="Бета", counterparty=beta)
    linked_comm = communication(user, counterparty=beta, thread=linked_thread)
    linked_task = services.task_create(author=user, subject="Бета", counterparty=beta)

    promoted = services.counterparty_promote(name="  алфа трейд оод  ", actor=user, roles=["client", "supplier"])

    promoted.refresh_from_db()
    assert promoted.name == "алфа трейд оод"
    assert promoted.roles == ["client", "supplier"]
    for obj in [*threads_same, *comms_same, *tasks_same]:
        obj.refresh_from_db()
        assert (obj.counterparty_id, obj.counterparty_name) == (promoted.pk, ""), obj
    for obj, name in zip([*threads_other, *comms_other, *tasks_other], other * 3, strict=True):
        obj.refresh_from_db()
        assert (obj.counterparty_id, obj.counterparty_name) == (None, name), obj
    for obj in (linked_thread, linked_comm, linked_task):
        obj.refresh_from_db()
        assert (obj.counterparty_id, obj.counterparty_name) == (beta.pk, "")
    # The threads opened by the other-name tasks keep their free text too.
    assert Thread.objects.filter(counterparty_name__in=other).count() == 2 * len(other)

    events = ThreadEvent.objects.filter(kind=ThreadEvent.Kind.COUNTERPARTY_PROMOTED)
    touched = {t.pk for t in threads_same} | {t.thread_id for t in tasks_same}
    assert set(events.values_list("thread_id", flat=True)) == touched
    assert events.count() == len(touched)


def test_counterparty_promote_refuses_an_empty_name_and_saves_nothing(user):
    services.thread_create(author=user, subject="Т", counterparty_name="Алфа")
    before = (Thread.objects.filter(counterparty__isnull=True).count(), counts())
    with pytest.raises(ValidationError) as excinfo:
        services.counterparty_promote(name="   ", actor=user)
    assert error_keys(excinfo) == {"name"}
    with pytest.raises(ValidationError) as excinfo:
        services.counterparty_promote(name="Алфа", actor=user, roles=["owner"])
    assert error_keys(excinfo) == {"roles"}
    assert (Thread.objects.filter(counterparty__isnull=True).count(), counts()) == before
    assert not Thread.objects.filter(counterparty__isnull=False).exists()


def test_contact_promote_links_every_case_variant_and_nothing_else(user, alfa, beta):
    same = ["Петър Петров", "ПЕТЪР ПЕТРОВ", "петър петров"]
    other = ["Петър", "Петър Петров-Иванов", "Петра Петрова"]
    comms_same = [communication(user, counterparty=alfa, contact_name=n) for n in same]
    comms_other = [communication(user, counterparty=alfa, contact_name=n) for n in other]
    # Same name at another counterparty or on a free-text counterparty: not this person.
    at_beta = communication(user, counterparty=beta, contact_name="Петър Петров")
    free_text = communication(user, counterparty_name="Алфа Трейд ООД", contact_name="Петър Петров")
    # Already linked to a contact person: stays.
    existing = ContactPersonFactory(counterparty=alfa, name="Петър Петров")
    linked = communication(user, counterparty=alfa, contact=existing)

    contact = services.contact_promote(counterparty=alfa, name="Петър Петров", actor=user, position="Търговец")

    assert (contact.counterparty_id, contact.name, contact.position) == (alfa.pk, "Петър Петров", "Търговец")
    for comm in comms_same:
        comm.refresh_from_db()
        assert (comm.contact_id, comm.contact_name) == (contact.pk, "")
    for comm, name in zip(comms_other, other, strict=True):
        comm.refresh_from_db()
        assert (comm.contact_id, comm.contact_name) == (None, name)
    for comm in (at_beta, free_text):
        comm.refresh_from_db()
        assert (comm.contact_id, comm.contact_name) == (None, "Петър Петров")
    linked.refresh_from_db()
    assert linked.contact_id == existing.pk


# --- nothing saved half-way -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"counterparty_name": ""},
        {"counterparty_name": "Алфа", "contact": "beta-contact"},
        {"counterparty_name": "Алфа", "status": "???"},
        {"counterparty_name": "Алфа", "files": [SimpleUploadedFile("virus.exe", b"MZ\x90\x00" + b"\x00" * 60)]},
    ],
    ids=["no-counterparty", "foreign-contact", "bad-status", "bad-file"],
)
def test_a_refused_communication_saves_nothing(user, beta, kwargs):
    if kwargs.get("contact") == "beta-contact":
        kwargs = {**kwargs, "contact": ContactPersonFactory(counterparty=beta)}
    before = counts()
    with pytest.raises(ValidationError):
        communication(user, **kwargs)
    assert counts() == before


@pytest.mark.parametrize("make", ["communication", "task"])
def test_a_database_failure_after_the_thread_was_opened_rolls_everything_back(user, alfa, make):
    before = counts()
    target = "crm.models.Communication.objects.create" if make == "communication" else "crm.models.Task.objects.create"
    with mock.patch(target, side_effect=IntegrityError("boom")), pytest.raises(IntegrityError):
        if make == "communication":
            communication(user, counterparty=alfa)
        else:
            services.task_create(author=user, subject="Задача", counterparty=alfa)
    assert counts() == before


def test_a_failed_copy_to_task_saves_no_task(user, alfa):
    comm = communication(user, counterparty=alfa)
    before = counts()
    with (
        mock.patch("crm.models.ThreadEvent.objects.create", side_effect=IntegrityError("boom")),
        pytest.raises(IntegrityError),
    ):
        services.communication_copy_to_task(communication=comm, actor=user)
    assert counts() == before


def test_a_failed_link_saves_no_link(user, alfa):
    thread = services.thread_create(author=user, subject="Т", counterparty=alfa)
    order = OrderFactory(counterparty=alfa)
    with (
        mock.patch("crm.models.ThreadEvent.objects.create", side_effect=IntegrityError("boom")),
        pytest.raises(IntegrityError),
    ):
        services.thread_link_order(thread=thread, order=order, actor=user)
    assert not ThreadOrder.objects.exists()


def test_a_failed_promotion_links_nothing(user):
    thread = services.thread_create(author=user, subject="Т", counterparty_name="Алфа Трейд ООД")
    comm = communication(user, counterparty_name="АЛФА ТРЕЙД ООД", thread=thread)
    before = counts()
    with (
        mock.patch("crm.models.ThreadEvent.objects.bulk_create", side_effect=IntegrityError("boom")),
        pytest.raises(IntegrityError),
    ):
        services.counterparty_promote(name="алфа трейд оод", actor=user)
    assert counts() == before
    assert not Counterparty.objects.filter(name__in=["алфа трейд оод"]).exists()
    thread.refresh_from_db()
    comm.refresh_from_db()
    assert (thread.counterparty_id, thread.counterparty_name) == (None, "Алфа Трейд ООД")
    assert (comm.counterparty_id, comm.counterparty_name) == (None, "АЛФА ТРЕЙД ООД")


# --- last activity --------------------------------------------------------------------------------


def test_last_activity_moves_forward(user, other_user, alfa):
    start = timezone.now() - datetime.timedelta(days=10)
    thread = services.thread_create(author=user, subject="Тема", counterparty=alfa, created_at=start)
    assert Thread.objects.get(pk=thread.pk).last_activity_at == start

    comm = communication(user, thread=thread, counterparty=alfa, occurred_at=start - datetime.timedelta(days=1))
    after_comm = Thread.objects.get(pk=thread.pk).last_activity_at
    # An exchange that happened long ago is still new activity now, at its creation.
    assert after_comm == comm.created_at > start

    task = services.task_create(author=user, thread=thread, subject="Задача")
    after_task = Thread.objects.get(pk=thread.pk).last_activity_at
    assert after_task == task.created_at >= after_comm

    update_task(task, user, assignee=other_user)
    after_update = Thread.objects.get(pk=thread.pk).last_activity_at
    assert after_update >= after_task


def test_last_activity_never_moves_back(user, alfa):
    future = timezone.now() + datetime.timedelta(days=1)
    thread = services.thread_create(author=user, subject="Тема", counterparty=alfa, created_at=future)
    communication(user, thread=thread, counterparty=alfa)
    services.task_create(author=user, thread=thread, subject="Задача")
    assert Thread.objects.get(pk=thread.pk).last_activity_at == future
