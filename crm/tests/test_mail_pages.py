"""The pages of filed e-mail: the mailbox status and held e-mail in the admin, the quoted
history and HTML body on the thread and communication pages (escaped, sanitised, no N+1)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from crm.models import Communication, HeldMail, Mailbox
from crm.services.mail_in import LOOP_LIMIT, mail_file
from crm.tests.test_mail_corpus import CORPUS

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script>"


@pytest.fixture
def admin_client(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_mailbox_status_page(admin_client):
    Mailbox.objects.create(key="crm@mail.firm.bg:993/INBOX", last_poll_at=timezone.now(), last_error=f"UID 7: {XSS}")
    mail_file(raw=(CORPUS / "08_new_thread_unknown_sender.eml").read_bytes())
    mail_file(raw=(CORPUS / "12_windows_1251.eml").read_bytes())
    html = admin_client.get("/admin/crm/mailbox/").content.decode()
    assert "crm@mail.firm.bg:993/INBOX" in html
    assert XSS not in html and "&lt;script&gt;" in html
    assert '<td class="field-filed_today">2</td>' in html


def test_mailbox_status_page_queries_do_not_grow(admin_client, django_assert_max_num_queries):
    for n in range(3):
        Mailbox.objects.create(key=f"box{n}@mail.firm.bg:993/INBOX")
    admin_client.get("/admin/crm/mailbox/")
    with django_assert_max_num_queries(8):
        assert admin_client.get("/admin/crm/mailbox/").status_code == 200


def flood(n: int) -> None:
    for i in range(n):
        raw = (
            f"From: robot@loop.example\r\nTo: crm@firm.bg\r\nSubject: Ticket {i}\r\nMessage-ID: <t{i}@loop>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nAuto text\r\n"
        ).encode()
        mail_file(raw=raw)


def test_held_mail_is_released_or_discarded_in_the_admin(admin_client, django_capture_on_commit_callbacks):
    flood(LOOP_LIMIT + 2)
    first, second = HeldMail.objects.order_by("id")
    html = admin_client.get("/admin/crm/heldmail/").content.decode()
    assert "robot@loop.example" in html and "release_held_mail" in html and "discard_held_mail" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/crm/heldmail/", {"action": "release_held_mail", "_selected_action": [first.pk]}, follow=True
        )
    assert response.status_code == 200
    assert Communication.objects.filter(subject=f"Ticket {LOOP_LIMIT}").exists()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/crm/heldmail/", {"action": "discard_held_mail", "_selected_action": [second.pk]})
    assert not HeldMail.objects.exists()
    assert not Communication.objects.filter(subject=f"Ticket {LOOP_LIMIT + 1}").exists()


def test_mail_admin_is_for_staff_only(client, user):
    for url in ("/admin/crm/mailbox/", "/admin/crm/heldmail/", "/admin/crm/mailbounce/"):
        assert client.get(url).status_code == 302
    client.force_login(user)
    for url in ("/admin/crm/mailbox/", "/admin/crm/heldmail/", "/admin/crm/mailbounce/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.fixture
def reader(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user = UserFactory(username="reader")
    client.force_login(user)
    return client


def test_the_thread_page_folds_the_history_and_shows_html_safely(reader):
    reply = mail_file(raw=(CORPUS / "10_forwarded_inline.eml").read_bytes()).communication
    html_mail = mail_file(raw=(CORPUS / "18_html_with_script.eml").read_bytes()).communication
    page = reader.get(reply.thread.get_absolute_url()).content.decode()
    assert '<details class="mail-quoted small">' in page and "Поръчката е готова." in page
    for comm in (reply, html_mail):
        for url in (comm.thread.get_absolute_url(), comm.get_absolute_url()):
            page = reader.get(url).content.decode()
            assert "<script>alert" not in page and "onclick" not in page and "javascript:alert" not in page
    page = reader.get(html_mail.get_absolute_url()).content.decode()
    assert '<div class="mail-html"><p>Hi</p>' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; invoice" in page  # the subject, escaped


def test_the_thread_page_with_filed_mail_runs_the_same_queries(reader, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = mail_file(raw=(CORPUS / "15_rfc2231_continuation_filename.eml").read_bytes()).communication
    url = first.thread.get_absolute_url()
    reader.get(url)
    with CaptureQueriesContext(connection) as few:
        reader.get(url)
    for n in range(5):
        raw = (
            f"From: Ivan <ivan@x.bg>\r\nTo: crm@firm.bg\r\nSubject: [{first.thread.number}] more {n}\r\n"
            f"Message-ID: <more-{n}@x.bg>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nНов {n}\r\n\r\n> old\r\n"
        ).encode()
        assert mail_file(raw=raw).communication.thread_id == first.thread_id
    with django_assert_num_queries(len(few)):
        response = reader.get(url)
    assert response.content.decode().count('<details class="mail-quoted small">') == 5
