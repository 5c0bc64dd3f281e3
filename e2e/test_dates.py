"""Date and time inputs show the page's language's format whatever the browser's language:
``дд.мм.гггг чч:мм`` with a 24-hour clock in Bulgarian, ``mm/dd/yyyy hh:mm`` in English (the
contexts here ask for the other language on purpose). Typed and picked values are saved in
Europe/Sofia time; typing is never rewritten by the picker."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SOFIA = ZoneInfo("Europe/Sofia")


@pytest.fixture
def task(users):
    from crm.tests.factories import TaskFactory

    return TaskFactory(
        author=users["ivan"], assignee=users["ivan"], deadline=datetime.datetime(2026, 12, 24, 14, 30, tzinfo=SOFIA)
    )


@pytest.fixture
def page_in(page, login, live_server_url):
    """`page_in(user, language)`: `page` signed in, the app's language cookie set; the browser's own
    language is the test's `browser_context_args` mark (the other language, on purpose)."""

    def _page(user, language):
        login(page.context, user)
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server_url}])
        return page

    return _page


def save_task(page):
    page.locator("#task-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/tasks/\d+/$"))


@pytest.mark.browser_context_args(locale="en-US")
def test_bulgarian_page_in_an_english_browser_types_and_picks_24_hour_dates(page_in, users, task, screenshot):
    from crm.models import Task

    page = page_in(users["ivan"], "bg")
    page.goto(f"{task.get_absolute_url()}edit/")
    deadline = page.locator("#id_deadline")
    expect(deadline).to_have_attribute("type", "text")
    expect(deadline).to_have_attribute("placeholder", "дд.мм.гггг чч:мм")
    expect(deadline).to_have_value("24.12.2026 14:30")

    # Typing the Bulgarian form saves that moment in Sofia time.
    deadline.fill("31.12.2026 17:05")
    save_task(page)
    task.refresh_from_db()
    assert task.deadline == datetime.datetime(2026, 12, 31, 17, 5, tzinfo=SOFIA)
    expect(page.locator("main")).to_contain_text("31.12.2026 17:05")

    # The calendar button: Bulgarian month names, Monday first, a 24-hour clock, the same format back.
    page.goto(f"{task.get_absolute_url()}edit/")
    page.locator("#id_deadline + .date-picker-button").click()
    calendar = page.locator(".flatpickr-calendar.open")
    expect(calendar).to_be_visible()
    expect(calendar.locator(".flatpickr-monthDropdown-months option:checked")).to_have_text("Декември")
    expect(calendar.locator(".flatpickr-weekday").first).to_have_text(re.compile("Пн"))
    expect(calendar.locator(".flatpickr-am-pm")).to_have_count(0)
    expect(calendar.locator(".flatpickr-hour")).to_have_value("17")
    screenshot(page, "dates-bg-calendar")
    calendar.locator(".flatpickr-day:not(.prevMonthDay):not(.nextMonthDay)", has_text=re.compile(r"^24$")).click()
    expect(page.locator("#id_deadline")).to_have_value("24.12.2026 17:05")
    page.keyboard.press("Escape")
    page.locator("#id_subject").click()
    save_task(page)
    assert Task.objects.get(pk=task.pk).deadline == datetime.datetime(2026, 12, 24, 17, 5, tzinfo=SOFIA)

    # ISO still works (links, scripts); a date that does not exist is an error, the text kept.
    page.goto(f"{task.get_absolute_url()}edit/")
    page.locator("#id_deadline").fill("2026-12-24T14:30")
    save_task(page)
    assert Task.objects.get(pk=task.pk).deadline == datetime.datetime(2026, 12, 24, 14, 30, tzinfo=SOFIA)
    page.goto(f"{task.get_absolute_url()}edit/")
    page.locator("#id_deadline").fill("31.02.2026 10:00")
    page.locator("#task-form button[type=submit]").click()
    expect(page.locator("[data-error-for=deadline]")).to_be_visible()
    expect(page.locator("#id_deadline")).to_have_value("31.02.2026 10:00")
    assert Task.objects.get(pk=task.pk).deadline == datetime.datetime(2026, 12, 24, 14, 30, tzinfo=SOFIA)


@pytest.mark.browser_context_args(locale="bg-BG")
def test_english_page_in_a_bulgarian_browser_uses_the_english_format(page_in, users, task):
    from crm.models import Task

    page = page_in(users["ivan"], "en")
    page.goto(f"{task.get_absolute_url()}edit/")
    deadline = page.locator("#id_deadline")
    expect(deadline).to_have_attribute("placeholder", "mm/dd/yyyy hh:mm")
    expect(deadline).to_have_value("12/24/2026 14:30")
    deadline.fill("12/25/2026 09:05")
    save_task(page)
    assert Task.objects.get(pk=task.pk).deadline == datetime.datetime(2026, 12, 25, 9, 5, tzinfo=SOFIA)
    page.goto(f"{task.get_absolute_url()}edit/")
    page.locator("#id_deadline + .date-picker-button").click()
    calendar = page.locator(".flatpickr-calendar.open")
    expect(calendar.locator(".flatpickr-am-pm")).to_have_count(0)
    calendar.locator(".flatpickr-day:not(.prevMonthDay):not(.nextMonthDay)", has_text=re.compile(r"^31$")).click()
    expect(deadline).to_have_value("12/31/2026 09:05")


@pytest.mark.browser_context_args(locale="en-US", viewport={"width": 390, "height": 844})
def test_list_date_filters_show_the_page_format_and_keep_accepting_iso_links(page_in, users, task):
    from crm.tests.factories import TaskFactory

    old = TaskFactory(author=users["ivan"], subject="Стара задача")
    TaskFactory._meta.model.objects.filter(pk=old.pk).update(
        created_at=datetime.datetime(2025, 1, 10, 12, tzinfo=SOFIA)
    )
    page = page_in(users["ivan"], "bg")
    # A shared ISO link shows the Bulgarian form and filters.
    page.goto("/tasks/?created_after=2025-01-10&created_before=2025-01-10")
    expect(page.locator("#id_created_after")).to_have_value("10.01.2025")
    expect(page.locator("#task-table tbody tr")).to_have_count(1)
    expect(page.locator("#task-table tbody")).to_contain_text("Стара задача")
    # Picking a day on a phone fills the Bulgarian form and the list follows.
    page.goto("/tasks/")
    page.locator("#list-filters-toggle").click()
    page.locator("#id_created_before").fill("10.01.2025")
    page.locator("#id_created_before").dispatch_event("change")
    expect(page).to_have_url(re.compile(r"created_before=10.01.2025"))
    expect(page.locator("#task-table tbody tr")).to_have_count(1)
    page.locator("#id_created_after + .date-picker-button").click()
    calendar = page.locator(".flatpickr-calendar.open")
    expect(calendar).to_be_visible()
    width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], width
    box = calendar.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
