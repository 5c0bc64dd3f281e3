"""Date and date-time inputs that look the same in every browser: text inputs in the active
language's input format (config/formats/<lang>/formats.py: ``24.12.2026 14:30`` in Bulgarian,
``12/24/2026 14:30`` in English), never ``<input type=date|datetime-local>``, whose look follows
the browser's language (mm/dd/yyyy, 12-hour clock). static/js/dates.js adds a calendar button
(flatpickr) that writes the same format; typing is never rewritten. The server parses what was
typed: the language's formats plus ISO (shared links, scripts, tests)."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.formats import get_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from accounts.models import User
from config.html import e
from config.urlcache import plain_url
from crm.inputs import parse_id

# strftime directive -> (flatpickr token, what the placeholder says)
DIRECTIVES = {
    "%d": ("d", lambda: _("dd")),
    "%m": ("m", lambda: _("mm")),
    "%Y": ("Y", lambda: _("yyyy")),
    "%y": ("y", lambda: _("yy")),
    "%H": ("H", lambda: _("hh")),
    "%M": ("i", lambda: _("mm")),
    "%S": ("S", lambda: _("ss")),
}


def _translate(python_format: str, part: int) -> str:
    out, index = [], 0
    while index < len(python_format):
        directive = python_format[index : index + 2]
        if directive in DIRECTIVES:
            token = DIRECTIVES[directive][part]
            out.append(token if part == 0 else token())
            index += 2
        else:
            out.append(python_format[index])
            index += 1
    return "".join(out)


def flatpickr_format(python_format: str) -> str:
    """``%d.%m.%Y %H:%M`` -> ``d.m.Y H:i`` (flatpickr's tokens)."""
    return _translate(python_format, 0)


def placeholder(python_format: str) -> str:
    """``%d.%m.%Y %H:%M`` -> ``дд.мм.гггг чч:мм`` in Bulgarian."""
    return _translate(python_format, 1)


class PickerInputMixin:
    """Renders in the first input format of the active language (Django's DateTimeBaseInput does
    that when no ``format`` is given) and tells the picker that format and whether it has a time."""

    input_type = "text"
    picker = "date"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        python_format = self.format or get_format(self.format_key)[0]
        context["widget"]["attrs"] = {
            "placeholder": placeholder(python_format),
            "autocomplete": "off",
            "data-datepicker": self.picker,
            "data-date-format": flatpickr_format(python_format),
            "data-picker-label": _("Open the calendar"),
            **context["widget"]["attrs"],
        }
        return context


class DatePickerInput(PickerInputMixin, forms.DateInput):
    picker = "date"


class DateTimePickerInput(PickerInputMixin, forms.DateTimeInput):
    picker = "datetime"


class LocalizedInputMixin:
    """A form field whose valid typed value is shown back in the page's format: a link with
    ``?created_after=2026-03-31`` shows ``31.03.2026`` in Bulgarian. What does not parse (or is out
    of range) is shown exactly as typed, next to its error."""

    def prepare_value(self, value):
        if isinstance(value, str):
            try:
                value = self.clean(value)
            except (ValidationError, ValueError, OverflowError):
                return value
        return super().prepare_value(value)


def employee_label(user) -> str:
    """How a picker names an employee: as User.__str__, and who left says so."""
    return str(user) if user.is_active else _("%(name)s (inactive)") % {"name": user}


class EmployeePicker(forms.Select):
    """An employee picker that never renders 1 700 ``<option>``s: a ``<select>`` holding the empty
    choice and the chosen employee only, and a type-ahead box (static/js/employees.js asks
    accounts:employee_search and puts the picked employee into the select).

    Without JavaScript the select is what the page shows: the chosen employee, and the form
    still submits their id under the field's own name (the contract's ``assignee=<id>``).
    ``chosen`` is (id, label) of the employee the field resolved or was given (EmployeeChoiceField),
    so rendering takes no query of its own; a value it does not know is looked up by id.
    """

    def __init__(self, *, empty_label: str, include_inactive: bool = False, attrs=None):
        super().__init__(attrs)
        self.empty_label = empty_label
        self.include_inactive = include_inactive
        self.chosen: tuple[str, str] | None = None

    def _label(self, pk: str) -> str | None:
        if self.chosen is not None and self.chosen[0] == pk:
            return self.chosen[1]
        if parse_id(pk) is None:
            return None
        user = User.objects.filter(pk=pk).only("first_name", "last_name", "username", "is_active").first()
        return employee_label(user) if user is not None else None

    def render(self, name, value, attrs=None, renderer=None):
        # f-strings and config.html.e rather than format_html (what it did, byte for byte:
        # crm/tests/test_employee_pickers.py keeps that version and compares), and the search URL
        # reversed once (config.urlcache): two pickers per list page, ~150 µs each before.
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        final["data-employee-picker-value"] = ""
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        pk = "" if value in (None, "") else str(value)
        label = self._label(pk) if pk else None
        options = f'<option value="">{e(self.empty_label)}</option>'
        if label is not None:
            options += f'<option value="{e(pk)}" selected>{e(label)}</option>'
        menu = e(f"{final.get('id', name)}-suggestions")
        size = " form-control-sm" if "form-select-sm" in final.get("class", "") else ""
        search = plain_url("accounts:employee_search") + ("?inactive=1" if self.include_inactive else "")
        return mark_safe(  # noqa: S308 - every value escaped
            f'<div class="position-relative employee-picker" data-employee-picker data-search-url="{e(search)}">'
            f"<select{flatatt(final)}>{options}</select>"
            f'<input type="text" class="form-control{size} d-none" data-employee-picker-input value="{e(label or "")}" '
            'autocomplete="off" role="combobox" aria-autocomplete="list" aria-expanded="false" '
            f'aria-controls="{menu}" aria-label="{e(_("Type a name to search employees"))}" '
            f'placeholder="{e(_("Type a name…"))}">'
            f'<div class="typeahead-menu list-group shadow-sm" id="{menu}" role="listbox"></div></div>'
        )
