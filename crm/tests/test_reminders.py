"""Reminders, overdue notices, snooze and follow-ups with the clock moved (time-machine) and the
real due pass (jobs.runner.run_due): each told exactly once, on SQLite and on PostgreSQL."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from crm import services
from crm.models import Communication, Reminder, Status
from crm.services.reminders import add_working_days, reminders_pass
from crm.tests.factories import CounterpartyFactory
from jobs.runner import run_due
from notifications.models import Channel, Notification, Preference

SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")
# A Monday morning in Sofia; every test starts here.
START = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=SOFIA)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)

    def at(moment):
        time_machine.move_to(moment, tick=False)
        run_due()

    return at


def told(kind, user=None):
    rows = Notification.objects.filter(kind=kind)
    if user is not None:
        rows = rows.filter(recipient=user)
    return list(rows.order_by("id"))


def new_task(*, author, assignee, deadline):
    return services.task_create(author=author, subject="Оферта за 20 палета", assignee=assignee, deadline=deadline)


def test_the_assignee_is_reminded_a_day_before_and_told_at_the_deadline_once_each(user, petar, clock):
    deadline = START + datetime.timedelta(days=3)
    task = new_task(author=user, assignee=petar, deadline=deadline)
    clock(deadline - datetime.timedelta(days=1, minutes=1))
    assert told("reminder") == []
    clock(deadline - datetime.timedelta(days=1))
    [reminder] = told("reminder")
    assert reminder.recipient == petar and reminder.target == task and reminder.url == task.get_absolute_url()
    assert task.number in reminder.text and "04.03.2027 10:00" in reminder.text
    clock(deadline - datetime.timedelta(minutes=1))
    assert len(told("reminder")) == 1 and told("overdue") == []
    clock(deadline)
    [overdue] = told("overdue")
    assert overdue.recipient == petar
    clock(deadline + datetime.timedelta(days=2))
    assert len(told("reminder")) == 1 and len(told("overdue")) == 1


def test_a_done_task_never_reminds(user, petar, clock):
    deadline = START + datetime.timedelta(days=3)
    task = new_task(author=user, assignee=petar, deadline=deadline)
    services.task_status_set(task=task, actor=petar, status=Status.DONE)
    clock(deadline - datetime.timedelta(days=1))
    clock(deadline + datetime.timedelta(hours=1))
    assert told("reminder") == [] and told("overdue") == []


def test_done_after_the_reminder_means_no_overdue_notice(user, petar, clock):
    deadline = START + datetime.timedelta(days=3)
    task = new_task(author=user, assignee=petar, deadline=deadline)
    clock(deadline - datetime.timedelta(hours=2))
    services.task_status_set(task=task, actor=petar, status=Status.DONE)
    clock(deadline + datetime.timedelta(hours=1))
    assert len(told("reminder")) == 1 and told("overdue") == []


def test_a_new_deadline_arms_both_again_and_the_old_one_tells_nothing(user, petar, clock):
    deadline = START + datetime.timedelta(days=3)
    task = new_task(author=user, assignee=petar, deadline=deadline)
    clock(deadline - datetime.timedelta(hours=20))
    assert len(told("reminder")) == 1
    later = deadline + datetime.timedelta(days=2)
    services.item_edit(item=task, actor=user, changes={"deadline": later})
    clock(deadline + datetime.timedelta(hours=1))  # the old deadline passes: nothing
    assert told("overdue") == [] and len(told("reminder")) == 1
    clock(later - datetime.timedelta(days=1))
    assert len(told("reminder")) == 2
    clock(later)
    clock(later + datetime.timedelta(days=1))
    assert len(told("reminder")) == 2 and len(told("overdue")) == 1


def test_an_edit_that_keeps_the_deadline_does_not_tell_again(user, petar, clock):
    deadline = START + datetime.timedelta(days=3)
    task = new_task(author=user, assignee=petar, deadline=deadline)
    clock(deadline - datetime.timedelta(hours=20))
    services.item_edit(item=task, actor=user, changes={"subject": "Оферта за 30 палета", "status": Status.IN_PROGRESS})
    clock(deadline - datetime.timedelta(hours=19))
    assert len(told("reminder")) == 1


def test_a_new_assignee_is_reminded_instead(user, petar, other_user, clock):
    deadline = START + datetime.timedelta(days=3)
    task = new_task(author=user, assignee=petar, deadline=deadline)
    services.item_assign(item=task, actor=user, assignee=other_user)
    clock(deadline - datetime.timedelta(hours=23))
    assert [n.recipient for n in told("reminder")] == [other_user]


def test_the_lead_time_is_the_assignees_setting(user, petar, clock):
    services.reminder_lead_set(user=petar, lead_minutes=15)
    deadline = START + datetime.timedelta(days=1)
    new_task(author=user, assignee=petar, deadline=deadline)
    clock(deadline - datetime.timedelta(minutes=16))
    assert told("reminder") == []
    clock(deadline - datetime.timedelta(minutes=15))
    assert len(told("reminder")) == 1


def test_changing_the_lead_time_moves_reminders_not_told_yet_and_never_switches_them_off(user, petar, clock):
    deadline = START + datetime.timedelta(days=3)
    new_task(author=user, assignee=petar, deadline=deadline)
    services.reminder_lead_set(user=petar, lead_minutes=None)
    clock(deadline - datetime.timedelta(minutes=10))
    assert told("reminder") == []
    clock(deadline)
    assert len(told("overdue")) == 1  # "never" is about reminders: overdue still tells


def test_a_kind_switched_off_tells_nothing(user, petar, clock):
    Preference.objects.create(user=petar, kind="reminder", channel=Channel.OFF)
    deadline = START + datetime.timedelta(days=3)
    new_task(author=user, assignee=petar, deadline=deadline)
    clock(deadline - datetime.timedelta(hours=1))
    assert told("reminder") == []
    assert Reminder.objects.get(kind="reminder").notified_at is not None  # handled, not pending forever


def test_snooze_an_hour_from_the_task_page(user, petar, clock, client):
    deadline = START + datetime.timedelta(days=3)
    task = new_task(author=user, assignee=petar, deadline=deadline)
    clock(deadline)
    assert len(told("overdue")) == 1
    client.force_login(petar)
    page = client.get(task.get_absolute_url())
    assert b'id="snooze-panel"' in page.content
    response = client.post(reverse("crm:task_snooze", args=[task.pk]), {"until": "1h"})
    assert response.status_code == 302
    assert b'id="snooze-panel"' not in client.get(task.get_absolute_url()).content
    clock(deadline + datetime.timedelta(minutes=59))
    assert len(told("overdue")) == 1
    clock(deadline + datetime.timedelta(hours=1))
    assert len(told("overdue")) == 2
    clock(deadline + datetime.timedelta(hours=5))
    assert len(told("overdue")) == 2


def test_snooze_until_tomorrow_morning_in_sofia(user, petar, clock, client):
    deadline = START + datetime.timedelta(days=3)  # Thursday 10:00
    task = new_task(author=user, assignee=petar, deadline=deadline)
    clock(deadline - datetime.timedelta(days=1))
    client.force_login(petar)
    client.post(reverse("crm:task_snooze", args=[task.pk]), {"until": "tomorrow"})
    tomorrow_nine = datetime.datetime(2027, 3, 4, 9, 0, tzinfo=SOFIA)
    clock(tomorrow_nine - datetime.timedelta(minutes=1))
    assert len(told("reminder")) == 1
    clock(tomorrow_nine)
    assert len(told("reminder")) == 2


def test_only_the_assignee_can_snooze_and_bad_choices_change_nothing(user, petar, clock, client):
    deadline = START + datetime.timedelta(days=3)
    task = new_task(author=user, assignee=petar, deadline=deadline)
    clock(deadline)
    client.force_login(user)  # the author sees the task but was not told
    client.post(reverse("crm:task_snooze", args=[task.pk]), {"until": "1h"})
    client.force_login(petar)
    client.post(reverse("crm:task_snooze", args=[task.pk]), {"until": "next-year"})
    assert Reminder.objects.get(kind="overdue").due_at is None


def test_snooze_access(client, user, petar):
    url = reverse("crm:task_snooze", args=[987654])
    response = client.post(url, {"until": "1h"})
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    client.force_login(user)
    assert client.post(url, {"until": "1h"}).status_code == 404
    assert client.get(url).status_code == 405


def _email(*, author, direction, thread=None, occurred_at=None):
    return services.communication_create(
        author=author,
        direction=direction,
        channel=Communication.Channel.EMAIL,
        subject="Оферта",
        counterparty=CounterpartyFactory(),
        thread=thread,
        occurred_at=occurred_at,
    )


def test_working_days_skip_the_weekend():
    friday = datetime.datetime(2027, 3, 5, 16, 30, tzinfo=SOFIA)
    assert add_working_days(friday, 3) == datetime.datetime(2027, 3, 10, 16, 30, tzinfo=SOFIA)
    assert add_working_days(START, 3) == datetime.datetime(2027, 3, 4, 10, 0, tzinfo=SOFIA)


def test_an_unanswered_email_reminds_its_author_after_three_working_days_once(user, clock, time_machine):
    friday = datetime.datetime(2027, 3, 5, 11, 0, tzinfo=SOFIA)
    time_machine.move_to(friday, tick=False)
    sent = _email(author=user, direction=Communication.Direction.OUT)
    clock(datetime.datetime(2027, 3, 10, 10, 59, tzinfo=SOFIA))  # Wednesday, a minute early
    assert told("follow_up") == []
    clock(datetime.datetime(2027, 3, 10, 11, 0, tzinfo=SOFIA))
    [follow_up] = told("follow_up")
    assert follow_up.recipient == user and follow_up.target == sent and sent.number in follow_up.text
    clock(datetime.datetime(2027, 3, 20, 11, 0, tzinfo=SOFIA))
    assert len(told("follow_up")) == 1


def test_no_follow_up_when_the_client_replied_in_the_thread(user, clock, time_machine):
    sent = _email(author=user, direction=Communication.Direction.OUT)
    time_machine.move_to(START + datetime.timedelta(days=1), tick=False)
    _email(author=user, direction=Communication.Direction.IN, thread=sent.thread)
    clock(START + datetime.timedelta(days=10))
    assert told("follow_up") == []


def test_an_earlier_incoming_email_is_no_reply(user, clock, time_machine):
    incoming = _email(author=user, direction=Communication.Direction.IN)
    time_machine.move_to(START + datetime.timedelta(hours=1), tick=False)
    _email(author=user, direction=Communication.Direction.OUT, thread=incoming.thread)
    clock(START + datetime.timedelta(days=10))
    assert len(told("follow_up")) == 1


def test_a_phone_call_or_an_incoming_email_arms_no_follow_up(user, clock):
    services.communication_create(
        author=user,
        direction=Communication.Direction.OUT,
        channel=Communication.Channel.PHONE,
        subject="Обаждане",
        counterparty=CounterpartyFactory(),
    )
    _email(author=user, direction=Communication.Direction.IN)
    assert not Reminder.objects.exists()


def _due_tasks(user, petar, count):
    deadline = START + datetime.timedelta(days=3)
    for _ in range(count):
        new_task(author=user, assignee=petar, deadline=deadline)
    return deadline


@pytest.mark.parametrize("count", [3, 30])
def test_a_pass_takes_the_same_queries_for_3_or_30_due_reminders(
    user, petar, time_machine, django_assert_num_queries, count
):
    deadline = _due_tasks(user, petar, count)
    time_machine.move_to(deadline - datetime.timedelta(hours=1), tick=False)
    # anything due?; then in a savepoint: the locked batch, the kind's preferences, the insert,
    # mark told — one batch (JOBS_BATCH_SIZE 500) whatever the count; bench_jobs checks many batches
    with django_assert_num_queries(7):
        assert reminders_pass(now=deadline - datetime.timedelta(hours=1)) == count
    assert len(told("reminder")) == count


def test_an_idle_pass_is_one_query(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert reminders_pass(now=START) == 0


def test_the_task_page_adds_one_query_for_the_snooze_panel(user, petar, client, django_assert_num_queries):
    task = new_task(author=user, assignee=petar, deadline=START + datetime.timedelta(days=3))
    client.force_login(petar)
    client.get(task.get_absolute_url())  # warm caches (content types, session)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(task.get_absolute_url())
    assert sum("crm_reminder" in q["sql"] for q in queries.captured_queries) == 1
