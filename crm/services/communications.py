"""Communications: create, edit (through the one pipeline), copy to a task, delete (the admin)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from crm.models import Communication, ContactPerson, Counterparty, Task, Thread
from crm.services._pipeline import ItemKind, check_moment, clean_common, contact_fields, item_write, status_for
from crm.services.attachments import delete_files_on_commit
from crm.services.mail import check_sendable, mail_order_clean, mail_queue
from crm.services.reminders import communication_follow_up_sync
from crm.services.report_counts import communication_counted, communications_uncounted
from crm.services.tasks import task_create
from crm.services.threads import THREAD
from search.services import index_remove


def _clean(values: dict, *, item: Communication | None, moment: datetime) -> dict:
    cleaned = clean_common(Communication, values, item=item, counterparty_required=True, texts=("contact_name",))
    occurred_at = values["occurred_at"]
    check_moment("occurred_at", occurred_at, unchanged_from=item)
    if item is not None and values["direction"] != item.direction:
        raise ValidationError({"direction": _("The direction cannot change after creation.")})
    if values["direction"] not in Communication.Direction.values:
        raise ValidationError({"direction": _("Choose incoming or outgoing.")})
    if values["channel"] not in Communication.Channel.values:
        raise ValidationError({"channel": _("Choose e-mail, phone or meeting.")})
    contact, contact_name = contact_fields(
        counterparty=cleaned["counterparty"], contact=values["contact"], contact_name=values["contact_name"]
    )
    return cleaned | {
        "contact": contact,
        "contact_name": contact_name,
        "status": status_for(status=values["status"], assignee=values["assignee"]),
        # Empty means now (on create), or as it was (on edit).
        "occurred_at": occurred_at or (item.occurred_at if item is not None else moment),
    }


def _number_prefix(values: dict) -> str:
    return settings.NUMBER_PREFIX_INCOMING if values["direction"] == "in" else settings.NUMBER_PREFIX_OUTGOING


def communication_answers_refresh(*, thread_ids: Iterable[int] | None = None) -> int:
    """Set ``answered_at`` of the incoming communications of ``thread_ids`` (every thread: None, the
    backfill) in one UPDATE: the first outgoing communication of the same thread after it, ordered
    by (occurred_at, id) — the order the timeline shows. An outgoing one before the incoming one,
    or in another thread, is no answer. Recomputed for the whole thread rather than patched, so a
    moved occurred_at or a deleted answer cannot leave a stale value. Returns the rows updated."""
    answer = (
        Communication.objects.filter(thread_id=OuterRef("thread_id"), direction=Communication.Direction.OUT)
        .filter(
            Q(occurred_at__gt=OuterRef("occurred_at")) | Q(occurred_at=OuterRef("occurred_at"), id__gt=OuterRef("id"))
        )
        .order_by("occurred_at", "id")
        .values("occurred_at")[:1]
    )
    incoming = Communication.objects.filter(direction=Communication.Direction.IN)
    if thread_ids is not None:
        incoming = incoming.filter(thread_id__in=list(thread_ids))
    return incoming.update(answered_at=Subquery(answer))


def communication_answers_sync(*, item: Communication, created: bool, changed: Iterable[str]) -> None:
    """After a write: a new communication or a moved occurred_at may answer, or stop answering,
    the thread's incoming ones (one UPDATE of that thread; nothing for other edits)."""
    if created or "occurred_at" in changed:
        communication_answers_refresh(thread_ids=[item.thread_id])


def _after_write(
    *, item: Communication, created: bool, changed: Iterable[str], before: dict, thread_opened: bool
) -> None:
    communication_follow_up_sync(item=item, created=created, changed=changed)
    # Alone in the thread this write opened for it, it answers nothing and is answered by nothing.
    if not thread_opened:
        communication_answers_sync(item=item, created=created, changed=changed)
    communication_counted(item=item, created=created, changed=changed, old_assignee_id=before.get("assignee"))


COMMUNICATION = ItemKind(
    model=Communication,
    name="communication",
    clean=_clean,
    number_prefix=_number_prefix,
    editable=frozenset(
        {
            "direction",
            "channel",
            "subject",
            "description",
            "counterparty",
            "counterparty_name",
            "contact",
            "contact_name",
            "assignee",
            "status",
            "occurred_at",
        }
    ),
    thread_kind=THREAD,
    after_write=_after_write,
    locked_before=frozenset({"assignee"}),
)


def communication_create(
    *,
    author,
    direction: str,
    channel: str,
    subject: str,
    thread: Thread | None = None,
    description: str = "",
    counterparty: Counterparty | None = None,
    counterparty_name: str = "",
    contact: ContactPerson | None = None,
    contact_name: str = "",
    assignee=None,
    status: str | None = None,
    occurred_at: datetime | None = None,
    files: Iterable = (),
    send: bool = False,
    to: str = "",
    cc: str = "",
) -> Communication:
    """A new communication (in ``thread``, or a new thread). ``send``: an outgoing e-mail also
    goes out to ``to`` and ``cc`` (comma-separated addresses), by a job after commit."""
    mail = mail_order_clean(send=send, to=to, cc=cc)
    if mail is not None:
        check_sendable(direction=direction, channel=channel)
    values = {
        "direction": direction,
        "channel": channel,
        "subject": subject,
        "description": description,
        "counterparty": counterparty,
        "counterparty_name": counterparty_name,
        "contact": contact,
        "contact_name": contact_name,
        "assignee": assignee,
        "status": status,
        "occurred_at": occurred_at,
    }
    return item_write(
        kind=COMMUNICATION,
        actor=author,
        values=values,
        thread=thread,
        files=files,
        on_saved=_mail_on_saved(mail),
    )


def communication_edit(
    *,
    item: Communication,
    actor,
    changes: dict,
    files: Iterable = (),
    remove_attachments: Iterable = (),
    send: bool = False,
    to: str = "",
    cc: str = "",
) -> Communication:
    """``item_edit`` of a communication, and with ``send`` its e-mail queued in the same
    transaction (an e-mail not sent yet, or one that failed)."""
    mail = mail_order_clean(send=send, to=to, cc=cc)
    if mail is not None:
        check_sendable(
            direction=item.direction, channel=changes.get("channel", item.channel), mail_status=item.mail_status
        )
    return item_write(
        kind=COMMUNICATION,
        actor=actor,
        item=item,
        values=changes,
        files=files,
        remove_attachments=remove_attachments,
        on_saved=_mail_on_saved(mail),
    )


def _mail_on_saved(mail):
    """item_write's hook: the mail queued once the communication (and its files) is saved."""
    if mail is None:
        return None
    return lambda communication: mail_queue(communication=communication, order=mail)


class AlreadyCopied(Exception):
    """The communication was copied to a task before; copying again needs ``again=True``."""

    def __init__(self, task: Task):
        super().__init__(task.number)
        self.task = task


# "As the communication has it": an explicit None is a choice too (no assignee).
FROM_COMMUNICATION: Any = object()


def communication_copy_to_task(
    *,
    communication: Communication,
    actor,
    again: bool = False,
    subject: str | None = None,
    description: str | None = None,
    assignee=FROM_COMMUNICATION,
    deadline: datetime | None = None,
) -> Task:
    """A new task in the same thread, pre-filled from the communication, sharing its files.

    What the copy form lets the user change (subject, description, assignee, deadline) may be
    given; left out, each is the communication's (its assignee is carried over), and there is no
    deadline. The files are shared, not stored again: the thread's attachment list shows each once.

    Once per communication: if a task was already copied from it, AlreadyCopied names that task
    unless the caller confirms another copy (``again``). The TASK_COPIED event is recorded by
    task_create in the same transaction.
    """
    with transaction.atomic():
        # The communication's row lock makes two concurrent first copies one; locking its
        # attachment rows keeps an admin delete from removing a file this copy is about to share.
        Communication.objects.select_for_update().filter(pk=communication.pk).first()
        existing = communication.derived_tasks.order_by("-created_at", "-id").first()
        if existing is not None and not again:
            raise AlreadyCopied(existing)
        return task_create(
            author=actor,
            subject=communication.subject if subject is None else subject,
            thread=communication.thread,
            description=communication.description if description is None else description,
            counterparty=communication.counterparty,
            counterparty_name=communication.counterparty_name,
            assignee=communication.assignee if assignee is FROM_COMMUNICATION else assignee,
            deadline=deadline,
            source_communication=communication,
            carried_attachments=list(communication.attachments.select_for_update()),
        )


@transaction.atomic
def communication_delete(*, communication: Communication) -> None:
    """Its number stays used: sequences never go back."""
    delete_files_on_commit(list(communication.attachments.all()))
    index_remove(communication)
    thread_id = communication.thread_id
    communications_uncounted(communications=Communication.objects.filter(pk=communication.pk))
    communication.delete()
    communication_answers_refresh(thread_ids=[thread_id])  # it may have been the answer
