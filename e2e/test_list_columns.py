"""Issue 12 in a real browser, at 1366×768: communications sorted by "Дата и час", the thread
filter taking the visible number through its type-ahead, the status badge never clipped, and a
thread edited, closed (marked, gone from the default list, shown by the "closed" filter) and
reopened."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback

pytestmark = pytest.mark.e2e

WIDE = {"width": 1366, "height": 768}


def _sofia(*args) -> datetime.datetime:
    from zoneinfo import ZoneInfo

    return datetime.datetime(*args, tzinfo=ZoneInfo("Europe/Sofia"))


@pytest.fixture
def data(users):
    """Two threads; communications recorded in one order and happened in another, one per status,
    with long names (the widest rows a list meets)."""
    from crm.models import Status
    from crm.tests.factories import CommunicationFactory, CounterpartyFactory, TaskFactory, ThreadFactory

    ivan, maria = users["ivan"], users["maria"]
    maria.first_name, maria.last_name = "Мария-Магдалена", "Иванова-Стоянова"
    maria.save()
    alfa = CounterpartyFactory(name="Дружество за търговия и логистика АЛФА ТРЕЙД ЕООД")
    five = ThreadFactory(number="TH-2026-00005", subject="Оферта за ПВЦ профили", counterparty=alfa, author=ivan)
    six = ThreadFactory(number="TH-2026-00006", subject="Рекламация за доставка", counterparty=alfa, author=ivan)
    specs = [
        # number, thread, recorded, happened, status
        ("IN-2026-00001", five, _sofia(2026, 3, 1, 9), _sofia(2026, 2, 20, 15, 30), Status.NEW),
        ("IN-2026-00002", five, _sofia(2026, 3, 2, 9), _sofia(2026, 3, 2, 8, 0), Status.ASSIGNED),
        ("IN-2026-00003", six, _sofia(2026, 3, 3, 9), _sofia(2026, 1, 10, 10, 0), Status.IN_PROGRESS),
        ("IN-2026-00004", six, _sofia(2026, 3, 4, 9), _sofia(2026, 3, 5, 11, 45), Status.DONE),
    ]
    for number, thread, created, occurred, status in specs:
        CommunicationFactory(
            number=number,
            thread=thread,
            subject=f"Запитване за цени и срокове на доставка на профили {number}",
            counterparty=alfa,
            author=ivan,
            assignee=maria,
            status=status,
            created_at=created,
            occurred_at=occurred,
        )
        TaskFactory(
            number=number.replace("IN-", "T-"),
            thread=thread,
            subject=f"Подготви оферта с отстъпка за количество {number}",
            counterparty=alfa,
            author=ivan,
            assignee=maria,
            status=status,
            deadline=occurred,
        )
    return {"five": five, "six": six, "alfa": alfa}


def numbers(page, table: str) -> list[str]:
    return [text.strip() for text in page.locator(f"#{table} tbody tr[data-id] td:first-child a").all_inner_texts()]


def test_sort_communications_by_date_and_time(page, users, login, data, screenshot):
    page.set_viewport_size(WIDE)
    login(page.context, users["ivan"])
    page.goto("/communications/")
    # Newest recorded first, as before.
    assert numbers(page, "communication-table") == ["IN-2026-00004", "IN-2026-00003", "IN-2026-00002", "IN-2026-00001"]
    header = page.locator("#communication-table th a[data-sort='occurred']")
    expect(header).to_contain_text("Дата и час")
    # A click: latest first; a second click: earliest first. The URL follows.
    header.click()
    expect(page).to_have_url(re.compile(r"/communications/\?sort=-occurred$"))
    expect(page.locator("#communication-table th[aria-sort='descending'] a[data-sort='occurred']")).to_be_visible()
    assert numbers(page, "communication-table") == ["IN-2026-00004", "IN-2026-00002", "IN-2026-00001", "IN-2026-00003"]
    first = page.locator("#communication-table tbody tr[data-id]").first.locator("td.list-occurred")
    expect(first).to_have_text(re.compile(r"05\.03\.2026\s+11:45"))
    page.locator("#communication-table th a[data-sort='occurred']").click()
    expect(page).to_have_url(re.compile(r"/communications/\?sort=occurred$"))
    expect(page.locator("#communication-table th[aria-sort='ascending'] a[data-sort='occurred']")).to_be_visible()
    assert numbers(page, "communication-table") == ["IN-2026-00003", "IN-2026-00001", "IN-2026-00002", "IN-2026-00004"]
    screenshot(page, "issue12-communications-by-date-and-time")
    # Status sorts in the order work goes.
    page.locator("#communication-table th a[data-sort='status']").click()
    expect(page).to_have_url(re.compile(r"sort=status$"))
    statuses = page.locator("#communication-table tbody .status-badge").all_inner_texts()
    assert statuses == ["Нова", "Назначена", "Работи се", "Приключена"]
    assert_no_traceback(page)


def test_thread_filter_takes_the_visible_number_by_type_ahead(page, users, login, data, screenshot):
    page.set_viewport_size(WIDE)
    login(page.context, users["ivan"])
    page.goto("/tasks/")
    expect(page.locator("#task-table tbody tr[data-id]")).to_have_count(4)
    box = page.locator("#id_thread")
    box.click()
    box.press_sequentially("th-2026-0000", delay=30)
    options = page.locator("#thread-suggestions [data-thread-pick]")
    expect(options).to_have_count(2)
    expect(box).to_have_attribute("aria-expanded", "true")
    screenshot(page, "issue12-thread-type-ahead")
    # Nothing is applied while typing a part of a number.
    expect(page.locator("#task-table tbody tr[data-id]")).to_have_count(4)
    # The keyboard picks: down to the suggestion of TH-2026-00005, Enter.
    box.press("ArrowDown")
    while page.evaluate("document.activeElement.dataset.threadPick") != "TH-2026-00005":
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/tasks/\?thread=TH-2026-00005$"))
    expect(box).to_have_value("TH-2026-00005")
    expect(page.locator("#thread-suggestions [data-thread-pick]")).to_have_count(0)
    expect(page.locator("#task-table tbody tr[data-id]")).to_have_count(2)
    assert numbers(page, "task-table") == ["T-2026-00002", "T-2026-00001"]
    expect(page.locator("#thread-label")).to_have_text("TH-2026-00005 Оферта за ПВЦ профили")

    # On communications: the number typed whole and Enter, then a suggestion clicked.
    page.goto("/communications/")
    box = page.locator("#id_thread")
    box.fill("TH-2026-00006")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/communications/\?thread=TH-2026-00006$"))
    # The URL changes before the rows are swapped in: wait for the filtered rows.
    expect(page.locator("#communication-table tbody tr[data-id]")).to_have_count(2)
    assert numbers(page, "communication-table") == ["IN-2026-00004", "IN-2026-00003"]
    box.fill("")
    box.press_sequentially("ОФЕРТА", delay=30)
    expect(page.locator("#thread-suggestions [data-thread-pick]")).to_have_count(1)
    page.locator("#thread-suggestions [data-thread-pick='TH-2026-00005']").click()
    expect(page).to_have_url(re.compile(r"/communications/\?thread=TH-2026-00005$"))
    # The URL changes before the rows are swapped in: wait for the filtered rows.
    expect(page.locator("#communication-table tbody tr[data-id]")).to_have_count(2)
    assert numbers(page, "communication-table") == ["IN-2026-00002", "IN-2026-00001"]
    # A number no thread has: a message next to the box, the list unfiltered.
    box.fill("TH-2099-00001")
    box.press("Enter")
    expect(page.locator("#error-thread")).to_contain_text("Няма нишка с този номер")
    expect(page.locator("#communication-table tbody tr[data-id]")).to_have_count(4)
    assert_no_traceback(page)


BADGE_INSIDE = """(table) => {
  const wrapper = table.closest('.table-responsive');
  const box = wrapper.getBoundingClientRect();
  const problems = [];
  if (wrapper.scrollWidth > wrapper.clientWidth) {
    problems.push('the table scrolls: ' + wrapper.scrollWidth + ' > ' + wrapper.clientWidth);
  }
  if (table.getBoundingClientRect().right > box.right + 0.5) problems.push('the table is wider than its card');
  for (const badge of table.querySelectorAll('tbody .status-badge')) {
    const b = badge.getBoundingClientRect();
    const cell = badge.closest('td').getBoundingClientRect();
    const label = badge.textContent.trim();
    if (b.left < cell.left - 0.5 || b.right > cell.right + 0.5) problems.push(label + ' sticks out of its cell');
    if (b.right > box.right + 0.5 || b.left < box.left - 0.5) problems.push(label + ' is cut off by the card');
    if (b.right > window.innerWidth) problems.push(label + ' is past the window');
    if (badge.scrollWidth > badge.clientWidth) problems.push(label + ' overflows itself');
  }
  return problems;
}"""


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize(("path", "table"), [("/communications/", "communication-table"), ("/tasks/", "task-table")])
def test_status_badge_is_never_clipped_at_1366(page, users, login, data, screenshot, language, path, table, base_url):
    page.set_viewport_size(WIDE)
    login(page.context, users["ivan"])
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])
    page.goto(path)
    expect(page.locator(f"#{table} tbody .status-badge")).to_have_count(4)
    labels = page.locator(f"#{table} tbody .status-badge").all_inner_texts()
    # Every status is on the page, so the longest label of the language is too.
    assert len(set(labels)) == 4
    assert page.locator(f"#{table}").evaluate(BADGE_INSIDE) == []
    screenshot(page, f"issue12-{table}-{language}-1366", full_page=False)


def test_thread_list_at_1366(page, users, login, data, screenshot):
    page.set_viewport_size(WIDE)
    login(page.context, users["ivan"])
    page.goto("/threads/")
    expect(page.locator("#thread-table tbody tr[data-id]")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    wrapper = page.locator("#thread-table").evaluate(
        "t => [t.closest('.table-responsive').scrollWidth, t.closest('.table-responsive').clientWidth]"
    )
    assert wrapper[0] <= wrapper[1]
    # Search and sorting as on the other lists.
    page.fill("#id_subject", "рекламация")
    expect(page).to_have_url(re.compile(r"/threads/\?subject="))
    expect(page.locator("#thread-table tbody tr[data-id]")).to_have_count(1)
    page.click("#list-reset")
    page.locator("#thread-table th a[data-sort='number']").click()
    expect(page).to_have_url(re.compile(r"/threads/\?sort=number$"))
    assert numbers(page, "thread-table") == ["TH-2026-00005", "TH-2026-00006"]
    screenshot(page, "issue12-threads-1366", full_page=False)


def test_edit_close_and_reopen_a_thread(page, users, login, data, screenshot):
    from crm.tests.factories import CounterpartyFactory

    CounterpartyFactory(name="Бета Строй ООД")
    page.set_viewport_size(WIDE)
    login(page.context, users["ivan"])
    thread = data["five"]
    page.goto(f"/threads/{thread.pk}/")
    page.click("#edit-thread")
    expect(page).to_have_url(re.compile(rf"/threads/{thread.pk}/edit/$"))
    expect(page.locator("#id_subject")).to_have_value("Оферта за ПВЦ профили")
    expect(page.locator("#id_counterparty_name")).to_have_value(data["alfa"].name)
    page.fill("#id_subject", "Оферта за алуминиеви профили")
    # Another counterparty, picked from the type-ahead.
    page.fill("#id_counterparty_name", "")
    page.locator("#id_counterparty_name").press_sequentially("бета", delay=30)
    page.locator(".counterparty-picker [data-pick-name='Бета Строй ООД']").click()
    screenshot(page, "issue12-thread-edit", full_page=False)
    page.click("#thread-save")
    expect(page).to_have_url(re.compile(rf"/threads/{thread.pk}/$"))
    expect(page.locator("#thread-subject")).to_have_text("Оферта за алуминиеви профили")
    expect(page.locator("#thread-counterparty")).to_have_text("Бета Строй ООД")
    expect(page.locator("#thread-closed-badge")).to_have_count(0)

    # Close: marked on the page and on the timeline.
    page.click("#close-thread")
    expect(page.locator("#thread-closed-badge")).to_be_visible()
    expect(page.locator("#thread-closed-badge")).to_have_text("Приключена")
    expect(page.locator(".timeline [data-event='thread_closed']")).to_contain_text("Нишката е приключена")
    expect(page.locator("#reopen-thread")).to_be_visible()
    screenshot(page, "issue12-thread-closed", full_page=False)

    # Gone from the default list; there with the "closed" filter, marked.
    page.goto("/threads/")
    expect(page.locator("#thread-table tbody tr[data-id]")).to_have_count(1)
    expect(page.locator(f"#thread-table tr[data-id='{thread.pk}']")).to_have_count(0)
    page.click("#quick-state-closed")
    expect(page).to_have_url(re.compile(r"/threads/\?state=closed$"))
    row = page.locator(f"#thread-table tr[data-id='{thread.pk}']")
    expect(row).to_be_visible()
    expect(row.locator(".thread-closed-badge")).to_have_text(re.compile("Приключена"))
    expect(page.locator("#quick-state-closed")).to_have_attribute("aria-current", "true")
    screenshot(page, "issue12-threads-closed-filter", full_page=False)
    page.click("#quick-state-all")
    expect(page.locator("#thread-table tbody tr[data-id]")).to_have_count(2)

    # Reopen: back in the default list, unmarked.
    row = page.locator(f"#thread-table tr[data-id='{thread.pk}']")
    row.locator("td:first-child a").click()
    page.click("#reopen-thread")
    expect(page.locator("#thread-closed-badge")).to_have_count(0)
    expect(page.locator(".timeline [data-event='thread_reopened']")).to_contain_text("Нишката е отворена отново")
    page.goto("/threads/")
    expect(page.locator(f"#thread-table tr[data-id='{thread.pk}']")).to_be_visible()
    expect(page.locator(f"#thread-table tr[data-id='{thread.pk}'] .thread-closed-badge")).to_have_count(0)
    assert_no_traceback(page)
