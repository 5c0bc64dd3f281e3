"""A provider's inbound webhook (django-anymail, SendGrid's "raw, full MIME" POST): the message is
filed by the same service as IMAP mail; without the basic-auth secret nothing is filed; without
MAIL_INBOUND_WEBHOOK_SECRET there is no endpoint at all."""

from __future__ import annotations

import base64
import importlib

import pytest
from django.urls import clear_url_caches

from crm.models import Communication
from crm.tests.test_mail_corpus import CORPUS

pytestmark = [
    pytest.mark.django_db,
    # The simplest raw-MIME inbound to test with; anymail has dropped official support of SendGrid
    # (anymail#432) but parses its POST as before. Other providers: the same endpoint shape.
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]
SECRET = "provider:s3cret-Пароля"
URL = "/mail/inbound/sendgrid/inbound/"


def reload_urls() -> None:
    import config.urls

    clear_url_caches()
    importlib.reload(config.urls)


@pytest.fixture
def webhook(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MAIL_INBOUND_WEBHOOK_SECRET = SECRET
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    reload_urls()
    yield
    settings.MAIL_INBOUND_WEBHOOK_SECRET = ""
    settings.ANYMAIL = {"WEBHOOK_SECRET": None}
    reload_urls()


def auth(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def post(client, raw: bytes, secret: str = SECRET):
    # SendGrid posts the raw message as the form field "email" (its "POST the raw, full MIME" option).
    return client.post(URL, {"email": raw.decode("utf-8", "replace"), "charsets": '{"email": "utf-8"}'}, **auth(secret))


def test_a_raw_mime_post_is_filed(client, webhook):
    raw = (CORPUS / "15_rfc2231_continuation_filename.eml").read_bytes()
    response = post(client, raw)
    assert response.status_code == 200
    (comm,) = Communication.objects.all()
    assert (comm.direction, comm.subject, comm.message_id) == ("in", "Договор", "<rfc2231-1@acme.bg>")
    assert [a.original_name for a in comm.attachments.all()] == ["Договор.pdf"]
    assert post(client, raw).status_code == 200  # the provider retries: filed once
    assert Communication.objects.count() == 1


def test_a_post_without_the_secret_files_nothing(client, webhook):
    response = post(client, (CORPUS / "08_new_thread_unknown_sender.eml").read_bytes(), secret="provider:wrong")
    assert response.status_code in (400, 401, 403)
    assert not Communication.objects.exists()


def test_no_secret_no_endpoint(client, user):
    client.force_login(user)
    assert client.post(URL, {"email": "x"}).status_code == 404
