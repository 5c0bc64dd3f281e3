"""The outgoing e-mail of a thread, built from its communication: addresses, the Reply-To token,
the message itself. No writes here (crm.services.mail sends and records); no network either.

The Reply-To token (DESIGN.md "E-mail in and out of threads"): replies to a mail the CRM sent go
to ``<local>+<thread number, lower case>.<signature>@<domain>`` of ``MAIL_REPLY_TO`` (default
``MAIL_FROM``), e.g. ``crm+th-2026-00012.3f9c0a1b2d4e5f607182@firma.bg``. The signature is the
first 20 hex digits (80 bits) of an HMAC-SHA256 of the number under ``SECRET_KEY``, so nobody
can make an address that files mail into a thread they name; lower case only, because mail
servers may fold the case of a local part. ``reply_token_number(address)`` reads it back;
``crm.selectors.thread_for_reply_address(address)`` finds the thread.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from crm.models import Attachment, Communication, Thread
from mentions.rendering import render_plain

# One message's recipients (to and cc each): enough for a real distribution, not for a mass mailing.
ADDRESSES_MAX = 50
_SEPARATORS = re.compile(r"[,;\s]+")
_TOKEN_SALT = "crm.mail.reply-to"  # noqa: S105 - an HMAC salt (a namespace), not a secret
_SIGNATURE_LENGTH = 20
# The earlier e-mails of the thread named in References (the newest ones; RFC 5322 lines stay short).
REFERENCES_MAX = 20


# --- addresses -----------------------------------------------------------------------------------


def parse_addresses(raw: str, *, field: str) -> list[str]:
    """Comma- (or semicolon-, space-) separated bare addresses, each checked, duplicates (any
    case) dropped, in the order typed; a ValidationError on ``field`` naming the bad one."""
    addresses: list[str] = []
    seen: set[str] = set()
    for part in _SEPARATORS.split(raw or ""):
        if not part:
            continue
        try:
            # validate_email refuses line breaks and anything but one address: no header injection.
            validate_email(part)
        except ValidationError:
            raise ValidationError({field: _("“%(address)s” is not an e-mail address.") % {"address": part[:100]}})
        if part.lower() not in seen:
            seen.add(part.lower())
            addresses.append(part)
    if len(addresses) > ADDRESSES_MAX:
        raise ValidationError({field: _("At most %(limit)s addresses.") % {"limit": ADDRESSES_MAX}})
    return addresses


def join_addresses(addresses: Iterable[str]) -> str:
    return ", ".join(addresses)


def mail_from() -> str:
    """The From of every mail the CRM sends: ``MAIL_FROM`` (a bare address or ``Name <address>``)."""
    return getattr(settings, "MAIL_FROM", "") or settings.DEFAULT_FROM_EMAIL


def _reply_base() -> tuple[str, str]:
    """The local part and domain the Reply-To tokens are added to."""
    address = parseaddr(settings.MAIL_REPLY_TO or mail_from())[1]
    local, _at, domain = address.rpartition("@")
    return (local or "crm"), (domain or "localhost")


def mail_domain() -> str:
    """The domain of the Message-IDs we make (the reply domain: ours, not the mail server's)."""
    return _reply_base()[1]


# --- the Reply-To token --------------------------------------------------------------------------


def _signature(number: str) -> str:
    return salted_hmac(_TOKEN_SALT, number.lower(), algorithm="sha256").hexdigest()[:_SIGNATURE_LENGTH]


def reply_address(thread: Thread) -> str:
    """The address a reply to this thread's mail goes to (see the module's docstring)."""
    local, domain = _reply_base()
    number = thread.number.lower()
    return f"{local}+{number}.{_signature(number)}@{domain}"


def reply_token_number(address: str) -> str | None:
    """The thread number a Reply-To address (``crm+th-2026-00012.<sig>@…``, a bare address or
    ``Name <address>``) carries when its signature is right; None for any other address."""
    local = parseaddr(address or "")[1].rpartition("@")[0]
    token = local.rpartition("+")[2] if "+" in local else ""
    number, _dot, signature = token.lower().rpartition(".")
    if not number or len(signature) != _SIGNATURE_LENGTH:
        return None
    return number if constant_time_compare(signature, _signature(number)) else None


# --- the message ---------------------------------------------------------------------------------


def mail_subject(communication: Communication) -> str:
    """The subject with the thread's number in brackets (once), which filing replies looks for."""
    number = communication.thread.number
    tag = f"[{number}]"
    subject = " ".join(communication.subject.split())
    return subject if number.lower() in subject.lower() else f"{subject} {tag}"


def mail_body(communication: Communication) -> str:
    """Plain text: the description with mentions as their names, and who wrote it."""
    text = render_plain(communication.description).strip()
    author = communication.author.get_full_name() or communication.author.get_username()
    return f"{text}\n\n-- \n{author}\n" if text else f"-- \n{author}\n"


def attachment_part(*, name: str, content: bytes, content_type: str) -> MIMEBase:
    """A file part whose (Cyrillic) name survives every client: RFC 2231 ``filename*=`` in
    Content-Disposition (the standard), and an RFC 2047 encoded ``name=`` in Content-Type, the
    only one Outlook reads."""
    maintype, _slash, subtype = (content_type or "").partition("/")
    if not maintype or not subtype:
        maintype, _slash, subtype = (mimetypes.guess_type(name)[0] or "application/octet-stream").partition("/")
    part = MIMEBase(maintype, subtype)
    part.set_payload(content)
    encoders.encode_base64(part)
    if name.isascii():
        part.set_param("name", name)
        part.add_header("Content-Disposition", "attachment", filename=name)
    else:
        part.set_param("name", Header(name, "utf-8").encode(maxlinelen=10_000))
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", name))
    return part


def mail_message(
    communication: Communication,
    *,
    attachments: Iterable[Attachment],
    references: list[str],
    connection=None,
) -> EmailMessage:
    """The e-mail of an outgoing communication, ready for ``send()``: From ``MAIL_FROM``, To/Cc as
    stored, its Message-ID, In-Reply-To/References of the thread's earlier mail, the thread
    number in the subject, the thread's Reply-To address, the files with their original names.

    ``references``: the Message-IDs of the thread's earlier mail, oldest first
    (crm.selectors.thread_mail_references); the last one is what this mail answers."""
    headers = {"Message-ID": communication.message_id}
    if references:
        headers["In-Reply-To"] = references[-1]
        headers["References"] = " ".join(references)
    message = EmailMessage(
        subject=mail_subject(communication),
        body=mail_body(communication),
        from_email=mail_from(),
        to=parse_addresses(communication.mail_to, field="to"),
        cc=parse_addresses(communication.mail_cc, field="cc"),
        reply_to=[reply_address(communication.thread)],
        headers=headers,
        connection=connection,
    )
    for attachment in attachments:
        with attachment.file.open("rb") as stored:
            content = stored.read()
        message.attach(
            attachment_part(name=attachment.original_name, content=content, content_type=attachment.content_type)
        )
    return message


def new_message_id() -> str:
    """A new Message-ID, with its angle brackets, in our domain."""
    return make_msgid(domain=mail_domain())
