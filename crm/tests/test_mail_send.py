"""Sending a communication as an e-mail, against a real SMTP server (aiosmtpd) started here.

Issue 15, the send half: the mail arrives once, with its headers (Message-ID stored,
In-Reply-To/References, the thread number in the subject, the Reply-To token), Cyrillic file
names decode, a 5xx fails for good and a 4xx is tried again later, a retry sends, a due pass run
twice sends once, and nothing goes out for a save that did not commit.
"""

import datetime
import email
import email.policy

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from crm import selectors, services
from crm.models import Communication
from crm.tests.factories import CommunicationFactory, ContactPersonFactory, CounterpartyFactory, ThreadFactory
from crm.tests.smtp import free_port

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
# Long enough that a naive encoder folds it into RFC 2231 continuations.
LONG_NAME = "Договор за доставка на алуминиеви профили и аксесоари — окончателен вариант 2026.pdf"


@pytest.fixture(autouse=True)
def mail_settings(settings):
    settings.MAIL_FROM = "CRM Фирма <crm@firma.bg>"
    settings.MAIL_REPLY_TO = ""


@pytest.fixture
def alfa(db):
    return CounterpartyFactory(name="Алфа ООД", email="office@alfa.bg")


def send_email(user, *, thread=None, counterparty=None, to="office@alfa.bg", cc="", files=(), **fields):
    """An outgoing e-mail saved with ``send``, its on-commit job run (the test is in a transaction)."""
    values = {"subject": "Оферта за профили", "description": "Здравейте,\nприлагам офертата."} | fields
    return services.communication_create(
        author=user,
        direction="out",
        channel="email",
        thread=thread,
        counterparty=counterparty,
        send=True,
        to=to,
        cc=cc,
        files=files,
        **values,
    )


def stored(communication) -> Communication:
    return Communication.objects.get(pk=communication.pk)


def test_mail_arrives_once_with_its_headers(smtp_server, user, alfa, django_capture_on_commit_callbacks):
    thread = ThreadFactory(counterparty=alfa, author=user, number="TH-2026-00012", subject="Профили")
    earlier = CommunicationFactory(
        thread=thread,
        channel="email",
        message_id="<first@alfa.bg>",
        occurred_at=timezone.now() - datetime.timedelta(days=2),
    )
    last = CommunicationFactory(
        thread=thread,
        channel="email",
        message_id="<answer@alfa.bg>",
        occurred_at=timezone.now() - datetime.timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        communication = send_email(
            user,
            thread=thread,
            counterparty=alfa,
            to="office@alfa.bg, Petya@Alfa.bg",
            cc="boss@alfa.bg",
            files=[SimpleUploadedFile("Оферта №5.pdf", PDF, content_type="application/pdf")],
        )
    queued = stored(communication)
    assert queued.mail_status == "queued"
    assert queued.message_id.startswith("<") and queued.message_id.endswith("@firma.bg>")

    assert services.mail_send_due() == {"sent": 1, "queued": 0, "failed": 0, "interrupted": 0}

    assert len(smtp_server.received) == 1
    received = smtp_server.received[0]
    assert received.mail_from == "crm@firma.bg"
    assert sorted(received.rcpt_tos) == ["Petya@Alfa.bg", "boss@alfa.bg", "office@alfa.bg"]
    message = received.message
    sent = stored(communication)
    assert sent.mail_status == "sent" and sent.mail_sent_at is not None and sent.mail_error == ""
    assert message["Message-ID"] == sent.message_id
    assert message["In-Reply-To"] == last.message_id
    assert message["References"].split() == [earlier.message_id, last.message_id]
    assert message["Subject"] == "Оферта за профили [TH-2026-00012]"
    assert message["From"] == "CRM Фирма <crm@firma.bg>"
    assert message["To"] == "office@alfa.bg, Petya@Alfa.bg"
    assert message["Cc"] == "boss@alfa.bg"
    reply_to = message["Reply-To"]
    assert reply_to.startswith("crm+th-2026-00012.")
    assert selectors.thread_for_reply_address(reply_to) == thread
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body == "Здравейте,\nприлагам офертата.\n\n-- \nИван Петров\n"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "Оферта №5.pdf"
    assert attachment.get_content() == PDF

    # Run again: nothing left to send.
    assert services.mail_send_due() == {"sent": 0, "queued": 0, "failed": 0, "interrupted": 0}
    assert services.communication_email_send(communication_id=communication.pk) == ""
    assert len(smtp_server.received) == 1


def test_cyrillic_file_names_decode_in_both_parsers_and_for_outlook(smtp_server, user, alfa):
    communication = send_email(
        user,
        counterparty=alfa,
        files=[
            SimpleUploadedFile(LONG_NAME, PDF, content_type="application/pdf"),
            SimpleUploadedFile("plain-name.pdf", PDF, content_type="application/pdf"),
        ],
    )
    services.communication_email_send(communication_id=communication.pk)

    raw = smtp_server.received[0].raw
    modern = email.message_from_bytes(raw, policy=email.policy.default)
    assert [part.get_filename() for part in modern.iter_attachments()] == [LONG_NAME, "plain-name.pdf"]
    # The legacy parser (compat32, what many libraries still use) decodes RFC 2231 too.
    legacy = email.message_from_bytes(raw)
    parts = [part for part in legacy.walk() if part.get_content_disposition() == "attachment"]
    assert [part.get_filename() for part in parts] == [LONG_NAME, "plain-name.pdf"]
    # Outlook reads Content-Type's name=, RFC 2047 encoded; decoding it gives the name back.
    name = parts[0].get_param("name")
    assert name.startswith("=?utf-8?")
    assert str(email.header.make_header(email.header.decode_header(name))) == LONG_NAME
    assert "filename*" in parts[0]["Content-Disposition"]


def test_mentions_go_out_as_names_and_nothing_is_html(smtp_server, user, other_user, alfa):
    description = f"Колегата @[Мария Иванова](user:{other_user.pk}) ще се обади. <script>alert(1)</script>"
    communication = send_email(user, counterparty=alfa, description=description)
    services.communication_email_send(communication_id=communication.pk)

    message = smtp_server.received[0].message
    body = message.get_body(("plain",)).get_content()
    assert "<script>alert(1)</script>" in body  # plain text: shown as text by any client
    assert "@Мария Иванова ще се обади." in body
    assert "(user:" not in body
    assert message.get_body(("html",)) is None
    assert message.get_content_type() == "text/plain"


def test_permanent_refusal_marks_failed_with_the_servers_words(smtp_server, user, alfa):
    smtp_server.refuse_rcpt = "550 5.1.1 <office@alfa.bg>: Recipient address rejected: User unknown"
    communication = send_email(user, counterparty=alfa)

    assert services.communication_email_send(communication_id=communication.pk) == "failed"

    failed = stored(communication)
    assert failed.mail_status == "failed"
    assert "550 5.1.1" in failed.mail_error and "User unknown" in failed.mail_error
    assert failed.mail_next_attempt_at is None
    # The due pass leaves it alone: only the user's retry sends it again.
    later = timezone.now() + datetime.timedelta(days=1)
    assert services.mail_send_due(now=later)["sent"] == 0
    assert smtp_server.received == []


def test_temporary_refusal_is_tried_again_later_then_sent(smtp_server, user, alfa, settings):
    settings.MAIL_RETRY_DELAYS_SECONDS = (60, 300)
    smtp_server.refuse_data = "451 4.3.0 Mail server temporarily rejected message"
    communication = send_email(user, counterparty=alfa)

    assert services.communication_email_send(communication_id=communication.pk) == "queued"
    waiting = stored(communication)
    assert waiting.mail_status == "queued" and "451 4.3.0" in waiting.mail_error
    assert waiting.mail_attempts == 1
    first_due = waiting.mail_next_attempt_at
    assert first_due - waiting.mail_attempted_at == datetime.timedelta(seconds=60)

    # Not due yet: nothing happens.
    assert services.mail_send_due()["sent"] == 0
    assert stored(communication).mail_attempts == 1

    smtp_server.refuse_data = None
    assert services.mail_send_due(now=first_due + datetime.timedelta(seconds=1))["sent"] == 1
    sent = stored(communication)
    assert sent.mail_status == "sent" and sent.mail_attempts == 2 and sent.mail_error == ""
    assert len(smtp_server.received) == 1


def test_temporary_failures_give_up_after_the_delays(smtp_server, user, alfa, settings):
    settings.MAIL_RETRY_DELAYS_SECONDS = (60, 300)
    smtp_server.refuse_rcpt = "452 4.2.2 Mailbox full"
    communication = send_email(user, counterparty=alfa)
    moment = timezone.now()
    outcomes = []
    for _attempt in range(3):
        moment += datetime.timedelta(hours=1)
        result = services.mail_send_due(now=moment)
        outcomes.append("queued" if result["queued"] else "failed" if result["failed"] else "")
    assert outcomes == ["queued", "queued", "failed"]
    failed = stored(communication)
    assert failed.mail_status == "failed" and failed.mail_attempts == 3
    assert "452 4.2.2 Mailbox full" in failed.mail_error


def test_no_connection_is_temporary(user, alfa, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 5
    communication = send_email(user, counterparty=alfa)

    assert services.communication_email_send(communication_id=communication.pk) == "queued"
    assert "ConnectionRefusedError" in stored(communication).mail_error


def test_retry_after_a_failure_sends_the_same_message(smtp_server, user, alfa):
    smtp_server.refuse_rcpt = "554 5.7.1 Relay access denied"
    communication = send_email(user, counterparty=alfa)
    services.communication_email_send(communication_id=communication.pk)
    message_id = stored(communication).message_id

    smtp_server.refuse_rcpt = None
    services.communication_email_retry(communication=stored(communication), actor=user)
    retried = stored(communication)
    assert retried.mail_status == "queued" and retried.mail_error == "" and retried.mail_attempts == 0
    assert services.mail_send_due()["sent"] == 1
    assert smtp_server.received[0].message["Message-ID"] == message_id
    assert stored(communication).mail_status == "sent"

    # A sent mail is not retried.
    with pytest.raises(ValidationError):
        services.communication_email_retry(communication=stored(communication), actor=user)


def test_a_rolled_back_save_sends_nothing(smtp_server, user, alfa, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send_email(user, counterparty=alfa)
        raise RuntimeError("the request failed after the save")
    assert callbacks == []
    assert not Communication.objects.exists()
    assert services.mail_send_due()["sent"] == 0
    assert smtp_server.received == []


def test_two_workers_racing_send_once(smtp_server, user, alfa):
    communication = send_email(user, counterparty=alfa)
    results = [services.communication_email_send(communication_id=communication.pk) for _ in range(2)]
    assert results == ["sent", ""]
    assert len(smtp_server.received) == 1


def test_a_send_interrupted_long_ago_is_marked_failed_not_sent_again(smtp_server, user, alfa, settings):
    communication = send_email(user, counterparty=alfa)
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.MAIL_SENDING_STALE_SECONDS + 60)
    Communication.objects.filter(pk=communication.pk).update(mail_status="sending", mail_attempted_at=long_ago)

    assert services.mail_send_due()["interrupted"] == 1
    interrupted = stored(communication)
    assert interrupted.mail_status == "failed" and interrupted.mail_error
    assert smtp_server.received == []


def test_a_missing_file_fails_the_mail_for_good(smtp_server, user, alfa):
    communication = send_email(user, counterparty=alfa, files=[SimpleUploadedFile("Оферта.pdf", PDF)])
    attachment = communication.attachments.get()
    attachment.file.storage.delete(attachment.file.name)

    assert services.communication_email_send(communication_id=communication.pk) == "failed"
    assert stored(communication).mail_error
    assert smtp_server.received == []


def test_bounce_marks_a_sent_mail_failed(smtp_server, user, alfa):
    communication = send_email(user, counterparty=alfa)
    services.communication_email_send(communication_id=communication.pk)
    services.communication_email_mark_failed(communication=communication, reason="550 5.1.1 user unknown")
    assert (stored(communication).mail_status, stored(communication).mail_error) == (
        "failed",
        "550 5.1.1 user unknown",
    )
    # A communication the CRM never sent stays as it was.
    typed = CommunicationFactory(channel="email")
    services.communication_email_mark_failed(communication=typed, reason="550")
    assert stored(typed).mail_status == ""


# --- what may be sent ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("to", "cc", "field"),
    [
        ("", "", "to"),
        ("office@alfa.bg, не-адрес", "", "to"),
        ("office@alfa.bg\r\nBcc: all@evil.example", "", "to"),
        ("office@alfa.bg", "boss@", "cc"),
        (", ".join(f"a{i}@alfa.bg" for i in range(51)), "", "to"),
    ],
)
def test_bad_addresses_are_refused_on_their_field_and_nothing_is_saved(user, alfa, to, cc, field):
    with pytest.raises(ValidationError) as error:
        send_email(user, counterparty=alfa, to=to, cc=cc)
    assert field in error.value.error_dict
    assert not Communication.objects.exists()


@pytest.mark.parametrize(("direction", "channel"), [("in", "email"), ("out", "phone"), ("out", "meeting")])
def test_only_an_outgoing_email_is_sent(user, alfa, direction, channel):
    with pytest.raises(ValidationError) as error:
        services.communication_create(
            author=user,
            direction=direction,
            channel=channel,
            subject="Тема",
            counterparty=alfa,
            send=True,
            to="office@alfa.bg",
        )
    assert "send" in error.value.error_dict
    assert not Communication.objects.exists()


def test_without_send_nothing_is_queued(user, alfa):
    communication = services.communication_create(
        author=user, direction="out", channel="email", subject="Тема", counterparty=alfa, to="office@alfa.bg"
    )
    assert (communication.mail_status, communication.message_id) == ("", "")


def test_edit_sends_an_unsent_email_and_not_a_sent_one_again(smtp_server, user, alfa):
    contact = ContactPersonFactory(counterparty=alfa, email="petya@alfa.bg")
    communication = services.communication_create(
        author=user, direction="out", channel="phone", subject="Тема", counterparty=alfa, contact=contact
    )
    services.communication_edit(
        item=communication, actor=user, changes={"channel": "email"}, send=True, to="petya@alfa.bg"
    )
    assert stored(communication).mail_status == "queued"
    services.mail_send_due()
    with pytest.raises(ValidationError) as error:
        services.communication_edit(item=stored(communication), actor=user, changes={}, send=True, to="petya@alfa.bg")
    assert "send" in error.value.error_dict
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize(
    "subject",
    ["Оферта", "Оферта за профили и аксесоари, доставка до склада в Пловдив, плащане по банков път", "Re: offer"],
)
def test_subject_decodes_exactly_short_or_long(smtp_server, user, alfa, subject):
    communication = send_email(user, counterparty=alfa, subject=subject)
    services.communication_email_send(communication_id=communication.pk)
    assert smtp_server.received[0].message["Subject"] == f"{subject} [{communication.thread.number}]"


def test_two_saves_racing_to_send_queue_once(user, alfa):
    communication = services.communication_create(
        author=user, direction="out", channel="email", subject="Тема", counterparty=alfa
    )
    stale_copy = stored(communication)  # what a second request loaded before the first saved
    services.communication_edit(item=communication, actor=user, changes={}, send=True, to="a@alfa.bg")
    with pytest.raises(ValidationError) as error:
        services.communication_edit(item=stale_copy, actor=user, changes={}, send=True, to="b@alfa.bg")
    assert "send" in error.value.error_dict
    assert stored(communication).mail_to == "a@alfa.bg"
