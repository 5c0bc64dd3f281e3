import pytest
from asgiref.sync import async_to_sync


@pytest.fixture
def petar(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(username="petar", first_name="Петър", last_name="Георгиев")


@pytest.fixture
def sent(monkeypatch):
    """What notifications.services hands the channel layer: a list of (group, event)."""
    calls = []

    class RecordingLayer:
        async def group_send(self, group, message):
            calls.append((group, message))

    monkeypatch.setattr("notifications.services.get_channel_layer", lambda: RecordingLayer())
    return calls


@pytest.fixture
def channel_layer():
    """The configured layer (in-memory, or Redis with this run's prefix), emptied before the test."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    async_to_sync(layer.flush)()
    yield layer
    async_to_sync(layer.flush)()
