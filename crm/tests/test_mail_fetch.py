"""Fetching from a real IMAP server (pymap, started by the test): cursor, UIDVALIDITY change,
move to the done folder, never deleted, fetch twice → nothing new, errors recorded."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from crm.inbound.imap import fetch_mail, imap_target
from crm.models import Communication, Mailbox
from crm.services.mail_in import Outcome
from crm.tests.test_mail_corpus import CORPUS
from testsupport.imap_server import ImapServer, free_port, imap_server

pytestmark = pytest.mark.django_db


def message(n: int, subject: str = "Запитване") -> bytes:
    return (
        f"From: Клиент {n} <client{n}@example.bg>\r\nTo: crm@firm.bg\r\nSubject: {subject} {n}\r\n"
        f"Date: Tue, 1 Dec 2026 10:00:00 +0200\r\nMessage-ID: <fetch-{n}@example.bg>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"Текст {n}\r\n"
    ).encode()


@pytest.fixture
def server(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with imap_server() as running:
        settings.IMAP_URL = running.url
        settings.IMAP_DONE_FOLDER = "CRM"
        yield running


def test_imap_url_is_read():
    target = imap_target("imaps://crm%40firm.bg:p%40ss@mail.firm.bg/Входящи")
    assert (target.secure, target.host, target.port, target.user, target.password, target.folder) == (
        True,
        "mail.firm.bg",
        993,
        "crm@firm.bg",
        "p@ss",
        "Входящи",
    )
    assert "p@ss" not in target.key


def test_fetch_files_moves_and_remembers(server):
    server.deliver(message(1), message(2), (CORPUS / "21_auto_submitted.eml").read_bytes())
    report = fetch_mail()
    assert (report.count(Outcome.FILED), report.count(Outcome.AUTO_REPLY), report.errors) == (2, 1, [])
    assert Communication.objects.filter(direction="in").count() == 2
    # Moved, not deleted; not marked seen (BODY.PEEK).
    assert server.uids("INBOX") == []
    assert len(server.uids("CRM")) == 3
    assert all("\\Seen" not in flags for flags in server.flags("CRM"))
    mailbox = Mailbox.objects.get()
    assert mailbox.last_uid > 0 and mailbox.uidvalidity and mailbox.last_error == ""
    assert mailbox.last_poll_at and mailbox.last_success_at

    # Again: nothing new.
    assert fetch_mail().filings == []
    # One more message: only it is read.
    server.deliver(message(3))
    report = fetch_mail()
    assert [f.outcome for _uid, f in report.filings] == [Outcome.FILED]
    assert Communication.objects.filter(direction="in").count() == 3


def test_a_changed_uidvalidity_rescans_without_duplicates(server):
    server.deliver(message(1), message(2))
    fetch_mail()
    first = Mailbox.objects.get().uidvalidity
    # The server forgets everything and renumbers; the same mail is back in the inbox.
    server.restart()
    server.deliver(message(1), message(2), message(3))
    report = fetch_mail()
    assert Mailbox.objects.get().uidvalidity != first
    assert report.rescanned
    assert sorted(f.outcome for _uid, f in report.filings) == [Outcome.DUPLICATE, Outcome.DUPLICATE, Outcome.FILED]
    assert Communication.objects.filter(direction="in").count() == 3
    assert server.uids("INBOX") == []


def test_a_message_that_fails_is_recorded_and_left(server, monkeypatch):
    server.deliver(message(1), message(2))
    from crm.inbound import imap

    real = imap.mail_file

    def failing(*, raw, author):
        if b"fetch-1@" in raw:
            raise RuntimeError("disk full")
        return real(raw=raw, author=author)

    monkeypatch.setattr(imap, "mail_file", failing)
    report = fetch_mail()
    assert len(report.errors) == 1 and "disk full" in report.errors[0]
    assert "disk full" in Mailbox.objects.get().last_error
    assert len(server.uids("INBOX")) == 1  # the failed one stays for a person
    assert Communication.objects.filter(direction="in").count() == 1


def test_a_server_that_is_down_is_recorded(settings):
    settings.IMAP_URL = f"imap://u:p@127.0.0.1:{free_port()}/INBOX"
    report = fetch_mail()
    assert report.errors and "ConnectionRefusedError" in report.errors[0]
    assert "ConnectionRefused" in Mailbox.objects.get().last_error
    with pytest.raises(CommandError):
        call_command("fetch_mail")


def test_fetch_mail_command_prints_what_it_filed(server, capsys):
    server.deliver(message(7, subject="Поръчка"))
    call_command("fetch_mail")
    out = capsys.readouterr().out
    assert "filed: IN-" in out and "Поръчка 7" in out
    assert "1 messages read (filed 1" in out


def test_fetch_mail_without_imap_url(settings, capsys):
    settings.IMAP_URL = ""
    call_command("fetch_mail")
    assert "nothing to fetch" in capsys.readouterr().out
    assert not Mailbox.objects.exists()


def test_server_helper_restarts_on_the_same_port():
    server = ImapServer().start()
    try:
        port = server.port
        server.restart()
        assert server.port == port and server.uids("INBOX") == []
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)  # the runner's jobs run in their own transactions
def test_the_job_runner_fetches_as_a_due_pass(server, settings):
    from django.utils import timezone

    from jobs.runner import run_due

    settings.IMAP_POLL_SECONDS = 3600
    server.deliver(message(1))
    run_due()
    assert Communication.objects.filter(direction="in").count() == 1
    # Polled a moment ago: the next pass leaves the mailbox alone until IMAP_POLL_SECONDS pass.
    server.deliver(message(2))
    run_due()
    assert Communication.objects.filter(direction="in").count() == 1
    Mailbox.objects.update(last_poll_at=timezone.now() - timezone.timedelta(hours=2))
    run_due()
    assert Communication.objects.filter(direction="in").count() == 2
    assert Mailbox.objects.get().claimed_until is None


def test_a_claimed_mailbox_is_not_fetched_twice(server):
    from django.utils import timezone

    from crm.inbound.imap import imap_target, mail_fetch_due

    server.deliver(message(1))
    Mailbox.objects.create(
        key=imap_target(server.url).key, claimed_until=timezone.now() + timezone.timedelta(minutes=5)
    )
    assert mail_fetch_due(now=timezone.now()) == 0
    assert not Communication.objects.filter(direction="in").exists()


def test_messages_are_fetched_in_batches_bounded_by_size(server, monkeypatch):
    from crm.inbound import imap

    monkeypatch.setattr(imap, "FETCH_BATCH", 3)
    monkeypatch.setattr(imap, "FETCH_BATCH_BYTES", 4000)
    big = message(99).replace(b"\xd0\xa2\xd0\xb5\xd0\xba\xd1\x81\xd1\x82 99", b"x" * 5000)
    server.deliver(*(message(n) for n in range(5)), big, message(6))
    with server.box() as box:
        batches = list(imap._batches(box, list(box.uids())))
    assert [len(b) for b in batches] == [3, 2, 1, 1]
    report = fetch_mail()
    assert report.count(Outcome.FILED) == 7 and server.uids("INBOX") == []
