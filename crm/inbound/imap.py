"""One pass over the mailbox at settings.IMAP_URL: file each new message, move it to
settings.IMAP_DONE_FOLDER, remember where we stopped (crm.models.Mailbox).

- Messages are read a few at a time (FETCH_BATCH, at most FETCH_BATCH_BYTES by their
  RFC822.SIZE) with ``BODY.PEEK[]``: not marked seen, never the whole mailbox in memory.
- Never deleted: a filed message is moved (UID MOVE, or COPY then flag and expunge of those
  UIDs only where the server has no MOVE).
- The cursor is (UIDVALIDITY, last UID). A changed UIDVALIDITY means the server renumbered the
  mailbox: it is scanned from the start, and the Message-ID check files nothing twice.
- A message whose filing fails stays in the folder; the error is recorded on the Mailbox row
  (the admin's mailbox page) and the pass goes on with the next one. A failure to connect or log
  in is recorded the same way. Nothing is silent.
"""

from __future__ import annotations

import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from imap_tools import MailBox, MailBoxUnencrypted
from imap_tools.message import MailMessage

from crm.models import Mailbox
from crm.services.mail_in import Filing, Outcome, mail_file, mail_user

logger = logging.getLogger(__name__)

# Moves are sent in groups: one round trip per this many filed messages, and a crash between
# filing and moving re-reads at most this many (which the Message-ID check then skips).
MOVE_BATCH = 50
# Messages asked for in one FETCH: fewer round trips, yet at most this many messages and bytes
# in memory at once (a 20 MB message comes alone).
FETCH_BATCH = 20
FETCH_BATCH_BYTES = 8 * 1024 * 1024


class ImapUrlError(ValueError):
    pass


@dataclass(frozen=True)
class ImapTarget:
    secure: bool
    host: str
    port: int
    user: str
    password: str
    folder: str

    @property
    def key(self) -> str:
        """The mailbox's name for the cursor row: no password in it."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"[:255]


def imap_target(url: str) -> ImapTarget:
    """imap://user:pass@host:port/INBOX or imaps://…; user and password percent-encoded."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise ImapUrlError("IMAP_URL must start with imap:// or imaps://")
    if not parts.hostname or not parts.username:
        raise ImapUrlError("IMAP_URL needs a user and a host: imap://user:password@host:port/INBOX")
    secure = parts.scheme == "imaps"
    return ImapTarget(
        secure=secure,
        host=parts.hostname,
        port=parts.port or (993 if secure else 143),
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )


class RawMessage(MailMessage):
    """imap-tools' message without its own (compat32) parse: we keep the raw bytes and parse once."""

    def __init__(self, fetch_data: list) -> None:
        raw, raw_uid, raw_flags = self._get_message_data_parts(fetch_data)
        self._raw_uid_data = raw_uid
        self._raw_flag_data = raw_flags
        self.raw: bytes = raw


class _RawMailBox(MailBox):
    email_message_class = RawMessage


class _RawMailBoxUnencrypted(MailBoxUnencrypted):
    email_message_class = RawMessage


@dataclass
class FetchReport:
    filings: list[tuple[int, Filing]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rescanned: bool = False

    def count(self, outcome: str) -> int:
        return sum(1 for _uid, filing in self.filings if filing.outcome == outcome)


def _connect(target: ImapTarget):
    if target.secure:
        box = _RawMailBox(target.host, target.port, ssl_context=ssl.create_default_context())
    else:
        box = _RawMailBoxUnencrypted(target.host, target.port)
    return box.login(target.user, target.password, initial_folder=target.folder)


def _capabilities(box) -> set[str]:
    typ, data = box.client.capability()
    return {c.upper() for c in (data[0] or b"").decode().split()} if typ == "OK" else set()


def _move(box, uids: list[str], folder: str, capabilities: set[str]) -> None:
    if not uids:
        return
    joined = ",".join(uids)
    if "MOVE" in capabilities:
        typ, data = box.client.uid("MOVE", joined, folder)
        if typ != "OK":
            raise RuntimeError(f"MOVE {joined} to {folder}: {data!r}")
        return
    typ, data = box.client.uid("COPY", joined, folder)
    if typ != "OK":
        raise RuntimeError(f"COPY {joined} to {folder}: {data!r}")
    box.client.uid("STORE", joined, "+FLAGS.SILENT", r"(\Deleted)")
    if "UIDPLUS" in capabilities:
        box.client.uid("EXPUNGE", joined)  # only these: not what a person marked deleted
    else:
        box.client.expunge()


_SIZE = re.compile(rb"UID (\d+) RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+) UID (\d+)")


def _sizes(box, uids: list[str]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for start in range(0, len(uids), 500):
        typ, data = box.client.uid("FETCH", ",".join(uids[start : start + 500]), "(UID RFC822.SIZE)")
        for line in data if typ == "OK" else ():
            match = _SIZE.search(line if isinstance(line, bytes) else b"")
            if match:
                uid, size = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
                sizes[uid.decode()] = int(size)
    return sizes


def _batches(box, uids: list[str]):
    """The UIDs in groups to FETCH at once, each under FETCH_BATCH messages and FETCH_BATCH_BYTES."""
    sizes = _sizes(box, uids)
    batch: list[str] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, FETCH_BATCH_BYTES)  # unknown: alone
        if batch and (len(batch) >= FETCH_BATCH or total + size > FETCH_BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def _messages(box, uids: list[str]):
    for batch in _batches(box, uids):
        yield from box.fetch(uid_list=batch, mark_seen=False, bulk=len(batch) if len(batch) > 1 else False)


def _ensure_folder(box, folder: str) -> None:
    if not box.folder.exists(folder):
        box.folder.create(folder)


def _record_error(mailbox: Mailbox, message: str) -> None:
    logger.error("mail fetch: %s", message)
    mailbox.last_error = message[:5000]
    mailbox.last_error_at = timezone.now()


def fetch_mail(
    *, url: str | None = None, done_folder: str | None = None, on_filed: Callable[[int, Filing], None] | None = None
) -> FetchReport:
    """One pass; ``url`` defaults to settings.IMAP_URL (unset: nothing to do)."""
    url = url if url is not None else settings.IMAP_URL
    done_folder = done_folder or settings.IMAP_DONE_FOLDER
    report = FetchReport()
    if not url:
        return report
    target = imap_target(url)
    mailbox, _created = Mailbox.objects.get_or_create(key=target.key)
    mailbox.last_poll_at = timezone.now()
    try:
        with _connect(target) as box:
            _pass(box, target, mailbox, done_folder, report, on_filed)
    except Exception as error:  # connection, login, protocol: recorded, the next poll tries again
        _record_error(mailbox, f"{type(error).__name__}: {error}")
        report.errors.append(mailbox.last_error)
    else:
        mailbox.last_success_at = timezone.now()
        if not report.errors:
            mailbox.last_error = ""
    mailbox.save()
    return report


def _pass(box, target: ImapTarget, mailbox: Mailbox, done_folder: str, report: FetchReport, on_filed) -> None:
    capabilities = _capabilities(box)
    status = box.folder.status(target.folder, ["UIDVALIDITY", "UIDNEXT"])
    uidvalidity = int(status["UIDVALIDITY"])
    if mailbox.uidvalidity != uidvalidity:
        report.rescanned = mailbox.uidvalidity is not None
        mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
    _ensure_folder(box, done_folder)
    box.folder.set(target.folder)
    # "n:*" always names the last message, even below n: the UIDs are filtered here too.
    uids = [uid for uid in box.uids(f"UID {mailbox.last_uid + 1}:*") if int(uid) > mailbox.last_uid]
    to_move: list[str] = []
    author = mail_user()

    def flush() -> None:
        _move(box, to_move, done_folder, capabilities)
        mailbox.last_uid = max([mailbox.last_uid, *(int(u) for u in to_move)])
        to_move.clear()
        mailbox.save(update_fields=["uidvalidity", "last_uid"])

    for message in _messages(box, uids):
        uid = int(message.uid)
        try:
            filing = mail_file(raw=message.raw, author=author)
        except Exception as error:
            logger.exception("mail fetch: UID %s", uid)
            _record_error(mailbox, f"UID {uid}: {type(error).__name__}: {error}")
            report.errors.append(mailbox.last_error)
            # Left in the folder for a person to look at; the cursor passes it.
            mailbox.last_uid = max(mailbox.last_uid, uid)
            continue
        report.filings.append((uid, filing))
        if on_filed is not None:
            on_filed(uid, filing)
        if filing.outcome == Outcome.HELD:
            mailbox.last_uid = max(mailbox.last_uid, uid)  # held in the CRM; left in the folder
        else:
            to_move.append(str(uid))
        if len(to_move) >= MOVE_BATCH:
            flush()
    flush()


# A pass that takes longer than this is taken to have died with its worker.
CLAIM_FOR = timedelta(minutes=15)


def mail_fetch_due(*, now: datetime) -> int:
    """The job runner's due pass (jobs.registry): fetch when IMAP_POLL_SECONDS have passed since
    the last poll, claiming the mailbox first so that of several workers only one fetches."""
    if not settings.IMAP_URL:
        return 0
    key = imap_target(settings.IMAP_URL).key
    mailbox, _created = Mailbox.objects.get_or_create(key=key)
    claimed = (
        Mailbox.objects.filter(pk=mailbox.pk)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(last_poll_at__isnull=True) | Q(last_poll_at__lte=now - timedelta(seconds=settings.IMAP_POLL_SECONDS)))
        .update(claimed_until=now + CLAIM_FOR)
    )
    if not claimed:
        return 0
    try:
        report = fetch_mail()
    finally:
        Mailbox.objects.filter(pk=mailbox.pk).update(claimed_until=None)
    return len(report.filings)
