"""Notifications are rows first (the source of truth), pushed second.

Rows are written in the caller's transaction; the push to each recipient's open pages is
queued with ``transaction.on_commit``, so a rolled-back change notifies no one, and a push
that fails (Redis down) loses nothing: the bell catches up from the database.
"""

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.template.loader import render_to_string

from notifications.groups import user_group_name
from notifications.models import Notification
from notifications.selectors import notification_unread_counts

logger = logging.getLogger(__name__)


def notification_send(
    *, recipient_ids: Iterable[int], actor, kind: str, target, text: str, url: str = ""
) -> list[Notification]:
    """One row per recipient (bulk), then a push to each after commit. Never the actor."""
    actor_id = getattr(actor, "pk", None)
    recipients = sorted({pk for pk in recipient_ids if pk is not None and pk != actor_id})
    if not recipients:
        return []
    target_type = ContentType.objects.get_for_model(target) if target is not None else None
    rows = Notification.objects.bulk_create(
        Notification(
            recipient_id=pk,
            actor_id=actor_id,
            kind=kind,
            target_type=target_type,
            target_id=getattr(target, "pk", None),
            text=text[:500],
            url=url,
        )
        for pk in recipients
    )
    transaction.on_commit(lambda: notification_push(recipient_ids=recipients))
    return rows


def notification_push(*, recipient_ids: list[int]) -> None:
    """Tell each recipient's open pages. Failures are logged, never raised: the rows are saved."""
    try:
        layer = get_channel_layer()
        counts = notification_unread_counts(user_ids=recipient_ids)
        for pk in recipient_ids:
            html = render_to_string("notifications/_bell_count.html", {"unread_notification_count": counts.get(pk, 0)})
            async_to_sync(layer.group_send)(user_group_name(pk), {"type": "notification.push", "html": html})
    except Exception:  # Redis down, layer full, …: the bell catches up from the database.
        logger.warning("notification push failed", exc_info=True)
