import pytest
from asgiref.sync import async_to_sync


@pytest.fixture
def channel_layer():
    """The configured layer (in-memory, or Redis with this run's prefix), emptied before the test."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    async_to_sync(layer.flush)()
    yield layer
    async_to_sync(layer.flush)()
