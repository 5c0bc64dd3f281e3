"""Texts rendered in the reader's language: a kind registers a renderer, rows keep the kind's
parameters, and every place that shows a notification (bell, list, push, catch-up) renders it
in its reader's language; rows without parameters (older ones) show their stored text."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from notifications import kinds
from notifications.consumers import _catch_up_html
from notifications.groups import BROADCAST_GROUP, user_group_name
from notifications.languages import user_language, user_languages
from notifications.models import Notification
from notifications.services import BROADCAST_MIN_RECIPIENTS, notification_push, notification_send

KIND = "lang_probe"


def probe_text(params):
    # "Someone" is in the project's catalog: "Някой" in Bulgarian.
    return f"{gettext('Someone')} · {params['title']}"


@pytest.fixture(autouse=True)
def probe_kind():
    kinds.register(key=KIND, label="Probe", render=probe_text)
    yield
    kinds.unregister(KIND)


def send(recipients, actor, **params):
    return notification_send(
        recipient_ids=[r.pk for r in recipients], actor=actor, kind=KIND, target=None, params=params, url="/"
    )


def set_language(user, code):
    user.language = code
    user.save(update_fields=["language"])


@pytest.mark.django_db
def test_params_are_stored_and_the_text_fallback_is_made_in_the_site_language(user, other_user):
    with translation.override("en"):
        [row] = send([other_user], user, title="Оферта")
    row.refresh_from_db()
    assert row.params == {"title": "Оферта"}
    assert row.text == "Някой · Оферта"  # settings.LANGUAGE_CODE, whatever the active language
    with translation.override("en"):
        assert row.display_text == "Someone · Оферта"
    with translation.override("bg"):
        assert row.display_text == "Някой · Оферта"


@pytest.mark.django_db
def test_a_row_without_params_or_whose_renderer_fails_shows_its_stored_text(other_user):
    old = Notification.objects.create(recipient=other_user, kind=KIND, text="стар текст")
    broken = Notification.objects.create(recipient=other_user, kind=KIND, text="резервен", params={"other": 1})
    with translation.override("en"):
        assert old.display_text == "стар текст"
        assert broken.display_text == "резервен"  # KeyError in the renderer: the stored text


@pytest.mark.django_db
def test_send_refuses_params_json_cannot_hold_or_too_big_and_a_kind_with_no_text(user, other_user):
    with pytest.raises(TypeError):
        send([other_user], user, title=object())
    with pytest.raises(ValueError, match="limited"):
        send([other_user], user, title="щ" * 5000)
    kinds.register(key="lang_plain", label="Plain")
    try:
        with pytest.raises(ValueError, match="needs a text"):
            notification_send(recipient_ids=[other_user.pk], actor=user, kind="lang_plain", target=None, params={})
    finally:
        kinds.unregister("lang_plain")
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_user_language_is_the_stored_one_or_the_site_default(user, other_user, django_assert_num_queries):
    set_language(other_user, "en")
    assert user_language(other_user) == "en"
    assert user_language(user) == "bg"  # blank: settings.LANGUAGE_CODE
    with django_assert_num_queries(1):
        assert user_languages([user.pk, other_user.pk, 999999]) == {user.pk: "bg", other_user.pk: "en", 999999: "bg"}
    other_user.language = "xx"  # not in LANGUAGES (a removed language): the default
    assert user_language(other_user) == "bg"


@pytest.mark.django_db
def test_each_recipient_is_pushed_the_text_in_their_language(user, other_user, petar, sent):
    set_language(other_user, "en")
    rows = send([other_user, petar], user, title="Оферта")
    with translation.override("bg"):
        notification_push(notifications=rows)
    by_group = {group: event["html"] for group, event in sent}
    english, bulgarian = by_group[user_group_name(other_user.pk)], by_group[user_group_name(petar.pk)]
    assert "Someone · Оферта" in english and "Някой" not in english
    assert "Някой · Оферта" in bulgarian and "Someone" not in bulgarian
    assert "unread notifications" in english and "непрочетени" in bulgarian  # the bell too


@pytest.mark.django_db
def test_a_broadcast_is_one_event_per_reader_language(user, sent):
    from accounts.tests.factories import UserFactory

    readers = [UserFactory(language="en" if i % 2 else "") for i in range(BROADCAST_MIN_RECIPIENTS * 2)]
    rows = send(readers, user, title="Всички")
    with CaptureQueriesContext(connection) as queries:
        notification_push(notifications=rows)
    assert len(queries) == 2  # unread counts and languages, whatever the number of readers
    assert [group for group, _ in sent] == [BROADCAST_GROUP, BROADCAST_GROUP]
    texts = sorted("Someone" in event["html"] for _, event in sent)
    assert texts == [False, True]
    assert all(len(event["recipients"]) == BROADCAST_MIN_RECIPIENTS for _, event in sent)


@pytest.mark.django_db
def test_the_socket_catch_up_and_the_list_page_render_in_the_reader_language(user, other_user, client):
    set_language(other_user, "en")
    send([other_user], user, title="Оферта")
    with translation.override("bg"):
        assert "Someone · Оферта" in _catch_up_html(other_user)
    client.force_login(other_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Someone · Оферта" in client.get("/notifications/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "bg"
    assert "Някой · Оферта" in client.get("/notifications/").content.decode()  # a page: its request's language
