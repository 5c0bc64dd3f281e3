"""Date and date-time inputs that look the same in every browser: text inputs in the active
language's input format (config/formats/<lang>/formats.py: ``24.12.2026 14:30`` in Bulgarian,
``12/24/2026 14:30`` in English), never ``<input type=date|datetime-local>``, whose look follows
the browser's language (mm/dd/yyyy, 12-hour clock). static/js/dates.js adds a calendar button
(flatpickr) that writes the same format; typing is never rewritten. The server parses what was
typed: the language's formats plus ISO (shared links, scripts, tests)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import get_format
from django.utils.translation import gettext as _

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
