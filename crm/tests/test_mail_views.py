"""The pages of outgoing e-mail: the form's send/to/cc, the thread page's E-mail button, the reply
to an incoming e-mail, the send state on the timeline and the communication page, Retry."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import services
from crm.models import Communication
from crm.tests.factories import CommunicationFactory, ContactPersonFactory, CounterpartyFactory, ThreadFactory
from crm.tests.test_views import field_errors, input_value, page, section

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mail_settings(settings):
    settings.MAIL_FROM = "crm@firma.bg"


@pytest.fixture
def alfa(db):
    return CounterpartyFactory(name="Алфа ООД", email="office@alfa.bg")


def checkbox_checked(html: str, name: str) -> bool:
    tag = next(t for t in html.split("<input")[1:] if f'name="{name}"' in t.split(">")[0])
    return " checked" in tag.split(">")[0]


def email_post(thread, **fields) -> dict:
    return {
        "thread": str(thread.pk),
        "direction": "out",
        "channel": "email",
        "subject": "Оферта",
        "description": "Здравейте",
        "counterparty": str(thread.counterparty_id),
        "counterparty_name": thread.counterparty.name,
        "status": "new",
        "send": "on",
        "to": "office@alfa.bg",
        "cc": "",
        "form_token": "",
    } | fields


def test_thread_pages_email_button_opens_an_outgoing_email_to_the_counterparty(client_ivan, user, alfa):
    thread = ThreadFactory(counterparty=alfa, author=user)
    html = page(client_ivan.get(f"/threads/{thread.pk}/"))
    assert 'id="add-email"' in html

    form = page(client_ivan.get(f"/communications/new/?thread={thread.pk}&channel=email&direction=out"))
    assert 'id="direction-out" value="out" checked' in form
    assert 'id="channel-email" value="email" checked' in form
    assert checkbox_checked(form, "send")
    assert input_value(form, "to") == "office@alfa.bg"
    assert input_value(form, "cc") == ""


def test_new_form_is_not_sent_unless_asked(client_ivan, user, alfa):
    thread = ThreadFactory(counterparty=alfa, author=user)
    form = page(client_ivan.get(f"/communications/new/?thread={thread.pk}"))
    assert not checkbox_checked(form, "send")
    assert input_value(form, "to") == "office@alfa.bg"  # ready, should the user switch to an e-mail


def test_reply_to_an_incoming_email_quotes_it_and_goes_to_its_sender(client_ivan, user, other_user, alfa):
    contact = ContactPersonFactory(counterparty=alfa, name="Петя", email="petya@alfa.bg")
    incoming = CommunicationFactory(
        thread=ThreadFactory(counterparty=alfa, author=user),
        direction="in",
        channel="email",
        subject="Запитване за профили",
        contact=contact,
        mail_from="sender@alfa.bg",
        description=f"Първи ред\n\nпитайте @[Мария Иванова](user:{other_user.pk})",
    )
    timeline = page(client_ivan.get(f"/threads/{incoming.thread_id}/"))
    card = section(timeline, f"communication-{incoming.pk}")
    assert f'href="/communications/new/?reply_to={incoming.pk}"' in card
    assert "Отговори" in card

    form_response = client_ivan.get(f"/communications/new/?reply_to={incoming.pk}")
    form = page(form_response)
    initial = form_response.context["form"].initial
    assert input_value(form, "subject") == "Re: Запитване за профили"
    assert input_value(form, "to") == "sender@alfa.bg"
    assert input_value(form, "thread") == str(incoming.thread_id)
    assert checkbox_checked(form, "send")
    assert 'id="direction-out" value="out" checked' in form
    quote = initial["description"]
    assert quote.startswith("\n\n") and "sender@alfa.bg" in quote
    assert "> Първи ред\n>\n> питайте @Мария Иванова" in quote
    assert "(user:" not in quote  # quoting mentions nobody again


def test_reply_without_a_sender_address_goes_to_the_contact(client_ivan, user, alfa):
    contact = ContactPersonFactory(counterparty=alfa, email="petya@alfa.bg")
    incoming = CommunicationFactory(direction="in", channel="email", counterparty=alfa, contact=contact)
    form = page(client_ivan.get(f"/communications/new/?reply_to={incoming.pk}"))
    assert input_value(form, "to") == "petya@alfa.bg"


def test_outgoing_and_phone_items_have_no_reply_link(client_ivan, user, alfa):
    thread = ThreadFactory(counterparty=alfa, author=user)
    out = CommunicationFactory(thread=thread, direction="out", channel="email")
    call = CommunicationFactory(thread=thread, direction="in", channel="phone")
    html = page(client_ivan.get(f"/threads/{thread.pk}/"))
    for item in (out, call):
        assert "tl-reply" not in section(html, f"communication-{item.pk}")


def test_post_with_send_queues_the_mail_after_commit(
    client_ivan, user, alfa, smtp_server, django_capture_on_commit_callbacks
):
    thread = ThreadFactory(counterparty=alfa, author=user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_ivan.post("/communications/new/", email_post(thread, cc="boss@alfa.bg"))
    assert response.status_code == 302
    communication = Communication.objects.get(thread=thread)
    assert (communication.mail_status, communication.mail_to, communication.mail_cc) == (
        "queued",
        "office@alfa.bg",
        "boss@alfa.bg",
    )
    assert callbacks  # the job is enqueued on commit

    services.mail_send_due()
    html = page(client_ivan.get(f"/threads/{thread.pk}/"))
    card = section(html, f"communication-{communication.pk}")
    assert 'data-mail-status="sent"' in card
    assert "Имейлът е изпратен" in card
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"to": ""}, "to"),
        ({"to": "office@alfa.bg, грешен"}, "to"),
        ({"cc": "x@"}, "cc"),
        ({"direction": "in"}, "send"),
        ({"channel": "phone"}, "send"),
        ({"to": "a@b.bg" * 1000}, "to"),
    ],
)
def test_bad_send_fields_are_shown_on_their_field_and_nothing_is_saved(client_ivan, user, alfa, fields, field):
    thread = ThreadFactory(counterparty=alfa, author=user)
    response = client_ivan.post("/communications/new/", email_post(thread, **fields))
    assert response.status_code == 200
    assert field in field_errors(page(response))
    assert not Communication.objects.filter(thread=thread).exists()


def failed_mail(thread, author, reason="550 5.1.1 <x@alfa.bg>: <script>alert(1)</script> unknown"):
    return CommunicationFactory(
        thread=thread,
        author=author,
        direction="out",
        channel="email",
        mail_status="failed",
        mail_to="x@alfa.bg",
        mail_error=reason,
        message_id="<failed@firma.bg>",
    )


def test_failed_mail_shows_the_reason_escaped_and_retry_for_its_author(client, user, other_user, alfa):
    thread = ThreadFactory(counterparty=alfa, author=user)
    failed = failed_mail(thread, user)
    client.force_login(user)
    for url in (f"/threads/{thread.pk}/", f"/communications/{failed.pk}/"):
        html = page(client.get(url))
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert f'action="/communications/{failed.pk}/retry-email/"' in html
    client.force_login(other_user)
    html = page(client.get(f"/threads/{thread.pk}/"))
    assert 'data-mail-status="failed"' in html
    assert "retry-email" not in html  # Мария may not edit Иван's e-mail


def test_retry_is_for_editors_and_queues_the_mail(client, user, other_user, alfa, django_capture_on_commit_callbacks):
    thread = ThreadFactory(counterparty=alfa, author=user)
    failed = failed_mail(thread, user)
    client.force_login(other_user)
    assert client.post(f"/communications/{failed.pk}/retry-email/").status_code == 403
    assert Communication.objects.get(pk=failed.pk).mail_status == "failed"

    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/communications/{failed.pk}/retry-email/", {"next": f"/threads/{thread.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/threads/{thread.pk}/"
    retried = Communication.objects.get(pk=failed.pk)
    assert (retried.mail_status, retried.mail_error, retried.message_id) == ("queued", "", "<failed@firma.bg>")

    # Retrying what is not failed says so and changes nothing.
    response = client.post(f"/communications/{failed.pk}/retry-email/", follow=True)
    assert "Само неуспешно изпратен" in page(response)
    assert Communication.objects.get(pk=failed.pk).mail_status == "queued"


def test_retry_with_a_foreign_next_goes_to_the_communication(client_ivan, user, alfa):
    failed = failed_mail(ThreadFactory(counterparty=alfa, author=user), user)
    response = client_ivan.post(f"/communications/{failed.pk}/retry-email/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/communications/{failed.pk}/"


def test_edit_form_of_a_sent_mail_shows_its_state_instead_of_send(client_ivan, user, alfa):
    sent = CommunicationFactory(
        author=user, direction="out", channel="email", mail_status="sent", mail_to="office@alfa.bg"
    )
    html = page(client_ivan.get(f"/communications/{sent.pk}/edit/"))
    assert 'name="send"' not in html
    assert 'data-mail-status="sent"' in html
    failed = failed_mail(ThreadFactory(counterparty=alfa, author=user), user)
    html = page(client_ivan.get(f"/communications/{failed.pk}/edit/"))
    assert 'name="send"' in html and input_value(html, "to") == "x@alfa.bg"
    assert "retry-email" not in html  # no form inside the form: saving with "send" is the retry here


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("viewer", ["author", "other"])
def test_timeline_with_mail_states_runs_as_many_queries_as_without(client, user, other_user, alfa, viewer):
    plain = ThreadFactory(counterparty=alfa, author=user)
    mailed = ThreadFactory(counterparty=alfa, author=user)
    for state in ("", "queued", "sending", "sent", "failed", "failed"):
        CommunicationFactory(thread=plain, author=user, direction="out", channel="email")
        CommunicationFactory(
            thread=mailed,
            author=user,
            direction="out",
            channel="email",
            mail_status=state,
            mail_to="a@alfa.bg" if state else "",
            mail_error="451 busy" if state == "failed" else "",
        )
    CommunicationFactory(thread=plain, direction="in", channel="email", mail_from="a@alfa.bg")
    CommunicationFactory(thread=mailed, direction="in", channel="email", mail_from="a@alfa.bg")
    client.force_login(user if viewer == "author" else other_user)
    client.get(f"/threads/{plain.pk}/")  # warm up (content types, session)

    plain_count = count_queries(client, f"/threads/{plain.pk}/")
    mailed_count = count_queries(client, f"/threads/{mailed.pk}/")

    # Someone else's failed mail asks whether the viewer may retry it: their permissions, which
    # the navbar has loaded already (its Reports entry; cached for the request), so no query
    # more, however many failed mails the page shows.
    assert mailed_count == plain_count
