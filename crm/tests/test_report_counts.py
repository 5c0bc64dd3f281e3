"""The reports' stored counts (crm.services.report_counts) after every write path that changes
what they count: the day counts of communications equal a recount from crm_communication, and
each task's done_at equals what its timeline says (both backends; the concurrent writers and
the query counts too)."""

from collections import Counter
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from crm import services
from crm.models import (
    Communication,
    CommunicationDayCount,
    CommunicationDayTotal,
    Counterparty,
    Status,
    Task,
    TaskDoneDayTotal,
    ThreadEvent,
)
from crm.services.mail_in import mail_file
from crm.services.report_counts import report_counts_rebuild
from crm.tests.test_concurrency import slowed, together

SOFIA = ZoneInfo("Europe/Sofia")


def recount() -> dict:
    """Communications per (Sofia date of created_at, direction, assignee), from the base table."""
    rows = Communication.objects.values_list("created_at", "direction", "assignee_id")
    return dict(Counter((created.astimezone(SOFIA).date(), d, a) for created, d, a in rows))


def stored() -> dict:
    return {(r.day, r.direction, r.assignee_id): r.n for r in CommunicationDayCount.objects.all() if r.n}


def totals_recount() -> dict:
    """Communications per (Sofia date of created_at, direction), every assignee and nobody."""
    rows = Communication.objects.values_list("created_at", "direction")
    return dict(Counter((created.astimezone(SOFIA).date(), d) for created, d in rows))


def totals_stored() -> dict:
    return {(r.day, r.direction): r.n for r in CommunicationDayTotal.objects.all() if r.n}


def done_recount() -> dict:
    """Each task's done moment as its timeline says: its last change to done while it is done
    (its creation if it was created done), None otherwise."""
    expected = {}
    for task in Task.objects.all():
        events = ThreadEvent.objects.filter(task=task, kind=ThreadEvent.Kind.STATUS_CHANGED, data__new=Status.DONE)
        last = max((e.created_at for e in events), default=task.created_at)
        expected[task.pk] = last if task.status == Status.DONE else None
    return expected


def done_totals_recount() -> dict:
    """Done tasks per Sofia date of their stored done_at."""
    rows = Task.objects.exclude(done_at=None).values_list("done_at", flat=True)
    return dict(Counter(done_at.astimezone(SOFIA).date() for done_at in rows))


def done_totals_stored() -> dict:
    return {r.day: r.n for r in TaskDoneDayTotal.objects.all() if r.n}


def assert_counts_match():
    assert stored() == recount()
    assert totals_stored() == totals_recount()
    assert done_totals_stored() == done_totals_recount()
    done_at, expected = dict(Task.objects.values_list("pk", "done_at")), done_recount()
    assert done_at.keys() == expected.keys()
    for pk, moment in done_at.items():
        # done_at is the write's moment, its event is stamped as it is recorded, milliseconds later.
        if moment is None or expected[pk] is None:
            assert moment == expected[pk], pk
        else:
            assert abs(moment - expected[pk]) < timedelta(seconds=1), pk


@pytest.fixture
def world(user):
    ana = UserFactory(username="ana")
    bob = UserFactory(username="bob")
    alfa = Counterparty.objects.create(name="Алфа")
    beta = Counterparty.objects.create(name="Бета")

    def create(**kwargs):
        values = {"direction": "in", "channel": "phone", "subject": "Обаждане", "counterparty": alfa} | kwargs
        return services.communication_create(author=user, **values)

    first = create(assignee=ana)
    second = create(assignee=ana, thread=first.thread, direction="out")
    unassigned = create(counterparty=beta)
    task = services.task_create(author=user, subject="Оферта", thread=first.thread, assignee=ana)
    assert_counts_match()
    return {
        "user": user,
        "ana": ana,
        "bob": bob,
        "alfa": alfa,
        "beta": beta,
        "create": create,
        "first": first,
        "second": second,
        "unassigned": unassigned,
        "task": task,
    }


def _near_midnight(w):
    # Sunday 23:30 in Sofia is Sunday 21:30 UTC: the Sofia date is the one counted.
    sunday = datetime(2026, 11, 8, 23, 30, tzinfo=SOFIA)
    with time_machine.travel(sunday, tick=False):
        w["create"](assignee=w["bob"])
    assert CommunicationDayCount.objects.get(assignee=w["bob"]).day == sunday.date()


def _direction_cannot_change(w):
    with pytest.raises(ValidationError):
        services.communication_edit(item=w["first"], actor=w["user"], changes={"direction": "out"})


def _mail_filed(w):
    raw = (
        "From: Клиент <client@example.bg>\r\nTo: crm@firm.bg\r\nSubject: Запитване\r\n"
        "Date: Tue, 1 Dec 2026 10:00:00 +0200\r\nMessage-ID: <counts-1@example.bg>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Текст\r\n"
    ).encode()
    filed = mail_file(raw=raw, received_at=datetime(2026, 11, 30, 23, 50, tzinfo=SOFIA))
    assert filed.communication is not None and filed.communication.assignee_id is None


def _reply_filed_to_the_owner(w):
    # A reply in a thread someone owns is theirs (mail_in's rule).
    raw = (
        "From: Клиент <client@example.bg>\r\nTo: crm@firm.bg\r\n"
        f"Subject: Re: {w['first'].thread.number} Обаждане\r\n"
        "Date: Tue, 1 Dec 2026 10:00:00 +0200\r\nMessage-ID: <counts-2@example.bg>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nОтговор\r\n"
    ).encode()
    mail_file(raw=raw)


def _status(task, user, status, day):
    with time_machine.travel(datetime(2026, 11, day, 10, tzinfo=SOFIA), tick=False):
        return services.task_status_set(task=task, actor=user, status=status)


def _done_reopened_done(w):
    task = _status(w["task"], w["user"], Status.DONE, 2)
    assert task.done_at == datetime(2026, 11, 2, 10, tzinfo=SOFIA)
    task = _status(task, w["user"], Status.IN_PROGRESS, 3)
    assert task.done_at is None
    task = _status(task, w["user"], Status.DONE, 4)
    assert Task.objects.get(pk=task.pk).done_at == datetime(2026, 11, 4, 10, tzinfo=SOFIA)


def _edited_while_done(w):
    task = _status(w["task"], w["user"], Status.DONE, 2)
    with time_machine.travel(datetime(2026, 11, 5, tzinfo=SOFIA)):
        services.item_edit(item=task, actor=w["user"], changes={"subject": "Оферта 2", "assignee": w["bob"]})
    assert Task.objects.get(pk=task.pk).done_at == datetime(2026, 11, 2, 10, tzinfo=SOFIA)


def _done_from_two_copies(w):
    # The second copy was read before the first was set done: its change moves the done day, it
    # does not count the task twice (the stored done_at is re-read under the row's lock).
    stale = Task.objects.get(pk=w["task"].pk)
    _status(w["task"], w["user"], Status.DONE, 2)
    _status(stale, w["user"], Status.DONE, 3)
    assert done_totals_stored() == {date(2026, 11, 3): 1}


def _done_deleted(w):
    services.task_delete(task=_status(w["task"], w["user"], Status.DONE, 2))
    assert done_totals_stored() == {}


def _done_thread_deleted(w):
    _status(w["task"], w["user"], Status.DONE, 2)
    services.thread_delete(thread=w["first"].thread)
    assert done_totals_stored() == {}


WRITES = {
    "create, assigned": lambda w: w["create"](assignee=w["bob"]),
    "create, outgoing, nobody's": lambda w: w["create"](direction="out"),
    "create near midnight": _near_midnight,
    "reassign to another": lambda w: services.item_assign(item=w["first"], actor=w["user"], assignee=w["bob"]),
    "reassign to nobody": lambda w: services.item_assign(item=w["second"], actor=w["user"], assignee=None),
    "reassign from nobody": lambda w: services.item_assign(item=w["unassigned"], actor=w["user"], assignee=w["ana"]),
    "edit, nothing counted": lambda w: services.communication_edit(
        item=w["first"], actor=w["user"], changes={"subject": "Друго", "status": Status.IN_PROGRESS}
    ),
    "change direction (refused)": _direction_cannot_change,
    "delete": lambda w: services.communication_delete(communication=w["first"]),
    "delete the thread": lambda w: services.thread_delete(thread=w["first"].thread),
    "mail filed, new thread": _mail_filed,
    "mail filed, reply to the owner": _reply_filed_to_the_owner,
    "merge counterparties": lambda w: services.counterparty_merge(
        survivor=w["alfa"], duplicate=w["beta"], actor=w["user"]
    ),
    "copy to a task": lambda w: services.communication_copy_to_task(communication=w["first"], actor=w["user"]),
    "task done": lambda w: _status(w["task"], w["user"], Status.DONE, 2),
    "task done, reopened": lambda w: _status(
        _status(w["task"], w["user"], Status.DONE, 2), w["user"], Status.ASSIGNED, 3
    ),
    "task done, reopened, done again": _done_reopened_done,
    "task created done": lambda w: services.task_create(author=w["user"], subject="Готово", status=Status.DONE),
    "task edited while done": _edited_while_done,
    "task set done from two copies": _done_from_two_copies,
    "task done, deleted": _done_deleted,
    "task done, its thread deleted": _done_thread_deleted,
}


@pytest.mark.django_db
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_the_counts_equal_a_recount_after_each_write(world, write):
    before = stored()
    write(world)
    assert_counts_match()
    if write is WRITES["edit, nothing counted"] or write is WRITES["change direction (refused)"]:
        assert stored() == before


@pytest.mark.django_db
def test_the_rebuild_recomputes_what_was_written_past_the_services(world):
    CommunicationDayCount.objects.all().delete()
    CommunicationDayTotal.objects.all().delete()
    Task.objects.update(done_at=None)
    services.task_status_set(task=world["task"], actor=world["user"], status=Status.DONE)
    Task.objects.update(done_at=None)
    TaskDoneDayTotal.objects.all().delete()
    assert stored() == {} == done_totals_stored()
    report_counts_rebuild()
    assert_counts_match()
    assert Task.objects.get(pk=world["task"].pk).done_at is not None


def _day_count_queries(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "crm_communicationdaycount" in q["sql"]]


def _day_total_queries(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "crm_communicationdaytotal" in q["sql"]]


@pytest.mark.django_db
def test_queries_of_the_counts(world):
    """A create: one upsert of the day count, one of the total; a reassignment: the row locked
    once and one upsert (two when one side is nobody), no total; an edit of anything else: none;
    a thread delete: one read, one upsert of each."""
    with CaptureQueriesContext(connection) as ctx:
        created = world["create"](assignee=world["bob"])
    assert (len(_day_count_queries(ctx)), len(_day_total_queries(ctx))) == (1, 1)
    with CaptureQueriesContext(connection) as ctx:
        services.item_assign(item=created, actor=world["user"], assignee=world["ana"])
    assert (len(_day_count_queries(ctx)), len(_day_total_queries(ctx))) == (1, 0)
    with CaptureQueriesContext(connection) as ctx:
        services.item_assign(item=created, actor=world["user"], assignee=None)
    assert (len(_day_count_queries(ctx)), len(_day_total_queries(ctx))) == (2, 0)
    with CaptureQueriesContext(connection) as ctx:
        services.communication_edit(item=created, actor=world["user"], changes={"subject": "Друго"})
    assert _day_count_queries(ctx) == _day_total_queries(ctx) == []
    with CaptureQueriesContext(connection) as ctx:
        services.thread_delete(thread=world["first"].thread)  # two communications of ana's, one day
    assert (len(_day_count_queries(ctx)), len(_day_total_queries(ctx))) == (1, 1)
    assert_counts_match()


def _done_total_queries(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "crm_taskdonedaytotal" in q["sql"]]


@pytest.mark.django_db
def test_queries_of_the_done_totals(world):
    """Set done: the stored done_at read under the lock once, one upsert; reopened: the same;
    edited while done, or created open: none; a done task deleted: one read, one upsert."""
    task = world["task"]
    with CaptureQueriesContext(connection) as ctx:
        task = services.task_status_set(task=task, actor=world["user"], status=Status.DONE)
    assert len(_done_total_queries(ctx)) == 1
    locked = [
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "crm_task"."done_at" AS "done_at" FROM')
    ]
    assert len(locked) == 1 and ("FOR UPDATE" in locked[0]) == connection.features.has_select_for_update
    with CaptureQueriesContext(connection) as ctx:
        services.item_edit(item=task, actor=world["user"], changes={"subject": "Оферта 2"})
        services.task_create(author=world["user"], subject="Ново", thread=task.thread)
    assert _done_total_queries(ctx) == []
    with CaptureQueriesContext(connection) as ctx:
        services.task_delete(task=task)
    assert len(_done_total_queries(ctx)) == 1
    assert_counts_match()


@pytest.mark.django_db
def test_a_stale_assignee_in_memory_is_not_taken_off_the_wrong_row(world):
    """Two edits of one communication, the second from a copy read before the first: the row's
    lock gives the second the stored assignee to move it from."""
    stale = Communication.objects.get(pk=world["first"].pk)
    services.item_assign(item=world["first"], actor=world["user"], assignee=world["bob"])
    services.item_assign(item=stale, actor=world["user"], assignee=None)
    assert_counts_match()


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_writes_of_one_day_add_up(user):
    """Four communications of one assignee created at once, the upsert of each held back until
    all four are in their transactions: the first row of the day is made once, and added to."""
    ana = UserFactory(username="ana")
    alfa = Counterparty.objects.create(name="Алфа")
    with slowed("crm.services.report_counts.communication_counts_add"):
        together(
            lambda i: services.communication_create(
                author=user, direction="in", channel="phone", subject=f"Обаждане {i}", counterparty=alfa, assignee=ana
            )
        )
    day = Communication.objects.first().created_at.astimezone(SOFIA).date()
    assert stored() == recount() == {(day, "in", ana.pk): 4}
    assert totals_stored() == totals_recount() == {(day, "in"): 4}


@pytest.mark.django_db
def test_seed_demo_counts_and_charts_match_the_base_tables(settings):
    """The demo data through the write path: the counts equal a recount, and the charts equal the
    queries they replaced (the week of each communication; the distinct tasks with a change to
    done in each week: the demo reopens none)."""
    from django.core.management import call_command

    from crm import reports

    settings.DEBUG = True  # seed_demo refuses otherwise (a production database)
    call_command("seed_demo", stdout=StringIO())
    assert_counts_match()
    moments = list(Communication.objects.values_list("created_at", flat=True))
    moments += list(ThreadEvent.objects.values_list("created_at", flat=True))
    period = reports.Period(
        start=min(moments).astimezone(SOFIA).date() - timedelta(days=3),
        end=max(moments).astimezone(SOFIA).date() + timedelta(days=3),
    )

    def monday(moment):
        day = moment.astimezone(SOFIA).date()
        return day - timedelta(days=day.weekday())

    weeks = Counter((monday(c), d) for c, d in Communication.objects.values_list("created_at", "direction"))
    assert {(r["week"], d): r[d] for r in reports.communications_per_week(period) for d in ("in", "out") if r[d]} == (
        dict(weeks)
    )
    events = ThreadEvent.objects.filter(kind=ThreadEvent.Kind.STATUS_CHANGED, task__isnull=False, data__new="done")
    done = Counter(monday(at) for at in {(e.task_id, monday(e.created_at)): e.created_at for e in events}.values())
    assert done, "the demo has done tasks"
    assert {r["week"]: r["done"] for r in reports.tasks_done_per_week(period) if r["done"]} == dict(done)
