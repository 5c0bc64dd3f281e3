"""Notifications by e-mail: a row still unread at its ``mail_due_at`` (the recipient chose e-mail
at once — NOTIFY_EMAIL_DELAY_MINUTES after it was made — or a daily digest) is mailed, all of a
recipient's due rows in one message. Reading it first cleared ``mail_due_at``: never mailed.

The pass claims rows in one UPDATE (``mail_due_at`` cleared, ``mail_batch`` set to this pass's
token) in the same transaction that queues the message (jobs.mail): a crash before commit claims
nothing, a concurrent pass finds the rows already taken, so each row is mailed at most once and
none is lost. Messages are in the reader's language, plain text and HTML (every value escaped:
the text is the notification's own line, never an item's description), with absolute links
(SITE_URL), and a signed one-click unsubscribe (RFC 8058) for the kinds they carry.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jobs.mail import mail_queue
from jobs.runner import job
from notifications import kinds
from notifications.languages import user_language
from notifications.models import Notification

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def notification_text(notification: Notification) -> str:
    """The one line a notification says, in the active language (the reader's, set by the caller)."""
    return notification.display_text


def unsubscribe_token(*, user_id: int, kinds_: list[str]) -> str:
    return signing.dumps({"u": user_id, "k": sorted(set(kinds_))}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_parse(token: str) -> tuple[int, list[str]] | None:
    """(user id, kinds) of a link we signed, or None for anything else (tampered, garbage)."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user_id, kinds_ = int(data["u"]), [str(k) for k in data["k"]]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return user_id, kinds_


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _unsubscribe_url(*, user_id: int, kinds_: list[str]) -> str:
    return _absolute(reverse("notifications:unsubscribe", args=[unsubscribe_token(user_id=user_id, kinds_=kinds_)]))


def notifications_mail(*, recipient, notifications: list[Notification]) -> None:
    """Queue one message telling ``recipient`` of ``notifications`` (in their language)."""
    kinds_ = sorted({n.kind for n in notifications})
    with translation.override(user_language(recipient)):
        unsubscribe_all = _unsubscribe_url(user_id=recipient.pk, kinds_=kinds_)
        context = {
            "recipient": recipient,
            "items": [
                {
                    "text": notification_text(n),
                    "kind": kinds.label(n.kind),
                    "created_at": n.created_at,
                    "url": _absolute(reverse("notifications:open", args=[n.pk])),
                }
                for n in notifications
            ],
            "unsubscribes": [
                {
                    "kind": kinds.label(kind),
                    "url": _absolute(
                        reverse(
                            "notifications:unsubscribe", args=[unsubscribe_token(user_id=recipient.pk, kinds_=[kind])]
                        )
                    ),
                }
                for kind in kinds_
            ],
            "settings_url": _absolute(reverse("notifications:settings")),
            "list_url": _absolute(reverse("notifications:list")),
        }
        count = len(notifications)
        subject = ngettext("%(count)d unread notification", "%(count)d unread notifications", count) % {"count": count}
        mail_queue(
            to=recipient.email,
            recipient=recipient,
            subject=f"{_('CRM')}: {subject}",
            text=render_to_string("notifications/email/notifications.txt", context),
            html=render_to_string("notifications/email/notifications.html", context),
            headers={
                "List-Unsubscribe": f"<{unsubscribe_all}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Auto-Submitted": "auto-generated",
            },
        )


def email_pass(*, now: datetime) -> int:
    """Mail every unread notification due by ``now``, one message per recipient, a batch at a
    time. Idle: one indexed query. A batch: 3 queries plus one message row per recipient."""
    due_recipients = set(
        Notification.objects.filter(mail_due_at__lte=now, read_at__isnull=True)
        .order_by("mail_due_at")
        .values_list("recipient_id", flat=True)[: settings.JOBS_BATCH_SIZE]
    )
    if not due_recipients:
        return 0
    token = uuid.uuid4()
    with transaction.atomic():
        claimed = Notification.objects.filter(
            recipient_id__in=due_recipients, mail_due_at__lte=now, read_at__isnull=True
        ).update(mail_due_at=None, mail_batch=token)
        if not claimed:
            return 0
        by_recipient = defaultdict(list)
        for row in (
            Notification.objects.filter(mail_batch=token).select_related("recipient").order_by("created_at", "id")
        ):
            by_recipient[row.recipient_id].append(row)
        for rows in by_recipient.values():
            recipient = rows[0].recipient
            if recipient.email and recipient.is_active:
                notifications_mail(recipient=recipient, notifications=rows)
    return claimed


@job()
def email_pass_job() -> int:
    """The e-mail pass at once, queued when a notification is due for mail the moment it is made
    (NOTIFY_EMAIL_DELAY_MINUTES=0), instead of waiting for a worker's next due round."""
    return email_pass(now=timezone.now())
