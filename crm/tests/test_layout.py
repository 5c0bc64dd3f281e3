"""The navbar and its bell drawn in Python (crm/templatetags/layout.py, notifications/bell.py)
are the HTML the templates drew, byte for byte: the templates they replaced are kept here and
rendered beside them — anonymous, signed in, staff or not, with and without the Reports
permission, on every section's path and the search page, in both languages, with and without
notifications (read, unread, text to escape) and a page topic."""

# ruff: noqa: E501 - the templates are kept as they were written

import datetime
import re

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import F
from django.template import engines
from django.test import RequestFactory
from django.urls import resolve
from django.utils import translation

from crm.tests.old_templates import engine_of
from notifications.models import Notification
from notifications.tests.test_bell_html import TEMPLATES as BELL_PARTS

pytestmark = pytest.mark.django_db

# base.html's navbar as it was (from {% if user.is_authenticated %} to its {% endif %}).
NAVBAR = """{% load static i18n %}{% get_current_language as LANGUAGE_CODE %}{% if user.is_authenticated %}
<nav class="navbar navbar-expand-xl bg-dark border-bottom" data-bs-theme="dark" aria-label="{% translate 'Main navigation' %}">
  <div class="container-fluid">
    <a class="navbar-brand fw-semibold" href="{% url 'crm:dashboard' %}"><i class="bi bi-chat-square-text" aria-hidden="true"></i> {% translate "CRM" %}</a>
    {% comment %}The search box sits outside the collapsing menu too: on a phone it is always there.
    Results as you type come from search:suggest (static/js/search.js: arrows, Enter, Escape, "/").{% endcomment %}
    <form class="navbar-search" role="search" action="{% url 'search:page' %}" method="get" id="navbar-search" data-search-box>
      <label for="navbar-search-input" class="visually-hidden">{% translate "Search" %}</label>
      <i class="bi bi-search navbar-search-icon" aria-hidden="true"></i>
      <input type="search" id="navbar-search-input" name="q" class="form-control form-control-sm" maxlength="200"
             placeholder="{% translate 'Search' %} ( / )" autocomplete="off" spellcheck="false"
             role="combobox" aria-expanded="false" aria-controls="navbar-search-menu" aria-autocomplete="list"
             value="{% if request.resolver_match.namespace == 'search' %}{{ request.GET.q|truncatechars:200 }}{% endif %}"
             hx-get="{% url 'search:suggest' %}" hx-trigger="input changed delay:250ms, search" hx-target="#navbar-search-menu" hx-sync="this:replace">
      <div class="search-menu" id="navbar-search-menu" aria-live="polite" data-bs-theme="light"></div>
    </form>
    {% comment %}The bell sits outside the collapsing menu so a phone shows it (and its count) at all
    times; on a wide screen order-xl-last puts it back at the end of the bar.{% endcomment %}
    <ul class="navbar-nav flex-row align-items-center ms-auto me-2 me-xl-0 order-xl-last navbar-bell">
      {% include "notifications/_bell.html" %}
    </ul>
    <button class="navbar-toggler" type="button" data-bs-toggle="collapse" data-bs-target="#main-nav" aria-controls="main-nav" aria-expanded="false" aria-label="{% translate 'Toggle navigation' %}">
      <span class="navbar-toggler-icon"></span>
    </button>
    <div class="collapse navbar-collapse" id="main-nav">
      <ul class="navbar-nav me-auto">
        {% url 'crm:thread_list' as threads_url %}{% url 'crm:communication_list' as communications_url %}{% url 'crm:task_list' as tasks_url %}
        <li class="nav-item"><a class="nav-link{% if request.path|slice:':9' == '/threads/' %} active{% endif %}" href="{{ threads_url }}"><i class="bi bi-collection" aria-hidden="true"></i> {% translate "Threads" %}</a></li>
        <li class="nav-item"><a class="nav-link{% if request.path|slice:':16' == '/communications/' %} active{% endif %}" href="{{ communications_url }}"><i class="bi bi-envelope" aria-hidden="true"></i> {% translate "Communications" %}</a></li>
        <li class="nav-item"><a class="nav-link{% if request.path|slice:':7' == '/tasks/' and request.path|slice:':13' != '/tasks/board/' %} active{% endif %}" href="{{ tasks_url }}"><i class="bi bi-check2-square" aria-hidden="true"></i> {% translate "Tasks" %}</a></li>
        <li class="nav-item"><a class="nav-link{% if request.path|slice:':13' == '/tasks/board/' %} active{% endif %}" href="{% url 'crm:task_board' %}" id="nav-board"><i class="bi bi-kanban" aria-hidden="true"></i> {% translate "Board" %}</a></li>
        <li class="nav-item"><a class="nav-link{% if request.path|slice:':10' == '/calendar/' %} active{% endif %}" href="{% url 'crm:calendar' %}" id="nav-calendar"><i class="bi bi-calendar3" aria-hidden="true"></i> {% translate "Calendar" %}</a></li>
        <li class="nav-item"><a class="nav-link{% if request.path|slice:':16' == '/counterparties/' %} active{% endif %}" href="{% url 'crm:counterparty_list' %}"><i class="bi bi-buildings" aria-hidden="true"></i> {% translate "Counterparties" %}</a></li>
        {% if perms.crm.view_reports %}<li class="nav-item"><a class="nav-link{% if request.path|slice:':9' == '/reports/' %} active{% endif %}" href="{% url 'crm:reports' %}"><i class="bi bi-bar-chart" aria-hidden="true"></i> {% translate "Reports" %}</a></li>{% endif %}
      </ul>
      <ul class="navbar-nav align-items-xl-center gap-xl-1">
        <li class="nav-item">
          <form action="{% url 'set_language' %}" method="post" class="d-flex" id="language-form">{% csrf_token %}
            <input name="next" type="hidden" value="{{ request.get_full_path }}">
            <label for="language-select" class="visually-hidden">{% translate "Language" %}</label>
            <select id="language-select" name="language" class="form-select form-select-sm bg-dark text-light border-secondary" data-submit-on-change>
              {% get_available_languages as LANGUAGES %}{% get_language_info_list for LANGUAGES as languages %}
              {% for language in languages %}<option value="{{ language.code }}"{% if language.code == LANGUAGE_CODE %} selected{% endif %}>{{ language.name_local|capfirst }}</option>{% endfor %}
            </select>
            <noscript><button class="btn btn-sm btn-outline-light ms-1">{% translate "Go" %}</button></noscript>
          </form>
        </li>
        <li class="nav-item dropdown">
          <button class="nav-link dropdown-toggle btn btn-link" data-bs-toggle="dropdown" aria-expanded="false" id="user-menu">
            <i class="bi bi-person-circle" aria-hidden="true"></i> {{ user.get_full_name|default:user.username }}
          </button>
          <ul class="dropdown-menu dropdown-menu-end" aria-labelledby="user-menu">
            <li><a class="dropdown-item" href="{% url 'accounts:user_detail' user.pk %}"><i class="bi bi-person" aria-hidden="true"></i> {% translate "My profile" %}</a></li>
            <li><a class="dropdown-item" href="{% url 'notifications:list' %}"><i class="bi bi-bell" aria-hidden="true"></i> {% translate "Notifications" %}</a></li>
            <li><a class="dropdown-item" href="{% url 'notifications:settings' %}" id="notification-settings-link"><i class="bi bi-sliders" aria-hidden="true"></i> {% translate "Notification settings" %}</a></li>
            {% if user.is_staff %}<li><a class="dropdown-item" href="{% url 'admin:index' %}"><i class="bi bi-gear" aria-hidden="true"></i> {% translate "Administration" %}</a></li>{% endif %}
            <li><hr class="dropdown-divider"></li>
            <li>
              <form method="post" action="{% url 'accounts:logout' %}">{% csrf_token %}
                <button type="submit" class="dropdown-item" id="logout-button"><i class="bi bi-box-arrow-right" aria-hidden="true"></i> {% translate "Log out" %}</button>
              </form>
            </li>
          </ul>
        </li>
      </ul>
    </div>
  </div>
</nav>
{% endif %}"""

# The bell's templates as they were.
BELL_TEMPLATES = {
    "notifications/_bell.html": """{% load i18n %}{# The navbar bell: live unread count, a dropdown of the latest, the websocket of the page (and the one topic the page listens to: notification_topic, notifications.topics). #}
<li class="nav-item dropdown me-xl-2" id="notification-socket" hx-ext="ws" ws-connect="/ws/notifications/{% if notification_topic %}?topic={{ notification_topic|urlencode }}{% endif %}"{% if notification_topic %} data-topic="{{ notification_topic }}"{% endif %}>
  <button type="button" class="nav-link btn btn-link position-relative notification-bell" id="notification-bell" data-bs-toggle="dropdown" data-bs-auto-close="outside" aria-expanded="false" aria-label="{% translate 'Notifications' %}" title="{% translate 'Notifications' %}">
    <i class="bi bi-bell fs-5" aria-hidden="true"></i>
    {% include "notifications/_bell_count.html" with unread_notification_count=notification_bell.unread_count bell_version=notification_bell.version %}
  </button>
  <div class="dropdown-menu dropdown-menu-end notification-menu p-0 shadow" data-bs-theme="light" aria-labelledby="notification-bell">
    <div class="notification-menu-header d-flex align-items-center justify-content-between gap-3 px-3 py-2 border-bottom">
      <span class="fw-semibold">{% translate "Notifications" %}</span>
      <form method="post" action="{% url 'notifications:mark_all_read' %}" hx-post="{% url 'notifications:mark_all_read' %}" hx-swap="none" class="m-0">{% csrf_token %}
        <input type="hidden" name="next" value="{{ request.get_full_path }}">
        <button type="submit" class="btn btn-link btn-sm p-0 text-decoration-none" id="notification-mark-all-read"><i class="bi bi-check2-all" aria-hidden="true"></i> {% translate "Mark all read" %}</button>
      </form>
    </div>
    {% include "notifications/_menu_list.html" with notifications=notification_bell.latest oob=False %}
    <div class="notification-menu-footer border-top text-center py-2">
      <a class="small text-decoration-none" href="{% url 'notifications:list' %}" id="notification-see-all">{% translate "See all notifications" %}</a>
    </div>
  </div>
</li>
""",
    # The bell's count, list and item, as notifications/tests/test_bell_html.py keeps them.
    **BELL_PARTS,
}

# What differs between two renders of one page by design: the CSRF token's mask, the bell's version.
VOLATILE = re.compile(r'(name="csrfmiddlewaretoken" value=|data-version=)"[^"]*"')


def old_engine():
    return engine_of({"navbar.html": NAVBAR, **BELL_TEMPLATES}, name="old-layout")


NEW = "{% load layout %}{% if user.is_authenticated %}\n{% navbar %}\n{% endif %}"


def render_both(user, url: str, *, topic: str | None = None) -> tuple[str, str]:
    def request():
        r = RequestFactory().get(url)
        r.user = user
        r.session = SessionStore()
        r.resolver_match = resolve(r.path)
        return r

    context = {"notification_topic": topic} if topic else {}
    old = old_engine().get_template("navbar.html").render(context, request())
    new = engines["django"].from_string(NEW).render(context, request())
    return VOLATILE.sub(r"\1…", old), VOLATILE.sub(r"\1…", new)


def days_old(recipient) -> None:
    """The notifications of ``recipient`` made two days old: naturaltime counts the seconds of a
    fresh one, so two renders a second apart would differ; in days they do not."""
    Notification.objects.filter(recipient=recipient).update(created_at=F("created_at") - datetime.timedelta(days=2))


PATHS = [
    "/",
    "/threads/",
    "/communications/?status=new&subject=<b>&q=x",
    "/tasks/",
    "/tasks/board/",
    "/calendar/",
    "/counterparties/",
    "/reports/",
    "/search/?q=" + "оферта <script>" * 30,
    "/notifications/",
]


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("path", PATHS)
def test_the_navbar_as_the_template_drew_it(user, path, language):
    with translation.override(language):
        old, new = render_both(user, path)
    assert 'id="main-nav"' in new and "csrfmiddlewaretoken" in new
    assert new == old


@pytest.mark.parametrize("language", ["bg", "en"])
def test_staff_with_reports_and_notifications(manager, user, language):
    manager.is_staff = True
    manager.first_name, manager.last_name = "<Стоян>", "& Колев"
    manager.save()
    Notification.objects.create(
        recipient=manager, kind="assignment", text='<script>alert("x")</script> „Оферта“', url="/tasks/1/"
    )
    read = Notification.objects.create(recipient=manager, kind="mention", text="Прочетено", url="/tasks/2/")
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    days_old(manager)
    with translation.override(language):
        old, new = render_both(manager, "/reports/?period=year", topic="thread:5 & <x>")
    assert "notification-item unread" in new and "/admin/" in new and "/reports/" in new
    assert new == old


def test_many_notifications(user):
    for i in range(120):
        Notification.objects.create(recipient=user, kind="assignment", text=f"Известие {i}", url="/tasks/1/")
    days_old(user)
    old, new = render_both(user, "/threads/")
    assert new.count('class="notification-item') == 8 and "99+" in new
    assert new == old


def test_a_superuser_and_a_user_without_a_name(user):
    user.first_name = user.last_name = ""
    user.is_superuser = True
    user.save()
    old, new = render_both(user, "/tasks/")
    assert "ivan" in new
    assert new == old


def test_a_user_given_the_reports_permission(user):
    user.user_permissions.add(Permission.objects.get(codename="view_reports", content_type__app_label="crm"))
    old, new = render_both(user, "/reports/")
    assert 'class="nav-link active" href="/reports/"' in new
    assert new == old


def test_anonymous_gets_no_navbar():
    old, new = render_both(AnonymousUser(), "/accounts/login/")
    assert new == old == ""
