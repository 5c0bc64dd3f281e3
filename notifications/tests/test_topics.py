"""Topics over the real ASGI application: a socket joins the topic its URL asks for only if the
topic's rule lets its user see it, and the rule is asked again before every push it forwards;
each reader gets the push in their language."""

import pytest
from asgiref.sync import async_to_sync
from django.db import transaction
from django.utils.translation import gettext

from notifications import topics
from notifications.services import topic_push_on_commit
from notifications.tests.ws import WS_PATH, communicator, session_key_for

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 3
KEY = "probe"


@pytest.fixture
def allowed():
    """Which (user id, object id) pairs the probe topic lets listen: changed by the tests."""
    pairs: set[tuple[int, int]] = set()
    topics.register(key=KEY, can_view=lambda user, pk: (user.pk, pk) in pairs)
    yield pairs
    topics.unregister(KEY)


def push(pk: int, text: str = "live") -> None:
    with transaction.atomic():
        # "Someone" is in the project's catalog: "Някой" in Bulgarian.
        topic_push_on_commit(key=KEY, pk=pk, render=lambda: f'<div id="probe">{text} {gettext("Someone")}</div>')


async def connected(key, path):
    ws = communicator(session_key=key, path=path)
    ok, _ = await ws.connect(timeout=TIMEOUT)
    assert ok
    await ws.receive_from(timeout=TIMEOUT)  # the bell's catch-up
    return ws


def test_a_socket_hears_its_topic_in_its_reader_language(user, other_user, allowed, channel_layer):
    allowed.update({(user.pk, 7), (other_user.pk, 7)})
    other_user.language = "en"
    other_user.save()
    ivan, maria = session_key_for(user), session_key_for(other_user)

    async def scenario():
        ws_bg = await connected(ivan, f"{WS_PATH}?topic={KEY}:7")
        ws_en = await connected(maria, f"{WS_PATH}?topic={KEY}:7")
        elsewhere = await connected(ivan, f"{WS_PATH}?topic={KEY}:8")
        await async_to_sync_in_thread(lambda: push(7))
        assert await ws_bg.receive_from(timeout=TIMEOUT) == '<div id="probe">live Някой</div>'
        assert await ws_en.receive_from(timeout=TIMEOUT) == '<div id="probe">live Someone</div>'
        assert await elsewhere.receive_nothing(timeout=0.3)
        for ws in (ws_bg, ws_en, elsewhere):
            await ws.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("topic", ["probe:9", "probe:0", "probe:-1", "nothing:7", "probe:7:8", "probe", "x" * 5000])
def test_a_forbidden_unknown_or_malformed_topic_is_not_joined_and_the_bell_still_works(
    user, allowed, channel_layer, topic
):
    allowed.add((user.pk, 7))  # 9 is not allowed
    key = session_key_for(user)

    async def scenario():
        ws = await connected(key, f"{WS_PATH}?topic={topic}")
        await async_to_sync_in_thread(lambda: (push(9), push(7)))
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    async_to_sync(scenario)()


def test_access_is_asked_again_before_each_push(user, allowed, channel_layer):
    allowed.add((user.pk, 7))
    key = session_key_for(user)

    async def scenario():
        ws = await connected(key, f"{WS_PATH}?topic={KEY}:7")
        await async_to_sync_in_thread(lambda: push(7, "first"))
        assert "first" in await ws.receive_from(timeout=TIMEOUT)
        allowed.clear()  # access taken away while the socket stays open
        await async_to_sync_in_thread(lambda: push(7, "second"))
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    async_to_sync(scenario)()


def test_a_rolled_back_write_pushes_nothing(user, allowed, channel_layer):
    allowed.add((user.pk, 7))
    key = session_key_for(user)

    def rolled_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            topic_push_on_commit(key=KEY, pk=7, render=lambda: "never")
            raise RuntimeError

    async def scenario():
        ws = await connected(key, f"{WS_PATH}?topic={KEY}:7")
        await async_to_sync_in_thread(rolled_back)
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    async_to_sync(scenario)()


def test_a_topic_nobody_listens_to_is_not_rendered(user, allowed, channel_layer, settings):
    """No page open on it (before any joins, another object's, after the last one left): the
    push renders nothing (no queries, no templates); with one open, once per language."""
    allowed.add((user.pk, 7))
    key = session_key_for(user)
    rendered = []

    def push_counted(pk: int) -> None:
        with transaction.atomic():
            topic_push_on_commit(key=KEY, pk=pk, render=lambda: rendered.append(pk) or "<p>live</p>")

    async def scenario():
        await async_to_sync_in_thread(lambda: push_counted(7))
        ws = await connected(key, f"{WS_PATH}?topic={KEY}:7")
        await async_to_sync_in_thread(lambda: (push_counted(8), push_counted(7)))
        assert await ws.receive_from(timeout=TIMEOUT) == "<p>live</p>"
        await ws.disconnect()
        await async_to_sync_in_thread(lambda: push_counted(7))

    async_to_sync(scenario)()
    assert rendered == [7] * len(settings.LANGUAGES)


async def async_to_sync_in_thread(function):
    """Run sync code (ORM, on_commit pushes) off the event loop, as a request would."""
    from channels.db import database_sync_to_async

    return await database_sync_to_async(function)()
