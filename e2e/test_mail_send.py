"""Sending e-mail from a thread as a person does it (issue 15, the send half): the thread page's
E-mail button, the address already there, Save; the timeline says "queued", the job runner's
pass runs (here, in the test: ``run_due``, what the worker and cron run) and the card says
"sent"; the mail reached a real SMTP server. A failed mail shows the server's words and Retry;
Отговори on an incoming e-mail opens the reply quoting it."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.tests.smtp import smtp_server_running
from e2e.helpers import assert_no_traceback

pytestmark = pytest.mark.e2e


@pytest.fixture
def mail_server(settings):
    # The send runs in this process (run_due below): only its settings need the server.
    settings.MAIL_FROM = "CRM Фирма <crm@firma.bg>"
    with smtp_server_running(settings) as recorder:
        yield recorder


def seed(ivan):
    from crm import services
    from crm.tests.factories import ContactPersonFactory, CounterpartyFactory

    alfa = CounterpartyFactory(name="Алфа Трейд ООД", email="office@alfa-trade.bg")
    petya = ContactPersonFactory(counterparty=alfa, name="Петя Стоянова", email="petya@alfa-trade.bg")
    call = services.communication_create(
        author=ivan,
        direction="in",
        channel="phone",
        subject="Запитване за палетни стелажи",
        description="Търсят 40 палетни места.",
        counterparty=alfa,
        contact=petya,
        # Yesterday: what the test writes (at the form's "now", to the minute) comes after it.
        occurred_at=timezone.now() - datetime.timedelta(days=1),
    )
    return call.thread


def test_send_an_email_from_the_thread_page_and_see_it_sent(page, users, login, mail_server, screenshot):
    from crm.models import Communication
    from jobs.runner import run_due

    ivan = users["ivan"]
    thread = seed(ivan)
    login(page.context, ivan)
    page.goto(thread.get_absolute_url())

    page.locator("#add-email").click()
    form = page.locator("#inline-form #communication-form")
    expect(form).to_be_visible()
    expect(form.locator("#direction-out")).to_be_checked()
    expect(form.locator("#channel-email")).to_be_checked()
    expect(form.locator("#id_send")).to_be_checked()
    expect(form.locator("#id_to")).to_have_value("office@alfa-trade.bg")
    form.locator("#id_cc").fill("petya@alfa-trade.bg")
    form.locator("#id_subject").fill("Оферта за палетни стелажи")
    description = form.locator(".mention-editor")
    description.click()
    description.press_sequentially("Здравейте, изпращаме офертата.", delay=10)
    screenshot(page, "mail-composer")
    form.locator("button[type=submit]").click()

    card = page.locator("#timeline > li.timeline-item").first
    expect(card).to_contain_text("Оферта за палетни стелажи")
    expect(card.locator("[data-mail-status]")).to_have_attribute("data-mail-status", "queued")
    expect(card.locator(".mail-status")).to_contain_text("Имейлът чака изпращане")
    email = Communication.objects.get(subject="Оферта за палетни стелажи")
    assert email.mail_to == "office@alfa-trade.bg" and email.mail_cc == "petya@alfa-trade.bg"

    run_due()  # the worker's pass: the queued job sends it
    page.reload()
    card = page.locator(f"#communication-{email.pk}")
    expect(card.locator("[data-mail-status]")).to_have_attribute("data-mail-status", "sent")
    expect(card.locator(".mail-status")).to_contain_text(re.compile(r"Имейлът е изпратен \d\d\.\d\d\.\d{4}"))
    screenshot(page, "mail-sent-timeline")
    assert len(mail_server.received) == 1
    message = mail_server.received[0].message
    assert message["Subject"] == f"Оферта за палетни стелажи [{thread.number}]"
    assert sorted(mail_server.received[0].rcpt_tos) == ["office@alfa-trade.bg", "petya@alfa-trade.bg"]

    run_due()  # again: nothing more goes out
    assert len(mail_server.received) == 1
    assert_no_traceback(page)


def test_the_mail_fields_show_only_for_an_outgoing_email(page, users, login):
    thread = seed(users["ivan"])
    login(page.context, users["ivan"])
    page.goto(f"/communications/new/?thread={thread.pk}")
    mail_fields = page.locator("#mail-fields")
    expect(mail_fields).to_be_hidden()
    page.locator("label[for=direction-out]").click()
    expect(mail_fields).to_be_hidden()
    page.locator("label[for=channel-email]").click()
    expect(mail_fields).to_be_visible()
    page.locator("label[for=channel-phone]").click()
    expect(mail_fields).to_be_hidden()


def test_a_bad_address_is_shown_on_the_field(page, users, login):
    from crm.models import Communication

    thread = seed(users["ivan"])
    login(page.context, users["ivan"])
    page.goto(f"/communications/new/?thread={thread.pk}&channel=email&direction=out")
    page.locator("#id_to").fill("office@alfa-trade.bg, петя")
    page.locator("#id_subject").fill("Оферта")
    page.locator("#communication-form button[type=submit]").click()
    expect(page.locator("[data-error-for=to]")).to_contain_text("„петя“ не е адрес на електронна поща.")
    assert not Communication.objects.filter(subject="Оферта").exists()


def test_a_failed_mail_shows_the_reason_and_retry_sends_it(page, users, login, mail_server, screenshot):
    from crm import services
    from crm.models import Communication
    from jobs.runner import run_due

    ivan = users["ivan"]
    thread = seed(ivan)
    mail_server.refuse_rcpt = "550 5.1.1 <office@alfa-trade.bg>: Recipient address rejected"
    email = services.communication_create(
        author=ivan,
        thread=thread,
        direction="out",
        channel="email",
        subject="Фактура",
        counterparty=thread.counterparty,
        send=True,
        to="office@alfa-trade.bg",
    )
    run_due()
    assert Communication.objects.get(pk=email.pk).mail_status == "failed"

    login(page.context, ivan)
    page.goto(thread.get_absolute_url())
    status = page.locator(f"#communication-{email.pk} .mail-status")
    expect(status).to_contain_text("Имейлът не е изпратен")
    expect(status).to_contain_text("550 5.1.1 <office@alfa-trade.bg>: Recipient address rejected")
    screenshot(page, "mail-failed-timeline")

    mail_server.refuse_rcpt = None
    status.get_by_role("button", name="Опитай отново").click()
    expect(page.locator(".alert-success")).to_contain_text(f"{email.number} ще бъде изпратен отново.")
    expect(page.locator(f"#communication-{email.pk} [data-mail-status]")).to_have_attribute(
        "data-mail-status", "queued"
    )
    run_due()
    page.reload()
    expect(page.locator(f"#communication-{email.pk} [data-mail-status]")).to_have_attribute("data-mail-status", "sent")
    assert len(mail_server.received) == 1


def test_reply_to_an_incoming_email_quotes_it(page, users, login, mail_server, screenshot):
    from crm.models import Communication
    from crm.tests.factories import CommunicationFactory

    ivan = users["ivan"]
    thread = seed(ivan)
    incoming = CommunicationFactory(
        thread=thread,
        author=ivan,
        direction="in",
        channel="email",
        subject="Въпрос за срока",
        description="Кога ще доставите?\nБлагодаря.",
        counterparty=thread.counterparty,
        mail_from="buyer@alfa-trade.bg",
    )
    login(page.context, ivan)
    page.goto(thread.get_absolute_url())
    page.locator(f"#communication-{incoming.pk} .tl-reply").click()

    page.wait_for_url(re.compile(r"/communications/new/\?reply_to="))
    expect(page.locator("#id_subject")).to_have_value("Re: Въпрос за срока")
    expect(page.locator("#id_to")).to_have_value("buyer@alfa-trade.bg")
    expect(page.locator("#id_send")).to_be_checked()
    quoted = re.compile(r"> Кога ще доставите\?\n> Благодаря\.")
    expect(page.locator("textarea[name=description]")).to_have_value(quoted)
    screenshot(page, "mail-reply-form")
    page.locator("#communication-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/threads/{thread.pk}/$"))
    reply = Communication.objects.get(subject="Re: Въпрос за срока")
    assert (reply.direction, reply.mail_status, reply.mail_to) == ("out", "queued", "buyer@alfa-trade.bg")


def test_the_mail_form_and_states_fit_a_phone(page, users, login, mail_server, screenshot):
    from crm import services

    ivan = users["ivan"]
    thread = seed(ivan)
    mail_server.refuse_rcpt = "550 5.7.1 Message rejected because it looks like a very long reason from the server"
    services.communication_create(
        author=ivan,
        thread=thread,
        direction="out",
        channel="email",
        subject="Фактура",
        counterparty=thread.counterparty,
        send=True,
        to="office@alfa-trade.bg, accounting-department-with-a-long-name@alfa-trade.bg",
    )
    from jobs.runner import run_due

    run_due()
    page.set_viewport_size({"width": 390, "height": 844})
    login(page.context, ivan)
    page.goto(thread.get_absolute_url())
    expect(page.locator(".mail-status")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "mail-failed-phone")
    page.goto(f"/communications/new/?thread={thread.pk}&channel=email&direction=out")
    expect(page.locator("#mail-fields")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "mail-composer-phone")
