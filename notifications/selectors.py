"""Reads. ``user`` may be a user or a user id."""

import time

from django.db.models import Count, QuerySet

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
