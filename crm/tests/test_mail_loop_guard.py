"""The loop guard: more than 20 messages from one sender in two hours are held, an admin is told
once; held messages are released (filed) or discarded in the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from crm.models import Communication, HeldMail
from crm.services.mail_in import LOOP_LIMIT, Outcome, held_mail_discard, held_mail_release, mail_file
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def raw(n: int, sender: str = "robot@loop.example") -> bytes:
    return (
        f"From: Robot <{sender}>\r\nTo: crm@firm.bg\r\nSubject: Ticket {n}\r\nMessage-ID: <loop-{n}-{sender}>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nYour ticket was received.\r\n"
    ).encode()


@pytest.fixture
def admin_user(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def test_the_21st_message_in_two_hours_is_held_and_an_admin_told_once(admin_user):
    outcomes = [mail_file(raw=raw(n)).outcome for n in range(LOOP_LIMIT + 3)]
    assert outcomes == [Outcome.FILED] * LOOP_LIMIT + [Outcome.HELD] * 3
    assert Communication.objects.count() == LOOP_LIMIT
    assert HeldMail.objects.count() == 3
    (note,) = Notification.objects.filter(recipient=admin_user)
    assert note.kind == "email" and "robot@loop.example" in note.display_text
    # Another sender is not held.
    assert mail_file(raw=raw(1, sender="person@ok.example")).outcome == Outcome.FILED
    # The same held message again is not held twice.
    assert mail_file(raw=raw(LOOP_LIMIT)).outcome == Outcome.DUPLICATE


def test_the_window_is_two_hours(admin_user):
    for n in range(LOOP_LIMIT):
        mail_file(raw=raw(n))
    Communication.objects.update(created_at=timezone.now() - timedelta(hours=2, minutes=1))
    assert mail_file(raw=raw(99)).outcome == Outcome.FILED


def test_release_files_and_discard_removes(admin_user, django_capture_on_commit_callbacks):
    for n in range(LOOP_LIMIT + 2):
        mail_file(raw=raw(n))
    first, second = HeldMail.objects.order_by("id")
    path = first.raw.path
    with django_capture_on_commit_callbacks(execute=True):
        filing = held_mail_release(held=first)
    assert filing.outcome == Outcome.FILED and filing.communication.subject == f"Ticket {LOOP_LIMIT}"
    second_path = second.raw.path
    with django_capture_on_commit_callbacks(execute=True):
        held_mail_discard(held=second)
    assert not HeldMail.objects.exists()
    assert Communication.objects.count() == LOOP_LIMIT + 1
    import os

    assert not os.path.exists(path) and not os.path.exists(second_path)
