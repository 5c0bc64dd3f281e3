"""The task board and the calendar in a real browser: drag a card to another column, the status
menu (the keyboard way), a refused move snapping back, tabs at 390 px, moving a deadline on the
calendar, the feed address and its regeneration."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from e2e.helpers import assert_no_traceback, wait_for_socket

pytestmark = pytest.mark.e2e
BELL_COUNT = "#notification-bell-count"
# Generous: a two-core machine shared by many jobs is slow; idle, the bell changes within a second.
LIVE_BUDGET_MS = 15_000

SOFIA = ZoneInfo("Europe/Sofia")


@pytest.fixture
def board_data(users):
    from crm.models import Status
    from crm.tests.factories import CounterpartyFactory, TaskFactory, ThreadFactory

    ivan, maria, petar = users["ivan"], users["maria"], users["petar"]
    alfa = CounterpartyFactory(name="АЛФА ТРЕЙД ЕООД")
    thread = ThreadFactory(counterparty=alfa, author=ivan, subject="Оферта за профили")
    now = timezone.now()
    specs = [
        ("T-2026-00001", maria, Status.ASSIGNED, 2, "Изпрати оферта на АЛФА"),
        ("T-2026-00002", maria, Status.IN_PROGRESS, -1, "Обади се на АЛФА за плащането"),
        ("T-2026-00003", None, Status.NEW, 4, "Подготви мостри"),
        ("T-2026-00004", ivan, Status.DONE, 1, "Готова задача"),
        ("T-2026-00005", petar, Status.ASSIGNED, 3, "Задача на Петър, създадена от Петър"),
        ("T-2026-00006", maria, Status.ASSIGNED, 5, "Твин: смяна от формата"),
    ]
    tasks = {}
    for number, assignee, status, days, subject in specs:
        tasks[number] = TaskFactory(
            number=number,
            thread=thread,
            subject=subject,
            counterparty=alfa,
            author=petar if number == "T-2026-00005" else ivan,
            assignee=assignee,
            status=status,
            deadline=now + datetime.timedelta(days=days),
        )
    return {"thread": thread, "tasks": tasks, **users}


def _card(page, task):
    return page.locator(f"#board-card-{task.pk}")


def _column(page, status):
    return page.locator(f'.board-cards[data-status="{status}"]')


def _count(page, status):
    return page.locator(f'.board-count[data-count-for="{status}"]')


def test_drag_a_card_to_another_column(page, page_for, login, board_data, screenshot):
    """Иван drags Мария's card: the status changes, the thread's timeline records it and Мария,
    the assignee (a follower of the thread), sees it in her bell while her page is open."""
    from crm.models import Status, Task, ThreadEvent
    from notifications.models import Notification

    ivan, maria = board_data["ivan"], board_data["maria"]
    task = board_data["tasks"]["T-2026-00001"]
    maria_page = page_for(maria)
    maria_page.goto("/")
    wait_for_socket(maria_page)
    expect(maria_page.locator(BELL_COUNT)).to_have_attribute("data-count", "0")
    login(page.context, ivan)
    page.goto("/tasks/board/")
    assert_no_traceback(page)
    expect(_column(page, "assigned").locator(".board-card")).to_have_count(3)
    expect(_count(page, "assigned")).to_have_text("3")
    expect(_count(page, "in_progress")).to_have_text("1")
    # The overdue card is marked.
    expect(_card(page, board_data["tasks"]["T-2026-00002"])).to_have_class(re.compile(r"board-overdue"))
    screenshot(page, "board-1366")

    _card(page, task).drag_to(_column(page, "in_progress"))
    expect(_column(page, "in_progress").locator(f"#board-card-{task.pk}")).to_be_visible()
    expect(_count(page, "in_progress")).to_have_text("2")
    expect(_count(page, "assigned")).to_have_text("2")
    expect(page.locator("#board-announce")).to_contain_text("T-2026-00001")
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS
    assert ThreadEvent.objects.filter(task=task, kind=ThreadEvent.Kind.STATUS_CHANGED, actor=ivan).count() == 1

    # Мария's bell counts it without a reload, and says who moved which task where.
    expect(maria_page.locator(BELL_COUNT)).to_have_attribute("data-count", "1", timeout=LIVE_BUDGET_MS)
    maria_page.locator("#notification-bell").click()
    told = maria_page.locator("#notification-menu-list > li").filter(has_text="T-2026-00001")
    expect(told).to_contain_text("Иван Петров")
    expect(told).to_contain_text("Работи се")
    screenshot(maria_page, "board-assignee-bell", full_page=False)
    assert Notification.objects.filter(recipient=ivan).count() == 0  # not told of his own move

    # The same notifications as the task page's status form: change a twin task there.
    told_by_board = Notification.objects.filter(recipient=maria).count()
    twin = board_data["tasks"]["T-2026-00006"]
    page.goto(f"/tasks/{twin.pk}/")
    page.locator("#quick-status").select_option("in_progress")
    page.locator("#task-status-form [type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert Task.objects.get(pk=twin.pk).status == Status.IN_PROGRESS
    assert Notification.objects.filter(recipient=maria).count() == 2 * told_by_board

    # The thread's timeline shows the change.
    page.goto(f"/threads/{board_data['thread'].pk}/")
    expect(page.locator(".timeline").get_by_text("T-2026-00001").first).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("Работи се")


def test_status_menu_moves_a_card_with_the_keyboard(page, login, board_data):
    from crm.models import Status

    ivan = board_data["ivan"]
    task = board_data["tasks"]["T-2026-00004"]  # done, Иван's own
    login(page.context, ivan)
    page.goto("/tasks/board/")
    menu = _card(page, task).locator("[data-board-menu]")
    menu.focus()
    page.keyboard.press("Enter")
    item = _card(page, task).locator('[data-move-to="in_progress"]')
    expect(item).to_be_visible()
    item.focus()
    page.keyboard.press("Enter")
    expect(_column(page, "in_progress").locator(f"#board-card-{task.pk}")).to_be_visible()
    expect(_count(page, "done")).to_have_text("0")
    # Focus stays on the moved card's menu: the next move is a keystroke away.
    expect(_card(page, task).locator("[data-board-menu]")).to_be_focused()
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS


def test_a_refused_move_snaps_back_with_the_reason(page, login, board_data, screenshot):
    from crm.models import Status

    maria = board_data["maria"]
    foreign = board_data["tasks"]["T-2026-00005"]  # Петър's, made by Петър: Мария may not change it
    login(page.context, maria)
    page.goto("/tasks/board/")
    _card(page, foreign).drag_to(_column(page, "done"))
    expect(page.locator("#board-error")).to_be_visible()
    expect(page.locator("#board-error")).to_contain_text("Само авторът, изпълнителят или ръководител")
    expect(_column(page, "assigned").locator(f"#board-card-{foreign.pk}")).to_be_visible()
    expect(_count(page, "done")).to_have_text("1")
    screenshot(page, "board-refused")
    foreign.refresh_from_db()
    assert foreign.status == Status.ASSIGNED
    # An assigned task dragged to "Нова": refused, the reason says why.
    own = board_data["tasks"]["T-2026-00001"]
    _card(page, own).drag_to(_column(page, "new"))
    expect(page.locator("#board-error")).to_contain_text("изпълнител")
    expect(_column(page, "assigned").locator(f"#board-card-{own.pk}")).to_be_visible()


def test_board_filters_and_saved_filter(page, login, board_data):
    ivan = board_data["ivan"]
    login(page.context, ivan)
    page.goto("/tasks/board/")
    page.locator("#quick-mine-assigned").click()
    expect(page).to_have_url(re.compile(r"/tasks/board/\?mine=assigned$"))
    expect(page.locator(".board-card")).to_have_count(1)
    page.locator("#saved-filter-name").fill("Моите на таблото")
    page.locator("#saved-filter-save").click()
    expect(page.locator("#saved-filters")).to_contain_text("Моите на таблото")
    page.goto("/tasks/board/")
    page.locator("#saved-filters a", has_text="Моите на таблото").click()
    expect(page.locator(".board-card")).to_have_count(1)


def test_board_at_390_px_has_tabs(new_context, login, board_data, screenshot):
    context = new_context()
    login(context, board_data["ivan"])
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/tasks/board/")
    tabs = page.locator(".board-tabs")
    expect(tabs).to_be_visible()
    expect(page.locator("#board-col-new")).to_be_visible()
    expect(page.locator("#board-col-in_progress")).to_be_hidden()
    page.locator("#board-tab-in_progress").click()
    expect(page.locator("#board-col-in_progress")).to_be_visible()
    expect(page.locator("#board-tab-in_progress")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#board-tab-new")).to_have_attribute("aria-selected", "false")
    expect(page.locator("#board-tab-new")).not_to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator("#board-col-new")).to_be_hidden()
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.wait_for_timeout(300)  # the tabs' border transition
    screenshot(page, "board-390")
    # The menu moves a card from here too (no drag needed on a phone).
    task = board_data["tasks"]["T-2026-00002"]
    _card(page, task).locator("[data-board-menu]").click()
    _card(page, task).locator('[data-move-to="done"]').click()
    expect(page.locator("#board-announce")).to_contain_text("T-2026-00002")
    page.locator("#board-tab-done").click()
    expect(page.locator(f"#board-col-done #board-card-{task.pk}")).to_be_visible()


# --- the calendar --------------------------------------------------------------------------------


@pytest.fixture
def calendar_data(users):
    from crm.models import Communication, Status
    from crm.tests.factories import CommunicationFactory, TaskFactory, ThreadFactory

    ivan, maria = users["ivan"], users["maria"]
    thread = ThreadFactory(author=ivan, subject="Годишен договор")
    today = timezone.localdate()
    first = today.replace(day=1)

    def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
        moment = datetime.time(hour, minute)
        return datetime.datetime.combine(first + datetime.timedelta(days=day), moment, tzinfo=SOFIA)

    task = TaskFactory(
        number="T-2026-00101", thread=thread, subject="Изпрати договора", author=ivan, assignee=ivan,
        status=Status.ASSIGNED, deadline=at(9, 14, 30),
    )  # fmt: skip
    theirs = TaskFactory(
        number="T-2026-00102", thread=thread, subject="Задача на Мария", author=maria, assignee=maria,
        status=Status.IN_PROGRESS, deadline=at(10, 11),
    )  # fmt: skip
    meeting = CommunicationFactory(
        number="OUT-2026-00101", thread=thread, subject="Среща с клиента", author=ivan, assignee=ivan,
        channel=Communication.Channel.MEETING, direction="out", occurred_at=at(11, 10),
    )  # fmt: skip
    return {"task": task, "theirs": theirs, "meeting": meeting, "first": first, **users}


def _event(page, text):
    return page.locator("#calendar a", has_text=text).first


def _day_cell(page, day: datetime.date):
    return page.locator(f'#calendar [data-date="{day.isoformat()}"]').first


def test_calendar_shows_and_moves_a_deadline(page, login, calendar_data, screenshot):
    task, first = calendar_data["task"], calendar_data["first"]
    login(page.context, calendar_data["ivan"])
    page.goto("/calendar/")
    assert_no_traceback(page)
    expect(_event(page, "T-2026-00101")).to_be_visible()
    expect(_event(page, "OUT-2026-00101")).to_be_visible()
    expect(_event(page, "T-2026-00102")).to_be_visible()
    screenshot(page, "calendar-month")

    target = first + datetime.timedelta(days=16)
    # After a move the calendar fetches its events again and draws them anew: the next drag waits
    # for that, or it may grab an event that is being replaced (and drop nothing).
    with page.expect_response(lambda r: "/calendar/events/" in r.url and r.request.method == "GET"):
        _event(page, "T-2026-00101").drag_to(_day_cell(page, target))
    expect(page.locator("#calendar-announce")).to_contain_text("T-2026-00101")
    expect(_day_cell(page, target).locator("a", has_text="T-2026-00101")).to_be_visible()
    task.refresh_from_db()
    local = timezone.localtime(task.deadline, SOFIA)
    assert local.date() == target and local.time() == datetime.time(14, 30)

    # Someone else's task: the server refuses, the event goes back, the reason shows.
    theirs = calendar_data["theirs"]
    before = theirs.deadline
    _event(page, "T-2026-00102").drag_to(_day_cell(page, target))
    expect(page.locator("#calendar-error")).to_contain_text("Само авторът, изпълнителят или ръководител")
    theirs.refresh_from_db()
    assert theirs.deadline == before
    original = timezone.localtime(before, SOFIA).date()
    expect(_day_cell(page, original).locator("a", has_text="T-2026-00102")).to_be_visible()

    # The assignee filter.
    page.locator("#calendar-assignee").select_option(str(calendar_data["maria"].pk))
    expect(_event(page, "T-2026-00102")).to_be_visible()
    expect(page.locator("#calendar a", has_text="T-2026-00101")).to_have_count(0)
    expect(page).to_have_url(re.compile(rf"assignee={calendar_data['maria'].pk}"))

    # Week and day views; a click opens the item.
    page.locator("#calendar-assignee").select_option("")
    toolbar = page.locator("#calendar")
    # The day view of the meeting's day shows it at its time.
    page.evaluate("(day) => window.crmCalendar.gotoDate(day)", calendar_data["meeting"].occurred_at.date().isoformat())
    toolbar.get_by_text("Ден", exact=True).click()
    expect(_event(page, "OUT-2026-00101")).to_be_visible()
    screenshot(page, "calendar-day")
    toolbar.get_by_text("Седмица", exact=True).click()
    expect(_event(page, "OUT-2026-00101")).to_be_visible()
    screenshot(page, "calendar-week")
    toolbar.get_by_text("Месец", exact=True).click()
    _event(page, "OUT-2026-00101").click()
    expect(page).to_have_url(re.compile(rf"/communications/{calendar_data['meeting'].pk}/$"))


def test_calendar_refused_move_reverts_with_the_message(page, login, calendar_data):
    """A manager-less user drags a task whose deadline the server refuses (the task was handed
    to someone else meanwhile): the event goes back and the reason shows."""
    task, first = calendar_data["task"], calendar_data["first"]
    login(page.context, calendar_data["ivan"])
    page.goto("/calendar/")
    expect(_event(page, "T-2026-00101")).to_be_visible()
    # Meanwhile the task changes hands and author (an admin's edit): Иван may no longer move it.
    type(task).objects.filter(pk=task.pk).update(assignee=calendar_data["maria"], author=calendar_data["maria"])
    before = task.deadline
    target = first + datetime.timedelta(days=16)
    _event(page, "T-2026-00101").drag_to(_day_cell(page, target))
    expect(page.locator("#calendar-error")).to_contain_text("Само авторът, изпълнителят или ръководител")
    task.refresh_from_db()
    assert task.deadline == before
    original = timezone.localtime(before, SOFIA).date()
    expect(_day_cell(page, original).locator("a", has_text="T-2026-00101")).to_be_visible()


def test_subscribe_panel_feed_and_regenerate(page, login, calendar_data, screenshot):
    login(page.context, calendar_data["ivan"])
    page.goto("/calendar/")
    page.locator("#feed-regenerate").click()
    url = page.locator("#feed-url").input_value()
    assert re.search(r"/calendar/\d+-[0-9a-f]{64}\.ics$", url)
    screenshot(page, "calendar-subscribe")
    feed = page.request.get(url)
    assert feed.status == 200 and "T-2026-00101" in feed.text()
    page.locator("#feed-regenerate").click()
    new = page.locator("#feed-url").input_value()
    assert new != url
    assert page.request.get(url).status == 404
    assert page.request.get(new).status == 200


def test_calendar_at_390_px(new_context, login, calendar_data, screenshot):
    context = new_context()
    login(context, calendar_data["ivan"])
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/calendar/")
    expect(page.locator("#calendar").get_by_role("button", name="днес")).to_be_visible()
    expect(page.locator("#calendar").get_by_role("tab", name="Месец")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "calendar-390")
