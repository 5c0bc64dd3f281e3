"""Who hears of what, and how: per user and kind, in the app / e-mail at once / daily digest / off.

``delivery_plan`` is what ``notification_send`` asks before it writes rows (one query for all
recipients): "off" drops the recipient, "email" and "digest" set when the row is mailed if it
is still unread then (notifications/mailing.py)."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.models import DEFAULT_CHANNEL, Channel, DeliverySettings, Notification, Preference

DEFAULT_DIGEST_TIME = datetime.time(8, 0)
SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")


def next_digest_at(*, digest_time: datetime.time, now: datetime.datetime) -> datetime.datetime:
    """The next moment after ``now`` the clock in Sofia shows ``digest_time`` (DST-aware)."""
    local = now.astimezone(SOFIA)
    candidate = datetime.datetime.combine(local.date(), digest_time, tzinfo=SOFIA)
    if candidate <= local:
        candidate = datetime.datetime.combine(local.date() + datetime.timedelta(days=1), digest_time, tzinfo=SOFIA)
    return candidate.astimezone(datetime.UTC)


def mail_due_for(
    *, channel: str, digest_time: datetime.time | None, now: datetime.datetime
) -> datetime.datetime | None:
    if channel == Channel.EMAIL:
        return now + datetime.timedelta(minutes=settings.NOTIFY_EMAIL_DELAY_MINUTES)
    if channel == Channel.DIGEST:
        return next_digest_at(digest_time=digest_time or DEFAULT_DIGEST_TIME, now=now)
    return None


def delivery_plan(*, user_ids: Iterable[int], kind: str, now: datetime.datetime) -> dict[int, datetime.datetime | None]:
    """For each recipient not "off" for ``kind``: when its row is mailed (None: app only). One query."""
    user_ids = list(user_ids)
    chosen = {
        user_id: (channel, digest_time)
        for user_id, channel, digest_time in Preference.objects.filter(user_id__in=user_ids, kind=kind).values_list(
            "user_id", "channel", "user__notification_delivery__digest_time"
        )
    }
    plan = {}
    for user_id in user_ids:
        channel, digest_time = chosen.get(user_id, (DEFAULT_CHANNEL, None))
        if channel != Channel.OFF:
            plan[user_id] = mail_due_for(channel=channel, digest_time=digest_time, now=now)
    return plan


def preferences_for(*, user) -> tuple[dict[str, str], datetime.time]:
    """The user's channel per kind (kinds without a row: DEFAULT_CHANNEL) and digest time."""
    channels = dict(Preference.objects.filter(user=user).values_list("kind", "channel"))
    digest = DeliverySettings.objects.filter(user=user).values_list("digest_time", flat=True).first()
    return channels, digest or DEFAULT_DIGEST_TIME


@transaction.atomic
def preferences_set(*, user, channels: dict[str, str], digest_time: datetime.time) -> None:
    """Save the user's choices. Unread rows still waiting for a mail follow them: a kind moved
    to the app or off is not mailed any more, a new digest time moves the pending digest."""
    now = timezone.now()
    DeliverySettings.objects.update_or_create(user=user, defaults={"digest_time": digest_time})
    existing = dict(Preference.objects.filter(user=user).values_list("kind", "channel"))
    for kind, channel in channels.items():
        if existing.get(kind, DEFAULT_CHANNEL) == channel:
            continue
        Preference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})
        pending = Notification.objects.filter(
            recipient=user, kind=kind, read_at__isnull=True, mail_due_at__isnull=False
        )
        pending.update(mail_due_at=mail_due_for(channel=channel, digest_time=digest_time, now=now))
    digest_kinds = [kind for kind, channel in {**existing, **channels}.items() if channel == Channel.DIGEST]
    Notification.objects.filter(
        recipient=user, kind__in=digest_kinds, read_at__isnull=True, mail_due_at__isnull=False
    ).update(mail_due_at=next_digest_at(digest_time=digest_time, now=now))


@transaction.atomic
def preference_unsubscribe(*, user_id: int, kinds: Iterable[str]) -> None:
    """E-mail no more for ``kinds`` (the unsubscribe link): they stay in the app."""
    for kind in kinds:
        Preference.objects.update_or_create(user_id=user_id, kind=kind, defaults={"channel": Channel.APP})
        Notification.objects.filter(recipient_id=user_id, kind=kind, mail_due_at__isnull=False).update(mail_due_at=None)
