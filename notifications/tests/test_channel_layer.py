"""The production channel layer's configuration (config.env.redis_channel_layer)."""

from channels_redis.core import RedisChannelLayer

from config.env import redis_channel_layer


def test_consumers_do_not_time_out_while_waiting_for_messages():
    """redis-py 8 reads with a 5 s socket timeout by default; channels_redis waits for messages
    with a blocking BZPOPMIN of 5 s. Unless the socket timeout is longer (or None), an idle
    consumer dies with TimeoutError and its browser reconnects (seen in `make bench`)."""
    config = redis_channel_layer("redis://127.0.0.1:6379/3", "crm-x")
    layer = RedisChannelLayer(**config["CONFIG"])
    for host in layer.hosts:
        timeout = host.get("socket_timeout", 5.0)
        assert timeout is None or timeout > layer.brpop_timeout + 1, host
    assert layer.prefix == "crm-x"
    assert layer.capacity >= 1000
