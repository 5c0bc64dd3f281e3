"""Tasks: create, edit and set the status (through the one pipeline), delete (the admin)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction

from crm.models import Attachment, Communication, Counterparty, Status, Task, Thread, ThreadEvent
from crm.services._pipeline import ItemKind, check_moment, clean_common, item_write, record_event, status_for
from crm.services.attachments import attachments_share, delete_files_on_commit
from crm.services.reminders import task_reminders_sync
from crm.services.report_counts import task_done_counted, tasks_uncounted
from crm.services.threads import THREAD
from search.services import index_remove


def _clean(values: dict, *, item: Task | None, moment: datetime) -> dict:
    cleaned = clean_common(Task, values, item=item, counterparty_required=False)
    check_moment("deadline", values["deadline"], unchanged_from=item)
    status = status_for(status=values["status"], assignee=values["assignee"])
    return cleaned | {"status": status, "done_at": _done_at(status=status, item=item, moment=moment)}


def _done_at(*, status: str, item: Task | None, moment: datetime) -> datetime | None:
    """When the task became done (the reports' tasks done per week, docs/decisions.md): this write's
    moment when it becomes done (created done, or set to done), kept while it stays done, cleared
    when it is reopened — done, reopened and done again counts once, when it was last done."""
    if status != Status.DONE:
        return None
    if item is not None and item.status == Status.DONE and item.done_at is not None:
        return item.done_at
    return moment


def _after_write(*, item: Task, created: bool, changed: Iterable[str], before: dict, thread_opened: bool) -> None:
    task_reminders_sync(item=item, created=created, changed=changed)
    task_done_counted(item=item, created=created, changed=changed, old_done_at=before.get("done_at"))


TASK = ItemKind(
    model=Task,
    name="task",
    clean=_clean,
    number_prefix=lambda values: settings.NUMBER_PREFIX_TASK,
    editable=frozenset(
        {"subject", "description", "counterparty", "counterparty_name", "assignee", "deadline", "status"}
    ),
    thread_kind=THREAD,
    after_write=_after_write,
    # The done total moves from the stored done_at, not a copy read before someone else's change.
    locked_before=frozenset({"done_at"}),
)


def task_create(
    *,
    author,
    subject: str,
    thread: Thread | None = None,
    description: str = "",
    counterparty: Counterparty | None = None,
    counterparty_name: str = "",
    assignee=None,
    deadline: datetime | None = None,
    status: str | None = None,
    source_communication: Communication | None = None,
    files: Iterable = (),
    carried_attachments: Iterable[Attachment] = (),
) -> Task:
    values = {
        "subject": subject,
        "description": description,
        "counterparty": counterparty,
        "counterparty_name": counterparty_name,
        "assignee": assignee,
        "deadline": deadline,
        "status": status,
        "source_communication": source_communication,
    }

    def carry_over(task: Task) -> None:
        attachments_share(attachments=carried_attachments, task=task, uploaded_by=author)
        if source_communication is not None:
            record_event(
                thread=task.thread,
                kind=ThreadEvent.Kind.TASK_COPIED,
                actor=author,
                communication=source_communication,
                task=task,
                source=source_communication.number,
                number=task.number,
            )

    return item_write(kind=TASK, actor=author, values=values, thread=thread, files=files, on_saved=carry_over)


def task_status_set(*, task: Task, actor, status: str) -> Task:
    """A quick status change (from the timeline or the task's page): the status only."""
    return item_write(kind=TASK, actor=actor, item=task, values={"status": status})


@transaction.atomic
def task_delete(*, task: Task) -> None:
    tasks_uncounted(tasks=Task.objects.filter(pk=task.pk))
    delete_files_on_commit(list(task.attachments.all()))
    index_remove(task)
    task.delete()
