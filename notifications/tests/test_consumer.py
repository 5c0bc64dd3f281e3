"""The websocket consumer over the real ASGI application (config.asgi.application): origin check,
session auth, one group per user, catch-up on connect, untrusted frames, order of a burst.

pytest-asyncio is not installed: each test is sync and runs its async body with async_to_sync.
The consumer's database calls (database_sync_to_async) then run in this thread, and the tests
run under transactional_db (real commits), so on_commit pushes fire as in production.
"""

import datetime
import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.contrib.sessions.models import Session
from django.db import OperationalError, transaction
from django.test import Client
from django.utils import timezone

from notifications.consumers import CLOSE_LOGGED_OUT
from notifications.groups import BROADCAST_GROUP, user_group_name
from notifications.models import Notification
from notifications.services import notification_send
from notifications.tests.ws import communicator, ids_in, session_key_for

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 3


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


async def connected(session_key, **kwargs):
    ws = communicator(session_key=session_key, **kwargs)
    ok, _ = await ws.connect(timeout=TIMEOUT)
    assert ok
    first = await ws.receive_from(timeout=TIMEOUT)  # the catch-up
    return ws, first


def mention(*, recipients, actor, text="Иван Петров ви спомена в T-2026-00012 „Оферта“"):
    with transaction.atomic():
        return notification_send(
            recipient_ids=[r.pk for r in recipients], actor=actor, kind="mention", target=None, text=text, url="/"
        )


# --- who may connect --------------------------------------------------------------------------


def test_anonymous_connection_is_refused(channel_layer):
    async def scenario():
        ws = communicator(session_key=None)
        ok, code = await ws.connect(timeout=TIMEOUT)
        assert not ok
        assert code == 4401

    run(scenario)


def test_a_bogus_session_cookie_is_refused(channel_layer):
    async def scenario():
        ws = communicator(session_key="not-a-session")
        ok, _ = await ws.connect(timeout=TIMEOUT)
        assert not ok

    run(scenario)


@pytest.mark.parametrize("origin", ["http://evil.example", "https://testserver.evil.example", None])
def test_a_foreign_or_missing_origin_is_refused_even_when_signed_in(user, channel_layer, origin):
    key = session_key_for(user)

    async def scenario():
        ws = communicator(session_key=key, origin=origin)
        ok, _ = await ws.connect(timeout=TIMEOUT)
        assert not ok

    run(scenario)


def test_an_inactive_users_session_is_refused(user, channel_layer):
    key = session_key_for(user)
    user.is_active = False
    user.save()

    async def scenario():
        ws = communicator(session_key=key)
        ok, _ = await ws.connect(timeout=TIMEOUT)
        assert not ok

    run(scenario)


def test_a_signed_in_user_connects_and_the_bell_catches_up_from_the_database(user, other_user, channel_layer):
    rows = mention(recipients=[other_user], actor=user) + mention(recipients=[other_user], actor=user)
    Notification.objects.create(recipient=user, kind="mention", text="for someone else")
    key = session_key_for(other_user)

    async def scenario():
        ws, first = await connected(key)
        assert 'id="notification-bell-count"' in first and 'data-count="2"' in first
        assert 'id="notification-menu-list" hx-swap-oob="true"' in first
        assert ids_in(first) == [rows[1].pk, rows[0].pk]  # newest first, only her own
        await ws.disconnect()

    run(scenario)


# --- pushes -----------------------------------------------------------------------------------


def test_a_notification_reaches_only_its_recipients_sockets(user, other_user, petar, channel_layer):
    keys = {u.username: session_key_for(u) for u in (user, other_user, petar)}

    async def scenario():
        ivan, _ = await connected(keys["ivan"])
        maria_tab1, _ = await connected(keys["maria"])
        maria_tab2, _ = await connected(keys["maria"])
        petar_ws, _ = await connected(keys["petar"])

        [row] = await database_sync_to_async(mention)(recipients=[other_user], actor=user)

        for tab in (maria_tab1, maria_tab2):
            frame = await tab.receive_from(timeout=TIMEOUT)
            assert ids_in(frame) == [row.pk, row.pk]  # the dropdown row and the toast
            assert 'data-count="1"' in frame
            assert "Иван Петров ви спомена в T-2026-00012" in frame
        assert await ivan.receive_nothing(timeout=0.3)  # the actor
        assert await petar_ws.receive_nothing(timeout=0.1)  # not involved
        for ws in (ivan, maria_tab1, maria_tab2, petar_ws):
            await ws.disconnect()

    run(scenario)


def test_a_notification_for_many_reaches_each_recipient_with_their_own_id_and_count(
    user, other_user, petar, channel_layer, monkeypatch
):
    """Above the threshold one broadcast event carries every recipient's part (a department)."""
    from accounts.tests.factories import UserFactory

    monkeypatch.setattr("notifications.services.BROADCAST_MIN_RECIPIENTS", 3)
    crowd = UserFactory.create_batch(3)
    Notification.objects.create(recipient=other_user, kind="mention", text="older")
    keys = {u.username: session_key_for(u) for u in (user, other_user, petar)}

    async def scenario():
        maria, _ = await connected(keys["maria"])
        petar_ws, _ = await connected(keys["petar"])
        ivan, _ = await connected(keys["ivan"])

        rows = await database_sync_to_async(mention)(recipients=[other_user, petar, *crowd], actor=user)
        by_recipient = {row.recipient_id: row.pk for row in rows}

        maria_frame = await maria.receive_from(timeout=TIMEOUT)
        petar_frame = await petar_ws.receive_from(timeout=TIMEOUT)
        assert ids_in(maria_frame) == [by_recipient[other_user.pk]] * 2 and 'data-count="2"' in maria_frame
        assert ids_in(petar_frame) == [by_recipient[petar.pk]] * 2 and 'data-count="1"' in petar_frame
        assert "<notification-id>" not in maria_frame + petar_frame
        assert await ivan.receive_nothing(timeout=0.3)  # connected, not a recipient
        assert await maria.receive_nothing(timeout=0.1)  # once
        for ws in (maria, petar_ws, ivan):
            await ws.disconnect()

    run(scenario)


def test_a_rolled_back_change_pushes_nothing_to_the_socket(user, other_user, channel_layer):
    key = session_key_for(other_user)

    def failing_change():
        with pytest.raises(RuntimeError), transaction.atomic():
            notification_send(recipient_ids=[other_user.pk], actor=user, kind="mention", target=None, text="x")
            raise RuntimeError

    async def scenario():
        ws, _ = await connected(key)
        await database_sync_to_async(failing_change)()
        assert await ws.receive_nothing(timeout=0.5)
        await ws.disconnect()

    run(scenario)
    assert Notification.objects.count() == 0


def test_a_burst_of_200_for_one_user_arrives_complete_and_in_order(user, other_user, channel_layer):
    key = session_key_for(other_user)

    def burst():
        # 200 separate changes (each its own transaction and push), as 200 requests would be.
        return [mention(recipients=[other_user], actor=user, text=f"Съобщение {i}")[0].pk for i in range(200)]

    async def scenario():
        ws, _ = await connected(key)
        sent_ids = await database_sync_to_async(burst)()
        received = []
        for _ in range(200):
            # Completeness and order are the point, not latency: each push re-checks the session
            # (two queries), so on a loaded two-core machine one frame may wait a few seconds.
            frame = await ws.receive_from(timeout=4 * TIMEOUT)
            received.append(ids_in(frame)[0])
        assert received == sent_ids
        assert sent_ids == sorted(sent_ids)
        assert 'data-count="200"' in frame
        assert await ws.receive_nothing(timeout=0.2)
        await ws.disconnect()

    run(scenario)


# --- untrusted frames -------------------------------------------------------------------------


def test_ping_gets_a_pong_with_its_nonce_escaped(user, channel_layer):
    key = session_key_for(user)

    async def scenario():
        ws, _ = await connected(key)
        await ws.send_to(text_data=json.dumps({"type": "ping", "nonce": 'abc"><script>'}))
        pong = await ws.receive_from(timeout=TIMEOUT)
        assert 'id="socket-pong"' in pong
        assert 'data-nonce="abc&quot;&gt;&lt;script&gt;"' in pong
        await ws.disconnect()

    run(scenario)


def test_malformed_and_oversized_frames_are_ignored_and_the_socket_lives_on(user, other_user, channel_layer):
    key = session_key_for(other_user)
    junk = [
        {"text_data": "not json"},
        {"text_data": "[1, 2, 3]"},
        {"text_data": '"a string"'},
        {"text_data": "null"},
        {"text_data": "{"},
        {"text_data": "[" * 3000 + "]" * 3000},  # too deep and too long
        {"text_data": "[" * 2000},  # too deep for the parser, within the size limit
        {"text_data": json.dumps({"type": "ping", "nonce": "x" * 10_000})},  # oversized
        {"text_data": json.dumps({"type": "ping", "nonce": {"nested": ["object"]}})},
        {"text_data": json.dumps({"type": "notification.push", "html": "<b>forged</b>"})},
        {"text_data": json.dumps({"type": "session.logout"})},
        {"text_data": json.dumps({"type": 12})},
        {"bytes_data": b"\x00\xff binary"},
        {"bytes_data": b"\x00" * 1_000_000},
        {"text_data": "\x00"},
        {"text_data": "x" * 1_000_000},
        {"text_data": json.dumps({"type": "ping", "nonce": "y"}) + " " * 1_000_000},  # a ping, but huge
    ]

    async def scenario():
        ws, _ = await connected(key)
        for frame in junk:
            await ws.send_to(**frame)
        # Only the ping with a nested nonce is answered (nonce dropped); nothing else comes back.
        pong = await ws.receive_from(timeout=TIMEOUT)
        assert 'data-nonce=""' in pong
        assert await ws.receive_nothing(timeout=0.3)
        # Still alive: pings are answered and pushes delivered.
        await ws.send_to(text_data=json.dumps({"type": "ping", "nonce": "still-here"}))
        assert 'data-nonce="still-here"' in await ws.receive_from(timeout=TIMEOUT)
        [row] = await database_sync_to_async(mention)(recipients=[other_user], actor=user)
        assert ids_in(await ws.receive_from(timeout=TIMEOUT)) == [row.pk, row.pk]
        await ws.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    "frame",
    [
        r'{"type": "ping", "nonce": "\ud800"}',  # a lone surrogate: no UTF-8 frame can echo it
        r'{"type": "ping", "nonce": "ok\udfff"}',
        r'{"type": "ping", "nonce": "ok", "extra": "\udc00"}',
        r'{"type": "ping\ud800"}',
        r'"\ud800"',
    ],
)
def test_a_lone_surrogate_frame_is_ignored_and_the_socket_lives_on(user, channel_layer, frame):
    key = session_key_for(user)

    async def scenario():
        ws, _ = await connected(key)
        await ws.send_to(text_data=frame)
        assert await ws.receive_nothing(timeout=0.3)
        await ws.send_to(text_data=json.dumps({"type": "ping", "nonce": "after"}))
        pong = await ws.receive_from(timeout=TIMEOUT)
        assert 'data-nonce="after"' in pong
        pong.encode()  # every frame sent is valid UTF-8
        await ws.disconnect()

    run(scenario)


# --- logout -----------------------------------------------------------------------------------


def test_logging_out_closes_that_sessions_sockets_and_later_the_flushed_ones(user, other_user, channel_layer):
    client_a, client_b, client_c = Client(), Client(), Client()
    for client in (client_a, client_b, client_c):
        client.force_login(user)
    key_a, key_b = client_a.session.session_key, client_b.session.session_key
    maria_key = session_key_for(other_user)

    async def expect_closed(ws):
        output = await ws.receive_output(timeout=TIMEOUT)
        assert output["type"] == "websocket.close", output
        assert output.get("code") == 4000

    async def scenario():
        a1, _ = await connected(key_a)
        a2, _ = await connected(key_a)
        b, _ = await connected(key_b)
        maria, _ = await connected(maria_key)

        await database_sync_to_async(client_a.post)("/accounts/logout/")

        await expect_closed(a1)
        await expect_closed(a2)
        assert await b.receive_nothing(timeout=0.3)  # another browser, still signed in
        assert await maria.receive_nothing(timeout=0.1)

        # Session b is flushed (an admin, say); the next logout of this user re-checks it.
        await database_sync_to_async(Session.objects.filter(session_key=key_b).delete)()
        await database_sync_to_async(client_c.post)("/accounts/logout/")
        await expect_closed(b)
        await maria.disconnect()

    run(scenario)


async def group_members(layer, group: str) -> set[str]:
    """The channel names in a group, read from the layer's own storage (in-memory or Redis)."""
    if hasattr(layer, "groups"):  # InMemoryChannelLayer
        return set(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    return {name.decode() for name in await connection.zrange(layer._group_key(group), 0, -1)}


def test_the_groups_are_left_on_disconnect(user, other_user, channel_layer):
    keys = session_key_for(user), session_key_for(other_user)
    groups = user_group_name(user.pk), BROADCAST_GROUP

    async def scenario():
        ivan, _ = await connected(keys[0])
        maria, _ = await connected(keys[1])
        assert len(await group_members(channel_layer, groups[0])) == 1
        assert len(await group_members(channel_layer, groups[1])) == 2
        await ivan.disconnect()
        assert await group_members(channel_layer, groups[0]) == set()
        assert len(await group_members(channel_layer, groups[1])) == 1  # Maria's socket only
        # A push after the socket is gone goes nowhere and raises nothing.
        await channel_layer.group_send(groups[0], {"type": "notification.push", "html": "<i></i>"})
        assert await maria.receive_nothing(timeout=0.1)
        await maria.disconnect()

    run(scenario)


# --- the session, checked again -----------------------------------------------------------------


def change_password(user, key):
    user.set_password("a-brand-new-password")
    user.save()


def delete_the_session(user, key):
    Session.objects.filter(session_key=key).delete()  # an admin, or "log out everywhere"


def expire_the_session(user, key):
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))


def deactivate(user, key):
    user.is_active = False
    user.save()


SIGN_OUTS = [
    pytest.param(change_password, id="password changed"),
    pytest.param(delete_the_session, id="session deleted"),
    pytest.param(expire_the_session, id="session expired"),
    pytest.param(deactivate, id="user deactivated"),
]


async def expect_closed(ws, code=CLOSE_LOGGED_OUT):
    """The next thing the socket does is to close: no frame before it."""
    output = await ws.receive_output(timeout=TIMEOUT)
    assert output == {"type": "websocket.close", "code": code}


@pytest.mark.parametrize("sign_out", SIGN_OUTS)
def test_a_push_after_the_session_stopped_signing_in_is_not_sent_and_the_socket_closes(
    user, other_user, channel_layer, sign_out
):
    key = session_key_for(other_user)

    async def scenario():
        ws, _ = await connected(key)
        [delivered] = await database_sync_to_async(mention)(recipients=[other_user], actor=user)
        assert ids_in(await ws.receive_from(timeout=TIMEOUT)) == [delivered.pk, delivered.pk]

        await database_sync_to_async(sign_out)(other_user, key)
        await database_sync_to_async(mention)(recipients=[other_user], actor=user, text="Тайна оферта")
        await expect_closed(ws)
        await ws.disconnect()

    run(scenario)


@pytest.mark.parametrize("sign_out", SIGN_OUTS)
def test_an_idle_socket_closes_at_the_periodic_check(user, channel_layer, settings, sign_out):
    settings.WEBSOCKET_SESSION_CHECK_SECONDS = 0.2
    key = session_key_for(user)

    async def scenario():
        ws, _ = await connected(key)
        assert await ws.receive_nothing(timeout=0.7)  # checked three times: still signed in
        await database_sync_to_async(sign_out)(user, key)
        await expect_closed(ws)
        await ws.disconnect()

    run(scenario)


def test_a_broadcast_closes_only_the_signed_out_recipients_socket(user, other_user, petar, channel_layer, monkeypatch):
    from accounts.tests.factories import UserFactory

    monkeypatch.setattr("notifications.services.BROADCAST_MIN_RECIPIENTS", 2)
    keys = session_key_for(other_user), session_key_for(petar), session_key_for(user)

    async def scenario():
        maria, _ = await connected(keys[0])
        petar_ws, _ = await connected(keys[1])
        ivan, _ = await connected(keys[2])  # not a recipient: his socket reads nothing
        await database_sync_to_async(deactivate)(petar, keys[1])

        crowd = await database_sync_to_async(UserFactory.create_batch)(2)
        rows = await database_sync_to_async(mention)(recipients=[other_user, petar, *crowd], actor=user)
        maria_id = next(row.pk for row in rows if row.recipient_id == other_user.pk)

        assert ids_in(await maria.receive_from(timeout=TIMEOUT)) == [maria_id, maria_id]
        await expect_closed(petar_ws)
        assert await ivan.receive_nothing(timeout=0.2)
        for ws in (maria, petar_ws, ivan):
            await ws.disconnect()

    run(scenario)


def test_a_session_that_cannot_be_checked_sends_nothing_and_closes_for_a_reconnect(
    user, other_user, channel_layer, monkeypatch
):
    key = session_key_for(other_user)

    def database_down(**kwargs):
        raise OperationalError("connection refused")

    async def scenario():
        ws, _ = await connected(key)
        monkeypatch.setattr("notifications.consumers.session_user_id", database_down)
        await database_sync_to_async(mention)(recipients=[other_user], actor=user)
        await expect_closed(ws, code=1011)  # htmx's ws extension reconnects after 1011
        await ws.disconnect()

    run(scenario)
