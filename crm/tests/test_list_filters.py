"""The sidebar drawn in Python (crm/templatetags/list_filters.py: the filter form and the saved
filters) is the HTML the templates drew, byte for byte: the templates it replaced are kept here
and rendered beside it, on every list and the task board, in both languages, empty, with valid
values, and with hostile ones in every filter (quotes, <script>, Cyrillic, a bad date, a bad id,
an unknown choice, text over the limit) — whose messages must stay on their fields, with what the
user typed kept in the inputs."""

# ruff: noqa: E501 - the templates are kept as they were written

import re
from urllib.parse import urlencode

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.template import engines
from django.test import RequestFactory
from django.utils import translation
from django.utils.html import escape

from accounts.models import Department
from crm import list_views
from crm.templatetags import list_filters
from crm.tests.factories import ThreadFactory
from crm.tests.old_templates import engine_of
from savedfilters.models import SavedFilter

pytestmark = pytest.mark.django_db

# The templates as they were before the tags (crm/_list_sidebar.html included the other five).
OLD = {
    "crm/_list_sidebar.html": """{% load i18n %}
  <aside class="col-lg-4 col-xl-3" aria-label="{% translate 'Filters' %}">
    {% include "crm/_list_filters.html" %}
    {% include "crm/_list_saved.html" %}
  </aside>
""",
    "crm/_list_filters.html": """{% load i18n %}<form id="list-filter-form" class="card shadow-sm list-filters" method="get" action="{{ list_url }}" role="search" aria-labelledby="list-filters-title"
      hx-get="{{ list_url }}" hx-target="#list-results" hx-swap="outerHTML" hx-push-url="true" hx-sync="this:replace" hx-indicator="#list-loading"
      hx-trigger="submit, filter-typed changed delay:400ms, filter-changed" data-live-filters>
  <div class="card-header d-flex align-items-center justify-content-between gap-2">
    <h2 class="h6 mb-0" id="list-filters-title"><i class="bi bi-funnel" aria-hidden="true"></i> {% translate "Filters" %}</h2>
    {% include "crm/_list_clear.html" %}
    {# A phone shows the list first: the filters and saved filters open with this button (.list-collapse). #}
    <button type="button" class="btn btn-sm btn-outline-secondary d-lg-none list-filters-toggle" id="list-filters-toggle"
            data-bs-toggle="collapse" data-bs-target=".list-collapse" aria-controls="list-filters-body saved-filters-card"
            aria-expanded="{% if has_errors %}true{% else %}false{% endif %}"><i class="bi bi-sliders" aria-hidden="true"></i> <span class="if-collapsed">{% translate "Show filters" %}</span><span class="if-expanded">{% translate "Hide filters" %}</span></button>
  </div>
  <div class="card-body collapse d-lg-block list-collapse{% if has_errors %} show{% endif %}" id="list-filters-body">
    <div id="list-form-state">{% include "crm/_list_state.html" %}</div>
    {% for row in layout %}
    <div class="row g-2 mb-2">
      {% for field in row %}
      <div class="col{% if row|length > 1 %}-6{% else %}-12{% endif %}">
        <label class="form-label small mb-1" for="{{ field.id_for_label }}">{{ field.label }}</label>
        {% if field.name == "thread" %}{# A number or an id; the type-ahead suggests threads by number or subject. #}
        <div class="position-relative" data-thread-picker>{{ field }}<div class="typeahead-menu list-group shadow-sm" id="thread-suggestions" role="listbox" aria-label="{% translate 'Threads' %}"></div></div>
        {% include "crm/_list_thread_label.html" %}{% else %}{{ field }}{% endif %}
        <div id="error-{{ field.name }}" class="invalid-feedback d-block list-filter-error">{{ field.errors|join:" " }}</div>
      </div>
      {% endfor %}
    </div>
    {% endfor %}
    <div class="d-flex gap-2 mt-3">
      <button type="submit" class="btn btn-primary btn-sm" id="list-apply"><i class="bi bi-search" aria-hidden="true"></i> {% translate "Apply" %}</button>
      <a class="btn btn-outline-secondary btn-sm" href="{{ list_url }}" id="list-reset">{% translate "Reset" %}</a>
    </div>
  </div>
</form>
""",
    "crm/_list_clear.html": """{% load i18n %}<span id="list-clear"{% if oob %} hx-swap-oob="true"{% endif %}>{% if active_count %}<span class="badge rounded-pill text-bg-primary" title="{% translate 'Active filters' %}">{{ active_count }}</span> <a class="small" href="{{ list_url }}">{% translate "Clear all" %}</a>{% endif %}</span>
""",
    "crm/_list_state.html": """{% for name, value in state.items %}{% if value %}<input type="hidden" name="{{ name }}" value="{{ value }}">{% endif %}{% endfor %}
""",
    "crm/_list_thread_label.html": """<div id="thread-label" class="form-text text-truncate"{% if oob %} hx-swap-oob="true"{% endif %}>{% with thread=form.cleaned_data.thread %}{% if thread %}<a href="{{ thread.get_absolute_url }}" title="{{ thread }}">{{ thread }}</a>{% endif %}{% endwith %}</div>
""",
    "crm/_list_saved.html": """{% load i18n %}<section class="card shadow-sm mt-3 list-saved collapse d-lg-block list-collapse{% if has_errors %} show{% endif %}" id="saved-filters-card" aria-labelledby="saved-filters-title">
  <div class="card-header"><h2 class="h6 mb-0" id="saved-filters-title"><i class="bi bi-bookmark" aria-hidden="true"></i> {% translate "Saved filters" %}</h2></div>
  <ul class="list-group list-group-flush" id="saved-filters">
    {% for saved in saved_filters %}
    <li class="list-group-item d-flex align-items-center gap-2 py-1 saved-filter">
      <a href="{{ saved.url }}" class="flex-grow-1 text-truncate text-decoration-none" title="{{ saved.name }}">{{ saved.name }}</a>
      <form method="post" action="{% url 'crm:saved_filter_delete' saved.pk %}" class="m-0">{% csrf_token %}
        <input type="hidden" name="next" value="{{ request.get_full_path }}">
        <button type="submit" class="btn btn-link btn-sm text-danger p-0 saved-filter-delete" title="{% translate 'Delete' %}" aria-label="{% blocktranslate with name=saved.name %}Delete the saved filter “{{ name }}”{% endblocktranslate %}"><i class="bi bi-x-lg" aria-hidden="true"></i></button>
      </form>
    </li>
    {% empty %}
    <li class="list-group-item small text-body-secondary">{% translate "No saved filters yet." %}</li>
    {% endfor %}
  </ul>
  <div class="card-body border-top">
    <form method="post" action="{% url 'crm:saved_filter_create' %}" id="saved-filter-form">{% csrf_token %}
      <input type="hidden" name="path" value="{{ list_url }}">
      <input type="hidden" name="query" value="{{ query }}" id="saved-filter-query">
      <label class="form-label small mb-1" for="saved-filter-name">{% translate "Save the current filter as" %}</label>
      <div class="input-group input-group-sm">
        <input class="form-control" id="saved-filter-name" name="name" maxlength="100" required placeholder="{% translate 'Name' %}">
        <button class="btn btn-outline-primary" type="submit" id="saved-filter-save"><i class="bi bi-bookmark-plus" aria-hidden="true"></i> {% translate "Save" %}</button>
      </div>
    </form>
  </div>
</section>
""",
    "crm/_list_toolbar.html": """{% load i18n %}<div class="card-header list-toolbar d-flex flex-wrap align-items-center gap-2">
  {% for group in quick_links %}
  <div class="btn-group btn-group-sm" role="group" aria-label="{% translate 'Quick filters' %}">
    {% for q in group %}<a id="{{ q.id }}" href="{{ q.url }}" hx-get="{{ q.url }}" hx-target="#list-results" hx-swap="outerHTML" hx-push-url="true" hx-indicator="#list-loading"
       class="btn {% if q.active %}{% if q.danger %}btn-danger{% else %}btn-primary{% endif %}{% elif q.danger %}btn-outline-danger{% else %}btn-outline-secondary{% endif %}"{% if q.active %} aria-current="true"{% endif %}><i class="bi {{ q.icon }}" aria-hidden="true"></i> {{ q.label }}</a>{% endfor %}
  </div>
  {% endfor %}
  <span class="ms-auto small text-body-secondary text-nowrap" id="list-count">{% if count_kind == "estimate" %}{% blocktranslate with n=total|floatformat:"0g" %}about {{ n }} results{% endblocktranslate %}{% elif count_kind == "more" %}{% blocktranslate with n=total|floatformat:"0g" %}more than {{ n }} results{% endblocktranslate %}{% else %}{% blocktranslate count n=total %}{{ n }} result{% plural %}{{ n }} results{% endblocktranslate %}{% endif %}</span>
  <span id="list-loading" class="htmx-indicator spinner-border spinner-border-sm text-secondary" role="status"><span class="visually-hidden">{% translate "Loading…" %}</span></span>
</div>
{% if has_errors %}
<div class="alert alert-warning rounded-0 border-start-0 border-end-0 mb-0 py-2 small" id="list-filter-errors" role="alert">
  <i class="bi bi-exclamation-triangle" aria-hidden="true"></i> {% translate "These filters were not applied:" %}
  {% for name, label, errors in error_fields %}<span class="ms-1"><strong>{{ label }}</strong>: {{ errors|join:" " }}</span>{% endfor %}
</div>
{% endif %}
""",
    "crm/_list_sort_header.html": """{% load i18n %}<th scope="col" aria-sort="{{ link.aria }}"><a class="list-sort{% if link.active %} active{% endif %}" href="{{ link.url }}" hx-get="{{ link.url }}" hx-target="#list-results" hx-swap="outerHTML" hx-push-url="true" hx-indicator="#list-loading" data-sort="{{ key }}">{{ label }}{% if link.active %} <i class="bi {% if link.descending %}bi-sort-down{% else %}bi-sort-up{% endif %}" aria-hidden="true"></i>{% else %} <i class="bi bi-arrow-down-up text-body-tertiary" aria-hidden="true"></i>{% endif %}</a></th>
""",
    "crm/_list_pagination.html": """{% load i18n %}{% if page.has_other_pages %}
<nav aria-label="{% translate 'Pages' %}" class="card-footer d-flex justify-content-end align-items-center" id="list-pager">
  <ul class="pagination pagination-sm mb-0">
    {% if pager.first %}<li class="page-item"><a class="page-link" id="pager-first" href="{{ pager.first }}" hx-get="{{ pager.first }}" hx-target="#list-results" hx-swap="outerHTML" hx-push-url="true" hx-indicator="#list-loading"><i class="bi bi-chevron-double-left" aria-hidden="true"></i> {% translate "First" %}</a></li>{% else %}<li class="page-item disabled"><span class="page-link"><i class="bi bi-chevron-double-left" aria-hidden="true"></i> {% translate "First" %}</span></li>{% endif %}
    {% if pager.previous %}<li class="page-item"><a class="page-link" id="pager-previous" rel="prev" href="{{ pager.previous }}" hx-get="{{ pager.previous }}" hx-target="#list-results" hx-swap="outerHTML" hx-push-url="true" hx-indicator="#list-loading"><i class="bi bi-chevron-left" aria-hidden="true"></i> {% translate "Previous" %}</a></li>{% else %}<li class="page-item disabled"><span class="page-link"><i class="bi bi-chevron-left" aria-hidden="true"></i> {% translate "Previous" %}</span></li>{% endif %}
    {% if pager.next %}<li class="page-item"><a class="page-link" id="pager-next" rel="next" href="{{ pager.next }}" hx-get="{{ pager.next }}" hx-target="#list-results" hx-swap="outerHTML" hx-push-url="true" hx-indicator="#list-loading">{% translate "Next" %} <i class="bi bi-chevron-right" aria-hidden="true"></i></a></li>{% else %}<li class="page-item disabled"><span class="page-link">{% translate "Next" %} <i class="bi bi-chevron-right" aria-hidden="true"></i></span></li>{% endif %}
  </ul>
</nav>
{% endif %}
""",
    "crm/_list_oob.html": """<div id="list-form-state" hx-swap-oob="true">{% include "crm/_list_state.html" %}</div>
{% for row in layout %}{% for field in row %}<div id="error-{{ field.name }}" class="invalid-feedback d-block list-filter-error" hx-swap-oob="true">{{ field.errors|join:" " }}</div>
{% endfor %}{% endfor %}{% include "crm/_list_export.html" with oob=True %}
{% include "crm/_list_clear.html" with oob=True %}
{% if "thread" in form.fields %}{% include "crm/_list_thread_label.html" with oob=True %}{% endif %}
<input type="hidden" name="query" value="{{ query }}" id="saved-filter-query" hx-swap-oob="true">
""",
    "crm/_list_export.html": """{% load i18n %}<a class="btn btn-outline-secondary" id="list-export" href="{{ export_url }}" download{% if oob %} hx-swap-oob="true"{% endif %}><i class="bi bi-filetype-csv" aria-hidden="true"></i> {% translate "Export CSV" %}</a>
""",
    # The full pages included the export link.
    "export-link": """{% include "crm/_list_export.html" %}""",
}

# What differs between two renders by design: the CSRF token's mask.
VOLATILE = re.compile(r'(name="csrfmiddlewaretoken" value=)"[^"]*"')

HOSTILE = "\"><script>alert('x')</script> „Кирилица“ & <b>"


def old_engine():
    return engine_of(OLD, name="old-sidebar")


def render_both(user, spec, query: dict, name: str = "crm/_list_sidebar.html", **extra) -> tuple[str, str]:
    """Template ``name`` of ``spec``'s page for ``query`` (the sidebar; the toolbar with
    ``extra``), by the old templates and by the tags; each from its own request and filter set, as
    two requests would."""

    def render(engine) -> str:
        request = RequestFactory().get(f"{list_views.reverse(spec.url_name)}?{urlencode(query, doseq=True)}")
        request.user = user
        request.session = SessionStore()
        context = list_views.filter_context(request, spec, list_views.list_filterset(request, spec)) | extra
        html = engine.get_template(name).render(context, request)
        return VOLATILE.sub(r"\\1…", html)

    return render(old_engine()), render(engines["django"])


SPECS = [list_views.COMMUNICATIONS, list_views.TASKS, list_views.THREADS, list_views.COUNTERPARTIES, list_views.BOARD]


@pytest.fixture
def places(user, other_user):
    """A thread, a department and saved filters whose texts need escaping."""
    thread = ThreadFactory(subject=HOSTILE, author=user)
    department = Department.objects.create(name=HOSTILE)
    other_user.first_name = HOSTILE
    other_user.save()
    for spec in SPECS:
        path = list_views.reverse(spec.url_name)
        SavedFilter.objects.create(user=user, path=path, name=HOSTILE, query_string="subject=%22%3E%3Cx%3E")
        SavedFilter.objects.create(user=user, path=path, name="Моите", query_string="")
    return {"thread": thread, "department": department, "employee": other_user}


def hostile(spec) -> dict:
    """Every filter of ``spec`` with a value it refuses or has to escape."""
    values = {
        # Over their limits (255, 32 characters): refused, and kept as typed.
        "subject": HOSTILE * 6,
        "counterparty": HOSTILE * 6,
        "number": HOSTILE,
        "thread": HOSTILE,
        "created_after": '31.02.2026"<x>',
        "created_before": "2026-13-01",
        "deadline_after": "0001-01-01",  # out of the years crm.inputs accepts
        "deadline_before": "<script>",
        "channel": HOSTILE,
        "status": "<b>",
        "assignee": "12<script>",
        "author": "99999999",  # an id no employee has
        "department": HOSTILE,
        "direction": HOSTILE,
        "mine": HOSTILE,
        "overdue": HOSTILE,
        "sort": HOSTILE,
        "state": HOSTILE,
        "role": HOSTILE,
        "q": HOSTILE * 40,  # over the 255 characters
    }
    fields = spec.filterset.base_filters
    return {name: value for name, value in values.items() if name in fields}


def valid(spec, places) -> dict:
    values = {
        "subject": HOSTILE,
        "counterparty": "Алфа",
        "number": "IN-2026",
        "thread": places["thread"].number,
        "created_after": "2026-03-31",
        "created_before": "30.04.2026",
        "deadline_after": "04/01/2026",
        "deadline_before": "2026-05-01",
        "channel": "meeting",
        "status": "in_progress",
        "assignee": str(places["employee"].pk),
        "author": str(places["employee"].pk),
        "department": str(places["department"].pk),
        "direction": "in",
        "mine": "created",
        "overdue": "1",
        "sort": "-" + next(iter(spec.first_click)),  # a sort this list has
        "state": "closed",
        "role": "client",
        "q": HOSTILE,
    }
    fields = spec.filterset.base_filters
    return {name: value for name, value in values.items() if name in fields}


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.url_name)
def test_an_empty_sidebar_as_the_templates_drew_it(user, spec, language):
    with translation.override(language):
        old, new = render_both(user, spec, {})
    assert 'id="list-filter-form"' in new and 'id="saved-filters-card"' in new
    assert new == old


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.url_name)
def test_valid_filters_and_saved_filters_as_the_templates_drew_them(user, places, spec, language):
    with translation.override(language):
        old, new = render_both(user, spec, valid(spec, places))
    assert not re.search(r'list-filter-error">[^<]', new) and "is-invalid" not in new
    assert "<script>" not in new and "&lt;script&gt;" in new  # the saved filter's name, escaped
    assert new.count('class="list-group-item d-flex') == 2
    if "thread" in spec.filterset.base_filters:
        assert f'value="{places["thread"].number}"' in new and f'href="{places["thread"].get_absolute_url()}"' in new
    assert new == old


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.url_name)
def test_hostile_filters_keep_their_messages_and_what_was_typed(user, places, spec, language):
    query = hostile(spec)
    with translation.override(language):
        old, new = render_both(user, spec, query)
    assert "<script>" not in new and "<b>" not in new
    # Each refused field of the sidebar shows its message in its own slot, and its input keeps the typed text.
    shown = [name for row in spec.layout for name in row]
    for name in shown:
        message = re.search(
            f'<div id="error-{name}" class="invalid-feedback d-block list-filter-error">([^<]*)</div>', new
        )
        assert message and message.group(1), name
    for name in (
        "subject",
        "counterparty",
        "number",
        "thread",
        "created_after",
        "created_before",
        "deadline_after",
        "deadline_before",
        "q",
    ):
        if name in shown:
            assert f'name="{name}" value="{escape(query[name])}"' in new, name
    assert 'aria-expanded="true"' in new and "list-collapse show" in new
    assert new == old


COUNTS = [
    (0, "exact"),
    (1, "exact"),
    (2, "exact"),
    (21, "exact"),
    (1000, "more"),
    (14000, "estimate"),
    (1200000, "estimate"),
]


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.url_name)
def test_the_toolbar_as_the_template_drew_it(user, places, spec, language):
    for query in ({}, valid(spec, places), hostile(spec)):
        for total, kind in COUNTS:
            with translation.override(language):
                old, new = render_both(user, spec, query, "crm/_list_toolbar.html", total=total, count_kind=kind)
            assert 'id="list-count"' in new and "<script>" not in new
            assert ('id="list-filter-errors"' in new) == (query == hostile(spec))
            assert new == old, (query, total, kind)


def test_text_date_and_select_inputs_are_drawn_without_the_widgets_layers(user, places, monkeypatch):
    """The comparisons above would pass if every input fell back to as_widget: the fast path is
    what is measured, so it must be the one taken (only the employee pickers go through as_widget)."""
    from django.forms.boundfield import BoundField

    through = []
    original = BoundField.as_widget

    def as_widget(self, *args, **kwargs):
        through.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(BoundField, "as_widget", as_widget)
    for query in ({}, valid(list_views.TASKS, places), hostile(list_views.TASKS)):
        through.clear()
        # Each input drawn, not taken from the empty filters drawn before (test_empty_filters_*).
        monkeypatch.setattr(list_filters, "_EMPTY_FIELDS", {})
        old, new = render_both(user, list_views.TASKS, query)
        assert new == old
        # The old templates' {{ field }} calls as_widget for all twelve; the tags for the pickers only.
        assert sorted(through) == sorted(
            ["assignee", "author"] + [name for row in list_views.TASKS.layout for name in row]
        )


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("spec", SPECS[:4], ids=lambda spec: spec.url_name)
def test_the_sort_headers_as_the_template_drew_them(user, spec, language):
    old = old_engine().from_string(
        '{% include "crm/_list_sort_header.html" with key=key link=link label=label %}|{% include "crm/_list_sort_header.html" with key=key link=link label=_("Number") %}'
    )
    new = engines["django"].from_string(
        '{% load list_filters %}{% list_sort_header key link label %}|{% list_sort_header key link _("Number") %}'
    )
    from crm import selectors

    for query in ("", "subject=" + HOSTILE):
        request = RequestFactory().get(f"{list_views.reverse(spec.url_name)}?{query}")
        for sort_key in spec.first_click:
            for descending in (False, True):
                sort = selectors.LIST_SORTS[spec.kind][sort_key]
                for key, link in list_views._sort_links(request, spec, sort, descending).items():
                    context = {"key": key, "link": link, "label": HOSTILE}
                    with translation.override(language):
                        assert new.render(context) == old.render(context)


class _Page:
    def __init__(self, other: bool):
        self.has_other_pages = other


@pytest.mark.parametrize("language", ["bg", "en"])
def test_the_page_links_as_the_template_drew_them(language):
    old = old_engine().get_template("crm/_list_pagination.html")
    new = engines["django"].from_string("{% load list_filters %}{% list_pagination %}")
    url = "/tasks/?subject=" + HOSTILE + "&after=abc"
    for other in (False, True):
        for first in (None, url):
            for previous in (None, url + "1"):
                for following in (None, url + "2"):
                    context = {"page": _Page(other), "pager": {"first": first, "previous": previous, "next": following}}
                    with translation.override(language):
                        drawn = new.render(context)
                        assert drawn == old.render(context)
                    assert "<script>" not in drawn and ('id="list-pager"' in drawn) == other


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.url_name)
def test_the_htmx_answers_out_of_band_parts_as_the_template_drew_them(user, places, spec, language):
    """crm/_list_oob.html is {% list_oob %}: the hidden state, every error slot, the export and
    clear links, the thread's label and the saved filter's query, as the includes drew them."""
    for query in ({}, valid(spec, places), hostile(spec)):
        with translation.override(language):
            old, new = render_both(user, spec, query, "crm/_list_oob.html")
        assert 'id="list-form-state" hx-swap-oob="true"' in new and "<script>" not in new
        assert new.count('class="invalid-feedback d-block list-filter-error" hx-swap-oob="true"') == sum(
            len(row) for row in spec.layout
        )
        assert new == old, query


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.url_name)
def test_the_export_link_as_the_template_drew_it(user, places, spec, language):
    """{% list_export %} on the list pages draws what their include of crm/_list_export.html drew."""
    for query in ({}, valid(spec, places), hostile(spec)):
        request = RequestFactory().get(f"{list_views.reverse(spec.url_name)}?{urlencode(query, doseq=True)}")
        request.user = user
        request.session = SessionStore()
        context = list_views.filter_context(request, spec, list_views.list_filterset(request, spec))
        with translation.override(language):
            old = old_engine().get_template("export-link").render(context, request)
            new = engines["django"].from_string("{% load list_filters %}{% list_export %}").render(context, request)
        assert 'id="list-export"' in new and "download>" in new
        assert new == old, query


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.url_name)
def test_empty_filters_drawn_once_stay_right_after_values_errors_and_the_other_language(
    user, places, spec, monkeypatch
):
    """An empty filter is drawn once and kept (list_filters._EMPTY_FIELDS): an empty sidebar after
    one with values, after one with errors and in the other language is still the templates'."""
    monkeypatch.setattr(list_filters, "_EMPTY_FIELDS", {})
    for language, query in (
        ("bg", {}),
        ("bg", valid(spec, places)),
        ("bg", {}),
        ("bg", hostile(spec)),
        ("bg", {}),
        ("en", {}),
        ("bg", dict.fromkeys(hostile(spec), "")),  # present but empty
        ("en", {}),
    ):
        with translation.override(language):
            old, new = render_both(user, spec, query)
        assert new == old, (language, query)
    assert list_filters._EMPTY_FIELDS


def test_the_department_select_is_never_kept_with_its_options(user):
    """Its options are the departments: a department added after a page is on the next one."""
    Department.objects.create(name="Продажби")
    first = render_both(user, list_views.TASKS, {})[1]
    Department.objects.create(name="Доставки")
    old, new = render_both(user, list_views.TASKS, {})
    assert new == old
    assert "Доставки" in new and "Доставки" not in first
