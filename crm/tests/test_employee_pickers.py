"""Employee pickers (crm.widgets.EmployeePicker, accounts:employee_search): no page renders every
employee; the chosen one is rendered and submitted by id; the type-ahead escapes names."""

import re

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from crm.models import Task
from crm.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

SEARCH = "/accounts/employees/search/"


def select(html: str, name: str) -> str:
    return re.search(rf'<select[^>]* name="{name}".*?</select>', html, re.S).group(0)


@pytest.fixture
def many(db):
    return UserFactory.create_batch(60, first_name="Мария")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/communications/", "author"),
        ("/communications/", "assignee"),
        ("/tasks/", "assignee"),
        ("/threads/", "author"),
        ("/communications/new/", "assignee"),
        ("/tasks/new/", "assignee"),
    ],
)
def test_a_picker_renders_the_empty_choice_only(client_ivan, many, path, name):
    html = client_ivan.get(path).content.decode()
    assert select(html, name).count("<option") == 1
    assert "data-employee-picker-input" in html


@pytest.mark.parametrize("path", ["/communications/", "/tasks/"])
def test_a_filter_renders_the_chosen_employee_and_submits_their_id(client_ivan, many, path):
    maria = many[7]
    html = client_ivan.get(path, {"assignee": maria.pk}).content.decode()
    options = re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', select(html, "assignee"))
    assert options == [("", "", "Всеки"), (str(maria.pk), " selected", str(maria))]
    assert f'data-employee-picker-input value="{maria}"' in html


def test_an_inactive_employee_is_named_so_in_a_filter(client_ivan):
    left = UserFactory(first_name="Атанас", last_name="Вълчев", is_active=False)
    html = client_ivan.get("/tasks/", {"assignee": left.pk}).content.decode()
    assert "Атанас Вълчев (неактивен)" in select(html, "assignee")


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "99999999999999999999999", "1.5", "９"])
def test_a_bad_employee_id_is_a_message_on_the_field(client_ivan, bad):
    response = client_ivan.get("/tasks/", {"assignee": bad})
    assert response.status_code == 200
    assert re.search(r'id="error-assignee"[^>]*>[^<]+<', response.content.decode())


def test_the_edit_form_renders_the_current_assignee_without_listing_everyone(client_ivan, user, many):
    task = TaskFactory(author=user, assignee=many[3])
    html = client_ivan.get(f"/tasks/{task.pk}/edit/").content.decode()
    options = re.findall(r'<option value="(\d*)"( selected)?>', select(html, "assignee"))
    assert options == [("", ""), (str(many[3].pk), " selected")]


def test_the_create_form_saves_the_picked_id(client_ivan, many):
    form = {"subject": "Изпрати оферта", "counterparty_name": "", "status": "assigned", "assignee": many[5].pk}
    response = client_ivan.post("/tasks/new/", form)
    assert response.status_code == 302
    assert Task.objects.get(subject="Изпрати оферта").assignee == many[5]


def test_search_suggests_a_few_employees_with_escaped_names(client_ivan):
    UserFactory(first_name="<b>Ева</b>", last_name='"Х"')
    html = client_ivan.get(SEARCH, {"q": "ева"}).content.decode()
    assert "<b>Ева</b>" not in html
    assert "&lt;b&gt;Ева&lt;/b&gt;" in html
    assert html.count("data-employee-pick=") == 1


def test_search_suggests_a_bounded_number_and_those_who_left_only_when_asked(client_ivan, many):
    UserFactory(first_name="Мария", last_name="Напуснала", is_active=False)
    assert client_ivan.get(SEARCH, {"q": "мария"}).content.decode().count("data-employee-pick=") == 15
    assert "Напуснала" not in client_ivan.get(SEARCH, {"q": "напусн"}).content.decode()
    found = client_ivan.get(SEARCH, {"q": "напусн", "inactive": "1"}).content.decode()
    assert "Мария Напуснала (неактивен)" in found


def test_search_with_nothing_typed_or_nothing_found(client_ivan):
    assert client_ivan.get(SEARCH).content.decode().strip() == ""
    assert "Няма служител" in client_ivan.get(SEARCH, {"q": "жжжж"}).content.decode()
    assert client_ivan.get(SEARCH, {"q": "\x00" * 500}).status_code == 200


def test_search_needs_a_signed_in_user(db):
    response = Client().get(SEARCH, {"q": "мария"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- the render written with f-strings draws what the format_html version drew -----------------


def _format_html_render(widget, name, value, attrs=None):
    """crm.widgets.EmployeePicker.render before it was written with f-strings (kept to compare)."""
    from django.forms.utils import flatatt
    from django.urls import reverse
    from django.utils.html import format_html
    from django.utils.translation import gettext as _

    final = widget.build_attrs(widget.attrs, attrs)
    final["name"] = name
    final["data-employee-picker-value"] = ""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    pk = "" if value in (None, "") else str(value)
    label = widget._label(pk) if pk else None
    options = format_html('<option value="">{}</option>', widget.empty_label)
    if label is not None:
        options += format_html('<option value="{}" selected>{}</option>', pk, label)
    menu = f"{final.get('id', name)}-suggestions"
    size = " form-control-sm" if "form-select-sm" in final.get("class", "") else ""
    search = reverse("accounts:employee_search") + ("?inactive=1" if widget.include_inactive else "")
    return format_html(
        '<div class="position-relative employee-picker" data-employee-picker data-search-url="{}">'
        "<select{}>{}</select>"
        '<input type="text" class="form-control{} d-none" data-employee-picker-input value="{}" '
        'autocomplete="off" role="combobox" aria-autocomplete="list" aria-expanded="false" '
        'aria-controls="{}" aria-label="{}" placeholder="{}">'
        '<div class="typeahead-menu list-group shadow-sm" id="{}" role="listbox"></div></div>',
        search,
        flatatt(final),
        options,
        size,
        label or "",
        menu,
        _("Type a name to search employees"),
        _("Type a name…"),
        menu,
    )


@pytest.mark.parametrize("language", ["bg", "en"])
def test_the_picker_draws_what_its_format_html_version_drew(language):
    from django.utils import translation
    from django.utils.translation import gettext_lazy

    from crm.widgets import EmployeePicker

    hostile = UserFactory(first_name='<b>"Иван" & Co\'</b>', last_name="Петров")
    gone = UserFactory(first_name="Стар", is_active=False)
    cases = [
        # (widget options, value, attrs)
        (
            {
                "empty_label": gettext_lazy("Anyone"),
                "include_inactive": True,
                "attrs": {"class": "form-select form-select-sm"},
            },
            None,
            {"id": "id_assignee"},
        ),
        ({"empty_label": "—"}, "", None),
        (
            {"empty_label": "<—>", "attrs": {"class": "form-select", "aria-invalid": "true"}},
            str(hostile.pk),
            {"id": 'x"y'},
        ),
        ({"empty_label": "—", "include_inactive": True}, [str(gone.pk)], {"id": "id_author", "required": True}),
        ({"empty_label": "—"}, "999999", {"id": "id_author"}),  # nobody has this id
        ({"empty_label": "—"}, "abc<", {"id": "id_author", "disabled": False}),  # not an id
        ({"empty_label": "—"}, [], None),
    ]
    with translation.override(language):
        for options, value, attrs in cases:
            widget = EmployeePicker(**options)
            if value == str(hostile.pk):
                widget.chosen = (str(hostile.pk), "<i>\"chosen\"</i> & 'co'")
            new, old = widget.render("assignee", value, attrs), _format_html_render(widget, "assignee", value, attrs)
            assert new == old, (options, value, attrs)
            assert type(new) is type(old)
