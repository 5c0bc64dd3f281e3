"""Reminders, overdue notices and follow-ups: rows armed by the commands that change what they
depend on, told by a due pass (registered with jobs in crm/apps.py). The rules
(docs/decisions.md "Jobs, reminders and follow-ups"):

- An open task with an assignee and a deadline reminds its assignee ``lead`` before the deadline
  (their setting: 15 min, 1 h, 1 day — the default — or never) and tells them at the deadline
  that it is overdue; each once per deadline value. A new deadline arms both again; a new
  assignee takes over what has not been told yet; a done task (or one without deadline or
  assignee) is disarmed. A reminder whose deadline has already passed when it comes due is
  dropped: the overdue notice says it.
- Snooze moves the told reminder (or overdue notice) of a task to a later time, once.
- An outgoing e-mail reminds its author ``FOLLOW_UP_DAYS`` working days (Monday–Friday,
  Europe/Sofia) after it was sent, unless an incoming communication came later in its thread.

Every command that changes a deadline, an assignee or a status goes through the item pipeline
(crm/services/_pipeline.py), which calls ``task_reminders_sync``: a board or calendar drag
re-arms the same way as the edit form.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Collection

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import formats, timezone

from accounts.models import User
from crm.models import Communication, Reminder, ReminderSettings, Status
from crm.selectors import reminder_lead_minutes
from notifications.services import NewNotification, notification_send_many

SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")
LEAD_CHOICES_MINUTES = (15, 60, 24 * 60)
SNOOZE_HOUR = datetime.time(9, 0)
_TASK_FIELDS = frozenset({"deadline", "assignee", "status"})


# --- time helpers -------------------------------------------------------------------------


def add_working_days(moment: datetime.datetime, days: int) -> datetime.datetime:
    """``moment`` plus ``days`` working days (Monday–Friday in Sofia), the same time of day."""
    local = moment.astimezone(SOFIA)
    day = local.date()
    while days > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return datetime.datetime.combine(day, local.time(), tzinfo=SOFIA).astimezone(datetime.UTC)


def snooze_until(*, choice: str, now: datetime.datetime) -> datetime.datetime | None:
    """ "1h": an hour from now; "tomorrow": 09:00 Sofia time tomorrow; anything else: None."""
    if choice == "1h":
        return now + datetime.timedelta(hours=1)
    if choice == "tomorrow":
        tomorrow = now.astimezone(SOFIA).date() + datetime.timedelta(days=1)
        return datetime.datetime.combine(tomorrow, SNOOZE_HOUR, tzinfo=SOFIA).astimezone(datetime.UTC)
    return None


# --- writes -----------------------------------------------------------------------------------


def _lead_due(deadline: datetime.datetime, lead_minutes: int | None) -> datetime.datetime | None:
    return None if lead_minutes is None else deadline - datetime.timedelta(minutes=lead_minutes)


def task_reminders_sync(*, item, created: bool, changed: Collection[str]) -> None:
    """Arm, re-arm or disarm a task's reminder and overdue notice after a write (the pipeline
    calls it in the write's transaction). Nothing to do unless deadline, assignee or status changed."""
    task = item
    if not created and not (_TASK_FIELDS & set(changed)):
        return
    if task.deadline is None and "deadline" not in changed:
        return  # never had one armed: removing a deadline disarms in the edit that removes it
    existing = {} if created else {r.kind: r for r in Reminder.objects.filter(task=task)}
    if task.status == Status.DONE or task.deadline is None or task.assignee_id is None:
        armed = [r.pk for r in existing.values() if r.due_at is not None]
        if armed:
            Reminder.objects.filter(pk__in=armed).update(due_at=None)
        return
    lead = reminder_lead_minutes(user_id=task.assignee_id)
    wanted = {Reminder.Kind.REMINDER: _lead_due(task.deadline, lead), Reminder.Kind.OVERDUE: task.deadline}
    to_create, to_update = [], []
    for kind, due_at in wanted.items():
        row = existing.get(kind)
        if row is None:
            to_create.append(
                Reminder(kind=kind, task=task, recipient_id=task.assignee_id, armed_for=task.deadline, due_at=due_at)
            )
            continue
        if row.armed_for != task.deadline:  # a new deadline: told afresh
            row.armed_for, row.notified_at, row.due_at = task.deadline, None, due_at
        elif row.notified_at is None:  # not told yet: the current assignee, at their lead time
            row.due_at = due_at
        row.recipient_id = task.assignee_id
        to_update.append(row)
    if to_create:
        Reminder.objects.bulk_create(to_create)
    if to_update:
        Reminder.objects.bulk_update(to_update, ["armed_for", "notified_at", "due_at", "recipient"])


def communication_follow_up_sync(*, item: Communication, created: bool, changed: Collection[str]) -> None:
    """An outgoing e-mail arms its author's follow-up; a new sending time moves it (if untold)."""
    communication = item
    is_outgoing_email = (
        communication.direction == Communication.Direction.OUT and communication.channel == Communication.Channel.EMAIL
    )
    if created:
        if is_outgoing_email:
            Reminder.objects.create(
                kind=Reminder.Kind.FOLLOW_UP,
                communication=communication,
                recipient_id=communication.author_id,
                armed_for=communication.occurred_at,
                due_at=add_working_days(communication.occurred_at, settings.FOLLOW_UP_DAYS),
            )
        return
    if {"occurred_at", "channel"} & set(changed):
        Reminder.objects.filter(communication=communication, notified_at__isnull=True).update(
            armed_for=communication.occurred_at,
            due_at=add_working_days(communication.occurred_at, settings.FOLLOW_UP_DAYS) if is_outgoing_email else None,
        )


@transaction.atomic
def reminder_lead_set(*, user: User, lead_minutes: int | None) -> None:
    """Save how long before a deadline ``user`` is reminded; their untold reminders move with it."""
    ReminderSettings.objects.update_or_create(user=user, defaults={"lead_minutes": lead_minutes})
    untold = Reminder.objects.filter(
        kind=Reminder.Kind.REMINDER, recipient=user, notified_at__isnull=True, task__assignee=user
    ).exclude(task__status=Status.DONE)
    if lead_minutes is None:
        untold.update(due_at=None)
    else:
        untold.update(due_at=F("armed_for") - datetime.timedelta(minutes=lead_minutes))


@transaction.atomic
def reminder_snooze(*, reminder: Reminder, until: datetime.datetime) -> Reminder:
    """Tell again at ``until`` (a reminder told, not yet due again)."""
    Reminder.objects.filter(pk=reminder.pk).update(due_at=until, notified_at=None)
    reminder.due_at, reminder.notified_at = until, None
    return reminder


# --- the due pass -----------------------------------------------------------------------------


def shown_moment(moment: datetime.datetime) -> str:
    """As the UI shows a moment: Sofia time, дд.мм.гггг чч:мм."""
    return formats.date_format(timezone.localtime(moment), "d.m.Y H:i")


def _notification_for(reminder: Reminder) -> NewNotification:
    """What one reminder says: parameters only, its text is made in each reader's language when
    shown (crm/notification_texts.py)."""
    item = reminder.communication if reminder.kind == Reminder.Kind.FOLLOW_UP else reminder.task
    return NewNotification(
        recipient_id=reminder.recipient_id,
        kind=reminder.kind,
        target=item,
        params={"number": item.number, "subject": item.subject, "when": reminder.armed_for.isoformat()},
        url=item.get_absolute_url(),
    )


def _still_wanted(reminder: Reminder, *, now: datetime.datetime) -> bool:
    if reminder.kind == Reminder.Kind.FOLLOW_UP:
        return not reminder.replied
    task = reminder.task
    if task.status == Status.DONE or task.assignee_id != reminder.recipient_id or task.deadline != reminder.armed_for:
        return False
    return not (reminder.kind == Reminder.Kind.REMINDER and task.deadline <= now)


def reminders_pass(*, now: datetime.datetime) -> int:
    """Tell every reminder due by ``now``, a batch per transaction: the rows are locked (skip
    locked on PostgreSQL; SQLite's write lock serialises passes), told and cleared together, so
    a crash tells nothing and loses nothing. Per batch: one select, a preferences query per
    kind, the notification insert, two updates. Idle: one indexed query."""
    replied = Communication.objects.filter(
        thread_id=OuterRef("communication__thread_id"),
        direction=Communication.Direction.IN,
        occurred_at__gt=OuterRef("communication__occurred_at"),
    )
    if not Reminder.objects.filter(due_at__lte=now).exists():
        return 0
    told_total = 0
    while True:
        with transaction.atomic():
            batch = list(
                Reminder.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(due_at__lte=now)
                .select_related("task", "communication")
                .annotate(replied=Exists(replied))
                .order_by("due_at", "id")[: settings.JOBS_BATCH_SIZE]
            )
            if not batch:  # another worker took the rest
                return told_total
            told = [r for r in batch if _still_wanted(r, now=now)]
            if told:
                # Bell counts pushed, not a toast each: a pass may tell thousands at once.
                notification_send_many([_notification_for(r) for r in told], toasts=False)
                Reminder.objects.filter(pk__in=[r.pk for r in told]).update(due_at=None, notified_at=now)
            told_ids = {r.pk for r in told}
            dropped = [r.pk for r in batch if r.pk not in told_ids]
            if dropped:
                Reminder.objects.filter(pk__in=dropped).update(due_at=None)
            told_total += len(told)
        if len(batch) < settings.JOBS_BATCH_SIZE:  # that was the last batch
            return told_total
