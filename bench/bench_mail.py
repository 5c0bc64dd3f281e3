"""Filing 1,000 messages from a real IMAP server (pymap, started here) with crm.inbound.imap.

Target (issue 15): at least 50 messages per second, memory flat (messages are read one at a time,
never the whole mailbox). Messages: 2, 5, 10, 20 or 100 KB of Cyrillic text (picked at random),
10% with a PDF attachment (~100 KB), a third of them replies (In-Reply-To an earlier one, so
threads are found by reference),
from 100 senders (under the loop guard's 20 in two hours). The process's resident memory is read
after 100, 500 and 1,000 messages: flat means the last is not above the first by more than noise.
"""

from __future__ import annotations

import os
import random
import resource
import tempfile
import time
from email.message import EmailMessage

from django.test.utils import override_settings

from bench.tables import Table

COUNT = 1000
PDF = b"%PDF-1.4\n" + bytes(random.Random(1).randbytes(100_000)) + b"\n%%EOF\n"
WORDS = ["оферта", "доставка", "профили", "цена", "количество", "срок", "плащане", "фактура", "договор", "склад"]


def _messages() -> list[bytes]:
    rng = random.Random(15)
    out = []
    for n in range(COUNT):
        message = EmailMessage()
        sender = n % 100
        message["From"] = f"Клиент {sender} <client{sender}@bench-mail.example>"
        message["To"] = "crm@firm.bg"
        message["Subject"] = f"Запитване {n}"
        message["Date"] = "Tue, 01 Dec 2026 10:00:00 +0200"
        message["Message-ID"] = f"<bench-{n}@bench-mail.example>"
        if n % 3 == 2:
            message["In-Reply-To"] = f"<bench-{n - 1}@bench-mail.example>"
        size = rng.choice([2_000, 5_000, 10_000, 20_000, 100_000])  # bytes of text, roughly
        body = " ".join(rng.choice(WORDS) for _ in range(size // 16))  # ~8 letters of 2 bytes a word
        message.set_content(f"{body}\n\nOn Mon, 30 Nov 2026 at 10:00, CRM wrote:\n> earlier text\n")
        if n % 10 == 0:
            message.add_attachment(PDF, maintype="application", subtype="pdf", filename=f"Оферта {n}.pdf")
        out.append(message.as_bytes())
    return out


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 1048576, 1)


def run() -> list[Table]:
    from crm.inbound.imap import fetch_mail
    from crm.models import Attachment, Communication, Mailbox, Thread
    from testsupport.imap_server import imap_server

    Attachment.objects.filter(communication__mail_from__endswith="@bench-mail.example").delete()
    Communication.objects.filter(mail_from__endswith="@bench-mail.example").delete()
    Thread.objects.filter(communications__isnull=True, subject__startswith="Запитване ").delete()
    Mailbox.objects.all().delete()

    messages = _messages()
    total_mb = round(sum(len(m) for m in messages) / 1048576, 1)
    samples: dict[int, float] = {}
    with imap_server() as server, tempfile.TemporaryDirectory() as media:
        started = time.perf_counter()
        server.deliver(*messages)
        deliver_s = time.perf_counter() - started
        del messages

        def sample(_uid, _filing) -> None:
            done = len(samples_seen) + 1
            samples_seen.append(done)
            if done in (100, 500, COUNT):
                samples[done] = _rss_mb()

        samples_seen: list[int] = []
        with override_settings(MEDIA_ROOT=media, IMAP_URL=server.url):
            rss_before = _rss_mb()
            started = time.perf_counter()
            report = fetch_mail(on_filed=sample)
            elapsed = time.perf_counter() - started
    filed = report.count("filed")
    outcomes = {}
    for _uid, filing in report.filings:
        outcomes[filing.outcome] = outcomes.get(filing.outcome, 0) + 1
    left = Communication.objects.filter(mail_from__endswith="@bench-mail.example").count()
    load = os.getloadavg()[0]
    table = Table(
        title=f"Filing {COUNT} messages from pymap ({total_mb} MB, 10% with a 100 KB PDF)",
        columns=[
            *("messages", "filed", "errors", "seconds", "messages/s"),
            *("RSS before / @100 / @500 / @1000 (MB)", "peak RSS (MB)", "load avg (1 min)"),
        ],
        rows=[
            [
                COUNT,
                filed,
                len(report.errors),
                round(elapsed, 1),
                round(COUNT / elapsed, 1),
                f"{rss_before} / {samples.get(100)} / {samples.get(500)} / {samples.get(COUNT)}",
                round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                f"{load:.2f}",
            ]
        ],
        note=f"Outcomes: {outcomes}; {left} communications of these senders in the database after the pass. "
        f"Delivering them into pymap (APPEND, not measured above) took {deliver_s:.1f} s. "
        "Each message: parse, thread lookup, sender lookup, communication + number + (10%) attachment "
        "stored through the upload checks, then UID MOVE to the done folder in batches of 50.",
    )
    return [table]
