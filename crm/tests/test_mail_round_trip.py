"""Round trip through real servers: an e-mail sent from a thread (mailout's sender, through an
aiosmtpd SMTP server) is answered; the answer, delivered into pymap, is fetched into the same
thread once — by its References, and by the Reply-To token when a client drops them."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from crm.inbound.imap import fetch_mail
from crm.models import Communication, ContactPerson, Counterparty
from crm.services import communication_create, communication_email_send
from crm.services.mail import MailOrder, mail_queue
from testsupport.imap_server import free_port, imap_server

pytestmark = pytest.mark.django_db


class Collect:
    def __init__(self):
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp(settings):
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield handler
    controller.stop()


@pytest.fixture
def sent(smtp, user, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    settings.MAIL_FROM = settings.DEFAULT_FROM_EMAIL = "CRM <crm@firm.bg>"
    acme = Counterparty.objects.create(name="Акме ООД", email="office@acme.bg")
    ContactPerson.objects.create(counterparty=acme, name="Иван Петров", email="ivan.petrov@acme.bg")
    with django_capture_on_commit_callbacks(execute=True):
        communication = communication_create(
            author=user,
            direction="out",
            channel="email",
            subject="Оферта за профили",
            description="Изпращаме ви офертата.",
            counterparty=acme,
            assignee=user,
        )
        mail_queue(communication=communication, order=MailOrder(to=("ivan.petrov@acme.bg",)))
    assert communication_email_send(communication_id=communication.pk) == "sent"
    (raw,) = smtp.messages
    return communication, email.message_from_bytes(raw, policy=email.policy.default)


def reply(original, *, keep_references: bool) -> bytes:
    answer = EmailMessage()
    answer["From"] = "Иван Петров <ivan.petrov@acme.bg>"
    answer["To"] = original["Reply-To"]
    answer["Subject"] = f"Re: {original['Subject']}" if keep_references else "Отговор"
    answer["Message-ID"] = f"<reply-{keep_references}@acme.bg>"
    if keep_references:
        answer["In-Reply-To"] = original["Message-ID"]
        answer["References"] = original["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in original.get_body(("plain",)).get_content().splitlines())
    answer.set_content(f"Приемаме.\n\nOn Tue, 1 Dec 2026 at 10:00, CRM <crm@firm.bg> wrote:\n{quoted}\n")
    return answer.as_bytes()


@pytest.mark.parametrize("keep_references", [True, False], ids=["references", "reply-to-token-only"])
def test_a_reply_to_sent_mail_lands_in_its_thread_once(sent, keep_references):
    communication, original = sent
    assert original["Message-ID"] == communication.message_id
    with imap_server() as server:
        server.deliver(reply(original, keep_references=keep_references))
        report = fetch_mail(url=server.url)
        assert [f.outcome for _uid, f in report.filings] == ["filed"]
        assert fetch_mail(url=server.url).filings == []
    (answer,) = Communication.objects.filter(direction="in")
    assert answer.thread_id == communication.thread_id
    assert answer.description == "Приемаме."
    assert "Изпращаме ви офертата." in answer.mail_quoted
    assert answer.assignee_id == communication.assignee_id
    assert answer.contact.name == "Иван Петров"
