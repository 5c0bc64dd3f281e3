"""The kinds of notification: each app registers the kinds it sends (in its ``AppConfig.ready``).

``notifications`` hard-codes none (``mentions`` registers ``mention``, the apps that assign work
``assignment``).
A kind has a ``label`` (the toast's title, the list's badge) and a Bootstrap icon class.
``notification_send`` refuses a kind nobody registered; a stored row whose kind is no longer
registered still shows (its key as label, the bell icon)::

    kinds.register(key="assignment", label=_("Assignment"), icon="bi-person-check")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # fits Notification.kind (max_length=32)
DEFAULT_ICON = "bi-bell"
ICON_RE = re.compile(r"^bi-[a-z0-9-]{1,40}$")


@dataclass(frozen=True)
class Kind:
    key: str
    label: Any  # a lazy translation, rendered in the active language
    icon: str = DEFAULT_ICON


_kinds: dict[str, Kind] = {}


def register(*, key: str, label: Any, icon: str = DEFAULT_ICON) -> Kind:
    """Register (or replace) the kind ``key``. Replacing is allowed: tests and reloads do it."""
    if not KEY_RE.match(key):
        raise ImproperlyConfigured(f"notifications: bad kind {key!r} (lowercase letters, digits and _)")
    if not ICON_RE.match(icon):
        raise ImproperlyConfigured(f"notifications: icon of {key!r} must be a Bootstrap icon class, not {icon!r}")
    kind = Kind(key=key, label=label, icon=icon)
    _kinds[key] = kind
    return kind


def unregister(key: str) -> None:
    _kinds.pop(key, None)


def get(key: str) -> Kind | None:
    return _kinds.get(key)


def is_registered(key: str) -> bool:
    return key in _kinds


def label(key: str) -> str:
    kind = _kinds.get(key)
    return str(kind.label) if kind else key


def icon(key: str) -> str:
    kind = _kinds.get(key)
    return kind.icon if kind else DEFAULT_ICON


def registered() -> list[Kind]:
    return list(_kinds.values())
