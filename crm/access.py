"""Who may do what (one helper per object; views call these and nothing else decides).

- every signed-in employee reads every thread, communication and task (sharing is the point);
- a communication or task is edited by its author, its assignee, or a manager (a user with
  the model's change permission);
- deleting is for the Django admin only; anonymous users see nothing (LoginRequiredMiddleware).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from crm.models import Attachment, Communication, Counterparty, Task, Thread


def can_edit_communication(user, communication: Communication) -> bool:
    return user.is_authenticated and (
        user.pk in (communication.author_id, communication.assignee_id) or user.has_perm("crm.change_communication")
    )


def can_edit_task(user, task: Task) -> bool:
    return user.is_authenticated and (user.pk in (task.author_id, task.assignee_id) or user.has_perm("crm.change_task"))


def can_change_counterparty(user) -> bool:
    """Promoting a name creates a counterparty: any employee may, as they may type the name."""
    return user.is_authenticated and user.is_active


def thread_for_read(user, pk: int, queryset: QuerySet[Thread] | None = None) -> Thread:
    return get_object_or_404(queryset if queryset is not None else Thread.objects.all(), pk=pk)


def communication_for_read(user, pk: int) -> Communication:
    return get_object_or_404(
        Communication.objects.select_related("thread", "counterparty", "contact", "assignee", "author"), pk=pk
    )


def communication_for_edit(user, pk: int) -> Communication:
    communication = communication_for_read(user, pk)
    if not can_edit_communication(user, communication):
        raise PermissionDenied
    return communication


def task_for_read(user, pk: int) -> Task:
    return get_object_or_404(
        Task.objects.select_related("thread", "counterparty", "assignee", "author", "source_communication"), pk=pk
    )


def task_for_edit(user, pk: int) -> Task:
    task = task_for_read(user, pk)
    if not can_edit_task(user, task):
        raise PermissionDenied
    return task


def counterparty_for_read(user, pk: int) -> Counterparty:
    return get_object_or_404(Counterparty, pk=pk)


def attachment_for_download(user, pk: int) -> Attachment:
    return get_object_or_404(Attachment, pk=pk)
