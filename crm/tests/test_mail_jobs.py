"""The send goes through the job runner: enqueued after commit, run by ``run_due`` (what the
worker and cron run), once even if run twice; a temporary failure is picked up again by the
"crm_mail" due pass when its time comes. Real commits (transactional tests), a real SMTP server."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm import services
from crm.models import Communication
from crm.tests.factories import CounterpartyFactory
from jobs.runner import run_due

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def mail_settings(settings):
    settings.MAIL_FROM = "CRM <crm@firma.bg>"


def queue_mail(user):
    alfa = CounterpartyFactory(name="Алфа ООД", email="office@alfa.bg")
    return services.communication_create(
        author=user,
        direction="out",
        channel="email",
        subject="Оферта",
        description="Здравейте",
        counterparty=alfa,
        send=True,
        to="office@alfa.bg",
    )


def test_run_due_sends_the_queued_mail_once_even_run_twice(smtp_server, user):
    communication = queue_mail(user)  # committed: its job is in the queue now

    first = run_due()
    run_due()
    call_command("run_due")

    assert len(smtp_server.received) == 1
    assert smtp_server.received[0].message["Message-ID"] == Communication.objects.get(pk=communication.pk).message_id
    assert Communication.objects.get(pk=communication.pk).mail_status == "sent"
    assert "crm_mail" in first


def test_a_temporary_failure_is_sent_by_a_later_due_pass(smtp_server, user):
    smtp_server.refuse_rcpt = "421 4.7.0 Try again later"
    communication = queue_mail(user)
    run_due()
    waiting = Communication.objects.get(pk=communication.pk)
    assert waiting.mail_status == "queued" and "421" in waiting.mail_error

    smtp_server.refuse_rcpt = None
    run_due()  # not due yet
    assert smtp_server.received == []
    run_due(now=waiting.mail_next_attempt_at + datetime.timedelta(seconds=1))
    assert len(smtp_server.received) == 1
    assert Communication.objects.get(pk=communication.pk).mail_status == "sent"


def test_a_permanent_failure_is_not_tried_again(smtp_server, user):
    smtp_server.refuse_data = "554 5.6.0 Message refused"
    communication = queue_mail(user)
    run_due()
    run_due(now=timezone.now() + datetime.timedelta(days=2))
    failed = Communication.objects.get(pk=communication.pk)
    assert failed.mail_status == "failed" and failed.mail_error.startswith("554 5.6.0")
    assert failed.mail_attempts == 1
