"""Outbound e-mail through the job runner: queue a rendered message as a row, send it once.

    from jobs.mail import mail_queue
    mail_queue(to="a@b.bg", subject=..., text=..., html=..., headers={...}, recipient=user)

``mail_queue`` writes the row in the caller's transaction and, after commit, queues the
``mail_send`` job; the outbox due pass sends whatever a job did not (a worker that was down).
Sending claims the row first (compare-and-set on ``claimed_at``), so two workers never both send
it; a claim older than JOBS_STALE_AFTER_SECONDS is a dead worker's and may be taken again. The
connection is Django's EMAIL_BACKEND, set from EMAIL_URL (config/env.py ``email_from_url``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.db.models import F, Q
from django.utils import timezone

from jobs.models import OutgoingMail
from jobs.runner import enqueue_on_commit, job

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
RETRY_AFTER = timedelta(minutes=5)


def mail_queue(
    *, to: str, subject: str, text: str, html: str = "", headers: dict | None = None, recipient=None
) -> OutgoingMail:
    domain = settings.MAIL_FROM.rsplit("@", 1)[-1].strip(" >") or "localhost"
    mail = OutgoingMail.objects.create(
        to=to,
        recipient=recipient,
        subject=subject.replace("\r", " ").replace("\n", " ")[:255],
        text=text,
        html=html,
        headers=headers or {},
        message_id=make_msgid(domain=domain),
        due_at=timezone.now(),
    )
    enqueue_on_commit(mail_send, mail_id=mail.pk)
    return mail


def _claim(*, mail_id: int, now: datetime) -> bool:
    stale = now - timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)
    return bool(
        OutgoingMail.objects.filter(pk=mail_id, sent_at__isnull=True, due_at__isnull=False, due_at__lte=now)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )


def _message(mail: OutgoingMail, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.text,
        from_email=settings.MAIL_FROM,
        to=[mail.to],
        headers={**mail.headers, "Message-ID": mail.message_id},
        connection=connection,
    )
    if mail.html:
        message.attach_alternative(mail.html, "text/html")
    return message


def mail_send_now(*, mail_id: int, connection=None) -> bool:
    """Send one queued message if nobody has (True if this call sent it)."""
    now = timezone.now()
    if not _claim(mail_id=mail_id, now=now):
        return False
    mail = OutgoingMail.objects.get(pk=mail_id)
    try:
        _message(mail, connection or get_connection()).send()
    except Exception as error:
        # Given back for a later pass (or given up after MAX_ATTEMPTS), never lost silently.
        give_up = mail.attempts >= MAX_ATTEMPTS
        OutgoingMail.objects.filter(pk=mail_id).update(
            claimed_at=None, due_at=None if give_up else now + RETRY_AFTER, last_error=repr(error)[:2000]
        )
        logger.warning("sending mail %s failed (attempt %d)", mail_id, mail.attempts, exc_info=True)
        return False
    OutgoingMail.objects.filter(pk=mail_id).update(sent_at=timezone.now(), due_at=None)
    return True


@job(retries=0)
def mail_send(*, mail_id: int) -> bool:
    return mail_send_now(mail_id=mail_id)


def outbox_pass(*, now: datetime) -> int:
    """Send every message due and not being sent (one query when there is none)."""
    stale = now - timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)
    due = list(
        OutgoingMail.objects.filter(due_at__lte=now, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .order_by("due_at")
        .values_list("pk", flat=True)[: settings.JOBS_BATCH_SIZE]
    )
    if not due:
        return 0
    sent = 0
    with get_connection() as connection:  # one SMTP session for the batch
        for mail_id in due:
            sent += mail_send_now(mail_id=mail_id, connection=connection)
    return sent
