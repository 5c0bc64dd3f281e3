"""Who may do what: one helper per kind of object, ``<kind>_for_user(user, pk)``; views call
these (one line each) and nothing else decides.

A helper 404s when the user may not see the object (a missing one looks the same: ids of what
one may not see are not confirmed) and otherwise returns it with what the user may do with it,
``(obj, can_edit)``, as Healthchecks' ``_get_check_for_user`` returns ``(check, rw)``.
``<kind>_for_edit`` is the same but 403s when the user may see and not change it. Kinds the app
only shows (products, orders, files) return the object alone: reading is all
one does with them here; they change in the Django admin.

The rules (DESIGN.md "Pages"):
- every active, signed-in employee reads every thread, communication, task, counterparty,
  product, order and file (sharing is the point); anonymous or deactivated users see nothing;
- every employee adds to every thread (communications, tasks, order links);
- a communication or task is edited by its author, its assignee, or a manager (a user with the
  model's change permission);
- counterparties are created by users with ``crm.add_counterparty`` and edited by those with
  ``crm.change_counterparty`` (admins, managers), in the app or the admin;
- deleting is for the Django admin only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from crm.models import Attachment, Communication, Counterparty, Order, Product, Task, Thread

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

M = TypeVar("M", bound=Model)


def _is_employee(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and user.is_active


def _visible(user: User | AnonymousUser, queryset: QuerySet[M], pk: int) -> M:
    """The object, if the user may see it; else the same 404 as for an id that does not exist."""
    if not _is_employee(user):
        raise Http404
    return get_object_or_404(queryset, pk=pk)


def _editable(pair: tuple[M, bool]) -> M:
    obj, can_edit = pair
    if not can_edit:
        raise PermissionDenied
    return obj


# --- threads -------------------------------------------------------------------------------------


def thread_for_user(user: User | AnonymousUser, pk: int) -> tuple[Thread, bool]:
    thread = _visible(user, Thread.objects.select_related("counterparty", "author"), pk)
    return thread, True  # every employee adds to every thread


def thread_for_edit(user: User | AnonymousUser, pk: int) -> Thread:
    return _editable(thread_for_user(user, pk))


def thread_or_none_for_user(user: User | AnonymousUser, pk: int | None) -> Thread | None:
    """For a form prefilled from ``?thread=``: the thread, or None when there is none to show
    (a stale or foreign link opens an empty form, it is no error)."""
    if pk is None:
        return None
    try:
        return thread_for_user(user, pk)[0]
    except Http404:
        return None


# --- communications ------------------------------------------------------------------------------


def _can_edit_communication(user: User | AnonymousUser, communication: Communication) -> bool:
    return _is_employee(user) and (
        user.pk in (communication.author_id, communication.assignee_id) or user.has_perm("crm.change_communication")
    )


def communication_for_user(user: User | AnonymousUser, pk: int) -> tuple[Communication, bool]:
    communication = _visible(
        user, Communication.objects.select_related("thread", "counterparty", "contact", "assignee", "author"), pk
    )
    return communication, _can_edit_communication(user, communication)


def communication_for_edit(user: User | AnonymousUser, pk: int) -> Communication:
    return _editable(communication_for_user(user, pk))


def communication_or_none_for_user(user: User | AnonymousUser, pk: int | None) -> Communication | None:
    """For a reply prefilled from ``?reply_to=``: as thread_or_none_for_user."""
    if pk is None:
        return None
    try:
        return communication_for_user(user, pk)[0]
    except Http404:
        return None


# --- tasks ---------------------------------------------------------------------------------------


def _can_edit_task(user: User | AnonymousUser, task: Task) -> bool:
    return _is_employee(user) and (user.pk in (task.author_id, task.assignee_id) or user.has_perm("crm.change_task"))


def task_for_user(user: User | AnonymousUser, pk: int) -> tuple[Task, bool]:
    task = _visible(
        user, Task.objects.select_related("thread", "counterparty", "assignee", "author", "source_communication"), pk
    )
    return task, _can_edit_task(user, task)


def task_for_edit(user: User | AnonymousUser, pk: int) -> Task:
    return _editable(task_for_user(user, pk))


# --- what the app only shows ---------------------------------------------------------------------


def _can_change_counterparty(user: User | AnonymousUser) -> bool:
    return _is_employee(user) and user.has_perm("crm.change_counterparty")


def counterparty_for_user(user: User | AnonymousUser, pk: int) -> tuple[Counterparty, bool]:
    """Every employee reads a counterparty; those with ``crm.change_counterparty`` edit it
    (admins and managers: seed_demo gives it to the demo manager)."""
    return _visible(user, Counterparty.objects.all(), pk), _can_change_counterparty(user)


def counterparty_for_edit(user: User | AnonymousUser, pk: int) -> Counterparty:
    return _editable(counterparty_for_user(user, pk))


def counterparty_check_add(user: User | AnonymousUser) -> None:
    """``/counterparties/new/``: for users with ``crm.add_counterparty`` (403 for the others)."""
    if not _is_employee(user):
        raise Http404
    if not user.has_perm("crm.add_counterparty"):
        raise PermissionDenied


def counterparty_or_none_for_user(user: User | AnonymousUser, pk: int | None) -> Counterparty | None:
    """For a form prefilled from ``?counterparty=``: as thread_or_none_for_user."""
    if pk is None:
        return None
    try:
        return counterparty_for_user(user, pk)[0]
    except Http404:
        return None


def product_for_user(user: User | AnonymousUser, pk: int) -> Product:
    return _visible(user, Product.objects.all(), pk)


def order_for_user(user: User | AnonymousUser, pk: int) -> Order:
    return _visible(user, Order.objects.select_related("counterparty"), pk)


def visible_ids(user: User | AnonymousUser, model: type[Model], ids) -> set[int]:
    """Of ``ids``, those of ``model`` the user may open — the rule of ``_visible`` for many at once
    (search results): one query; ids of deleted rows drop out."""
    if not _is_employee(user) or not ids:
        return set()
    return set(model._default_manager.filter(pk__in=list(ids)).order_by().values_list("pk", flat=True))


def attachment_for_user(user: User | AnonymousUser, pk: int) -> Attachment:
    return _visible(user, Attachment.objects.all(), pk)


def reports_check(user: User | AnonymousUser) -> None:
    """``/reports/``: for managers, users with ``crm.view_reports`` (403 for other employees)."""
    if not _is_employee(user):
        raise Http404
    if not user.has_perm("crm.view_reports"):
        raise PermissionDenied
