"""Reads. ``user`` may be a user or a user id."""

import time
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model, load_backend
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet, Subquery
from django.utils.crypto import constant_time_compare

from config.compiled import CompiledQuery
from notifications.models import Notification

# How many notifications the bell's dropdown shows.
LATEST_LIMIT = 8


def bell_version() -> str:
    """When a bell count was read (seconds, µs precision). The page keeps the count with the
    newest version, so a push delayed behind a later one (two processes) cannot roll it back."""
    return f"{time.time():.6f}"


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_list(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    """Newest first. Rows carry their text (actor and object included), so no joins are needed."""
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def notification_latest(*, user, limit: int = LATEST_LIMIT) -> list[Notification]:
    return list(notification_list(user=user)[:limit])


def _bell_queryset(user_id: int, limit: int = LATEST_LIMIT) -> QuerySet[Notification]:
    unread = (
        Notification.objects.filter(recipient_id=user_id, read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return notification_list(user=user_id).annotate(unread_total=Subquery(unread))[:limit]


# Every page's bell runs it: compiled once (building and compiling it cost more than running it).
_BELL = CompiledQuery(_bell_queryset)


def notification_bell(*, user) -> tuple[int, list[Notification]]:
    """The bell of a page: the unread count and the latest rows, in one query (the count rides
    on each row as a scalar subquery; a user without notifications has no unread ones either)."""
    rows = _BELL.run(getattr(user, "pk", user))
    return (rows[0].unread_total or 0) if rows else 0, rows


def notification_unread_counts(*, user_ids: list[int]) -> dict[int, int]:
    """Unread counts of many users in one query."""
    rows = (
        Notification.objects.filter(recipient_id__in=user_ids, read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("id"))
        .values_list("recipient_id", "n")
    )
    return dict(rows)


def notification_get_for_user(*, user, pk) -> Notification:
    """The user's own notification; Notification.DoesNotExist for anyone else's (a 404 in views)."""
    return Notification.objects.get(recipient=user, pk=pk)


def session_user_id(*, session_key: str):
    """The id of the user this session still signs in, or None — decided as
    django.contrib.auth.get_user decides for a page: the session exists and has not expired, it
    names a configured backend that still returns the user (ModelBackend: an active user), and
    its auth hash matches the user's current password (SECRET_KEY or a fallback).

    Read only, unlike get_user (which flushes a session that fails, or cycles its key): a socket
    has no response to carry a new cookie; the page's next request does that. Two queries.
    """
    if not session_key:
        return None
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key).load()
    try:
        user_id = get_user_model()._meta.pk.to_python(data[SESSION_KEY])
        backend_path = data[BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(user_id)
    if user is None:
        return None
    if hasattr(user, "get_session_auth_hash"):
        session_hash = data.get(HASH_SESSION_KEY)
        if not isinstance(session_hash, str) or not session_hash:
            return None
        hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
        if not any(constant_time_compare(session_hash, h) for h in hashes):
            return None
    return user.pk
