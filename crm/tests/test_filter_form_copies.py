"""The list filter forms copy their class's prepared fields cheaply (crm.filters.PreparedFields):
each form still owns what a request changes — its fields, widgets and their attributes, the
chosen employee, the error class, a model choice's queryset — and no request sees another's."""

import pytest
from django.http import QueryDict

from accounts.models import Department
from crm.filters import CommunicationFilter, TaskBoardFilter, TaskFilter, ThreadFilter

pytestmark = pytest.mark.django_db

FILTER_SETS = [CommunicationFilter, TaskFilter, ThreadFilter, TaskBoardFilter]


def _form(filterset_class, query: str = ""):
    form = filterset_class(QueryDict(query), queryset=None).form
    form.is_valid()
    return form


@pytest.mark.parametrize("filterset_class", FILTER_SETS)
def test_each_form_has_its_own_fields_widgets_and_attributes(filterset_class):
    first, second = _form(filterset_class), _form(filterset_class)
    base = type(first).base_fields
    for name in first.fields:
        for other in (second.fields[name], base[name]):
            assert first.fields[name] is not other
            assert first.fields[name].widget is not other.widget
            assert first.fields[name].widget.attrs is not other.widget.attrs
    first.fields["subject"].widget.attrs["data-x"] = "1"
    assert "data-x" not in second.fields["subject"].widget.attrs
    assert "data-x" not in base["subject"].widget.attrs


@pytest.mark.parametrize("filterset_class", FILTER_SETS)
def test_an_error_marks_that_forms_field_alone(filterset_class):
    invalid = _form(filterset_class, "created_after=31.02.2026&subject=офе")
    assert "created_after" in invalid.errors
    assert "is-invalid" in invalid.fields["created_after"].widget.attrs["class"]
    assert "is-invalid" not in invalid.fields["subject"].widget.attrs["class"]
    clean = _form(filterset_class, "created_after=28.02.2026")
    assert not clean.errors
    assert "is-invalid" not in clean.fields["created_after"].widget.attrs["class"]
    assert "is-invalid" not in type(clean).base_fields["created_after"].widget.attrs["class"]


@pytest.mark.parametrize("filterset_class", FILTER_SETS)
def test_every_input_has_bootstrap_classes_and_points_at_its_message(filterset_class):
    form = _form(filterset_class)
    for name, field in form.fields.items():
        assert field.widget.attrs["aria-describedby"] == f"error-{name}"
        if field.widget.input_type != "hidden":
            assert {"form-control", "form-select"} & set(field.widget.attrs["class"].split()), name


def test_the_chosen_employee_stays_with_its_form(user):
    chosen = _form(TaskFilter, f"assignee={user.pk}")
    assert chosen.fields["assignee"].widget.chosen[0] == str(user.pk)
    assert _form(TaskFilter).fields["assignee"].widget.chosen is None


def test_a_model_choice_reads_the_departments_of_its_own_request():
    Department.objects.create(name="Продажби")
    first = _form(TaskFilter)
    assert [label for _value, label in first.fields["department"].choices][1:] == ["Продажби"]
    Department.objects.create(name="Доставки")
    second = _form(TaskFilter)
    assert second.fields["department"].queryset is not first.fields["department"].queryset
    assert [label for _value, label in second.fields["department"].choices][1:] == ["Доставки", "Продажби"]
    # A department added after the page was drawn is a valid filter on the next request.
    added = Department.objects.create(name="Склад")
    assert _form(TaskFilter, f"department={added.pk}").cleaned_data["department"] == added
