"""The bell's live parts drawn in Python (notifications/bell.py) are the HTML their templates
drew, byte for byte: the templates are kept here and rendered beside them (the page's whole bell
is compared in crm/tests/test_layout.py, inside the navbar)."""

# ruff: noqa: E501 - the templates are kept as they were written

import datetime

import pytest
from django.db.models import F
from django.template.backends.django import DjangoTemplates
from django.utils import translation
from django.utils.safestring import mark_safe

from notifications.bell import menu_item_html, menu_list_html, render_bell_count
from notifications.models import Notification
from testsupport.apps import NOTIFICATION_KIND

pytestmark = pytest.mark.django_db

TEMPLATES = {
    "notifications/_bell_count.html": """{% load i18n %}<span id="notification-bell-count" hx-swap-oob="true" class="notification-bell-count position-absolute top-0 start-100 translate-middle badge rounded-pill bg-danger{% if not unread_notification_count %} d-none{% endif %}" data-count="{{ unread_notification_count|default:0 }}"{% if bell_version %} data-version="{{ bell_version }}"{% endif %}>{% if unread_notification_count > 99 %}99+{% else %}{{ unread_notification_count|default:0 }}{% endif %}<span class="visually-hidden"> {% translate "unread notifications" %}</span></span>
""",
    "notifications/_menu_list.html": """{% load i18n %}<ul class="list-unstyled mb-0 notification-menu-list" id="notification-menu-list"{% if oob %} hx-swap-oob="true"{% endif %} aria-label="{% translate 'Latest notifications' %}">
{% for n in notifications %}{% include "notifications/_menu_item.html" with notification_id=n.pk open_url=n.get_open_url %}
{% empty %}<li class="notification-empty px-3 py-4 text-center text-body-secondary small">{% translate "No notifications yet." %}</li>
{% endfor %}</ul>
""",
    "notifications/_menu_item.html": """{% load i18n humanize %}<li class="notification-item{% if not n.is_read %} unread{% endif %}" data-notification-id="{{ notification_id }}" data-created="{{ n.created_at|date:'U.u' }}">
  <a class="dropdown-item notification-link d-flex align-items-start gap-2" href="{{ open_url }}">
    <i class="bi {{ n.icon }} notification-icon" aria-hidden="true"></i>
    <span class="notification-body">
      <span class="notification-text">{{ n.display_text }}</span>
      <span class="notification-time">{{ n.created_at|naturaltime }}</span>
    </span>
    {% if not n.is_read %}<span class="notification-dot" title="{% translate 'Unread notification' %}"><span class="visually-hidden">{% translate "Unread notification" %}</span></span>{% endif %}
  </a>
</li>
""",
}
OLD = DjangoTemplates(
    {
        "NAME": "old-bell",
        "DIRS": [],
        "APP_DIRS": False,
        "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", TEMPLATES)]},
    }
)


def old(name: str, context: dict) -> str:
    return OLD.get_template(f"notifications/{name}").render(context)


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("count", [0, 1, 99, 100, 12345])
def test_the_count(count, language):
    with translation.override(language):
        assert render_bell_count(count, "1.5") == old(
            "_bell_count.html", {"unread_notification_count": count, "bell_version": "1.5"}
        )
        assert render_bell_count(count, "") == old(
            "_bell_count.html", {"unread_notification_count": count, "bell_version": ""}
        )


@pytest.fixture
def notifications(user):
    rows = [
        Notification.objects.create(recipient=user, kind=NOTIFICATION_KIND, text=text, url="/tasks/1/")
        for text in ('<script>alert("x")</script> „Оферта“', "Обикновено", "x" * 300)
    ]
    Notification.objects.filter(pk=rows[1].pk).update(read_at=rows[1].created_at)
    # Two days old: naturaltime would count the seconds between the two renders of a fresh one.
    Notification.objects.filter(recipient=user).update(created_at=F("created_at") - datetime.timedelta(days=2))
    return list(Notification.objects.filter(recipient=user).order_by("-created_at", "-id"))


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("oob", [True, False])
def test_the_list(notifications, oob, language):
    with translation.override(language):
        assert menu_list_html(notifications, oob=oob) == old(
            "_menu_list.html", {"notifications": notifications, "oob": oob}
        )
        assert menu_list_html([], oob=oob) == old("_menu_list.html", {"notifications": [], "oob": oob})


def test_a_pushed_row_with_the_markers(notifications):
    marker, url = mark_safe("__ID__"), mark_safe("/notifications/__ID__/open/")
    for n in notifications:
        expected = old("_menu_item.html", {"n": n, "notification_id": marker, "open_url": url})
        assert menu_item_html(n, notification_id=marker, open_url=url) == expected
        assert "__ID__" in expected
