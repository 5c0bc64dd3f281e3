# ruff: noqa: E501 - the HTML is written line for line as the templates had it
"""The sidebar of the lists and the task board (crm/_list_sidebar.html: the filter form and the
saved filters), the toolbar above their results (crm/_list_toolbar.html), the lists' sort headers
and page links, written in Python.

Through the template engine the filter form (with the clear link, the hidden state and the
thread's label it included) cost 5–8 ms of a /tasks/ page's CPU, most of it in the engine's own
work around a dozen fields: the loops, ``{{ field.label }}``, ``field.errors|join``, the includes
(bench/floor.py's split, docs/benchmarks-lists.md). These tags give the same HTML, byte for byte
(crm/tests/test_list_filters.py keeps the templates they replaced and compares both, in both
languages, with text to escape and invalid values in every filter): every value escaped as
autoescape did, every text in the active language. The inputs are put together from the form's
own parts (``_control``: its widgets' attributes, ids, typed or cleaned values, ``aria-invalid``).
"""

import functools

from django import forms, template
from django.template.defaultfilters import floatformat
from django.utils.formats import get_format, localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from config.html import e
from config.renderers import FastWidgetRenderer, draw_widget
from config.urlcache import detail_url, plain_url, url_key
from crm.widgets import DatePickerInput, EmployeePicker, flatpickr_format, placeholder
from notifications.bell import csrf_input

register = template.Library()

OOB = ' hx-swap-oob="true"'
CURRENT = ' aria-current="true"'


@functools.cache
def _texts(language: str | None) -> dict[str, str]:
    """The fixed words of the sidebar in one language, escaped (looked up once per language)."""
    return {
        "filters": e(_("Filters")),
        "active": e(_("Active filters")),
        "clear_all": e(_("Clear all")),
        "show": e(_("Show filters")),
        "hide": e(_("Hide filters")),
        "threads": e(_("Threads")),
        "apply": e(_("Apply")),
        "reset": e(_("Reset")),
        "saved": e(_("Saved filters")),
        "delete": e(_("Delete")),
        "none_saved": e(_("No saved filters yet.")),
        "save_as": e(_("Save the current filter as")),
        "name": e(_("Name")),
        "save": e(_("Save")),
        # Not escaped, as {% blocktranslate %} leaves its text: the name put into it is.
        "delete_named": _("Delete the saved filter “%(name)s”"),
        "quick": e(_("Quick filters")),
        "loading": e(_("Loading…")),
        "not_applied": e(_("These filters were not applied:")),
        "about": _("about %(n)s results"),
        "more": _("more than %(n)s results"),
        "pages": e(_("Pages")),
        "first": e(_("First")),
        "previous": e(_("Previous")),
        "next": e(_("Next")),
    }


def list_clear_html(list_url: str, active_count: int, *, oob: bool = False, texts: dict | None = None) -> str:
    """crm/_list_clear.html: the number of active filters and "Clear all" (none: an empty slot)."""
    texts = texts or _texts(get_language())
    inner = (
        f'<span class="badge rounded-pill text-bg-primary" title="{texts["active"]}">{e(active_count)}</span> '
        f'<a class="small" href="{e(list_url)}">{texts["clear_all"]}</a>'
        if active_count
        else ""
    )
    return f'<span id="list-clear"{OOB if oob else ""}>{inner}</span>\n'


def list_state_html(state: dict) -> str:
    """crm/_list_state.html: the quick buttons' and headers' state as hidden inputs (set values only)."""
    return (
        "".join(f'<input type="hidden" name="{e(name)}" value="{e(value)}">' for name, value in state.items() if value)
        + "\n"
    )


def thread_label_html(form, *, oob: bool = False) -> str:
    """crm/_list_thread_label.html: the chosen thread under the thread filter, as a link."""
    thread = form.cleaned_data.get("thread")
    link = f'<a href="{e(thread.get_absolute_url())}" title="{e(thread)}">{e(thread)}</a>' if thread else ""
    return f'<div id="thread-label" class="form-text text-truncate"{OOB if oob else ""}>{link}</div>\n'


@functools.cache
def _picker_attrs(python_format: str, language: str | None) -> dict[str, str]:
    """What crm.widgets.PickerInputMixin puts before a date input's own attributes."""
    return {
        "placeholder": placeholder(python_format),
        "autocomplete": "off",
        "data-datepicker": DatePickerInput.picker,
        "data-date-format": flatpickr_format(python_format),
        "data-picker-label": _("Open the calendar"),
    }


def _options(widget: forms.Select, values: list[str]) -> list[tuple]:
    """ChoiceWidget.optgroups of a single select, without an option dict's unused parts: the
    first choice whose value is among ``values`` is selected."""
    groups, has_selected = [], False
    for index, (option_value, option_label) in enumerate(widget.choices):
        if option_value is None:
            option_value = ""
        if isinstance(option_label, list | tuple):
            group_name, choices = option_value, option_label
        else:
            group_name, choices = None, [(option_value, option_label)]
        subgroup = []
        for subvalue, sublabel in choices:
            selected = not has_selected and str(subvalue) in values
            has_selected |= selected
            subgroup.append(
                {
                    "value": subvalue,
                    "label": sublabel,
                    "attrs": dict(widget.checked_attribute) if selected else {},
                    "template_name": widget.option_template_name,
                }
            )
        groups.append((group_name, subgroup, index))
    return groups


def _control(field) -> str:
    """``{{ field }}``. Text and date inputs and plain selects are put together here from what
    BoundField.as_widget and the widget's get_context would (the attributes in their order, the
    formatted value, the options) and drawn by config.renderers, skipping the widget's layers
    (~25–90 µs a field); any other widget, or another renderer, is the field's own as_widget."""
    widget = field.field.widget
    kind = type(widget)
    if (
        kind not in (forms.TextInput, DatePickerInput, forms.Select)
        or field.field.localize
        or not isinstance(field.form.renderer, FastWidgetRenderer)
    ):
        return field.as_widget()
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    value = widget.format_value(field.value())
    context = {"name": field.html_name, "value": value, "template_name": widget.template_name}
    if kind is forms.Select:
        context["attrs"] = {**widget.attrs, **attrs}
        context["optgroups"] = _options(widget, value)
    elif kind is DatePickerInput:
        python_format = widget.format or get_format(widget.format_key)[0]
        context["attrs"] = {**_picker_attrs(python_format, get_language()), **widget.attrs, **attrs}
        context["type"] = widget.input_type
    else:
        context["attrs"] = {**widget.attrs, **attrs}
        context["type"] = widget.input_type
    html = draw_widget(context)
    return html if html is not None else field.as_widget()


def _errors(field) -> str:
    """``{{ field.errors|join:" " }}``: each message escaped (a message may quote what was typed)."""
    return " ".join(e(message) for message in field.errors)


# The HTML of an empty filter (no value typed, no error) by what it depends on: _empty_field_key.
_EMPTY_FIELDS: dict[tuple, str] = {}


def _empty_field_key(field, wide: bool) -> tuple | None:
    """What an empty filter's HTML depends on — its form class, prefix and name, the width, the
    language and the URLs (the thread type-ahead's) — or None for a filter with a value or an error, or
    one whose options come from the database (a model choice drawn as a select: departments).
    A list page draws a dozen filters, most of them empty: each is drawn once per key (~60 µs
    a field; docs/benchmarks-lists.md, "The fixed cost of a page")."""
    data = field.data
    if data not in (None, "") or field.errors:
        return None
    widget = field.field.widget
    # The employee pickers draw the chosen employee alone: nothing from the database when empty.
    if (
        isinstance(field.field, forms.ModelChoiceField)
        and isinstance(widget, forms.Select)
        and not isinstance(widget, EmployeePicker)
    ):
        return None
    return (type(field.form), field.form.prefix, field.name, data, wide, get_language(), url_key())


def _field_html(field, wide: bool, texts: dict, form) -> str:
    key = _empty_field_key(field, wide)
    if key is None:
        return _draw_field(field, wide, texts, form)
    html = _EMPTY_FIELDS.get(key)
    if html is None:
        html = _EMPTY_FIELDS[key] = _draw_field(field, wide, texts, form)
    return html


def _draw_field(field, wide: bool, texts: dict, form) -> str:
    if field.name == "thread":  # a number or an id; the type-ahead suggests threads by number or subject
        control = (
            "\n"
            f'        <div class="position-relative" data-thread-picker>{_control(field)}<div class="typeahead-menu '
            f'list-group shadow-sm" id="thread-suggestions" role="listbox" aria-label="{texts["threads"]}"></div></div>\n'
            f"        {thread_label_html(form)}"
        )
    else:
        control = _control(field)
    return (
        "\n"
        f'      <div class="col{"-12" if wide else "-6"}">\n'
        f'        <label class="form-label small mb-1" for="{e(field.id_for_label)}">{e(field.label)}</label>\n'
        f"        {control}\n"
        f'        <div id="error-{e(field.name)}" class="invalid-feedback d-block list-filter-error">{_errors(field)}</div>\n'
        "      </div>\n"
        "      "
    )


@register.simple_tag(takes_context=True)
def list_filters(context) -> SafeString:
    """What crm/_list_filters.html drew: the filter form of a list (context: crm.list_views.filter_context)."""
    texts = _texts(get_language())
    list_url = e(context["list_url"])
    has_errors = context["has_errors"]
    form = context["form"]
    rows = "".join(
        '\n    <div class="row g-2 mb-2">\n      '
        + "".join(_field_html(field, len(row) <= 1, texts, form) for field in row)
        + "\n    </div>\n    "
        for row in context["layout"]
    )
    return mark_safe(  # noqa: S308 - every value escaped above
        f'<form id="list-filter-form" class="card shadow-sm list-filters" method="get" action="{list_url}" role="search" aria-labelledby="list-filters-title"\n'
        f'      hx-get="{list_url}" hx-target="#list-results" hx-swap="outerHTML" hx-push-url="true" hx-sync="this:replace" hx-indicator="#list-loading"\n'
        '      hx-trigger="submit, filter-typed changed delay:400ms, filter-changed" data-live-filters>\n'
        '  <div class="card-header d-flex align-items-center justify-content-between gap-2">\n'
        f'    <h2 class="h6 mb-0" id="list-filters-title"><i class="bi bi-funnel" aria-hidden="true"></i> {texts["filters"]}</h2>\n'
        f"    {list_clear_html(context['list_url'], context['active_count'], texts=texts)}\n"
        "    \n"
        '    <button type="button" class="btn btn-sm btn-outline-secondary d-lg-none list-filters-toggle" id="list-filters-toggle"\n'
        '            data-bs-toggle="collapse" data-bs-target=".list-collapse" aria-controls="list-filters-body saved-filters-card"\n'
        f'            aria-expanded="{"true" if has_errors else "false"}"><i class="bi bi-sliders" aria-hidden="true"></i> <span class="if-collapsed">{texts["show"]}</span><span class="if-expanded">{texts["hide"]}</span></button>\n'
        "  </div>\n"
        f'  <div class="card-body collapse d-lg-block list-collapse{" show" if has_errors else ""}" id="list-filters-body">\n'
        f'    <div id="list-form-state">{list_state_html(context["state"])}</div>\n'
        f"    {rows}\n"
        '    <div class="d-flex gap-2 mt-3">\n'
        f'      <button type="submit" class="btn btn-primary btn-sm" id="list-apply"><i class="bi bi-search" aria-hidden="true"></i> {texts["apply"]}</button>\n'
        f'      <a class="btn btn-outline-secondary btn-sm" href="{list_url}" id="list-reset">{texts["reset"]}</a>\n'
        "    </div>\n"
        "  </div>\n"
        "</form>\n"
    )


def list_export_html(export_url: str, *, oob: bool = False) -> str:
    """crm/_list_export.html: the CSV export link of the filtered list."""
    return (
        f'<a class="btn btn-outline-secondary" id="list-export" href="{e(export_url)}" download{OOB if oob else ""}>'
        f'<i class="bi bi-filetype-csv" aria-hidden="true"></i> {e(_("Export CSV"))}</a>\n'
    )


@register.simple_tag(takes_context=True)
def list_export(context) -> SafeString:
    """What ``{% include "crm/_list_export.html" %}`` drew: the export link above a list."""
    return mark_safe(list_export_html(context["export_url"]))  # noqa: S308 - escaped


@register.simple_tag(takes_context=True)
def list_oob(context) -> SafeString:
    """What crm/_list_oob.html drew with its includes: the parts of the page outside the results
    that an htmx answer replaces out of band (the hidden state, each filter's error slot, the
    export link, the clear link, the thread's label, the saved-filter form's query)."""
    form = context["form"]
    errors = "".join(
        f'<div id="error-{e(field.name)}" class="invalid-feedback d-block list-filter-error"{OOB}>{_errors(field)}</div>\n'
        for row in context["layout"]
        for field in row
    )
    label = thread_label_html(form, oob=True) if "thread" in form.fields else ""
    return mark_safe(  # noqa: S308 - every value escaped above
        f'<div id="list-form-state"{OOB}>{list_state_html(context["state"])}</div>\n'
        f"{errors}{list_export_html(context['export_url'], oob=True)}\n"
        f"{list_clear_html(context['list_url'], context['active_count'], oob=True)}\n"
        f"{label}\n"
        f'<input type="hidden" name="query" value="{e(context["query"])}" id="saved-filter-query"{OOB}>\n'
    )


@register.simple_tag(takes_context=True)
def list_saved(context) -> SafeString:
    """What crm/_list_saved.html drew: the user's saved filters of this list, and the form that saves one."""
    texts = _texts(get_language())
    csrf = csrf_input(context.get("csrf_token"))
    full_path = e(context["request"].get_full_path())
    items = "".join(
        "\n"
        '    <li class="list-group-item d-flex align-items-center gap-2 py-1 saved-filter">\n'
        f'      <a href="{e(saved.url)}" class="flex-grow-1 text-truncate text-decoration-none" title="{e(saved.name)}">{e(saved.name)}</a>\n'
        f'      <form method="post" action="{e(detail_url("crm:saved_filter_delete", saved.pk))}" class="m-0">{csrf}\n'
        f'        <input type="hidden" name="next" value="{full_path}">\n'
        f'        <button type="submit" class="btn btn-link btn-sm text-danger p-0 saved-filter-delete" title="{texts["delete"]}" aria-label="{texts["delete_named"] % {"name": e(saved.name)}}"><i class="bi bi-x-lg" aria-hidden="true"></i></button>\n'
        "      </form>\n"
        "    </li>\n"
        "    "
        for saved in context["saved_filters"]
    ) or (f'\n    <li class="list-group-item small text-body-secondary">{texts["none_saved"]}</li>\n    ')
    has_errors = context["has_errors"]
    return mark_safe(  # noqa: S308 - every value escaped above
        f'<section class="card shadow-sm mt-3 list-saved collapse d-lg-block list-collapse{" show" if has_errors else ""}" id="saved-filters-card" aria-labelledby="saved-filters-title">\n'
        f'  <div class="card-header"><h2 class="h6 mb-0" id="saved-filters-title"><i class="bi bi-bookmark" aria-hidden="true"></i> {texts["saved"]}</h2></div>\n'
        '  <ul class="list-group list-group-flush" id="saved-filters">\n'
        f"    {items}\n"
        "  </ul>\n"
        '  <div class="card-body border-top">\n'
        f'    <form method="post" action="{e(plain_url("crm:saved_filter_create"))}" id="saved-filter-form">{csrf}\n'
        f'      <input type="hidden" name="path" value="{e(context["list_url"])}">\n'
        f'      <input type="hidden" name="query" value="{e(context["query"])}" id="saved-filter-query">\n'
        f'      <label class="form-label small mb-1" for="saved-filter-name">{texts["save_as"]}</label>\n'
        '      <div class="input-group input-group-sm">\n'
        f'        <input class="form-control" id="saved-filter-name" name="name" maxlength="100" required placeholder="{texts["name"]}">\n'
        f'        <button class="btn btn-outline-primary" type="submit" id="saved-filter-save"><i class="bi bi-bookmark-plus" aria-hidden="true"></i> {texts["save"]}</button>\n'
        "      </div>\n"
        "    </form>\n"
        "  </div>\n"
        "</section>\n"
    )


def _quick_link(q: dict) -> str:
    active, danger = q["active"], q.get("danger")
    if active:
        style = "btn-danger" if danger else "btn-primary"
    else:
        style = "btn-outline-danger" if danger else "btn-outline-secondary"
    url = e(q["url"])
    return (
        f'<a id="{e(q["id"])}" href="{url}" hx-get="{url}" hx-target="#list-results" hx-swap="outerHTML" hx-push-url="true" hx-indicator="#list-loading"\n'
        f'       class="btn {style}"{CURRENT if active else ""}><i class="bi {e(q["icon"])}" aria-hidden="true"></i> {e(q["label"])}</a>'
    )


def _count_text(total: int, count_kind: str, texts: dict) -> str:
    """The toolbar's count: "about 14 000 results" (the estimate's two digits, grouped as the
    language groups them), "more than 1 000 results", or the exact number. Its texts are not
    escaped, as {% blocktranslate %} leaves them; the number put into them is."""
    if count_kind in ("estimate", "more"):
        return texts["about" if count_kind == "estimate" else "more"] % {"n": e(floatformat(total, "0g"))}
    return ngettext("%(n)s result", "%(n)s results", total) % {"n": e(localize(total))}


@register.simple_tag(takes_context=True)
def list_toolbar(context) -> SafeString:
    """What crm/_list_toolbar.html drew: the quick buttons, the count, the loading spinner and the
    filters that were not applied (context: crm.list_views.filter_context, ``total``, ``count_kind``)."""
    texts = _texts(get_language())
    groups = "".join(
        f'\n  <div class="btn-group btn-group-sm" role="group" aria-label="{texts["quick"]}">\n'
        f"    {''.join(_quick_link(q) for q in group)}\n"
        "  </div>\n"
        "  "
        for group in context["quick_links"]
    )
    errors = (
        "\n"
        '<div class="alert alert-warning rounded-0 border-start-0 border-end-0 mb-0 py-2 small" id="list-filter-errors" role="alert">\n'
        f'  <i class="bi bi-exclamation-triangle" aria-hidden="true"></i> {texts["not_applied"]}\n'
        "  "
        + "".join(
            f'<span class="ms-1"><strong>{e(label)}</strong>: {" ".join(e(message) for message in messages)}</span>'
            for _name, label, messages in context["error_fields"]
        )
        + "\n</div>\n"
        if context["has_errors"]
        else ""
    )
    return mark_safe(  # noqa: S308 - every value escaped above
        '<div class="card-header list-toolbar d-flex flex-wrap align-items-center gap-2">\n'
        f"  {groups}\n"
        f'  <span class="ms-auto small text-body-secondary text-nowrap" id="list-count">{_count_text(context["total"], context["count_kind"], texts)}</span>\n'
        f'  <span id="list-loading" class="htmx-indicator spinner-border spinner-border-sm text-secondary" role="status"><span class="visually-hidden">{texts["loading"]}</span></span>\n'
        "</div>\n"
        f"{errors}\n"
    )


PREV, NEXT = ' rel="prev"', ' rel="next"'
HX_RESULTS = 'hx-target="#list-results" hx-swap="outerHTML" hx-push-url="true" hx-indicator="#list-loading"'


@register.simple_tag
def list_sort_header(key: str, link: dict, label: str) -> SafeString:
    """What crm/_list_sort_header.html drew: a sortable column's header (``link``: one of
    crm.list_views._sort_links)."""
    url = e(link["url"])
    if link["active"]:
        icon = f' <i class="bi {"bi-sort-down" if link["descending"] else "bi-sort-up"}" aria-hidden="true"></i>'
    else:
        icon = ' <i class="bi bi-arrow-down-up text-body-tertiary" aria-hidden="true"></i>'
    return mark_safe(  # noqa: S308 - every value escaped above
        f'<th scope="col" aria-sort="{e(link["aria"])}"><a class="list-sort{" active" if link["active"] else ""}" href="{url}" hx-get="{url}" {HX_RESULTS} data-sort="{e(key)}">{e(label)}{icon}</a></th>\n'
    )


def _page_link(url: str | None, name: str, text: str, *, rel: str = "", icon_first: bool = True, icon: str) -> str:
    icon_html = f'<i class="bi {icon}" aria-hidden="true"></i>'
    inner = f"{icon_html} {text}" if icon_first else f"{text} {icon_html}"
    if not url:
        return f'<li class="page-item disabled"><span class="page-link">{inner}</span></li>'
    url = e(url)
    return f'<li class="page-item"><a class="page-link" id="pager-{name}"{rel} href="{url}" hx-get="{url}" {HX_RESULTS}>{inner}</a></li>'


@register.simple_tag(takes_context=True)
def list_pagination(context) -> SafeString:
    """What crm/_list_pagination.html drew: First / Previous / Next, when there are other pages."""
    if not context["page"].has_other_pages:
        return mark_safe("\n")
    texts = _texts(get_language())
    pager = context["pager"]
    return mark_safe(  # noqa: S308 - every value escaped above
        "\n"
        f'<nav aria-label="{texts["pages"]}" class="card-footer d-flex justify-content-end align-items-center" id="list-pager">\n'
        '  <ul class="pagination pagination-sm mb-0">\n'
        f"    {_page_link(pager['first'], 'first', texts['first'], icon='bi-chevron-double-left')}\n"
        f"    {_page_link(pager['previous'], 'previous', texts['previous'], rel=PREV, icon='bi-chevron-left')}\n"
        f"    {_page_link(pager['next'], 'next', texts['next'], rel=NEXT, icon_first=False, icon='bi-chevron-right')}\n"
        "  </ul>\n"
        "</nav>\n"
        "\n"
    )
