"""Filing a received e-mail (DESIGN.md "E-mail in and out of threads", the "In" half).

``mail_file(raw=…)`` is the one entry for every source (IMAP fetch, a provider's webhook, an
admin releasing a held message). In order: parse (crm.inbound.parse) → already filed? (same
Message-ID, with or without <>) → a bounce marks the e-mail it answers failed → an auto-reply is
dropped → the loop guard holds a flood from one sender → find the thread → link the sender →
create the incoming communication through the one write pipeline (its files through the upload
checks, who is told by crm.effects) — all in one transaction.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm import effects
from crm.inbound.parse import MailFile, ParsedMail, mail_parse
from crm.inputs import TEXT_MAX_LENGTH, validate_date_in_range
from crm.models import Communication, ContactPerson, Counterparty, HeldMail, MailBounce, Thread
from crm.selectors import thread_for_reply_address
from crm.services._pipeline import item_write
from crm.services.communications import COMMUNICATION
from crm.services.mail import communication_email_mark_failed
from crm.uploads import CheckedUpload, StoredFiles, upload_check
from notifications.services import notification_send

logger = logging.getLogger(__name__)

# The loop guard (DESIGN.md): more than this many messages from one sender in the window are held.
LOOP_LIMIT = 20
LOOP_WINDOW = timedelta(hours=2)
# Generous ceilings for what only the timeline's folded parts show.
QUOTED_MAX_CHARS = 200_000
HTML_MAX_CHARS = 500_000
MAIL_USERNAME = "mailbox"


class Outcome:
    FILED = "filed"
    DUPLICATE = "duplicate"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    HELD = "held"


@dataclass(frozen=True)
class Filing:
    outcome: str
    communication: Communication | None = None
    detail: str = ""

    def __str__(self) -> str:
        if self.communication is not None:
            return f"{self.outcome}: {self.communication.number} in {self.communication.thread.number} {self.detail}"
        return f"{self.outcome}: {self.detail}"


def mail_user():
    """The author of filed e-mail: a user that cannot log in (it is never told anything either,
    being the actor of every filing)."""
    user, created = get_user_model().objects.get_or_create(
        username=MAIL_USERNAME, defaults={"first_name": "Пощенска кутия", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _id_forms(ids) -> list[str]:
    """Each id as stored (with <>) and bare: clients and old rows disagree about the brackets."""
    forms: list[str] = []
    for value in ids:
        bare = value.strip().strip("<>")
        if bare:
            forms.extend([f"<{bare}>", bare])
    return forms


# --- the thread -------------------------------------------------------------------------------------


def _thread_by_references(parsed: ParsedMail) -> Thread | None:
    ids = list(parsed.in_reply_to) + list(reversed(parsed.references))
    if not ids:
        return None
    known = {
        c.message_id: c.thread
        for c in Communication.objects.filter(message_id__in=_id_forms(ids))
        .select_related("thread")
        .only("message_id", "thread")
    }
    for value in ids:  # In-Reply-To first, then the newest reference
        for form in _id_forms([value]):
            if form in known:
                return known[form]
    return None


def _number_pattern() -> re.Pattern:
    prefixes = [
        settings.NUMBER_PREFIX_THREAD,
        settings.NUMBER_PREFIX_INCOMING,
        settings.NUMBER_PREFIX_OUTGOING,
        settings.NUMBER_PREFIX_TASK,
    ]
    alternatives = "|".join(sorted((re.escape(p) for p in prefixes), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternatives})-(\d{{4}})-(\d{{1,10}})(?![\w-])", re.IGNORECASE)


def _thread_by_subject(subject: str) -> Thread | None:
    for match in _number_pattern().finditer(subject):
        prefix, year, serial = match.groups()
        number = f"{prefix.upper()}-{year}-{int(serial):05d}"
        if prefix.upper() == settings.NUMBER_PREFIX_THREAD.upper():
            thread = Thread.objects.filter(number=number).first()
        elif prefix.upper() == settings.NUMBER_PREFIX_TASK.upper():
            thread = Thread.objects.filter(tasks__number=number).first()
        else:
            thread = Thread.objects.filter(communications__number=number).first()
        if thread is not None:
            return thread
    return None


def reply_token_thread(recipients) -> Thread | None:
    """The thread a Reply-To token (signed, crm.mail.reply_address) in a recipient names, or None."""
    for address in recipients:
        thread = thread_for_reply_address(address)
        if thread is not None:
            return thread
    return None


def _thread_for(parsed: ParsedMail) -> Thread | None:
    return _thread_by_references(parsed) or _thread_by_subject(parsed.subject) or reply_token_thread(parsed.recipients)


def _thread_owner(thread: Thread | None):
    """The assignee of the thread's last communication, if still active (one query)."""
    if thread is None:
        return None
    last = (
        Communication.objects.filter(thread=thread)
        .select_related("assignee")
        .only("assignee")
        .order_by("-occurred_at", "-id")
        .first()
    )
    owner = last.assignee if last is not None else None
    return owner if owner is not None and owner.is_active else None


# --- the sender --------------------------------------------------------------------------------------


def _sender(parsed: ParsedMail) -> dict:
    address = parsed.from_address
    if address:
        contact = ContactPerson.objects.select_related("counterparty").filter(email__iexact=address).first()
        if contact is not None:
            return {"counterparty": contact.counterparty, "contact": contact}
        counterparty = Counterparty.objects.filter(email__iexact=address).first()
        if counterparty is not None:
            return {"counterparty": counterparty, "contact_name": parsed.from_name[:255]}
    name = (parsed.from_name or address or _("Unknown sender"))[:255]
    return {"counterparty_name": name}


# --- the text and files -------------------------------------------------------------------------------


def _checked_files(files: tuple[MailFile, ...]) -> tuple[list[CheckedUpload], list[str]]:
    """The files that pass the project's upload checks (and limits), and a note for each other."""
    accepted: list[CheckedUpload] = []
    notes: list[str] = []
    total = 0
    for mail_file in files:
        if not mail_file.content:
            continue
        if len(accepted) >= settings.ATTACHMENT_MAX_FILES:
            notes.append(_("“%(name)s”: too many files in one message.") % {"name": mail_file.name})
            continue
        if total + len(mail_file.content) > settings.ATTACHMENT_MAX_TOTAL_BYTES:
            notes.append(_("“%(name)s”: the message's files are too large together.") % {"name": mail_file.name})
            continue
        try:
            checked = upload_check(ContentFile(mail_file.content, name=mail_file.name))
        except ValidationError as error:
            notes.extend(error.messages)
            continue
        accepted.append(checked)
        total += checked.size
    return accepted, notes


def _description(parsed: ParsedMail, notes: list[str]) -> str:
    tail = ""
    if notes:
        tail = "\n\n" + _("Files not stored:") + "\n" + "\n".join(f"- {note}" for note in notes)
    room = TEXT_MAX_LENGTH - len(tail)
    text = parsed.text if len(parsed.text) <= room else parsed.text[: max(0, room - 1)] + "…"
    return (text + tail)[:TEXT_MAX_LENGTH]


def _occurred_at(parsed: ParsedMail, received_at: datetime) -> datetime:
    moment = parsed.date
    if moment is None or moment > received_at + timedelta(days=1):
        return received_at
    try:
        validate_date_in_range(moment)
    except ValidationError:
        return received_at
    return moment


# --- bounces and the loop guard ----------------------------------------------------------------------


def _file_bounce(parsed: ParsedMail) -> Filing:
    bounce = parsed.bounce
    assert bounce is not None
    sent = (
        Communication.objects.filter(
            message_id__in=_id_forms(bounce.original_message_ids), direction=Communication.Direction.OUT
        ).first()
        if bounce.original_message_ids
        else None
    )
    MailBounce.objects.create(
        communication=sent,
        message_id=parsed.message_id,
        original_message_id=(bounce.original_message_ids or ("",))[0],
        reason=bounce.reason,
    )
    if sent is not None:
        communication_email_mark_failed(communication=sent, reason=bounce.reason)
    return Filing(Outcome.BOUNCE, detail=f"{sent.number if sent else '?'}: {bounce.reason[:200]}")


def _too_many_recent(sender: str, since: datetime) -> bool:
    """Filed and held messages of the sender since ``since`` reach the limit (one query)."""
    filed = Communication.objects.filter(mail_from=sender, created_at__gte=since).order_by().values("pk")
    held = HeldMail.objects.filter(sender=sender, received_at__gte=since).order_by().values("pk")
    return filed.union(held, all=True).count() >= LOOP_LIMIT


def _hold(*, raw: bytes, parsed: ParsedMail, received_at: datetime) -> Filing:
    first_of_burst = not HeldMail.objects.filter(
        sender=parsed.from_address, received_at__gte=received_at - LOOP_WINDOW
    ).exists()
    held = HeldMail(
        message_id=parsed.message_id[:998],
        sender=parsed.from_address,
        subject=parsed.subject[:255],
        size=len(raw),
        received_at=received_at,
    )
    held.raw.save(f"{uuid.uuid4().hex}.eml", ContentFile(raw), save=False)
    held.save()
    if first_of_burst:  # the admins are told once per burst, not once per message
        admin_ids = frozenset(
            get_user_model().objects.filter(is_superuser=True, is_active=True).values_list("pk", flat=True)
        )
        act = effects.Act(actor_id=None, item_kind="held_mail", created=True, admin_ids=admin_ids)
        decision = effects.decide(act)
        if decision:
            notification_send(
                recipient_ids=sorted(decision),
                actor=None,
                kind=effects.Reason.EMAIL.value,
                target=held,
                params={"event": "held", "sender": parsed.from_address, "limit": LOOP_LIMIT},
                url=reverse("admin:crm_heldmail_changelist"),
            )
    return Filing(Outcome.HELD, detail=parsed.from_address)


# --- filing --------------------------------------------------------------------------------------------


def _already_filed(parsed: ParsedMail) -> Communication | None:
    if not parsed.message_id:
        return None
    return Communication.objects.filter(message_id__in=_id_forms([parsed.message_id])).select_related("thread").first()


def mail_file(*, raw: bytes, received_at: datetime | None = None, loop_guard: bool = True, author=None) -> Filing:
    """File one received message (raw bytes). Never half-way: one transaction, files removed on
    error. ``loop_guard`` False: an admin released this message. ``author``: mail_user(), looked
    up once by a caller filing many."""
    received_at = received_at or timezone.now()
    parsed = mail_parse(raw)
    existing = _already_filed(parsed)
    if existing is not None:
        return Filing(Outcome.DUPLICATE, existing, parsed.message_id)
    if parsed.bounce is not None:
        if parsed.message_id and MailBounce.objects.filter(message_id=parsed.message_id).exists():
            return Filing(Outcome.DUPLICATE, detail=parsed.message_id)
        with transaction.atomic():
            return _file_bounce(parsed)
    if parsed.auto_reply:
        return Filing(Outcome.AUTO_REPLY, detail=parsed.auto_reply)
    if loop_guard and parsed.from_address and _too_many_recent(parsed.from_address, received_at - LOOP_WINDOW):
        if parsed.message_id and HeldMail.objects.filter(message_id=parsed.message_id).exists():
            return Filing(Outcome.DUPLICATE, detail=parsed.message_id)
        with transaction.atomic():
            return _hold(raw=raw, parsed=parsed, received_at=received_at)
    try:
        return _file(parsed=parsed, received_at=received_at, author=author or mail_user())
    except IntegrityError:
        # Filed by a concurrent pass between our check and our insert (unique message_id).
        existing = _already_filed(parsed)
        if existing is None:
            raise
        return Filing(Outcome.DUPLICATE, existing, parsed.message_id)


def _file(*, parsed: ParsedMail, received_at: datetime, author) -> Filing:
    with translation.override(settings.LANGUAGE_CODE):
        checked, notes = _checked_files(parsed.files)
        description = _description(parsed, notes)
        subject = parsed.subject or _("(no subject)")
    # Found before the write: a thread deleted meanwhile makes the write fail and roll back.
    thread = _thread_for(parsed)
    owner = _thread_owner(thread)
    values = {
        "direction": Communication.Direction.IN,
        "channel": Communication.Channel.EMAIL,
        "subject": subject[:255],
        "description": description,
        "counterparty": None,
        "counterparty_name": "",
        "contact": None,
        "contact_name": "",
        # The thread's owner gets the reply; nobody owns it: new and unassigned (DESIGN.md).
        "assignee": owner,
        "status": None,
        "occurred_at": _occurred_at(parsed, received_at),
    } | _sender(parsed)
    communication = item_write(
        kind=COMMUNICATION,
        actor=author,
        values=values,
        thread=thread,
        files=checked,
        moment=received_at,
        stored_fields={
            "message_id": parsed.message_id[:998],
            "mail_from": parsed.from_address[:254],
            "mail_quoted": parsed.quoted[:QUOTED_MAX_CHARS],
            "mail_html": parsed.html[:HTML_MAX_CHARS],
        },
        # The pipeline adds the thread's followers (crm.effects.followers_needed).
        act_facts={"incoming_email": True, "thread_owner_id": owner.pk if owner else None},
    )
    return Filing(Outcome.FILED, communication, subject)


# --- held messages (the admin) -------------------------------------------------------------------------


def held_mail_release(*, held: HeldMail) -> Filing:
    """File a held message now, past the loop guard; the held copy goes."""
    with held.raw.open("rb") as handle:
        raw = handle.read()
    with transaction.atomic():
        filing = mail_file(raw=raw, received_at=held.received_at, loop_guard=False)
        name = held.raw.name
        held.delete()
        transaction.on_commit(lambda: StoredFiles(names=[name]).discard())
    return filing


def held_mail_discard(*, held: HeldMail) -> None:
    with transaction.atomic():
        name = held.raw.name
        held.delete()
        transaction.on_commit(lambda: StoredFiles(names=[name]).discard())
