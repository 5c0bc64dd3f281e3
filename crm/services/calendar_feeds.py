"""The personal iCalendar feed's secret: made or replaced on the user's request."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from crm.models import CalendarFeed


@transaction.atomic
def calendar_feed_regenerate(*, user) -> CalendarFeed:
    """A new secret for ``user``'s feed (a fresh random nonce, 256 bits), replacing any earlier
    one: the old address stops working at once (crm.board_selectors.calendar_feed_token)."""
    feed, _created = CalendarFeed.objects.update_or_create(
        user=user, defaults={"nonce": secrets.token_urlsafe(32), "created_at": timezone.now()}
    )
    return feed
