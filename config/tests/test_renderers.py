"""config.renderers.FastWidgetRenderer draws the widgets Django's templates draw, byte for byte:
every widget below is rendered by it and by Django's own template renderer and compared."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from config.renderers import DRAW, SELECT, TEXTAREA, FastWidgetRenderer
from crm.filters import CommunicationFilter, TaskFilter
from crm.forms import CommunicationForm, TaskForm
from crm.widgets import DatePickerInput, DateTimePickerInput

TEMPLATES = DjangoTemplates()
FAST = FastWidgetRenderer()
TEXT = "django/forms/widgets/text.html"

HOSTILE = '"><script>alert(1)</script>&amp;'
CASES = [
    ("text, empty", forms.TextInput(), None),
    ("text, a value to escape", forms.TextInput(attrs={"class": "form-control", "placeholder": HOSTILE}), HOSTILE),
    ("text, a safe value", forms.TextInput(), mark_safe("<b>safe</b>")),
    ("text, a lazy attribute", forms.TextInput(attrs={"placeholder": gettext_lazy("Search")}), "x"),
    ("text, True/False/None attributes", forms.TextInput(attrs={"required": True, "disabled": False, "x": None}), ""),
    ("search", forms.TextInput(attrs={"type": "search", "data-x": "Кирилица"}), "офе"),
    ("number", forms.NumberInput(attrs={"min": 1, "step": 0.5}), 12),
    ("email", forms.EmailInput(), "a@b.bg"),
    ("hidden", forms.HiddenInput(), "created"),
    ("password", forms.PasswordInput(render_value=True), "secret"),
    ("checkbox on", forms.CheckboxInput(), True),
    ("checkbox off", forms.CheckboxInput(), False),
    ("checkbox with a value", forms.CheckboxInput(), "yes"),
    ("date picker", DatePickerInput(attrs={"class": "form-control"}), datetime.date(2026, 3, 31)),
    ("date-time picker", DateTimePickerInput(), datetime.datetime(2026, 3, 31, 14, 30)),
    ("textarea, empty", forms.Textarea(attrs={"rows": 3}), None),
    ("textarea, text to escape", forms.Textarea(), f"ред 1\nред 2 {HOSTILE}"),
    ("select, nothing chosen", forms.Select(choices=[("", "Any"), ("new", "Нова"), ("done", "Приключена")]), None),
    ("select, chosen", forms.Select(attrs={"class": "x"}, choices=[("", "—"), ("a", HOSTILE), ("b", "B")]), "a"),
    ("select, lazy labels", forms.Select(choices=[("in", gettext_lazy("Incoming"))]), "in"),
    ("select, int values", forms.Select(choices=[(1, "one"), (2, "two")]), 2),
    (
        "select, optgroups",
        forms.Select(choices=[("G1", [("a", "A"), ("b", "B")]), ("c", "C"), ("G<2>", [("d", "D")])]),
        "d",
    ),
    ("select, empty", forms.Select(choices=[]), None),
    ("select multiple", forms.SelectMultiple(choices=[("a", "A"), ("b", "B")]), ["a", "b"]),
    ("select, a number as a label (left to the template)", forms.Select(choices=[("a", 1234567)]), "a"),
]


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize(("label", "widget", "value"), CASES, ids=[case[0] for case in CASES])
def test_the_same_html_as_the_templates(label, widget, value, language):
    with override(language):
        expected = widget.render("field", value, attrs={"id": "id_field"}, renderer=TEMPLATES)
        got = widget.render("field", value, attrs={"id": "id_field"}, renderer=FAST)
    assert got == expected


def test_the_fast_paths_are_taken(monkeypatch):
    """The cases above do go through the Python drawing (not all through the fallback)."""
    drawn = []
    for name, draw in list(DRAW.items()):
        monkeypatch.setitem(DRAW, name, lambda widget, draw=draw, name=name: drawn.append(name) or draw(widget))
    for _label, widget, value in CASES:
        widget.render("field", value, renderer=FAST)
    assert {TEXT, SELECT, TEXTAREA} <= set(drawn)


def test_it_is_the_renderer_of_every_form():
    assert isinstance(get_default_renderer(), FastWidgetRenderer)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["", "direction=in&channel=email&status=new&subject=<b>&created_after=31.03.2026", "number=%22%3E&thread=x"],
)
def test_the_list_filter_forms_as_before(rf, query, admin_user):
    request = rf.get("/?" + query)
    request.user = admin_user
    for filterset_class in (CommunicationFilter, TaskFilter):
        form = filterset_class(request.GET, request=request).form
        form.is_valid()
        for field in form:
            fast = field.as_widget()
            form.renderer = TEMPLATES
            assert fast == field.as_widget(), field.name
            form.renderer = FAST


@pytest.mark.django_db
def test_the_create_forms_as_before():
    for form in (CommunicationForm(), TaskForm()):
        for field in form:
            fast = field.as_widget()
            form.renderer = TEMPLATES
            assert fast == field.as_widget(), field.name
            form.renderer = FAST
