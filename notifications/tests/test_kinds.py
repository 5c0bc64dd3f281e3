"""Kinds of notification are registered by the apps that send them (notifications.kinds):
notifications itself knows none, and draws each with its registered label and icon."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from notifications import kinds
from notifications.models import Notification
from notifications.services import notification_push, notification_send
from testsupport.apps import NOTIFICATION_KIND, register


@pytest.fixture
def scratch_kind():
    """A kind registered for one test only."""
    yield kinds.register(key="scratch", label="Проба", icon="bi-lightning")
    kinds.unregister("scratch")


def test_the_test_app_registers_its_kind_as_any_app_would():
    kind = kinds.get(NOTIFICATION_KIND)
    assert (kind.key, str(kind.label), kind.icon) == (NOTIFICATION_KIND, "Note shared", "bi-journal-text")
    assert kinds.is_registered(NOTIFICATION_KIND)


@pytest.mark.parametrize(
    ("key", "icon"),
    [("Bad-Key", "bi-bell"), ("", "bi-bell"), ("x" * 33, "bi-bell"), ("fine", "fa-bell"), ("fine", 'bi-x" onload="')],
)
def test_bad_registrations_are_refused(key, icon):
    with pytest.raises(ImproperlyConfigured):
        kinds.register(key=key, label="x", icon=icon)
    assert not kinds.is_registered(key)


def test_a_kind_registered_later_can_be_sent_an_unregistered_one_cannot(db, user, other_user, scratch_kind):
    [row] = notification_send(recipient_ids=[other_user.pk], actor=user, kind="scratch", target=None, text="x")
    assert (row.kind_label, row.icon) == ("Проба", "bi-lightning")
    kinds.unregister("scratch")
    with pytest.raises(ValueError, match="unknown notification kind"):
        notification_send(recipient_ids=[other_user.pk], actor=user, kind="scratch", target=None, text="x")


def test_a_stored_row_of_a_kind_no_longer_registered_still_shows(db, other_user):
    row = Notification.objects.create(recipient=other_user, kind="retired", text="стар")
    assert (row.kind_label, row.icon) == ("retired", "bi-bell")


def test_the_list_and_the_toast_draw_the_registered_label_and_icon(db, client, user, other_user, sent, scratch_kind):
    [row] = notification_send(recipient_ids=[other_user.pk], actor=user, kind="scratch", target=None, text="x")
    notification_push(notifications=[row])
    toast = sent[0][1]["html"]
    assert "bi-lightning" in toast and '<strong class="me-auto">Проба</strong>' in toast
    client.force_login(other_user)
    html = client.get("/notifications/").content.decode()
    assert '<i class="bi bi-lightning notification-icon"' in html
    assert '<span class="badge text-bg-light border">Проба</span>' in html


def test_registering_again_replaces_the_kind():
    try:
        kinds.register(key=NOTIFICATION_KIND, label="Друго", icon="bi-star")
        assert kinds.icon(NOTIFICATION_KIND) == "bi-star"
    finally:
        register()
    assert kinds.icon(NOTIFICATION_KIND) == "bi-journal-text"
