"""Notifications by e-mail through a real SMTP server (aiosmtpd, started here) and the real due
pass: the delayed e-mail arrives once, carries every unread notification and none read in time,
its links work; the digest leaves at its hour; unsubscribe is one click."""

import datetime
import email
import email.policy
import re
import socket
import zoneinfo

import pytest
from aiosmtpd.controller import Controller
from django.core import mail as django_mail
from django.urls import reverse

from jobs.models import OutgoingMail
from jobs.runner import run_due
from notifications.mailing import email_pass, unsubscribe_token
from notifications.models import Channel, DeliverySettings, Notification, Preference
from notifications.services import notification_mark_read, notification_send
from testsupport.apps import NOTIFICATION_KIND

SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")
START = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=SOFIA)
pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.SITE_URL = "https://crm.example.bg"
    yield inbox
    controller.stop()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)

    def at(moment):
        time_machine.move_to(moment, tick=False)
        run_due()

    return at


def send(recipient, text, actor=None):
    [row] = notification_send(
        recipient_ids=[recipient.pk], actor=actor, kind=NOTIFICATION_KIND, target=None, text=text, url="/notes/1/"
    )
    return row


def wants(user, channel, **delivery):
    Preference.objects.create(user=user, kind=NOTIFICATION_KIND, channel=channel)
    if delivery:
        DeliverySettings.objects.create(user=user, **delivery)


def bodies(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_unread_notifications_are_mailed_once_together_and_read_ones_never(user, other_user, smtp, clock, client):
    other_user.email = "maria@example.bg"
    other_user.save()
    wants(other_user, Channel.EMAIL)
    first = send(other_user, "Първо <b>съобщение</b>", actor=user)
    clock(START + datetime.timedelta(minutes=1))
    read_in_time = send(other_user, "Прочетено навреме")
    clock(START + datetime.timedelta(minutes=2))
    third = send(other_user, "Трето")
    notification_mark_read(notification=read_in_time)
    clock(START + datetime.timedelta(minutes=9, seconds=59))
    assert smtp.messages == []
    clock(START + datetime.timedelta(minutes=12))  # every unread one due by now
    clock(START + datetime.timedelta(hours=3))
    [message] = smtp.messages
    assert message["To"] == "maria@example.bg"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == OutgoingMail.objects.get().message_id
    text, html = bodies(message)
    assert "Първо <b>съобщение</b>" in text and "Трето" in text and "Прочетено навреме" not in text
    assert "Първо &lt;b&gt;съобщение&lt;/b&gt;" in html and "<b>" not in html
    assert text.startswith("Здравейте, Мария Иванова!")  # Bulgarian by default
    # The links are absolute and work: opening one marks it read and leads to its object.
    links = re.findall(r"https://crm\.example\.bg(/[^\s\"<>]*)", html)
    open_first = reverse("notifications:open", args=[first.pk])
    assert open_first in links and reverse("notifications:open", args=[third.pk]) in links
    client.force_login(other_user)
    response = client.get(open_first)
    assert response.status_code == 302 and response["Location"] == "/notes/1/"
    assert Notification.objects.get(pk=first.pk).read_at is not None


def test_nothing_is_mailed_to_who_chose_the_app(user, other_user, smtp, clock):
    other_user.email = "maria@example.bg"
    other_user.save()
    send(other_user, "Само в приложението")
    clock(START + datetime.timedelta(days=2))
    assert smtp.messages == []
    assert Notification.objects.get().mail_due_at is None


def test_off_makes_no_notification_at_all(other_user):
    wants(other_user, Channel.OFF)
    assert (
        notification_send(recipient_ids=[other_user.pk], actor=None, kind=NOTIFICATION_KIND, target=None, text="x")
        == []
    )


def test_the_digest_leaves_at_its_hour_in_sofia_once(other_user, smtp, clock):
    other_user.email = "maria@example.bg"
    other_user.save()
    wants(other_user, Channel.DIGEST, digest_time=datetime.time(18, 30))
    send(other_user, "За дайджеста 1")
    clock(START + datetime.timedelta(hours=3))
    send(other_user, "За дайджеста 2")
    clock(datetime.datetime(2027, 3, 1, 18, 29, tzinfo=SOFIA))
    assert smtp.messages == []
    clock(datetime.datetime(2027, 3, 1, 18, 30, tzinfo=SOFIA))
    clock(datetime.datetime(2027, 3, 2, 18, 30, tzinfo=SOFIA))
    [digest] = smtp.messages
    text, _ = bodies(digest)
    assert "За дайджеста 1" in text and "За дайджеста 2" in text


def test_one_click_unsubscribe_stops_the_mail_for_that_kind(other_user, client, smtp, clock):
    other_user.email = "maria@example.bg"
    other_user.save()
    wants(other_user, Channel.EMAIL)
    send(other_user, "Едно")
    token = unsubscribe_token(user_id=other_user.pk, kinds_=[NOTIFICATION_KIND])
    url = reverse("notifications:unsubscribe", args=[token])
    assert client.get(url).status_code == 200  # asks; a link scanner changes nothing
    assert Preference.objects.get(user=other_user).channel == Channel.EMAIL
    response = client.post(url, {"List-Unsubscribe": "One-Click"})  # RFC 8058, no session, no CSRF
    assert response.status_code == 200
    assert Preference.objects.get(user=other_user).channel == Channel.APP
    clock(START + datetime.timedelta(hours=1))
    assert smtp.messages == []


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoxfQ:1abc:def", "x" * 3000])
def test_a_forged_or_broken_unsubscribe_link_is_refused(client, token):
    response = client.post(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 400


def test_the_mail_is_in_english_for_an_english_reader(other_user, smtp, clock, settings):
    other_user.email = "maria@example.bg"
    other_user.language = "en"  # a reader's own language, when the project knows it
    wants(other_user, Channel.EMAIL)
    from notifications.mailing import notifications_mail

    notifications_mail(recipient=other_user, notifications=[send(other_user, "Hi")])
    run_due()
    [message] = smtp.messages
    assert "unread notification" in message["Subject"]


def test_the_email_pass_takes_fixed_queries_and_one_when_idle(
    user, other_user, petar, clock, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert email_pass(now=START) == 0
    for person in (other_user, petar):
        person.email = f"{person.username}@example.bg"
        person.save()
        wants(person, Channel.EMAIL)
        send(person, "а")
        send(person, "б")
    later = START + datetime.timedelta(minutes=11)
    # due?; savepoint, claim, read the claimed rows, a message row per recipient, release (the
    # send job is queued after commit)
    with django_assert_num_queries(7):
        assert email_pass(now=later) == 4
    assert OutgoingMail.objects.count() == 2
    assert django_mail.outbox == []  # sent by the job after commit, not inside the pass
