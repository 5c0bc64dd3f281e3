"""The live thread page over the real ASGI application (channels' communicator): a socket opened
by a thread page (``?topic=thread:<pk>``) is sent others' new entries and changed cards as
out-of-band fragments for #timeline, in its reader's language; the bell hears its notification."""

import re

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from crm import services
from crm.models import Status
from crm.tests.factories import CounterpartyFactory
from notifications.tests.ws import WS_PATH, communicator, session_key_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_layer")]

TIMEOUT = 3


async def connected(key, path):
    ws = communicator(session_key=key, path=path)
    ok, _ = await ws.connect(timeout=TIMEOUT)
    assert ok
    await ws.receive_from(timeout=TIMEOUT)  # the bell's catch-up
    return ws


async def frames(ws, n):
    return [await ws.receive_from(timeout=TIMEOUT) for _ in range(n)]


def timeline_frame(received):
    [frame] = [f for f in received if 'hx-swap-oob="afterbegin:#timeline"' in f]
    return frame


@pytest.fixture
def empty_layer():
    """The configured layer (in-memory, or Redis with this run's prefix), emptied around the test."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    async_to_sync(layer.flush)()
    yield
    async_to_sync(layer.flush)()


@pytest.fixture
def thread(user):
    return services.thread_create(author=user, subject="Доставка на профили", counterparty=CounterpartyFactory())


def test_a_new_communication_reaches_the_open_thread_page_and_the_bell(user, other_user, thread):
    other_user.language = "en"
    other_user.save()
    services.thread_follow(thread=thread, user=other_user)
    maria = session_key_for(other_user)

    async def scenario():
        ws = await connected(maria, f"{WS_PATH}?topic=thread:{thread.pk}")
        communication = await database_sync_to_async(services.communication_create)(
            author=user,
            direction="in",
            channel="phone",
            subject="Обаждане за цени",
            thread=thread,
            counterparty=thread.counterparty,
        )
        received = await frames(ws, 2)  # the timeline entry and the notification, in either order
        live = timeline_frame(received)
        assert f'id="communication-{communication.pk}"' in live and "Обаждане за цени" in live
        assert "Incoming" in live and "Входящ" not in live  # her language
        [bell] = [f for f in received if f is not live]
        assert "added the communication" in bell and 'id="notification-bell-count"' in bell
        await ws.disconnect()

    async_to_sync(scenario)()


def test_a_status_change_sends_the_changed_card_and_its_event(user, other_user, thread):
    task = services.task_create(author=user, subject="Оферта", thread=thread, assignee=user)
    maria = session_key_for(other_user)  # no follower: the page shows the thread all the same

    async def scenario():
        ws = await connected(maria, f"{WS_PATH}?topic=thread:{thread.pk}")
        await database_sync_to_async(services.task_status_set)(task=task, actor=user, status=Status.DONE)
        [live] = await frames(ws, 1)
        assert f'id="task-{task.pk}"' in live and "Приключена" in live
        events = re.findall(r'id="event-(\d+)"', live)
        assert len(events) == 1 and 'data-event="status_changed"' in live
        assert live.index(f'id="event-{events[0]}"') < live.index(f'id="task-{task.pk}"')  # newest first
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    async_to_sync(scenario)()


def test_another_thread_page_and_a_plain_page_hear_nothing_of_it(user, other_user, thread):
    other = services.thread_create(author=user, subject="Друго")
    maria = session_key_for(other_user)

    async def scenario():
        elsewhere = await connected(maria, f"{WS_PATH}?topic=thread:{other.pk}")
        plain = await connected(maria, WS_PATH)
        missing = await connected(maria, f"{WS_PATH}?topic=thread:999999")
        await database_sync_to_async(services.task_create)(author=user, subject="Нова", thread=thread)
        for ws in (elsewhere, plain, missing):
            assert await ws.receive_nothing(timeout=0.3)
            await ws.disconnect()

    async_to_sync(scenario)()


def test_the_topic_rule_is_the_thread_page_rule(user, thread):
    """Who may listen (asked at connect and before each push; notifications/tests/test_topics.py)."""
    from django.contrib.auth.models import AnonymousUser

    from crm.live import thread_can_view

    assert thread_can_view(user, thread.pk)
    assert not thread_can_view(user, 999999)
    assert not thread_can_view(AnonymousUser(), thread.pk)
    user.is_active = False
    assert not thread_can_view(user, thread.pk)
