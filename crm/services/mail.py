"""The outgoing e-mail of a communication: queued with the save, sent by a job after commit,
retried, marked failed (by the mail server's answer or by a bounce).

States (``Communication.mail_status``): "" (never sent by the CRM) → queued → sending → sent,
or → failed. A temporary failure (a 4xx answer, no connection) goes back to queued with a later
``mail_next_attempt_at`` (settings.MAIL_RETRY_DELAYS_SECONDS), then failed when the delays are
used up; a permanent one (5xx) is failed at once. Failed mail goes out again only by the user's
retry (``communication_email_retry``).

Sending is idempotent: ``communication_email_send`` first claims the row (queued → sending in
one UPDATE); a second run, a second worker or a stale job finds nothing to claim and sends
nothing. The Message-ID is made when the mail is queued, so a retry of a mail that did arrive
after all carries the same id (the receiver, and our own filing, see one message).

The job is enqueued in one place, ``_enqueue_on_commit``: after the transaction commits, so a
rolled-back save sends nothing.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import selectors
from crm.mail import join_addresses, mail_message, new_message_id, parse_addresses
from crm.models import Communication

logger = logging.getLogger(__name__)

# The reason kept for the user is what the server said, cut to a readable length.
REASON_MAX = 2000


@dataclass(frozen=True)
class MailOrder:
    """What a form asks of an outgoing e-mail communication: send it (or not) to these addresses.
    Build it with ``mail_order_clean``."""

    to: tuple[str, ...]
    cc: tuple[str, ...] = ()


def mail_order_clean(*, send: bool, to: str, cc: str = "") -> MailOrder | None:
    """The form's ``send``, ``to`` and ``cc`` checked (messages on those fields); None: not sent."""
    if not send:
        return None
    errors = {}
    addresses: dict[str, list[str]] = {}
    for field, raw in (("to", to), ("cc", cc)):
        try:
            addresses[field] = parse_addresses(raw, field=field)
        except ValidationError as error:
            errors.update(error.error_dict)
    if "to" in addresses and not addresses["to"]:
        errors["to"] = [ValidationError(_("Enter the address to send the e-mail to."))]
    if errors:
        raise ValidationError(errors)
    return MailOrder(to=tuple(addresses["to"]), cc=tuple(addresses["cc"]))


def check_sendable(*, direction: str, channel: str, mail_status: str = "") -> None:
    """Only an outgoing e-mail is sent, and only once (a failed one may be sent again)."""
    if direction != Communication.Direction.OUT or channel != Communication.Channel.EMAIL:
        raise ValidationError({"send": _("Only an outgoing e-mail can be sent.")})
    if mail_status in (Communication.MailStatus.QUEUED, Communication.MailStatus.SENDING):
        raise ValidationError({"send": _("This e-mail is already on its way.")})
    if mail_status == Communication.MailStatus.SENT:
        raise ValidationError({"send": _("This e-mail was sent already.")})


def mail_queue(*, communication: Communication, order: MailOrder) -> None:
    """In the caller's transaction: the communication's mail queued for ``order``'s addresses, a
    Message-ID given (kept if it has one: a resend is the same message), the job enqueued on commit."""
    communication.mail_status = Communication.MailStatus.QUEUED
    communication.mail_to = join_addresses(order.to)
    communication.mail_cc = join_addresses(order.cc)
    communication.mail_error = ""
    communication.mail_attempts = 0
    communication.mail_next_attempt_at = timezone.now()
    communication.message_id = communication.message_id or new_message_id()
    communication.save(
        update_fields=[
            "mail_status",
            "mail_to",
            "mail_cc",
            "mail_error",
            "mail_attempts",
            "mail_next_attempt_at",
            "message_id",
        ]
    )
    _enqueue_on_commit(communication.pk)


def _enqueue_on_commit(communication_id: int) -> None:
    """The one place a send is scheduled. The queued row is the queue: ``mail_send_due`` (run by
    the job runner's due pass) sends it even if this enqueue is lost."""
    transaction.on_commit(lambda: _enqueue(communication_id))


def _enqueue(communication_id: int) -> None:
    # Until the job runner is merged, the due pass (mail_send_due) is what sends: nothing to do
    # here but leave the row queued and due now.
    logger.debug("mail of communication %s queued", communication_id)


def communication_email_retry(*, communication: Communication, actor) -> Communication:
    """The Retry button: a failed mail queued again, same addresses and Message-ID."""
    with transaction.atomic():
        locked = Communication.objects.select_for_update().get(pk=communication.pk)
        if locked.mail_status != Communication.MailStatus.FAILED:
            raise ValidationError(_("Only an e-mail that failed can be sent again."))
        order = MailOrder(
            to=tuple(parse_addresses(locked.mail_to, field="to")),
            cc=tuple(parse_addresses(locked.mail_cc, field="cc")),
        )
        mail_queue(communication=locked, order=order)
    return locked


def communication_email_mark_failed(*, communication: Communication, reason: str) -> None:
    """A communication's mail marked failed with ``reason`` (a bounce that answers it, whatever
    its state: the server took it, the recipient's did not)."""
    Communication.objects.filter(pk=communication.pk).exclude(mail_status="").update(
        mail_status=Communication.MailStatus.FAILED, mail_error=reason[:REASON_MAX], mail_next_attempt_at=None
    )


# --- the job -------------------------------------------------------------------------------------


class _Temporary(Exception):
    """A failure worth trying again later (4xx, no connection)."""


class _Permanent(Exception):
    """A failure that will not pass by itself (5xx, a missing file)."""


def _server_reason(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {text}".strip()


def _classify(error: Exception) -> Exception:
    """The SMTP client's exception as temporary or permanent, with the server's words."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = list(error.recipients.items())
        reason = "; ".join(f"{address}: {_server_reason(code, text)}" for address, (code, text) in answers)
        permanent = all(code >= 500 for _address, (code, _text) in answers)
        return (_Permanent if permanent else _Temporary)(reason)
    if isinstance(error, smtplib.SMTPResponseException):
        reason = _server_reason(error.smtp_code, error.smtp_error)
        return (_Permanent if 500 <= error.smtp_code < 600 else _Temporary)(reason)
    # No connection, a dropped one, a timeout, TLS: the server may be back later.
    return _Temporary(f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)


def _claim(communication_id: int, now: datetime) -> bool:
    """queued → sending, by one UPDATE: only one run ever sends a given attempt."""
    return bool(
        Communication.objects.filter(pk=communication_id, mail_status=Communication.MailStatus.QUEUED).update(
            mail_status=Communication.MailStatus.SENDING,
            mail_attempts=F("mail_attempts") + 1,
            mail_attempted_at=now,
        )
    )


def _record(communication_id: int, **fields) -> None:
    Communication.objects.filter(pk=communication_id, mail_status=Communication.MailStatus.SENDING).update(**fields)


def communication_email_send(*, communication_id: int) -> str:
    """The job: send the communication's queued mail once. Returns the state it left (sent,
    queued again after a temporary failure, failed), or "" when there was nothing to send (not
    queued: sent, being sent, failed or never asked) — running it twice sends once."""
    now = timezone.now()
    if not _claim(communication_id, now):
        return ""
    communication = Communication.objects.select_related("thread", "author").get(pk=communication_id)
    try:
        try:
            message = mail_message(
                communication,
                attachments=selectors.communication_attachments(communication=communication),
                references=selectors.thread_mail_references(communication=communication),
                connection=get_connection(fail_silently=False),
            )
        except (OSError, ValidationError) as error:  # a stored file gone, addresses no longer valid
            raise _Permanent(_("The e-mail could not be put together: %(error)s") % {"error": error}) from error
        try:
            message.send(fail_silently=False)
        except (smtplib.SMTPException, OSError) as error:
            raise _classify(error) from error
    except _Permanent as failure:
        _record(communication_id, mail_status="failed", mail_error=str(failure)[:REASON_MAX], mail_next_attempt_at=None)
        return Communication.MailStatus.FAILED
    except _Temporary as failure:
        return _retry_later(communication_id, attempts=communication.mail_attempts, reason=str(failure), now=now)
    _record(communication_id, mail_status="sent", mail_error="", mail_sent_at=timezone.now(), mail_next_attempt_at=None)
    return Communication.MailStatus.SENT


def _retry_later(communication_id: int, *, attempts: int, reason: str, now: datetime) -> str:
    delays = settings.MAIL_RETRY_DELAYS_SECONDS
    if attempts > len(delays):
        text = _("Gave up after %(count)s attempts. Last answer: %(reason)s") % {"count": attempts, "reason": reason}
        _record(communication_id, mail_status="failed", mail_error=text[:REASON_MAX], mail_next_attempt_at=None)
        return Communication.MailStatus.FAILED
    _record(
        communication_id,
        mail_status="queued",
        mail_error=reason[:REASON_MAX],
        mail_next_attempt_at=now + timedelta(seconds=delays[attempts - 1]),
    )
    return Communication.MailStatus.QUEUED


def mail_send_due(*, now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """One pass over the mail that is due (the job runner's due pass, and tests): each queued mail
    whose time has come is sent (communication_email_send); a mail claimed so long ago that its
    worker must be gone is marked failed, never sent again on its own. What happened, counted."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.MAIL_SENDING_STALE_SECONDS)
    stale = Communication.objects.filter(
        mail_status=Communication.MailStatus.SENDING, mail_attempted_at__lt=stale_before
    ).update(
        mail_status=Communication.MailStatus.FAILED,
        mail_error=_("Sending was interrupted; the e-mail may or may not have gone out."),
        mail_next_attempt_at=None,
    )
    due = list(
        Communication.objects.filter(mail_status=Communication.MailStatus.QUEUED, mail_next_attempt_at__lte=now)
        .order_by("mail_next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes = {"sent": 0, "queued": 0, "failed": 0, "interrupted": stale}
    for communication_id in due:
        outcome = communication_email_send(communication_id=communication_id)
        if outcome:
            outcomes[outcome] += 1
    return outcomes
