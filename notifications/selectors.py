from django.db.models import Count, QuerySet

from notifications.models import Notification


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_list(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user).select_related("actor")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def notification_latest(*, user, limit: int = 8) -> list[Notification]:
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
