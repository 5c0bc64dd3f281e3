"""The main story of the CRM, walked in a browser as a person would.

A call comes in from a company nobody has entered yet; a new thread opens. From the thread page
the employee answers by e-mail (with a PDF and a photo), hands a task to a colleague, links an
order, copies the call into a task, promotes the free-text company to a counterparty and moves
the task on — and the timeline shows all of it, newest first, with the system events.
"""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback, path_of, pick_employee

pytestmark = pytest.mark.e2e

SOFIA = ZoneInfo("Europe/Sofia")
NEW_COUNTERPARTY = "Бета Логистик ООД"
CALL_SUBJECT = "Запитване за палетни стелажи"
EMAIL_SUBJECT = "Оферта за палетни стелажи"
TASK_SUBJECT = "Подготви оферта за Бета"
PDF_NAME = "Оферта-Бета.pdf"
PNG_NAME = "склад.png"

THREAD_URL = re.compile(r"/threads/(\d+)/$")
TASK_URL = re.compile(r"/tasks/(\d+)/$")
# Either language: the UI is Bulgarian when the catalog is compiled, English otherwise.
ASSIGNED_LABEL = re.compile(r"Назначена|Assigned")
# "d.m.Y H:i" (cards and events) or "d.m.Y" (orders sit at their date's midnight).
SHOWN_TIME = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})(?: (\d{2}):(\d{2}))?")

# Each timeline item as "kind:id" (cards) or "event:kind" (system events), with the moment it shows.
READ_TIMELINE_JS = """
items => items.map((li) => {
  const kind = li.dataset.kind;
  const key = kind === "event" ? `event:${li.dataset.event}` : `${kind}:${li.id}`;
  const meta = li.querySelector(".tl-meta");
  return {key, shown: meta ? meta.textContent : li.textContent};
})
"""


# --- helpers ----------------------------------------------------------------------------------


def minimal_pdf(path):
    """A tiny but valid one-page PDF (what a scanner or an office suite would save)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def small_png(path):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 160), (33, 110, 200))
    ImageDraw.Draw(image).rectangle((40, 40, 200, 120), fill=(250, 200, 40))
    image.save(path, format="PNG")
    return path


def shown_moment(item: dict) -> datetime.datetime:
    """The moment a timeline item shows: a card's meta line starts with it (a task's deadline
    comes later in the line), an event's line ends with it."""
    matches = SHOWN_TIME.findall(item["shown"])
    assert matches, f"no date shown in {item!r}"
    day, month, year, hour, minute = matches[-1] if item["key"].startswith("event:") else matches[0]
    return datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=SOFIA)


def read_timeline(page) -> list[dict]:
    return page.locator("#timeline > li.timeline-item").evaluate_all(READ_TIMELINE_JS)


def back_to_thread(page, thread_number: str) -> None:
    """From a communication or task page, back through the breadcrumb (as a person would)."""
    page.locator(".breadcrumb a", has_text=thread_number).click()
    page.wait_for_url(THREAD_URL)


def open_inline_form(page, button: str, form: str):
    page.locator(button).click()
    inline = page.locator(f"#inline-form {form}")
    expect(inline).to_be_visible()
    return inline


# --- the story --------------------------------------------------------------------------------


def test_call_from_a_new_company_grows_into_a_thread_with_everything_in_order(page, users, login, screenshot, tmp_path):
    from crm.models import Communication, Counterparty, Task, Thread, ThreadOrder
    from crm.tests.factories import CounterpartyFactory, OrderFactory

    ivan, maria = users["ivan"], users["maria"]
    order = OrderFactory(number="SO-2026-00042", counterparty=CounterpartyFactory(name="Делта АД"))
    pdf = minimal_pdf(tmp_path / PDF_NAME)
    png = small_png(tmp_path / PNG_NAME)
    login(page.context, ivan)

    # 1. Dashboard → "New communication": an incoming call from a company typed as free text.
    page.goto("/")
    page.locator('#main a[href="/communications/new/"]').click()
    page.wait_for_url("**/communications/new/")
    page.locator("label[for=direction-in]").click()
    page.locator("label[for=channel-phone]").click()
    expect(page.locator("#direction-in")).to_be_checked()
    expect(page.locator("#channel-phone")).to_be_checked()
    page.fill("#id_subject", CALL_SUBJECT)
    page.locator("#id_counterparty_name").press_sequentially(NEW_COUNTERPARTY)
    page.fill("#id_description", "Търсят 40 палетни места, доставка до края на месеца.")
    page.locator("#communication-form button[type=submit]").click()

    page.wait_for_url(THREAD_URL)
    thread = Thread.objects.get(subject=CALL_SUBJECT)
    call = Communication.objects.get(subject=CALL_SUBJECT)
    assert path_of(page) == f"/threads/{thread.pk}/"
    assert (call.thread_id, call.direction, call.channel) == (thread.pk, "in", "phone")
    assert (call.counterparty_id, call.counterparty_name) == (None, NEW_COUNTERPARTY)
    expect(page.locator(".alert-success")).to_contain_text(call.number)
    expect(page.locator("span#thread-counterparty")).to_have_text(NEW_COUNTERPARTY)
    call_item = page.locator(f"#communication-{call.pk}")
    expect(call_item).to_have_attribute("data-kind", "communication")
    expect(call_item).to_have_attribute("data-direction", "in")
    expect(call_item).to_contain_text(CALL_SUBJECT)

    # 2. The answer by e-mail, from the thread page: the form comes in place (htmx), no reload.
    page.evaluate("window.e2eSamePage = 'thread-story'")
    form = open_inline_form(page, "#add-communication", "#communication-form")
    expect(form.locator("#id_counterparty_name")).to_have_value(NEW_COUNTERPARTY)
    form.locator("label[for=direction-out]").click()
    form.locator("label[for=channel-email]").click()
    expect(form.locator("#direction-out")).to_be_checked()
    expect(form.locator("#channel-email")).to_be_checked()
    form.locator("#id_subject").fill(EMAIL_SUBJECT)
    form.locator("#id_description").fill("Изпращаме оферта и снимка на склада.")
    form.locator("#id_attachments").set_input_files([pdf, png])
    screenshot(page, "thread-story-inline-form")
    form.locator("button[type=submit]").click()

    email_item = page.locator("#timeline li[data-kind=communication][data-direction=out]")
    expect(email_item).to_have_count(1)
    expect(email_item).to_contain_text(EMAIL_SUBJECT)
    email = Communication.objects.get(subject=EMAIL_SUBJECT)
    assert (email.thread_id, email.direction, email.channel) == (thread.pk, "out", "email")
    assert page.evaluate("window.e2eSamePage") == "thread-story", "the page was reloaded"
    assert path_of(page) == f"/threads/{thread.pk}/"
    expect(page.locator(".alert-success")).to_contain_text(email.number)
    expect(page.locator("#inline-form #communication-form")).to_have_count(0)
    # Both files on the e-mail's card and in the thread's attachments panel, a thumbnail for the image.
    expect(email_item.locator("a.file-chip")).to_have_text([re.compile(re.escape(n)) for n in (PDF_NAME, PNG_NAME)])
    files = page.locator("#thread-attachments > li")
    expect(files).to_have_count(2)
    pdf_row = files.filter(has_text=PDF_NAME)
    png_row = files.filter(has_text=PNG_NAME)
    expect(pdf_row).to_contain_text(email.number)
    expect(pdf_row.locator("img")).to_have_count(0)
    thumbnail = png_row.locator("img.attachment-thumb")
    expect(thumbnail).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())

    # 3. A task with a deadline for Мария, also in place.
    form = open_inline_form(page, "#add-task", "#task-form")
    form.locator("#id_subject").fill(TASK_SUBJECT)
    form.locator("#id_deadline").fill("2026-12-31T17:00")
    pick_employee(form, "id_assignee", maria)
    expect(form.locator("#id_assignee option:checked")).to_have_text("Мария Иванова")
    form.locator("button[type=submit]").click()

    task = page.locator("#timeline li[data-kind=task]")
    expect(task).to_have_count(1)
    expect(task).to_contain_text(TASK_SUBJECT)
    first_task = Task.objects.get(subject=TASK_SUBJECT)
    badge = page.locator(f"#task-{first_task.pk} .status-badge")
    expect(badge).to_have_attribute("data-status", "assigned")
    expect(badge).to_have_text(ASSIGNED_LABEL)
    expect(page.locator(f"#task-{first_task.pk} .tl-deadline")).to_have_text("31.12.2026 17:00")
    expect(page.locator(f"#task-{first_task.pk} .tl-assignee")).to_have_text("Мария Иванова")
    assert first_task.thread_id == thread.pk
    assert first_task.assignee_id == maria.pk
    assert first_task.status == "assigned"
    assert first_task.deadline == datetime.datetime(2026, 12, 31, 17, 0, tzinfo=SOFIA)
    assert page.evaluate("window.e2eSamePage") == "thread-story", "the page was reloaded"
    # The card can come first over the page's own socket (the live thread page): the form's
    # answer, which swaps the page's content (the side panel too), is what says the save is done.
    expect(page.locator(".alert-success")).to_contain_text(first_task.number)
    expect(page.locator("#inline-form #task-form")).to_have_count(0)

    # 4. Link an order: its card in the timeline, the side panel, and an "order linked" event.
    page.locator("#link-order-form select[name=order]").select_option(str(order.pk))
    page.locator("#link-order-form button[type=submit]").click()
    expect(page.locator("#thread-orders")).to_contain_text(order.number)
    link = ThreadOrder.objects.get(thread=thread, order=order)
    expect(page.locator(f"#order-link-{link.pk}")).to_contain_text(order.number)
    expect(page.locator("#timeline li[data-event=order_linked]")).to_contain_text(order.number)
    expect(page.locator(".alert-success")).to_contain_text(order.number)

    # 5. Open the call from its number in the timeline and copy it into a task: a pre-filled form
    #    (the call's subject, no assignee to carry over, a deadline to choose), then the thread.
    call_item.locator("a", has_text=call.number).click()
    page.wait_for_url(f"**/communications/{call.pk}/")
    page.locator("#copy-to-task").click()
    page.wait_for_url(f"**/communications/{call.pk}/to-task/")
    copy_form = page.locator("#copy-task-form")
    expect(copy_form.locator("#id_subject")).to_have_value(CALL_SUBJECT)
    pick_employee(copy_form, "id_assignee", ivan)
    copy_form.locator("#id_deadline").fill("2026-12-20T12:00")
    copy_form.locator("button[type=submit]").click()
    page.wait_for_url(THREAD_URL)
    copied = Task.objects.get(source_communication=call)
    assert path_of(page) == f"/threads/{thread.pk}/"
    assert (copied.thread_id, copied.subject, copied.assignee_id) == (thread.pk, CALL_SUBJECT, ivan.pk)
    expect(page.locator(".alert-success")).to_contain_text(copied.number)
    expect(call_item.locator(".tl-copied")).to_contain_text(copied.number)
    expect(page.locator(f"#task-{copied.pk} .tl-deadline")).to_have_text("20.12.2026 12:00")
    copied_event = page.locator("#timeline li[data-event=task_copied]")
    expect(copied_event).to_contain_text(copied.number)
    expect(copied_event).to_contain_text(call.number)

    # 6. Promote the free-text company: the name becomes a link to the new counterparty.
    page.locator(".promote-form button").click()
    page.locator("#promote-dialog button[type=submit]").click()  # the dialog: no details this time
    # The page is on the thread already: wait for the reload the dialog's success asks for.
    expect(page.locator("a#thread-counterparty")).to_have_text(NEW_COUNTERPARTY)
    page.wait_for_url(THREAD_URL)
    counterparty = Counterparty.objects.get(name=NEW_COUNTERPARTY)
    expect(page.locator("a#thread-counterparty")).to_have_attribute("href", f"/counterparties/{counterparty.pk}/")
    expect(page.locator("a#thread-counterparty")).to_have_text(NEW_COUNTERPARTY)
    expect(page.locator(".promote-form")).to_have_count(0)
    expect(page.locator("#timeline li[data-event=counterparty_promoted]")).to_contain_text(NEW_COUNTERPARTY)
    thread.refresh_from_db()
    assert (thread.counterparty_id, thread.counterparty_name) == (counterparty.pk, "")
    for item in [*thread.communications.all(), *thread.tasks.all()]:
        assert (item.counterparty_id, item.counterparty_name) == (counterparty.pk, ""), item.number

    # 7. Мария's task moves on: its status changes on its page; the thread shows the event.
    page.locator(f"#task-{first_task.pk} a", has_text=first_task.number).click()
    page.wait_for_url(f"**/tasks/{first_task.pk}/")
    page.locator("#task-status-form select[name=status]").select_option("in_progress")
    page.locator("#task-status-form button[type=submit]").click()
    expect(page.locator(".status-badge").first).to_have_attribute("data-status", "in_progress")
    expect(page.locator(".alert-success")).to_contain_text(first_task.number)
    assert path_of(page) == f"/tasks/{first_task.pk}/"
    first_task.refresh_from_db()
    assert first_task.status == "in_progress"
    expect(page.locator("main")).to_contain_text("31.12.2026 17:00")
    assert_no_traceback(page)
    screenshot(page, "thread-story-task")
    back_to_thread(page, thread.number)
    status_event = page.locator("#timeline li[data-event=status_changed]")
    expect(status_event).to_contain_text(first_task.number)
    expect(status_event).to_contain_text("→")
    expect(page.locator(f"#task-{first_task.pk} .status-badge")).to_have_attribute("data-status", "in_progress")

    # 8. The whole timeline, newest first: each system event where it happened, the tasks at their
    #    creation, the e-mail, the call, the order at its date.
    timeline = read_timeline(page)
    assert [item["key"] for item in timeline] == [
        "event:status_changed",
        "event:counterparty_promoted",
        "event:task_copied",
        f"task:task-{copied.pk}",
        "event:order_linked",
        f"task:task-{first_task.pk}",
        f"communication:communication-{email.pk}",
        f"communication:communication-{call.pk}",
        f"order:order-link-{link.pk}",
    ], timeline
    moments = [shown_moment(item) for item in timeline]
    assert moments == sorted(moments, reverse=True), timeline
    for kind in ("order_linked", "task_copied", "status_changed", "counterparty_promoted"):
        expect(page.locator(f"#timeline li[data-event={kind}]")).to_have_count(1)
    expect(page.locator("#thread-attachments > li")).to_have_count(2)
    assert_no_traceback(page)
    screenshot(page, "thread-story-thread")


# --- around the story -------------------------------------------------------------------------


def test_reply_prefills_and_an_invalid_inline_submit_keeps_what_was_typed(page, users, login, screenshot):
    from crm import services
    from crm.models import Communication

    ivan = users["ivan"]
    email = services.communication_create(
        author=ivan,
        direction="out",
        channel="email",
        subject="Оферта за рафтове",
        counterparty_name="Гама Метал ООД",
        description="Цени и срокове в прикачения файл.",
    )
    thread = email.thread
    login(page.context, ivan)

    # "Reply / follow-up" on the e-mail: "Re: …", the other direction, same channel, thread and company.
    page.goto(email.get_absolute_url())
    page.locator("#reply-button").click()
    page.wait_for_url(f"**/communications/new/?reply_to={email.pk}")
    expect(page.locator("#id_subject")).to_have_value("Re: Оферта за рафтове")
    expect(page.locator("#direction-in")).to_be_checked()
    expect(page.locator("#direction-out")).not_to_be_checked()
    expect(page.locator("#channel-email")).to_be_checked()
    expect(page.locator("#id_counterparty_name")).to_have_value("Гама Метал ООД")
    expect(page.locator("#communication-form-card .card-header a", has_text=thread.number)).to_be_visible()

    # The inline form on the thread page, sent without a subject: the error is on the field, the
    # description typed stays, and the form stays in place.
    page.goto(thread.get_absolute_url())
    page.evaluate("window.e2eSamePage = 'invalid-submit'")
    form = open_inline_form(page, "#add-communication", "#communication-form")
    form.locator("#id_subject").fill("")
    typed = "Клиентът пита за отстъпка при 100 броя."
    form.locator("#id_description").fill(typed)
    form.locator("button[type=submit]").click()

    error = page.locator("#inline-form [data-error-for=subject]")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.locator("#inline-form #id_subject")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#inline-form #id_description")).to_have_value(typed)
    expect(page.locator("#inline-form #id_counterparty_name")).to_have_value("Гама Метал ООД")
    assert page.evaluate("window.e2eSamePage") == "invalid-submit", "the page was reloaded"
    assert path_of(page) == thread.get_absolute_url()
    assert Communication.objects.filter(thread=thread).count() == 1
    assert_no_traceback(page)
    screenshot(page, "thread-story-invalid-inline-form")

    # Corrected, it saves into the same thread.
    page.locator("#inline-form #id_subject").fill("Отстъпка за 100 броя")
    page.locator("#inline-form button[type=submit]").click()
    expect(page.locator("#timeline li[data-kind=communication]")).to_have_count(2)
    saved = Communication.objects.get(subject="Отстъпка за 100 броя")
    assert (saved.thread_id, saved.description) == (thread.pk, typed)


def test_unknown_thread_shows_the_404_page(page, users, login):
    login(page.context, users["ivan"])
    response = page.goto("/threads/999999/")
    assert response.status == 404
    assert_no_traceback(page)
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("#user-menu")).to_be_visible()


def test_counterparty_type_ahead_links_a_new_task(page, users, login):
    from crm.models import Task
    from crm.tests.factories import CounterpartyFactory

    alfa = CounterpartyFactory(name="Алфа Трейд ООД", company_id="131234567")
    CounterpartyFactory(name="Бета Логистик ООД")
    login(page.context, users["ivan"])

    page.goto("/tasks/new/")
    page.fill("#id_subject", "Обади се на Алфа за плащането")
    page.locator("#id_counterparty_name").press_sequentially("алф", delay=40)
    options = page.locator(".typeahead-menu button[data-pick-id]")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Алфа Трейд ООД")
    options.first.click()

    expect(page.locator("#id_counterparty_name")).to_have_value("Алфа Трейд ООД")
    expect(page.locator("#id_counterparty")).to_have_value(str(alfa.pk))
    expect(page.locator(".typeahead-menu button[data-pick-id]")).to_have_count(0)
    expect(page.locator("[data-picker-state] .bi-building-check")).to_be_visible()
    page.locator("#task-form button[type=submit]").click()

    page.wait_for_url(THREAD_URL)
    task = Task.objects.get(subject="Обади се на Алфа за плащането")
    assert (task.counterparty_id, task.counterparty_name) == (alfa.pk, "")
    assert (task.thread.counterparty_id, task.thread.counterparty_name) == (alfa.pk, "")
    page.locator(f"#task-{task.pk} a", has_text=task.number).click()
    page.wait_for_url(f"**/tasks/{task.pk}/")
    expect(page.locator(f'aside a[href="/counterparties/{alfa.pk}/"]')).to_have_text("Алфа Трейд ООД")
    expect(page.locator(".promote-form")).to_have_count(0)


def test_timeline_cards_of_every_kind_sit_on_one_grid(page, users, login):
    """static/css/app.css: every card starts at the same left edge and is as wide as the others,
    whatever its kind (incoming/outgoing differ by colour and label, not by place)."""
    from crm import services
    from crm.tests.factories import OrderFactory

    ivan = users["ivan"]
    call = services.communication_create(
        author=ivan, direction="in", channel="phone", subject="Широчина", counterparty_name="Бета Логистик ООД"
    )
    thread = call.thread
    services.communication_create(
        author=ivan, thread=thread, direction="out", channel="email", subject="Отговор", counterparty_name="Бета"
    )
    services.task_create(author=ivan, thread=thread, subject="Задача")
    services.thread_link_order(thread=thread, order=OrderFactory(), actor=ivan)
    login(page.context, ivan)

    page.goto(thread.get_absolute_url())
    expect(page.locator("#timeline li.timeline-item:not([data-kind=event])")).to_have_count(4)
    boxes = page.evaluate(
        """() => {
          const box = (selector) => {
            const r = document.querySelector(selector).getBoundingClientRect();
            return [Math.round(r.left), Math.round(r.width)];
          };
          return {
            in: box("li[data-direction=in] .tl-card"),
            out: box("li[data-direction=out] .tl-card"),
            order: box("li[data-kind=order] .tl-card"),
            task: box("li[data-kind=task] .tl-card"),
            event: box("li[data-kind=event] .tl-event"),
          };
        }"""
    )
    cards = {boxes[k][0] for k in ("in", "out", "order", "task")}
    assert len(cards) == 1 and boxes["event"][0] in cards, boxes
    assert len({boxes[k][1] for k in ("in", "out", "order", "task")}) == 1, boxes
    timeline_width = page.locator("#timeline").bounding_box()["width"]
    assert boxes["in"][1] >= 0.9 * timeline_width, boxes


def test_the_inline_forms_type_ahead_pickers_log_no_console_error(page, users, login):
    """The inline forms' hx-disabled-elt ("find button[type=submit]") is for the form's own POST:
    inherited by a picker's type-ahead request, htmx looked for a button inside the input and
    logged an error on every keystroke."""
    from crm.tests.factories import ThreadFactory

    thread = ThreadFactory(author=users["ivan"])
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    login(page.context, users["ivan"])
    page.goto(f"/threads/{thread.pk}/")

    form = open_inline_form(page, "#add-communication", "#communication-form")
    form.locator("#id_counterparty_name").press_sequentially("Бет", delay=60)
    form.locator("#id_assignee-search").press_sequentially("Мар", delay=60)
    expect(form.locator('[data-employee-name="Мария Иванова"]').first).to_be_visible()
    form.locator("a", has_text="Отказ").click()

    form = open_inline_form(page, "#add-task", "#task-form")
    form.locator("#id_assignee-search").press_sequentially("Мар", delay=60)
    expect(form.locator('[data-employee-name="Мария Иванова"]').first).to_be_visible()
    assert errors == []


@pytest.mark.allow_page_errors  # the 502 is this test's own (a restarting server)
def test_a_form_post_that_gets_no_answer_keeps_the_text_and_says_why(page, users, login, screenshot):
    """The proxy refuses a body over its limit (413), a restarting server answers 502, the network
    may be down: htmx swaps nothing, and the page says what happened in Bulgarian."""
    from crm.tests.factories import ThreadFactory

    thread = ThreadFactory(author=users["ivan"])
    login(page.context, users["ivan"])
    page.goto(f"/threads/{thread.pk}/")
    form = open_inline_form(page, "#add-communication", "#communication-form")
    form.locator("#id_subject").fill("Оферта за склада")
    toast = page.locator("#toasts .request-error-toast")
    create = re.compile(r"/communications/new/")

    for name, answer, shown in [
        ("too-large", lambda route: route.fulfill(status=413, body="413 Too Large"), "Файловете са твърде големи"),
        ("bad-gateway", lambda route: route.fulfill(status=502, body="502 Bad Gateway"), "(грешка 502)"),
        ("offline", lambda route: route.abort(), "Няма връзка със сървъра"),
    ]:

        def handler(route, request, answer=answer):
            answer(route) if request.method == "POST" else route.continue_()

        page.route(create, handler)
        form.locator("button[type=submit]").click()
        expect(toast).to_have_count(1)
        expect(toast).to_contain_text(shown)
        expect(form.locator("#id_subject")).to_have_value("Оферта за склада")
        expect(form.locator("button[type=submit]")).to_be_enabled()
        expect(toast).not_to_have_class(re.compile(r"\bshowing\b"))
        page.wait_for_timeout(200)  # Bootstrap's fade-in (0.15 s) after "showing" goes
        screenshot(page, f"request-error-{name}")
        page.unroute(create)
