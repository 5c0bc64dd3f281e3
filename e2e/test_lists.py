"""The task and communication lists in a real browser: filters update the table in place and the
URL follows, sorting, the back button, CSV export, saved filters."""

import csv
import datetime
import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback, pick_employee

pytestmark = pytest.mark.e2e


@pytest.fixture
def task_data(users):
    from crm.models import Status
    from crm.tests.factories import CommunicationFactory, CounterpartyFactory, TaskFactory, ThreadFactory

    ivan, maria, petar = users["ivan"], users["maria"], users["petar"]
    alfa = CounterpartyFactory(name="АЛФА ТРЕЙД ЕООД")
    thread = ThreadFactory(counterparty=alfa, author=ivan, subject="Оферта за профили")
    now = timezone.now()
    tasks = {}
    specs = [
        # number, assignee, status, deadline in days (None: no deadline), subject
        ("T-2026-00001", maria, Status.IN_PROGRESS, 5, "Изпрати оферта"),
        ("T-2026-00002", maria, Status.IN_PROGRESS, -2, "Обади се на АЛФА"),
        ("T-2026-00003", maria, Status.IN_PROGRESS, 1, "Провери склада"),
        ("T-2026-00004", maria, Status.DONE, 3, "Готова задача"),
        ("T-2026-00005", petar, Status.IN_PROGRESS, 2, "Задача на Петър"),
        ("T-2026-00006", ivan, Status.ASSIGNED, None, "Без срок"),
    ]
    for i, (number, assignee, status, days, subject) in enumerate(specs):
        tasks[number] = TaskFactory(
            number=number,
            thread=thread,
            subject=subject,
            counterparty=alfa,
            author=ivan,
            assignee=assignee,
            status=status,
            deadline=None if days is None else now + datetime.timedelta(days=days),
            created_at=now - datetime.timedelta(hours=10 - i),
        )
    for i in range(3):
        CommunicationFactory(
            number=f"IN-2026-0000{i + 1}",
            thread=thread,
            direction="in" if i != 1 else "out",
            channel=["email", "phone", "meeting"][i],
            subject=f"Запитване {i + 1}",
            counterparty=alfa,
            author=ivan,
            assignee=maria if i else None,
            status=[Status.NEW, Status.ASSIGNED, Status.DONE][i],
        )
    return tasks


def numbers(page) -> list[str]:
    return page.locator("#task-table tbody tr[data-id] td:first-child a").all_inner_texts()


def test_filter_tasks_sort_by_deadline_back_button_and_csv(page, users, login, task_data, screenshot):
    maria = users["maria"]
    login(page.context, users["ivan"])
    page.goto("/tasks/")
    expect(page.locator("#task-table tbody tr[data-id]")).to_have_count(6)
    assert_no_traceback(page)
    screenshot(page, "lists-tasks")

    # Filter by status: the table updates in place, the URL follows.
    page.select_option("#id_status", "in_progress")
    expect(page).to_have_url(re.compile(r"/tasks/\?status=in_progress$"))
    expect(page.locator("#task-table tbody tr[data-id]")).to_have_count(4)

    # …and by assignee.
    pick_employee(page, "id_assignee", maria)
    expect(page).to_have_url(re.compile(rf"/tasks/\?status=in_progress&assignee={maria.pk}$"))
    expect(page.locator("#task-table tbody tr[data-id]")).to_have_count(3)
    assert numbers(page) == ["T-2026-00003", "T-2026-00002", "T-2026-00001"]  # newest first
    # The overdue one is highlighted.
    expect(page.locator("#task-table tr.overdue-row")).to_have_count(1)
    expect(page.locator("#task-table tr.overdue-row td:first-child")).to_have_text("T-2026-00002")

    # Sort by deadline.
    page.click("#task-table th a[data-sort='deadline']")
    expect(page).to_have_url(re.compile(rf"/tasks/\?status=in_progress&assignee={maria.pk}&sort=deadline$"))
    expect(page.locator("#task-table th[aria-sort='ascending'] a[data-sort='deadline']")).to_be_visible()
    assert numbers(page) == ["T-2026-00002", "T-2026-00003", "T-2026-00001"]
    screenshot(page, "lists-tasks-filtered")

    # Back: URL and table return to the unsorted filtered list, and the form still says so.
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/tasks/\?status=in_progress&assignee={maria.pk}$"))
    expect(page.locator("#task-table tbody tr[data-id]")).to_have_count(3)
    expect(page.locator("#task-table tbody tr[data-id] td:first-child a").first).to_have_text("T-2026-00003")
    expect(page.locator("#id_status")).to_have_value("in_progress")
    expect(page.locator("#id_assignee")).to_have_value(str(maria.pk))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/tasks/\?status=in_progress$"))
    expect(page.locator("#task-table tbody tr[data-id]")).to_have_count(4)
    expect(page.locator("#id_assignee")).to_have_value("")
    page.go_forward()
    expect(page.locator("#task-table tbody tr[data-id]")).to_have_count(3)

    # Export what is shown: a CSV that Excel opens (BOM, ';'), Cyrillic intact, same rows.
    page.click("#task-table th a[data-sort='deadline']")
    expect(page).to_have_url(re.compile(r"sort=deadline$"))
    with page.expect_download() as download_info:
        page.click("#list-export")
    download = download_info.value
    assert re.fullmatch(r"tasks-\d{8}-\d{4}\.csv", download.suggested_filename)
    raw = open(download.path(), "rb").read()  # noqa: SIM115 - Playwright owns the file
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["T-2026-00002", "T-2026-00003", "T-2026-00001"]
    assert rows[1][4] == "Обади се на АЛФА"
    assert rows[1][5] == "АЛФА ТРЕЙД ЕООД"


def test_text_filter_quick_buttons_bad_value_and_saved_filter(page, users, login, task_data, screenshot):
    login(page.context, users["ivan"])
    page.goto("/communications/")
    expect(page.locator("#communication-table tbody tr[data-id]")).to_have_count(3)
    screenshot(page, "lists-communications")

    # Quick button: outgoing only.
    page.click("#quick-direction-out")
    expect(page).to_have_url(re.compile(r"/communications/\?direction=out$"))
    expect(page.locator("#communication-table tbody tr[data-id]")).to_have_count(1)
    expect(page.locator("#quick-direction-out")).to_have_attribute("aria-current", "true")
    page.click("#quick-direction-all")
    expect(page).to_have_url(re.compile(r"/communications/$"))

    # Typing filters after a pause, case-insensitively in Cyrillic.
    page.fill("#id_counterparty", "алфа")
    expect(page).to_have_url(re.compile(r"counterparty=%D0%B0%D0%BB%D1%84%D0%B0"))
    expect(page.locator("#communication-table tbody tr[data-id]")).to_have_count(3)
    page.fill("#id_subject", "ЗАПИТВАНЕ 2")
    expect(page.locator("#communication-table tbody tr[data-id]")).to_have_count(1)
    page.fill("#id_subject", "няма такова")
    expect(page.locator("#communication-table .list-empty")).to_be_visible()

    # A bad value: the list still renders, the message sits next to the input.
    page.goto("/communications/?created_after=2026-02-31&status=new")
    expect(page.locator("#error-created_after")).not_to_be_empty()
    expect(page.locator("#communication-table tbody tr[data-id]")).to_have_count(1)
    assert_no_traceback(page)
    screenshot(page, "lists-communications-bad-value")

    # Save the current filter and find it in the sidebar.
    page.goto("/communications/?status=new")
    page.fill("#saved-filter-name", "Нови запитвания")
    page.click("#saved-filter-save")
    expect(page.locator("#saved-filters .saved-filter a")).to_have_text(["Нови запитвания"])
    page.goto("/communications/")
    page.click("#saved-filters .saved-filter a")
    expect(page).to_have_url(re.compile(r"/communications/\?status=new$"))
    expect(page.locator("#id_status")).to_have_value("new")
