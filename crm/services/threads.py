"""Threads: create, edit (close and reopen too), link an order, follow and unfollow, delete (the admin)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.live import thread_live_push_on_commit
from crm.models import Communication, Counterparty, Order, Task, Thread, ThreadEvent, ThreadFollower, ThreadOrder
from crm.services._pipeline import ItemKind, clean_common, item_write, record_event, touch_thread
from crm.services.attachments import delete_files_on_commit
from crm.services.report_counts import communications_uncounted, tasks_uncounted
from search.services import index_remove, index_remove_ids


def _clean(values: dict, *, item: Thread | None, moment: datetime) -> dict:
    values = clean_common(Thread, values, item=item, counterparty_required=False)
    if "closed" in values and not isinstance(values["closed"], bool):
        raise ValidationError({"closed": _("Closed is yes or no.")})
    return values


THREAD = ItemKind(
    model=Thread,
    name="thread",
    clean=_clean,
    number_prefix=lambda values: settings.NUMBER_PREFIX_THREAD,
    editable=frozenset({"subject", "description", "counterparty", "counterparty_name", "closed"}),
)


def thread_create(
    *,
    author,
    subject: str,
    description: str = "",
    counterparty: Counterparty | None = None,
    counterparty_name: str = "",
    created_at: datetime | None = None,
) -> Thread:
    values = {
        "subject": subject,
        "description": description,
        "counterparty": counterparty,
        "counterparty_name": counterparty_name,
    }
    return item_write(kind=THREAD, actor=author, values=values, moment=created_at)


@transaction.atomic
def thread_edit(*, thread: Thread, actor, changes: dict) -> Thread:
    """Change some of subject, description, counterparty, counterparty_name and closed (only those
    given). Closing or reopening is on the timeline (an event) and is activity on the thread."""
    was_closed = thread.closed
    thread = item_write(kind=THREAD, actor=actor, item=thread, values=changes)
    if thread.closed != was_closed:
        kind = ThreadEvent.Kind.THREAD_CLOSED if thread.closed else ThreadEvent.Kind.THREAD_REOPENED
        record_event(thread=thread, kind=kind, actor=actor)
        touch_thread(thread, timezone.now())
    return thread


@transaction.atomic
def thread_link_order(*, thread: Thread, order: Order, actor) -> ThreadOrder:
    if ThreadOrder.objects.filter(thread=thread, order=order).exists():
        raise ValidationError({"order": _("This order is already linked to the thread.")})
    started = timezone.now()
    link = ThreadOrder.objects.create(thread=thread, order=order, linked_by=actor)
    thread_live_push_on_commit(thread=thread, since=started)  # its "order linked" event
    record_event(thread=thread, kind=ThreadEvent.Kind.ORDER_LINKED, actor=actor, order=order, number=order.number)
    touch_thread(thread, link.linked_at)
    return link


@transaction.atomic
def thread_delete(*, thread: Thread) -> None:
    """A thread goes with everything in it."""
    delete_files_on_commit(list(thread.attachments.all()))
    index_remove_ids(Task, Task.objects.filter(thread=thread).values_list("pk", flat=True))
    index_remove_ids(Communication, Communication.objects.filter(thread=thread).values_list("pk", flat=True))
    index_remove(thread)
    tasks_uncounted(tasks=Task.objects.filter(thread=thread))
    Task.objects.filter(thread=thread).delete()
    communications_uncounted(communications=Communication.objects.filter(thread=thread))
    Communication.objects.filter(thread=thread).delete()
    thread.delete()


def _follow_choice(*, thread: Thread, user, muted: bool) -> ThreadFollower:
    row, _created = ThreadFollower.objects.update_or_create(
        thread=thread, user=user, defaults={"muted": muted, "updated_at": timezone.now()}
    )
    return row


@transaction.atomic
def thread_follow(*, thread: Thread, user) -> ThreadFollower:
    """``user`` hears of the thread's activity from now on (also after a Mute: it is undone)."""
    return _follow_choice(thread=thread, user=user, muted=False)


@transaction.atomic
def thread_unfollow(*, thread: Thread, user) -> ThreadFollower:
    """``user`` stops hearing of the thread's activity — also when they take part in it (Mute):
    remembered, so being assigned or mentioned there later does not make them follow again.
    Mentions and assignments still reach them (they are about them, not the thread)."""
    return _follow_choice(thread=thread, user=user, muted=True)
