"""The form renderer (settings.FORM_RENDERER): Django's, with its most used widget templates drawn
in Python.

A list page's filter form and every create/edit form render a few dozen inputs and selects, each
through Django's widget templates (``input.html`` including ``attrs.html``, ``select.html``
including one ``select_option.html`` per option): 4–6 ms of a list page went to those includes.
``FastWidgetRenderer`` writes the same HTML, byte for byte, for the templates below and leaves
everything else (forms, field groups, checkbox lists, file inputs…) to the templates.

What it reproduces, template by template (Django 5.2's ``django/forms/widgets/``):

- ``input.html`` and the templates that only include it (text, search, date, hidden, …);
- ``select.html`` whose options are ``select_option.html``, optgroups included;
- ``textarea.html``;
- ``attrs.html``: an attribute whose value is False is left out, True is the bare name, any
  other value goes through ``stringformat:'s'``.

Escaping is the templates' autoescape: every value is escaped unless it is already safe
(``conditional_escape``), and ``stringformat`` keeps a safe value safe. A value of a type the
templates would localize (a number as a label, say) is not guessed at: that widget is rendered by
its template. The equivalence is pinned by config/tests/test_renderers.py, which renders every
widget both ways — a project template overriding one of these names would fail it.
"""

import html

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.safestring import SafeData, mark_safe

WIDGETS = "django/forms/widgets/"
# The templates whose whole content is {% include "django/forms/widgets/input.html" %}.
INPUTS = frozenset(
    f"{WIDGETS}{name}.html"
    for name in (
        "input",
        "text",
        "search",
        "email",
        "url",
        "tel",
        "number",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "color",
        "checkbox",
    )
)
SELECT = f"{WIDGETS}select.html"
OPTION = f"{WIDGETS}select_option.html"
TEXTAREA = f"{WIDGETS}textarea.html"


class _ByTemplate(Exception):
    """A value this module does not render exactly as the template would: use the template."""


def _text(value) -> str:
    """``{{ value }}`` of a string (or a lazy translation), autoescaped: conditional_escape,
    without the lazy-string checks of its ``escape`` (~100 values a list page's filter form)."""
    if isinstance(value, Promise):
        value = str(value)
    elif not isinstance(value, str):
        raise _ByTemplate
    return value.__html__() if hasattr(value, "__html__") else html.escape(value)


def _formatted(value) -> str:
    """``{{ value|stringformat:'s' }}``, autoescaped (stringformat keeps a safe value safe)."""
    text = str(value) if isinstance(value, tuple) else "%s" % (value,)  # noqa: UP031 - what stringformat:'s' does
    return text if isinstance(value, SafeData) else html.escape(text)


def _attrs(attrs: dict) -> str:
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {_text(name)}")
        else:
            parts.append(f' {_text(name)}="{_formatted(value)}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    value = widget["value"]
    if value is not None and not isinstance(value, str):
        raise _ByTemplate
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'


def _option(option: dict) -> str:
    if option.get("template_name") != OPTION:
        raise _ByTemplate
    return f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>{_text(option["label"])}</option>\n'


def _select(widget: dict) -> str:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            parts.append("\n  " + _option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict) -> str:
    value = widget["value"]
    if value and not isinstance(value, str):
        raise _ByTemplate
    body = _text(value) if value else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{body}</textarea>'


DRAW = {**dict.fromkeys(INPUTS, _input), SELECT: _select, TEXTAREA: _textarea}


def draw_widget(widget: dict) -> str | None:
    """The HTML of a widget's context (``context["widget"]``) as its template draws it, or None
    when only the template can draw it (crm/templatetags/list_filters.py builds such contexts
    itself, without the widget's own layers)."""
    draw = DRAW.get(widget["template_name"])
    if draw is None:
        return None
    try:
        return mark_safe(draw(widget))  # noqa: S308 - every value escaped above
    except _ByTemplate:
        return None


class FastWidgetRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        draw = DRAW.get(template_name)
        if draw is not None and request is None:
            try:
                return mark_safe(draw(context["widget"]))  # noqa: S308 - every value escaped above
            except _ByTemplate:
                pass
        return super().render(template_name, context, request=request)
