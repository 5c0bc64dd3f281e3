"""The thread timeline as a person reads it (issue 12): newest first under the composer, one grid
of cards that say who the contact and the assignee are, copy to task through a pre-filled form,
one notification per act, and a dashboard task line that is legible at 1366 px."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback, path_of, pick_employee

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


def timeline_ids(page) -> list[str]:
    """The timeline's cards and events top to bottom (events as ``event:<kind>``)."""
    return page.locator("#timeline > li.timeline-item").evaluate_all(
        "items => items.map(li => li.dataset.kind === 'event' ? `event:${li.dataset.event}` : li.id)"
    )


IN_VIEWPORT_JS = "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; }"


def in_viewport(locator) -> bool:
    return locator.evaluate(IN_VIEWPORT_JS)


def comes_into_view(page, locator, timeout: float = 5_000) -> bool:
    """The element is (or within the timeout scrolls) on screen."""
    try:
        page.wait_for_function(IN_VIEWPORT_JS, arg=locator.element_handle(), timeout=timeout)
    except Exception:  # noqa: BLE001 - reported as False to the assertion
        return False
    return True


def test_the_thread_opens_at_the_newest_item_and_a_saved_communication_appears_on_top(page, users, login, screenshot):
    """Newest first, the composer above: the page opens at the newest item, what is saved comes in
    at the top without a reload, and "load older" brings older pages in below."""
    from crm.models import Communication

    ivan, maria = users["ivan"], users["maria"]
    thread, made = seed_thread(ivan, maria, items=34)  # more than a page of 30
    newest = made[-1]
    login(page.context, ivan)

    page.goto(thread.get_absolute_url())
    first = page.locator("#timeline > li.timeline-item").first
    expect(first).to_have_attribute("id", f"communication-{newest.pk}")
    assert in_viewport(first), "the newest item is not on the first screen"
    assert page.evaluate("window.scrollY") == 0
    ids = timeline_ids(page)
    assert ids == [f"communication-{c.pk}" for c in reversed(made[-30:])]
    expect(page.locator("#load-older")).to_be_visible()

    page.evaluate("window.e2eSamePage = 'newest-first'")
    page.locator("#add-communication").click()
    form = page.locator("#inline-form #communication-form")
    expect(form).to_be_visible()
    assert in_viewport(form), "the composer opened out of sight"
    form.locator("label[for=direction-out]").click()
    form.locator("label[for=channel-email]").click()
    form.locator("#id_subject").fill("Потвърждение на поръчката")
    screenshot(page, "timeline-composer")
    form.locator("button[type=submit]").click()

    saved = page.locator("#timeline > li.timeline-item").first
    expect(saved).to_contain_text("Потвърждение на поръчката")
    email = Communication.objects.get(subject="Потвърждение на поръчката")
    expect(saved).to_have_attribute("id", f"communication-{email.pk}")
    expect(saved).to_have_class(re.compile(r"\btl-just-saved\b"))
    assert comes_into_view(page, saved), "the saved communication is not where the user looks"
    assert page.evaluate("window.e2eSamePage") == "newest-first", "the page was reloaded"
    expect(page.locator("#inline-form #communication-form")).to_have_count(0)

    # Older pages load below, still newest first, each item once.
    page.locator("#load-older a").click()
    expect(page.locator("#timeline > li.timeline-item[data-kind=communication]")).to_have_count(35)
    expect(page.locator("#load-older")).to_have_count(0)
    assert timeline_ids(page) == [f"communication-{email.pk}", *[f"communication-{c.pk}" for c in reversed(made)]]
    assert_no_traceback(page)


def test_cards_share_one_grid_and_label_the_contact_and_the_assignee(page, users, login, screenshot):
    from crm import services

    ivan, maria = users["ivan"], users["maria"]
    thread, made = seed_thread(ivan, maria, items=3)
    task = services.task_create(author=ivan, thread=thread, subject="Подготви оферта", assignee=maria)
    login(page.context, ivan)
    page.goto(thread.get_absolute_url())

    cards = page.locator("#timeline > li.timeline-item .tl-card")
    expect(cards).to_have_count(4)
    boxes = cards.evaluate_all(
        "cards => cards.map(c => { const r = c.getBoundingClientRect();"
        " return [Math.round(r.left), Math.round(r.width)]; })"
    )
    assert len({tuple(box) for box in boxes}) == 1, f"cards not on one grid: {boxes}"
    # Incoming and outgoing stay distinct: their own colour and label.
    colour = "el => getComputedStyle(el).borderLeftColor"
    incoming = page.locator(f"#communication-{made[0].pk} .tl-card")
    outgoing = page.locator(f"#communication-{made[1].pk} .tl-card")
    assert incoming.evaluate(colour) != outgoing.evaluate(colour)
    expect(page.locator(f"#communication-{made[0].pk} .tl-kind")).to_contain_text(re.compile("Входящ|Incoming"))
    expect(page.locator(f"#communication-{made[1].pk} .tl-kind")).to_contain_text(re.compile("Изходящ|Outgoing"))

    # Who the contact is and who the assignee is, each under its label.
    def labelled(card) -> dict:
        return card.locator(".tl-people > div").evaluate_all(
            "rows => Object.fromEntries(rows.map(r => [r.querySelector('dt').textContent.trim(),"
            " r.querySelector('dd').textContent.trim()]))"
        )

    assert labelled(page.locator(f"#communication-{made[0].pk}")) == {
        "Контакт": "Петя Стоянова",
        "Отговорник": "Мария Иванова",
    }
    assert labelled(page.locator(f"#communication-{made[1].pk}")) == {"Контакт": "Отдел доставки", "Отговорник": "—"}
    assert labelled(page.locator(f"#task-{task.pk}"))["Отговорник"] == "Мария Иванова"
    # The labels stand at the same place on every card.
    lefts = page.locator("#timeline .tl-people > div:nth-child(2) dt").evaluate_all(
        "dts => dts.map(dt => Math.round(dt.getBoundingClientRect().left))"
    )
    assert len(set(lefts)) == 1, lefts
    assert_no_traceback(page)
    screenshot(page, "timeline-thread")


def test_copy_to_task_opens_a_prefilled_form_and_the_copy_shares_the_files(page, users, login, screenshot):
    from crm.models import Task

    ivan, maria = users["ivan"], users["maria"]
    thread, made = seed_thread(ivan, maria, items=1)
    call = made[0]
    from crm import services

    services.communication_create(
        author=ivan,
        thread=thread,
        direction="out",
        channel="email",
        subject="Отговор",
        counterparty=call.counterparty,
        files=[SimpleUploadedFile("Оферта.pdf", PDF, content_type="application/pdf")],
    )
    login(page.context, ivan)

    page.goto(call.get_absolute_url())
    page.locator("#copy-to-task").click()
    page.wait_for_url(f"**/communications/{call.pk}/to-task/")
    form = page.locator("#copy-task-form")
    expect(form.locator("#id_subject")).to_have_value(call.subject)
    expect(form.locator("#id_description")).to_have_value(call.description)
    expect(form.locator("#id_assignee option:checked")).to_have_text("Мария Иванова")  # carried over
    expect(page.locator("#copy-task-files")).to_contain_text("Запитване.pdf")
    assert not Task.objects.exists(), "opening the form created a task"
    form.locator("#id_deadline").fill("2026-12-31T17:00")
    form.locator("#id_subject").fill("Подготви оферта за стелажите")
    screenshot(page, "timeline-copy-to-task-form")
    form.locator("button[type=submit]").click()

    page.wait_for_url(f"**{thread.get_absolute_url()}")
    task = Task.objects.get()
    assert (task.source_communication_id, task.assignee_id) == (call.pk, maria.pk)
    assert task.deadline == datetime.datetime(2026, 12, 31, 17, 0, tzinfo=SOFIA)
    expect(page.locator(".alert-success")).to_contain_text(task.number)
    top = page.locator("#timeline > li.timeline-item[data-kind=task]").first
    expect(top).to_have_attribute("id", f"task-{task.pk}")
    expect(top.locator(".tl-assignee")).to_have_text("Мария Иванова")
    expect(top.locator(".tl-deadline")).to_have_text("31.12.2026 17:00")
    copied = page.locator(f"#communication-{call.pk} .tl-copied")
    expect(copied).to_have_text(re.compile(rf"(копирано в|copied to) {re.escape(task.number)}"))
    expect(page.locator(f"#communication-{call.pk} .tl-copy")).to_have_count(0)
    # Each file once in the thread's list, although the task shares the call's file.
    names = page.locator("#thread-attachments > li a").all_text_contents()
    assert sorted(names) == ["Запитване.pdf", "Оферта.pdf"], names
    # The communication's own page says it too.
    copied.click()
    page.wait_for_url(f"**/tasks/{task.pk}/")
    page.goto(call.get_absolute_url())
    expect(page.locator("#copied-to")).to_contain_text(task.number)
    assert_no_traceback(page)


def test_a_task_that_mentions_its_assignee_tells_them_once(page, page_for, users, login):
    from notifications.models import Notification

    ivan, maria = users["ivan"], users["maria"]
    login(page.context, ivan)
    page.goto("/tasks/new/")
    page.fill("#id_subject", "Провери наличността")
    description = page.locator(".mention-editor")  # the mention editor over textarea[name=description]
    description.click()
    description.press_sequentially("Моля, @Мар", delay=40)
    page.locator("ul.mention-menu:not([hidden]) [role=option]", has_text="Мария Иванова").click()
    description.press_sequentially("провери склада.", delay=20)
    pick_employee(page, "id_assignee", maria)
    page.locator("#task-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/threads/\d+/$"))

    assert list(Notification.objects.filter(recipient=maria).values_list("kind", flat=True)) == ["mention"]
    maria_page = page_for(maria)
    maria_page.goto("/")
    expect(maria_page.locator("#notification-bell-count")).to_have_attribute("data-count", "1")
    assert path_of(maria_page) == "/"


def test_the_dashboard_task_line_shows_number_subject_and_deadline(page, users, login, screenshot):
    from crm import services

    ivan, maria = users["ivan"], users["maria"]
    subject = "Подготви оферта за палетни стелажи и монтаж в новия склад на Алфа Трейд"
    task = services.task_create(
        author=ivan, subject=subject, assignee=maria, deadline=datetime.datetime(2026, 12, 31, 17, 0, tzinfo=SOFIA)
    )
    services.task_create(author=ivan, subject="Кратка", assignee=maria)
    login(page.context, maria)
    page.goto("/")

    line = page.locator("#my-tasks > li").filter(has_text=task.number)
    number, subject_link, deadline = (
        line.locator(s) for s in (".dash-task-number", ".dash-task-subject", ".dash-task-deadline")
    )
    expect(number).to_have_text(task.number)
    expect(subject_link).to_contain_text(subject)
    expect(deadline).to_have_text("31.12.2026 17:00")
    # Nothing of the line is cut off: number and deadline whole, the subject wrapped, not clipped.
    clipped = "el => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1"
    for part in (number, subject_link, deadline):
        assert not part.evaluate(clipped), f"{part} is truncated"
    box = {name: loc.bounding_box() for name, loc in (("number", number), ("deadline", deadline), ("li", line))}
    assert box["number"]["x"] + box["number"]["width"] <= box["deadline"]["x"], box  # no overlap
    assert box["deadline"]["x"] + box["deadline"]["width"] <= box["li"]["x"] + box["li"]["width"], box
    assert_no_traceback(page)
    screenshot(page, "timeline-dashboard")
