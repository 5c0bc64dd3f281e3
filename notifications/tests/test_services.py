"""Rows first, push after commit: notification_send, the push payload, read state, logout."""

import math
import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import translation

from notifications.groups import BROADCAST_GROUP, user_group_name
from notifications.models import Notification
from notifications.services import (
    BROADCAST_MIN_RECIPIENTS,
    ID_MARKER,
    notification_mark_all_read,
    notification_mark_read,
    notification_push,
    notification_send,
)
from testsupport.apps import NOTIFICATION_KIND as KIND
from testsupport.models import Note


def send(*, recipients, actor, target=None, text="Иван Петров сподели бележка „Оферта“", url="/notes/1/"):
    return notification_send(
        recipient_ids=[r.pk for r in recipients], actor=actor, kind=KIND, target=target, text=text, url=url
    )


# --- on commit, rollback ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_rows_are_written_at_once_and_pushed_only_after_commit(user, other_user, petar, sent):
    with transaction.atomic():
        rows = send(recipients=[other_user, petar], actor=user)
        assert Notification.objects.count() == 2  # in the caller's transaction
        assert sent == []  # nothing pushed before commit

    assert [group for group, _ in sent] == [user_group_name(other_user.pk), user_group_name(petar.pk)]
    assert [event["id"] for _, event in sent] == [r.pk for r in rows]
    assert all(event["type"] == "notification.push" for _, event in sent)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_notifies_no_one(user, other_user, sent):
    with pytest.raises(RuntimeError), transaction.atomic():
        send(recipients=[other_user], actor=user)
        raise RuntimeError("the change fails after the notification was written")

    assert Notification.objects.count() == 0
    assert sent == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_drops_its_push_but_not_the_outer_one(user, other_user, petar, sent):
    with transaction.atomic():
        send(recipients=[other_user], actor=user)
        try:
            with transaction.atomic():
                send(recipients=[petar], actor=user)
                raise RuntimeError
        except RuntimeError:
            pass

    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [other_user.pk]
    assert [group for group, _ in sent] == [user_group_name(other_user.pk)]


@pytest.mark.django_db(transaction=True)
def test_a_failed_push_loses_nothing_and_raises_nothing(user, other_user, monkeypatch, caplog):
    class DeadLayer:
        async def group_send(self, group, message):
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6399")

    monkeypatch.setattr("notifications.services.get_channel_layer", lambda: DeadLayer())

    with transaction.atomic():
        send(recipients=[other_user], actor=user)

    assert Notification.objects.filter(recipient=other_user, read_at__isnull=True).count() == 1
    assert "notification push" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_push_that_hangs_is_cut_off(user, other_user, monkeypatch):
    import asyncio
    import time

    class SlowLayer:
        async def group_send(self, group, message):
            await asyncio.sleep(30)

    monkeypatch.setattr("notifications.services.get_channel_layer", lambda: SlowLayer())
    monkeypatch.setattr("notifications.services.PUSH_TIMEOUT_SECONDS", 0.2)
    started = time.monotonic()

    with transaction.atomic():
        send(recipients=[other_user], actor=user)

    assert time.monotonic() - started < 5
    assert Notification.objects.filter(recipient=other_user).count() == 1


def test_under_a_test_transaction_the_push_waits_for_the_commit(
    user, other_user, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send(recipients=[other_user], actor=user)
        assert sent == []
    assert len(callbacks) == 1
    assert len(sent) == 1


# --- who is told ------------------------------------------------------------------------------


def test_each_recipient_once_and_the_callers_choice_is_kept(user, other_user, sent, django_capture_on_commit_callbacks):
    """Who is told is decided by the caller (crm.effects): the actor, if passed, is told too."""
    with django_capture_on_commit_callbacks(execute=True):
        rows = notification_send(
            recipient_ids=[other_user.pk, user.pk, other_user.pk, None],
            actor=user,
            kind=KIND,
            target=None,
            text="x",
        )
    assert sorted(r.recipient_id for r in rows) == sorted([other_user.pk, user.pk])
    assert sorted(group for group, _ in sent) == sorted([user_group_name(other_user.pk), user_group_name(user.pk)])


def test_no_recipients_writes_nothing_and_pushes_nothing(user, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert send(recipients=[], actor=user) == []
    assert callbacks == []
    assert Notification.objects.count() == 0


def test_the_row_records_actor_kind_target_text_and_link(user, other_user):
    note = Note.objects.create(title="Оферта")
    [row] = send(recipients=[other_user], actor=user, target=note, url=note.get_absolute_url())
    row.refresh_from_db()
    assert row.actor == user
    assert (row.kind, row.kind_label, row.icon) == (KIND, "Note shared", "bi-journal-text")
    assert row.target == note
    assert row.text.startswith("Иван Петров сподели бележка")
    assert row.url == note.get_absolute_url()
    assert row.read_at is None


def test_long_text_is_cut_with_an_ellipsis(user, other_user):
    [row] = send(recipients=[other_user], actor=user, text="щ" * 800)
    row.refresh_from_db()
    assert len(row.text) == 500
    assert row.text.endswith("…")


@pytest.mark.parametrize(
    "url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example", "tasks/1/"]
)
def test_a_notification_links_to_a_local_path_only(user, other_user, url):
    with pytest.raises(ValueError):
        send(recipients=[other_user], actor=user, url=url)
    assert Notification.objects.count() == 0


def test_an_unknown_kind_is_refused(user, other_user):
    with pytest.raises(ValueError):
        notification_send(recipient_ids=[other_user.pk], actor=user, kind="nonsense", target=None, text="x")


def test_a_thousand_recipients_take_one_bulk_insert_and_two_push_queries(user, django_assert_max_num_queries, sent):
    from accounts.tests.factories import UserFactory

    ids = [u.pk for u in UserFactory.create_batch(1000)]
    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    # One INSERT on PostgreSQL; SQLite caps the parameters of a statement, so a few batches.
    inserts = math.ceil(1000 / connection.ops.bulk_batch_size(fields, [None] * 1000))
    with django_assert_max_num_queries(inserts):
        rows = notification_send(recipient_ids=ids, actor=user, kind=KIND, target=None, text="x", url="/")
    assert len(rows) == 1000
    with django_assert_max_num_queries(2):  # the unread counts and the languages of all recipients
        notification_push(notifications=rows)
    # One event for all (a department): each recipient's id and unread count in it.
    [(group, event)] = sent
    assert group == BROADCAST_GROUP
    assert event["type"] == "notification.broadcast"
    assert event["recipients"] == {str(r.recipient_id): [r.pk, 1] for r in rows}
    assert set(event["bells"]) == {"1"} and 'data-count="1"' in event["bells"]["1"]
    assert ID_MARKER in event["html"]


def test_below_the_broadcast_threshold_each_recipient_has_an_event_in_their_group(user, sent):
    from accounts.tests.factories import UserFactory

    users = UserFactory.create_batch(BROADCAST_MIN_RECIPIENTS - 1)
    rows = send(recipients=users, actor=user)
    notification_push(notifications=rows)
    assert [group for group, _ in sent] == [user_group_name(u.pk) for u in users]


# --- the push payload -------------------------------------------------------------------------


def test_the_push_carries_the_bell_count_a_dropdown_row_and_a_toast(user, other_user, sent):
    Notification.objects.create(recipient=other_user, kind=KIND, text="older, unread")
    [row] = send(recipients=[other_user], actor=user, url="/notes/7/")
    notification_push(notifications=[row])

    [(group, event)] = sent
    html = event["html"]
    assert group == user_group_name(other_user.pk)
    assert 'id="notification-bell-count"' in html and 'data-count="2"' in html
    assert 'hx-swap-oob="afterbegin:#notification-menu-list"' in html
    assert 'hx-swap-oob="beforeend:#toasts"' in html
    assert html.count(f'data-notification-id="{row.pk}"') == 2  # the row and the toast
    assert f'href="/notifications/{row.pk}/open/"' in html
    assert "<notification-id>" not in html


def test_each_recipient_gets_their_own_id_and_count(user, other_user, petar, sent):
    Notification.objects.bulk_create([Notification(recipient=petar, kind=KIND, text="x") for _ in range(4)])
    rows = send(recipients=[other_user, petar], actor=user)
    notification_push(notifications=rows)

    by_group = dict(sent)
    maria, petar_event = by_group[user_group_name(other_user.pk)], by_group[user_group_name(petar.pk)]
    assert 'data-count="1"' in maria["html"] and f'data-notification-id="{rows[0].pk}"' in maria["html"]
    assert 'data-count="5"' in petar_event["html"] and f'data-notification-id="{rows[1].pk}"' in petar_event["html"]
    assert str(rows[1].pk) not in re.findall(r'data-notification-id="(\d+)"', maria["html"])


def test_the_push_escapes_user_typed_text(user, other_user, sent):
    [row] = send(recipients=[other_user], actor=user, text='<img src=x onerror="alert(1)"> & <notification-id>')
    notification_push(notifications=[row])
    html = sent[0][1]["html"]
    assert "<img" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;notification-id&gt;" in html


def test_the_push_is_rendered_in_the_reader_language_whatever_the_active_one(user, other_user, sent, settings):
    assert settings.LANGUAGE_CODE == "bg"
    [row] = send(recipients=[other_user], actor=user)
    with translation.override("en"):
        notification_push(notifications=[row])
    html = sent[0][1]["html"]
    assert "сега" in html  # humanize's "now" in Bulgarian (Django's own catalog)
    assert ">now<" not in html


# --- read state -------------------------------------------------------------------------------


def test_mark_read_keeps_the_first_read_time_and_refreshes_the_other_pages(
    user, other_user, sent, django_capture_on_commit_callbacks
):
    [row] = send(recipients=[other_user], actor=user)
    with django_capture_on_commit_callbacks(execute=True):
        notification_mark_read(notification=row)
    first = Notification.objects.get(pk=row.pk).read_at
    assert first is not None
    [(group, event)] = sent
    assert group == user_group_name(other_user.pk)
    assert 'data-count="0"' in event["html"] and 'id="notification-menu-list"' in event["html"]

    with django_capture_on_commit_callbacks(execute=True):
        notification_mark_read(notification=Notification.objects.get(pk=row.pk))
    assert Notification.objects.get(pk=row.pk).read_at == first
    assert len(sent) == 1  # nothing changed, nothing pushed


def test_mark_all_read_touches_only_that_user(user, other_user, petar, sent, django_capture_on_commit_callbacks):
    send(recipients=[other_user, petar], actor=user)
    send(recipients=[other_user], actor=user)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_mark_all_read(user=other_user) == 2
    assert not Notification.objects.filter(recipient=other_user, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=petar, read_at__isnull=True).count() == 1
    assert [group for group, _ in sent] == [user_group_name(other_user.pk)]


# --- logout -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_logging_out_tells_that_users_sockets_which_session_ended(user, sent):
    client = Client()
    client.force_login(user)
    session_key = client.session.session_key

    client.post("/accounts/logout/")

    assert sent == [(user_group_name(user.pk), {"type": "session.logout", "session_key": session_key})]


@pytest.mark.django_db(transaction=True)
def test_logging_out_with_redis_down_still_logs_out(user, monkeypatch):
    class DeadLayer:
        async def group_send(self, group, message):
            raise ConnectionError("down")

    monkeypatch.setattr("notifications.services.get_channel_layer", lambda: DeadLayer())
    client = Client()
    client.force_login(user)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert client.get("/notifications/").status_code == 302  # to the login page
