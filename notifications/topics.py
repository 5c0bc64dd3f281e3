"""Topics: what else a page's socket may listen to besides its user's notifications — e.g. the
live timeline of the thread the page shows. ``notifications`` knows none: the app that owns the
object registers the topic with who may listen (in its ``AppConfig.ready``)::

    topics.register(key="thread", can_view=lambda user, pk: ...)  # True if ``user`` may see ``pk``

A page asks for one topic in the socket's URL (``/ws/notifications/?topic=thread:12``). The
consumer joins the topic's group only if ``can_view`` says so, and asks again before each push
it forwards (access can change while a socket stays open); ``can_view`` runs in a worker thread
and may query. Senders push with ``notifications.services.topic_push_on_commit``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
TOPIC_RE = re.compile(r"^([a-z][a-z0-9_]{0,31}):([1-9][0-9]{0,17})$")


@dataclass(frozen=True)
class Topic:
    key: str
    can_view: Callable[[Any, int], bool]


_topics: dict[str, Topic] = {}


def register(*, key: str, can_view: Callable[[Any, int], bool]) -> Topic:
    if not KEY_RE.match(key):
        raise ImproperlyConfigured(f"notifications: bad topic {key!r} (lowercase letters, digits and _)")
    topic = Topic(key=key, can_view=can_view)
    _topics[key] = topic
    return topic


def unregister(key: str) -> None:
    _topics.pop(key, None)


def get(key: str) -> Topic | None:
    return _topics.get(key)


def parse(raw: str | None) -> tuple[str, int] | None:
    """``"thread:12"`` → ("thread", 12) for a registered topic; anything else None."""
    match = TOPIC_RE.match(raw or "")
    if match is None or match.group(1) not in _topics:
        return None
    return match.group(1), int(match.group(2))


def group_name(key: str, pk: int) -> str:
    return f"notifications.topic.{key}.{int(pk)}"
