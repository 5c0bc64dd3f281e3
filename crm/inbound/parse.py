"""Reading one received e-mail (raw RFC 5322 bytes) into what filing needs. Pure: no ORM, no
settings, never raises on bad input — a malformed message still gives its best reading.

Shared by every way mail comes in (IMAP fetch, a provider's inbound webhook). Decoding is
``email.policy.default``'s: RFC 2047 subjects and names, RFC 2231 continuation filenames and
body charsets (windows-1251, koi8-r, UTF-8, …) come out as ``str``; the legacy compat32 policy
leaves ``=?windows-1251?B?…?=`` raw (STACK-NOTES "Mail").
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from html.parser import HTMLParser

import nh3

from crm.inbound.quoting import split_quoted

# --- what a message says --------------------------------------------------------------------------


@dataclass(frozen=True)
class MailFile:
    name: str
    content_type: str
    content: bytes
    inline: bool = False  # an inline image of an HTML body (Content-ID), stored like any file


@dataclass(frozen=True)
class Bounce:
    """A delivery status notification: which of our messages failed and why."""

    original_message_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class ParsedMail:
    message_id: str  # with its angle brackets, as the header has it; "" if none
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_address: str  # lower case; "" if none could be read
    from_name: str
    recipients: tuple[str, ...]  # To, Cc, Delivered-To, X-Original-To: where a Reply-To token may be
    date: datetime | None  # aware; None when missing or unreadable
    text: str  # the new part of the body
    quoted: str  # the quoted history folded away in the timeline
    html: str  # the HTML body sanitised (nh3), only when the mail had no text part
    files: tuple[MailFile, ...] = ()
    auto_reply: str = ""  # the header that marks it as automatic, e.g. "Auto-Submitted: auto-replied"
    bounce: Bounce | None = None
    defects: tuple[str, ...] = field(default_factory=tuple)


# --- headers --------------------------------------------------------------------------------------

_MSGID = re.compile(r"<[^<>\s]+>")


def _header(message: Message, name: str) -> str:
    """A header as text; a header policy.default cannot parse is decoded leniently instead."""
    try:
        value = message.get(name)
    except Exception:  # a malformed header raises on access in some shapes
        value = None
        raw = message.get_all(name, failobj=[]) if hasattr(message, "get_all") else []
        if raw:
            value = str(raw[0])
    if value is None:
        return ""
    try:
        text = str(value)
    except Exception:
        text = ""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text).strip()


def message_ids(value: str) -> tuple[str, ...]:
    """The ids of a Message-ID / In-Reply-To / References header, each with <>. A bare id
    (some clients drop the brackets) is given its brackets."""
    found = _MSGID.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [f"<{value.strip().strip('<>')}>"]
    return tuple(dict.fromkeys(found))


def _addresses(message: Message, *names: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name in names:
        try:
            values = [str(v) for v in message.get_all(name, failobj=[])]
        except Exception:  # noqa: S112 - an unreadable address header counts as absent
            continue
        for display, address in email.utils.getaddresses(values):
            if "@" in address:
                pairs.append((display.strip(), address.strip().lower()))
    return pairs


def _date(message: Message) -> datetime | None:
    raw = _header(message, "Date")
    if not raw:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # "-0000": the time is UTC, the zone unknown (RFC 5322 3.3)
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# Headers that mark a message as written by a machine in answer to another (RFC 3834 and the
# de-facto ones of Exchange, Yandex, mail.ru, vacation programs).
_PRECEDENCE_AUTO = {"bulk", "junk", "list", "auto_reply"}


def auto_reply_marker(message: Message) -> str:
    """The header that makes this an automatic message, or ""."""
    submitted = _header(message, "Auto-Submitted").lower()
    if submitted and submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response"):
        if _header(message, name):
            return f"{name}: {_header(message, name)}"
    for name in ("Precedence", "X-Precedence"):
        value = _header(message, name).lower()
        if value in _PRECEDENCE_AUTO:
            return f"{name}: {value}"
    if _header(message, "X-Autogenerated").lower() == "reply":
        return "X-Autogenerated: Reply"
    if "autoresponder" in _header(message, "X-POST-MessageClass").lower():
        return "X-POST-MessageClass: Autoresponder"
    return ""


# --- bounces (RFC 3464) -----------------------------------------------------------------------------


def _bounce(message: Message) -> Bounce | None:
    if message.get_content_type() != "multipart/report":
        return None
    if (message.get_param("report-type") or "").lower() != "delivery-status":
        return None
    originals: list[str] = []
    reasons: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for block in _status_blocks(part):
                action = _header(block, "Action").lower()
                if action and action not in ("failed", "delayed"):
                    continue
                reason = _header(block, "Diagnostic-Code") or _header(block, "Status")
                recipient = _header(block, "Final-Recipient")
                if reason:
                    reasons.append(f"{recipient.split(';')[-1].strip()}: {reason}" if recipient else reason)
        elif kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            headers = _embedded_headers(part)
            if headers is not None:
                originals.extend(message_ids(_header(headers, "Message-ID")))
    if not originals:
        originals.extend(message_ids(_header(message, "In-Reply-To")))
    reason = "; ".join(dict.fromkeys(reasons)) or _text_of(message)[:500]
    return Bounce(original_message_ids=tuple(dict.fromkeys(originals)), reason=reason[:2000])


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    raw = part.get_payload(decode=True) or b""
    return [email.message_from_bytes(block, policy=email.policy.default) for block in re.split(rb"\r?\n\r?\n", raw)]


def _embedded_headers(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        return email.message_from_bytes(raw, policy=email.policy.default)
    return None


# --- bodies ---------------------------------------------------------------------------------------

# What a sanitised HTML body keeps: structure and links. No style, class or id (CSP and layout),
# no img (remote images are trackers; inline ones are stored as files), no forms, no scripts.
HTML_TAGS = {
    *("a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "div", "dl", "dt", "em"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "q", "s", "small"),
    *("span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"),
}
HTML_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=HTML_TAGS,
        attributes=HTML_ATTRIBUTES,
        clean_content_tags={"script", "style", "head", "title", "template", "noscript"},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


class _TextOfHtml(HTMLParser):
    """The readable text of an HTML body: line breaks where blocks end, nothing of scripts/styles."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "table", "pre"}
    SKIP = {"script", "style", "head", "title", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.quote_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "blockquote":
            self.quote_depth += 1
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.skipping:
            return
        text = re.sub(r"[ \t\r\n]+", " ", data)
        if self.quote_depth:
            # A quoted block reads like a text client's quote, so the same folding applies.
            text = text.replace("\n", "\n> ")
            if not self.parts or self.parts[-1].endswith("\n"):
                text = "> " + text.lstrip()
        self.parts.append(text)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        return ""
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _content_text(part: Message) -> str:
    try:
        content = part.get_content()
        if isinstance(content, bytes):
            content = content.decode("utf-8", errors="replace")
        return str(content)
    except Exception:  # an unknown charset or broken transfer encoding: the bytes as best we can
        raw = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "utf-8"
        try:
            return raw.decode(charset, errors="replace")
        except LookupError:
            return raw.decode("utf-8", errors="replace")


def _text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.is_attachment():
            return _content_text(part)
    return ""


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return re.sub(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text).strip()


# --- files ----------------------------------------------------------------------------------------

_EXTENSION_OF_TYPE = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "text/calendar": "ics",
    "message/rfc822": "eml",
    "text/plain": "txt",
    "text/html": "html",
}


def _file_of(part: Message, index: int) -> MailFile:
    kind = part.get_content_type()
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = re.sub(r"[\x00-\x1f\x7f]", "", str(name)).strip()
    if kind == "message/rfc822":
        inner = part.get_payload()
        try:
            content = (
                inner[0].as_bytes() if isinstance(inner, list) and inner else (part.get_payload(decode=True) or b"")
            )
        except Exception:
            content = b""
    else:
        try:
            content = part.get_payload(decode=True) or b""
        except Exception:
            content = b""
    if not name:
        stem = "invite" if kind == "text/calendar" else ("message" if kind == "message/rfc822" else f"file-{index}")
        name = f"{stem}.{_EXTENSION_OF_TYPE.get(kind, 'bin')}"
    return MailFile(name=name, content_type=kind, content=content, inline=bool(part.get("Content-ID")))


# --- the whole message ----------------------------------------------------------------------------


def mail_parse(raw: bytes) -> ParsedMail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    senders = _addresses(message, "From") or _addresses(message, "Sender", "Return-Path")
    from_name, from_address = senders[0] if senders else ("", "")
    if not from_address:
        from_name = from_name or _header(message, "From").strip().strip('"').strip()[:255]

    text_part = html_part = None
    try:
        text_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
    except Exception:  # noqa: S110 - a broken structure: no body part, the walk below still finds files
        pass
    if text_part is None and html_part is None and not message.is_multipart():
        text_part = message  # a single part with an odd type, e.g. no Content-Type at all
    text = _clean_text(_content_text(text_part)) if text_part is not None else ""
    html = ""
    if not text and html_part is not None:
        raw_html = _content_text(html_part)
        html = sanitise_html(raw_html)
        text = _clean_text(html_to_text(raw_html))
    new, quoted = split_quoted(text)

    bounce = _bounce(message)
    files: list[MailFile] = []
    if bounce is None:
        bodies = {id(p) for p in (text_part, html_part) if p is not None}
        for index, part in enumerate(message.walk(), start=1):
            if id(part) in bodies or part is message:
                continue
            if part.get_content_type() == "message/rfc822":
                # A forwarded message: stored whole as .eml, its own parts not listed again.
                files.append(_file_of(part, index))
                inner = part.get_payload()
                for embedded in inner if isinstance(inner, list) else ():
                    bodies.update(id(p) for p in embedded.walk())
                continue
            if part.is_multipart():
                continue
            kind = part.get_content_type()
            if kind in ("text/plain", "text/html") and not part.is_attachment() and not part.get_filename():
                continue  # another rendering of the body
            files.append(_file_of(part, index))

    return ParsedMail(
        message_id=(message_ids(_header(message, "Message-ID")) or ("",))[0],
        in_reply_to=message_ids(_header(message, "In-Reply-To")),
        references=message_ids(_header(message, "References")),
        subject=re.sub(r"\s+", " ", _header(message, "Subject")).strip(),
        from_address=from_address,
        from_name=from_name,
        recipients=tuple(
            dict.fromkeys(
                a for _n, a in _addresses(message, "To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
            )
        ),
        date=_date(message),
        text=new,
        quoted=quoted,
        html=html,
        files=tuple(files),
        auto_reply="" if bounce else auto_reply_marker(message),
        bounce=bounce,
        defects=tuple(type(d).__name__ for d in message.defects),
    )
