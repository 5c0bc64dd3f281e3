"""The kinds of notification: each app registers the kinds it sends (in its ``AppConfig.ready``).

``notifications`` hard-codes none (``mentions`` registers ``mention``, the apps that assign work
``assignment``).
A kind has a ``label`` (the toast's title, the list's badge), a Bootstrap icon class and,
optionally, a ``render(params) -> str`` that makes the text from the parameters stored on the
row. It is called when the notification is shown (bell, list, push, e-mail), inside
``translation.override(<the reader's language>)``, so each reader sees their own language.
``notification_send`` refuses a kind nobody registered; a stored row whose kind is no longer
registered, or whose renderer fails on its parameters, still shows (its stored ``text``, made in
``settings.LANGUAGE_CODE`` when it was sent; its key as label, the bell icon)::

    def assignment_text(params):
        return _("%(actor)s assigned you %(number)s") % params

    kinds.register(key="assignment", label=_("Assignment"), icon="bi-person-check", render=assignment_text)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # fits Notification.kind (max_length=32)
DEFAULT_ICON = "bi-bell"
ICON_RE = re.compile(r"^bi-[a-z0-9-]{1,40}$")


@dataclass(frozen=True)
class Kind:
    key: str
    label: Any  # a lazy translation, rendered in the active language
    icon: str = DEFAULT_ICON
    # render(params) -> the text, in the active language; None: the stored text is shown.
    render: Callable[[Mapping[str, Any]], str] | None = None


_kinds: dict[str, Kind] = {}


def register(
    *, key: str, label: Any, icon: str = DEFAULT_ICON, render: Callable[[Mapping[str, Any]], str] | None = None
) -> Kind:
    """Register (or replace) the kind ``key``. Replacing is allowed: tests and reloads do it."""
    if not KEY_RE.match(key):
        raise ImproperlyConfigured(f"notifications: bad kind {key!r} (lowercase letters, digits and _)")
    if not ICON_RE.match(icon):
        raise ImproperlyConfigured(f"notifications: icon of {key!r} must be a Bootstrap icon class, not {icon!r}")
    if render is not None and not callable(render):
        raise ImproperlyConfigured(f"notifications: render of {key!r} must be callable")
    kind = Kind(key=key, label=label, icon=icon, render=render)
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


def render_text(key: str, params: Mapping[str, Any] | None, *, fallback: str) -> str:
    """The text of a notification of kind ``key`` in the active language: its renderer over
    ``params``, or ``fallback`` (the stored text) when there is no renderer or no parameters, or
    the renderer fails (a parameter missing from an old row): a notification always shows."""
    kind = _kinds.get(key)
    if kind is None or kind.render is None or not params:
        return fallback
    try:
        return str(kind.render(params))
    except Exception:
        logger.warning("rendering a %r notification failed; its stored text is shown", key, exc_info=True)
        return fallback
