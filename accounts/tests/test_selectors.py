"""The one list of employees (accounts.selectors.employee_list) and the pickers that use it."""

import pytest

from accounts.selectors import employee_list, employee_search
from accounts.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return {
        "petar": UserFactory(username="petar", first_name="Петър", last_name="Георгиев"),
        "ana_b": UserFactory(username="ana_b", first_name="Ана", last_name="Борисова"),
        "ana_a": UserFactory(username="ana_a", first_name="Ана", last_name="Алексиева"),
        "left": UserFactory(username="left", first_name="Атанас", last_name="Вълчев", is_active=False),
        "nameless": UserFactory(username="zz", first_name="", last_name=""),
    }


def names(users) -> list[str]:
    return [u.username for u in users]


def test_active_employees_by_name(staff):
    assert names(employee_list()) == ["zz", "ana_a", "ana_b", "petar"]


def test_with_the_inactive_after_the_active(staff):
    assert names(employee_list(include_inactive=True)) == ["zz", "ana_a", "ana_b", "petar", "left"]


def test_a_departments_active_members(staff):
    department = DepartmentFactory(members=[staff["petar"], staff["ana_a"], staff["left"]])
    DepartmentFactory(members=[staff["ana_b"]])
    assert names(employee_list(department=department)) == ["ana_a", "petar"]


def test_every_employee_picker_is_the_one_list(staff, rf):
    """The assignee pickers, the list filters' author/assignee pickers and the @-mention search
    offer the employees of employee_list, in its order."""
    from crm.filters import CommunicationFilter
    from crm.forms import CommunicationForm, TaskForm
    from mentions.selectors import mention_search

    for form in (CommunicationForm(), TaskForm()):
        assert str(form.fields["assignee"].queryset.query) == str(employee_list().query)
    filters = CommunicationFilter(request=rf.get("/"))
    for name in ("author", "assignee"):
        assert str(filters.form.fields[name].queryset.query) == str(employee_list(include_inactive=True).query)
    # The pickers' type-ahead keeps employee_list's order.
    found = employee_search(query="а", include_inactive=True)
    assert [u.username for u in found] == ["ana_a", "ana_b", "left"]
    found = [r for r in mention_search(query="ана", trigger="@") if r.key == "user"]
    assert [r.label for r in found] == ["Ана Алексиева", "Ана Борисова"]


@pytest.mark.parametrize(
    ("query", "include_inactive", "expected"),
    [
        ("ана", False, ["ana_a", "ana_b"]),
        ("АНА", False, ["ana_a", "ana_b"]),  # Cyrillic folded on every database
        ("ана бор", False, ["ana_b"]),  # every word must be found
        ("георг", False, ["petar"]),
        ("petar", False, ["petar"]),
        ("вълч", False, []),  # who left is not offered for new work…
        ("вълч", True, ["left"]),  # …but is for filters of past work
        ("няма", False, []),
    ],
)
def test_employee_search(staff, query, include_inactive, expected):
    assert [u.username for u in employee_search(query=query, include_inactive=include_inactive)] == expected


def test_employee_search_returns_a_few(db):
    UserFactory.create_batch(20, first_name="Мария")
    assert len(employee_search(query="мария")) == 15
