"""Date inputs: the page language's format shown and accepted, ISO always accepted (crm/widgets.py,
config/formats/)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.utils import translation

from crm.filters import ListDateField
from crm.forms import MomentField
from crm.widgets import flatpickr_format, placeholder

SOFIA = ZoneInfo("Europe/Sofia")
MOMENT = datetime.datetime(2026, 12, 24, 14, 30, tzinfo=SOFIA)


class DeadlineForm(forms.Form):
    deadline = MomentField(required=False)


@pytest.mark.parametrize(
    "language, typed, expected",
    [
        ("bg", "24.12.2026 14:30", MOMENT),
        ("bg", " 24.12.2026 14:30 ", MOMENT),
        ("bg", "2026-12-24T14:30", MOMENT),
        ("bg", "2026-12-24 14:30", MOMENT),
        ("en", "12/24/2026 14:30", MOMENT),
        ("en", "2026-12-24T14:30", MOMENT),
        ("bg", "12/24/2026 14:30", None),  # the other language's form is an error, not a guess
        ("en", "24.12.2026 14:30", None),
        ("bg", "31.02.2026 10:00", None),
        ("bg", "24.12.2026 2:30 PM", None),
    ],
)
def test_moment_field_accepts_the_language_format_and_iso(language, typed, expected):
    with translation.override(language):
        form = DeadlineForm(data={"deadline": typed})
        assert form.is_valid() is (expected is not None), form.errors
        if expected:
            assert form.cleaned_data["deadline"] == expected


@pytest.mark.parametrize(
    "language, shown, placeholder_text, picker_format",
    [
        ("bg", "24.12.2026 14:30", "дд.мм.гггг чч:мм", "d.m.Y H:i"),
        ("en", "12/24/2026 14:30", "mm/dd/yyyy hh:mm", "m/d/Y H:i"),
    ],
)
def test_moment_input_is_text_in_the_language_format(language, shown, placeholder_text, picker_format):
    with translation.override(language):
        html = str(DeadlineForm(initial={"deadline": MOMENT})["deadline"])
    assert 'type="text"' in html
    assert f'value="{shown}"' in html
    assert f'placeholder="{placeholder_text}"' in html
    assert f'data-date-format="{picker_format}"' in html
    assert 'data-datepicker="datetime"' in html


@pytest.mark.parametrize(
    "language, data, shown",
    [
        ("bg", "2026-12-24T14:30", "24.12.2026 14:30"),  # valid: shown back in the page's format
        ("en", "2026-12-24T14:30", "12/24/2026 14:30"),
        ("bg", "31.02.2026 10:00", "31.02.2026 10:00"),  # invalid: exactly as typed
        ("bg", "0001-01-01T00:00", "0001-01-01T00:00"),  # out of range: as typed
        ("bg", "<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
    ],
)
def test_a_bound_value_is_shown_localised_when_valid_and_as_typed_otherwise(language, data, shown):
    with translation.override(language):
        html = str(DeadlineForm(data={"deadline": data})["deadline"])
    assert f'value="{shown}"' in html


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("typed", ["2026-03-31", "31.03.2026", "03/31/2026"])
def test_list_date_filter_accepts_every_form_in_every_language(language, typed):
    with translation.override(language):
        assert ListDateField().clean(typed) == datetime.date(2026, 3, 31)


@pytest.mark.parametrize(
    "python_format, picker, bg, en",
    [
        ("%d.%m.%Y", "d.m.Y", "дд.мм.гггг", "dd.mm.yyyy"),
        ("%m/%d/%Y %H:%M", "m/d/Y H:i", "мм/дд/гггг чч:мм", "mm/dd/yyyy hh:mm"),
        ("%d.%m.%y %H:%M:%S", "d.m.y H:i:S", "дд.мм.гг чч:мм:сс", "dd.mm.yy hh:mm:ss"),
    ],
)
def test_formats_translate_to_flatpickr_tokens_and_placeholders(python_format, picker, bg, en):
    assert flatpickr_format(python_format) == picker
    with translation.override("bg"):
        assert placeholder(python_format) == bg
    with translation.override("en"):
        assert placeholder(python_format) == en
