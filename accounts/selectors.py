"""Reads of employees and departments: the one list of employees every picker uses."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Department, User
from config.db import UnicodeLower

# How every list of employees is sorted: as people are named on screen (User.__str__).
EMPLOYEE_ORDER = ("first_name", "last_name", "username", "pk")


def employee_list(*, include_inactive: bool = False, department: Department | None = None) -> QuerySet[User]:
    """Employees by name, for pickers, autocompletes and member lists.

    Only active employees, unless ``include_inactive`` (filters of past work still name people who
    left: they come after the active ones). ``department``: its members only.
    """
    employees = User.objects.all()
    if department is not None:
        employees = employees.filter(departments=department)
    if not include_inactive:
        return employees.filter(is_active=True).order_by(*EMPLOYEE_ORDER)
    return employees.order_by("-is_active", *EMPLOYEE_ORDER)


def employee_get(*, pk: int) -> User:
    """An employee's page (404 when there is none); their departments in the same query set."""
    return get_object_or_404(User.objects.prefetch_related("departments"), pk=pk)


def department_get(*, pk: int) -> Department:
    return get_object_or_404(Department, pk=pk)


def employee_search(*, query: str, include_inactive: bool = False, limit: int = 15) -> list[User]:
    """The employee pickers' type-ahead: every word of ``query`` starts a first name, last name or
    username, or is found in one (Cyrillic folded on every database), in employee_list order.
    The pickers render only what this returns, never all 1 700 employees."""
    employees = employee_list(include_inactive=include_inactive).alias(
        _first=UnicodeLower("first_name"), _last=UnicodeLower("last_name"), _user=UnicodeLower("username")
    )
    for word in query.lower().split()[:4]:
        employees = employees.filter(Q(_first__contains=word) | Q(_last__contains=word) | Q(_user__contains=word))
    return list(employees.only("pk", "first_name", "last_name", "username", "is_active")[:limit])
