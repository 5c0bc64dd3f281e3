"""The task board, the calendar and the iCalendar feed (crm/board_views.py): access, what they
show, moves through the narrow commands, bad input, pinned queries."""

import datetime
import re
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import paging
from accounts.tests.factories import DepartmentFactory
from crm.board_selectors import BOARD_PAGE_SIZE, calendar_feed_of, calendar_feed_token
from crm.models import CalendarFeed, Communication, Status, ThreadEvent
from crm.services.calendar_feeds import calendar_feed_regenerate
from crm.tests.factories import CommunicationFactory, TaskFactory, ThreadFactory

pytestmark = pytest.mark.django_db

SOFIA = ZoneInfo("Europe/Sofia")
HTMX = {"HTTP_HX_REQUEST": "true"}


def _sofia(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SOFIA)


# --- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/tasks/board/"),
        ("post", "/tasks/board/move/"),
        ("get", "/calendar/"),
        ("get", "/calendar/events/?start=2026-11-01&end=2026-12-01"),
        ("post", "/calendar/move/"),
        ("post", "/calendar/feed/new/"),
    ],
)
def test_anonymous_is_sent_to_login(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_deactivated_user_sees_nothing(client, user):
    task = TaskFactory(author=user, assignee=user, status=Status.ASSIGNED)
    client.force_login(user)
    user.is_active = False
    user.save()
    response = client.post("/tasks/board/move/", {"task": task.pk, "status": "done"})
    assert response.status_code in (302, 404)
    task.refresh_from_db()
    assert task.status == Status.ASSIGNED


def test_every_employee_sees_every_task_on_the_board_as_on_the_list(client_ivan, other_user):
    foreign = TaskFactory(author=other_user, assignee=other_user, status=Status.IN_PROGRESS, subject="Чужда задача")
    board = client_ivan.get("/tasks/board/").content.decode()
    listing = client_ivan.get("/tasks/").content.decode()
    assert "Чужда задача" in board and "Чужда задача" in listing
    column = board.split('id="board-col-in_progress"')[1].split("</section>")[0]
    assert f'data-task="{foreign.pk}"' in column


def test_others_task_cannot_be_moved(client_ivan, other_user):
    task = TaskFactory(author=other_user, assignee=other_user, status=Status.ASSIGNED)
    response = client_ivan.post("/tasks/board/move/", {"task": task.pk, "status": "done"})
    assert response.status_code == 403
    assert response.json()["ok"] is False and response.json()["error"]
    response = client_ivan.post("/calendar/move/", {"task": task.pk, "date": "2026-12-24"})
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == Status.ASSIGNED


def test_a_manager_moves_anyones_task(client, manager, other_user):
    task = TaskFactory(author=other_user, assignee=other_user, status=Status.ASSIGNED)
    client.force_login(manager)
    response = client.post("/tasks/board/move/", {"task": task.pk, "status": "in_progress"})
    assert response.status_code == 200 and response.json()["ok"]
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS


# --- the board -----------------------------------------------------------------------------------


def _column(html: str, status: str) -> str:
    return html.split(f'id="board-col-{status}"')[1].split("</section>")[0]


def test_board_has_a_column_per_status_with_counts(client_ivan, user):
    for status, n in ((Status.NEW, 2), (Status.ASSIGNED, 1), (Status.IN_PROGRESS, 3), (Status.DONE, 0)):
        for _ in range(n):
            TaskFactory(author=user, assignee=None if status == Status.NEW else user, status=status)
    html = client_ivan.get("/tasks/board/").content.decode()
    for status, n in (("new", 2), ("assigned", 1), ("in_progress", 3), ("done", 0)):
        column = _column(html, status)
        assert column.count('<article class="board-card') == n
        assert re.search(rf'data-count-for="{status}" data-exact>{n}<', html)
    assert "Нова" in html and "Работи се" in html and "Приключена" in html


def test_overdue_cards_are_marked(client_ivan, user):
    late = TaskFactory(
        author=user, assignee=user, status=Status.ASSIGNED, deadline=timezone.now() - datetime.timedelta(days=1)
    )
    on_time = TaskFactory(author=user, assignee=user, status=Status.ASSIGNED)
    html = client_ivan.get("/tasks/board/").content.decode()
    assert re.search(rf'board-card card board-overdue" data-task="{late.pk}"', html)
    assert re.search(rf'board-card card" data-task="{on_time.pk}"', html)


def test_board_filters_are_the_lists_and_department_means_its_members(client_ivan, user, other_user, petar):
    team = DepartmentFactory(name="Продажби", members=[user, other_user])
    mine = TaskFactory(author=user, assignee=user, status=Status.ASSIGNED, subject="Оферта Алфа")
    theirs = TaskFactory(author=user, assignee=other_user, status=Status.ASSIGNED, subject="Оферта Бета")
    outside = TaskFactory(author=user, assignee=petar, status=Status.ASSIGNED, subject="Оферта Гама")
    html = client_ivan.get("/tasks/board/", {"department": team.pk}).content.decode()
    assert f'data-task="{mine.pk}"' in html and f'data-task="{theirs.pk}"' in html
    assert f'data-task="{outside.pk}"' not in html
    html = client_ivan.get("/tasks/board/", {"subject": "бета"}).content.decode()
    assert f'data-task="{theirs.pk}"' in html and f'data-task="{mine.pk}"' not in html
    # The same filter on the list.
    listing = client_ivan.get("/tasks/", {"department": team.pk}).content.decode()
    assert "Оферта Алфа" in listing and "Оферта Гама" not in listing


def test_board_can_be_a_saved_filter(client_ivan, user):
    response = client_ivan.post(
        "/saved-filters/", {"path": "/tasks/board/", "query": "mine=assigned", "name": "Моят борд"}
    )
    assert response.status_code == 302 and response["Location"] == "/tasks/board/?mine=assigned"
    assert "Моят борд" in client_ivan.get("/tasks/board/").content.decode()
    assert "Моят борд" not in client_ivan.get("/tasks/").content.decode()


def test_board_htmx_answers_with_the_board_and_the_url(client_ivan, user):
    TaskFactory(author=user, assignee=user, status=Status.ASSIGNED)
    response = client_ivan.get("/tasks/board/", {"mine": "assigned", "after": "x"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="list-results"') and "<html" not in body
    assert response["HX-Push-Url"] == "/tasks/board/?mine=assigned"


def test_a_column_loads_more_on_scroll(client_ivan, user):
    tasks = [
        TaskFactory(
            author=user, assignee=user, status=Status.DONE, deadline=timezone.now() + datetime.timedelta(hours=i)
        )
        for i in range(BOARD_PAGE_SIZE + 5)
    ]
    html = client_ivan.get("/tasks/board/").content.decode()
    column = _column(html, "done")
    assert column.count('<article class="board-card') == BOARD_PAGE_SIZE
    more = re.search(r'hx-get="([^"]*column=done[^"]*)"', column).group(1).replace("&amp;", "&")
    rest = client_ivan.get(more, **HTMX).content.decode()
    ids = re.findall(r'data-task="(\d+)"', rest)
    assert [int(i) for i in ids] == [t.pk for t in tasks[BOARD_PAGE_SIZE:]]  # earliest deadline first
    assert "data-board-more" not in rest


@pytest.mark.parametrize(
    "params",
    [
        {"column": "nope"},
        {"column": "x" * 5000},
    ],
)
def test_a_bad_column_is_a_400(client_ivan, params):
    assert client_ivan.get("/tasks/board/", params, **HTMX).status_code == 400


@pytest.mark.parametrize("after", ["", "garbage", "x" * 3000, "eyJ4Ijo", "\x00"])
def test_a_bad_cursor_is_the_first_page(client_ivan, user, after):
    TaskFactory(author=user, assignee=user, status=Status.DONE)
    response = client_ivan.get("/tasks/board/", {"column": "done", "after": after}, **HTMX)
    assert response.status_code == 200 and '<article class="board-card' in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"department": "abc"},
        {"department": "99999999999999999999999"},
        {"assignee": "-1"},
        {"deadline_after": "32.13.2026"},
        {"sort": "nonsense"},
        {"subject": "x" * 1000},
    ],
)
def test_bad_filters_never_fail_the_board(client_ivan, user, params):
    TaskFactory(author=user, assignee=user, status=Status.ASSIGNED)
    response = client_ivan.get("/tasks/board/", params)
    assert response.status_code == 200


# --- moving a card -------------------------------------------------------------------------------


def test_moving_a_card_is_the_task_pages_status_change(client_ivan, user, other_user):
    task = TaskFactory(author=user, assignee=other_user, status=Status.ASSIGNED)
    response = client_ivan.post("/tasks/board/move/", {"task": task.pk, "status": "in_progress"})
    answer = response.json()
    assert response.status_code == 200 and answer["ok"] and answer["status"] == "in_progress"
    assert f'data-task="{task.pk}"' in answer["card"] and 'data-status="in_progress"' in answer["card"]
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS
    event = ThreadEvent.objects.get(task=task, kind=ThreadEvent.Kind.STATUS_CHANGED)
    assert event.actor == user


def test_the_same_column_changes_nothing(client_ivan, user):
    task = TaskFactory(author=user, assignee=user, status=Status.ASSIGNED)
    response = client_ivan.post("/tasks/board/move/", {"task": task.pk, "status": "assigned"})
    assert response.json()["ok"]
    assert not ThreadEvent.objects.filter(task=task).exists()


def test_an_assigned_task_cannot_become_new(client_ivan, user):
    task = TaskFactory(author=user, assignee=user, status=Status.IN_PROGRESS)
    response = client_ivan.post("/tasks/board/move/", {"task": task.pk, "status": "new"})
    assert response.status_code == 400
    assert "изпълнител" in response.json()["error"]
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"task": "abc", "status": "done"},
        {"task": "99999999999999999999999", "status": "done"},
        {"task": "-3", "status": "done"},
        {"task": "\x00", "status": "done"},
        {"task": "{pk}", "status": "finished"},
        {"task": "{pk}", "status": "x" * 10000},
        {"task": "{pk}"},
    ],
)
def test_bad_move_payloads_are_refused_not_500(client_ivan, user, payload):
    task = TaskFactory(author=user, assignee=user, status=Status.ASSIGNED)
    data = {k: v.replace("{pk}", str(task.pk)) for k, v in payload.items()}
    response = client_ivan.post("/tasks/board/move/", data)
    assert response.status_code in (400, 404)
    assert response.json()["ok"] is False and response.json()["error"]
    task.refresh_from_db()
    assert task.status == Status.ASSIGNED


def test_a_missing_task_is_404(client_ivan):
    response = client_ivan.post("/tasks/board/move/", {"task": 987654, "status": "done"})
    assert response.status_code == 404 and response.json()["ok"] is False


def test_move_needs_post(client_ivan, user):
    assert client_ivan.get("/tasks/board/move/").status_code == 405
    assert client_ivan.get("/calendar/move/").status_code == 405


# --- pinned queries ------------------------------------------------------------------------------


def _own(ctx) -> int:
    return sum(1 for q in ctx.captured_queries if 'FROM "crm_' in q["sql"] or 'FROM "savedfilters_' in q["sql"])


def _fill(user, n: int) -> None:
    for status in Status.values:
        for _ in range(n):
            TaskFactory(author=user, assignee=None if status == Status.NEW else user, status=status)


# Once: the window's edge and the rows of every column's cards (paging.keyset_first_pages; no rows
# when every column is empty), the saved filters, and one capped count of the columns whose keys
# did not see every card (paging.list_counts). Per column: the keys, and on PostgreSQL the plan's
# estimate of a column the keys did not count.
EDGE, KEYS, ROWS, SAVED, COUNT = 1, 1, 1, 1, 1
ESTIMATE = 1 if connection.vendor == "postgresql" else 0


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_board_queries_are_pinned(client_ivan, user, headers):
    totals = []
    for n in (BOARD_PAGE_SIZE + 5, 3 * BOARD_PAGE_SIZE):
        _fill(user, n if not totals else n - (BOARD_PAGE_SIZE + 5))
        with CaptureQueriesContext(connection) as ctx:
            response = client_ivan.get("/tasks/board/", **headers)
        assert response.status_code == 200
        expected = EDGE + ROWS + 4 * (KEYS + ESTIMATE) + COUNT + SAVED
        assert _own(ctx) == expected, [q["sql"][:80] for q in ctx.captured_queries]
        totals.append(len(ctx.captured_queries))
    assert totals[0] == totals[1]


def test_columns_that_fit_on_a_page_are_counted_by_their_keys(client_ivan, user):
    _fill(user, 3)
    TaskFactory(author=user, assignee=user, status=Status.DONE)
    with CaptureQueriesContext(connection) as ctx:
        html = client_ivan.get("/tasks/board/", **HTMX).content.decode()
    assert _own(ctx) == EDGE + ROWS + 4 * KEYS + SAVED
    assert re.search(r'data-count-for="done" data-exact>4<', html)


def test_empty_columns_load_no_rows(client_ivan, user):
    TaskFactory(author=user, assignee=user, status=Status.DONE)
    with CaptureQueriesContext(connection) as ctx:
        client_ivan.get("/tasks/board/", **HTMX)
    assert _own(ctx) == EDGE + ROWS + 4 * KEYS + SAVED


def test_an_empty_board_loads_no_rows(client_ivan):
    with CaptureQueriesContext(connection) as ctx:
        html = client_ivan.get("/tasks/board/", **HTMX).content.decode()
    assert _own(ctx) == EDGE + 4 * KEYS + SAVED
    assert html.count("board-empty") == 4


def test_a_large_column_shows_the_lists_kind_of_count(client_ivan, user, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 30)
    _fill(user, 40)
    html = client_ivan.get("/tasks/board/").content.decode()
    assert re.search(r'data-count-for="done">30\+<', html)  # more than the cap: not exact, not moved by a drag


def test_a_column_page_queries_are_pinned(client_ivan, user, monkeypatch):
    monkeypatch.setattr(paging, "WINDOW", 10_000)
    counts = []
    for n in (BOARD_PAGE_SIZE + 2, 3 * BOARD_PAGE_SIZE):
        _fill(user, n - (BOARD_PAGE_SIZE + 2 if counts else 0))
        html = client_ivan.get("/tasks/board/").content.decode()
        more = re.search(r'hx-get="([^"]*column=done[^"]*)"', _column(html, "done")).group(1).replace("&amp;", "&")
        with CaptureQueriesContext(connection) as ctx:
            response = client_ivan.get(more, **HTMX)
        assert response.status_code == 200
        assert _own(ctx) == EDGE + KEYS + ROWS
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# --- the calendar --------------------------------------------------------------------------------


def test_calendar_page_shows_the_subscribe_panel(client_ivan, user):
    html = client_ivan.get("/calendar/").content.decode()
    assert 'id="calendar"' in html and 'id="subscribe"' in html and 'id="feed-regenerate"' in html
    assert 'id="feed-url"' not in html  # no feed yet


def test_events_of_the_range_tasks_and_meetings(client_ivan, user, other_user):
    thread = ThreadFactory(author=user)
    inside = TaskFactory(thread=thread, author=user, assignee=user, deadline=_sofia(2026, 11, 10, 15, 30))
    outside = TaskFactory(thread=thread, author=user, assignee=user, deadline=_sofia(2026, 12, 10, 15, 30))
    foreign = TaskFactory(thread=thread, author=other_user, assignee=other_user, deadline=_sofia(2026, 11, 11, 9))
    meeting = CommunicationFactory(
        thread=thread, author=user, channel=Communication.Channel.MEETING, occurred_at=_sofia(2026, 11, 12, 10)
    )
    call = CommunicationFactory(
        thread=thread, author=user, channel=Communication.Channel.PHONE, occurred_at=_sofia(2026, 11, 12, 11)
    )
    response = client_ivan.get(
        "/calendar/events/", {"start": "2026-11-01T00:00:00+02:00", "end": "2026-12-01T00:00:00+02:00"}
    )
    assert response.status_code == 200
    events = {e["id"]: e for e in response.json()}
    assert set(events) == {f"task-{inside.pk}", f"task-{foreign.pk}", f"meeting-{meeting.pk}"}
    assert f"task-{outside.pk}" not in events and f"meeting-{call.pk}" not in events
    assert events[f"task-{inside.pk}"]["start"] == "2026-11-10T15:30:00+02:00"
    assert events[f"task-{inside.pk}"]["url"] == f"/tasks/{inside.pk}/"
    assert events[f"meeting-{meeting.pk}"]["editable"] is False
    assert events[f"meeting-{meeting.pk}"]["url"] == f"/communications/{meeting.pk}/"
    # One assignee's.
    mine = client_ivan.get(
        "/calendar/events/", {"start": "2026-11-01", "end": "2026-12-01", "assignee": user.pk}
    ).json()
    assert {e["id"] for e in mine} == {f"task-{inside.pk}"}


def test_events_queries_are_pinned(client_ivan, user):
    thread = ThreadFactory(author=user)
    counts = []
    for n in (2, 20):
        for i in range(n):
            TaskFactory(thread=thread, author=user, assignee=user, deadline=_sofia(2026, 11, 1 + i % 28, 12))
            CommunicationFactory(
                thread=thread, author=user, assignee=user, channel="meeting", occurred_at=_sofia(2026, 11, 2, 9)
            )
        with CaptureQueriesContext(connection) as ctx:
            response = client_ivan.get("/calendar/events/", {"start": "2026-11-01", "end": "2026-12-01"})
        assert response.status_code == 200
        assert _own(ctx) == 2  # tasks, meetings (assignees joined)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"start": "2026-11-01"},
        {"start": "garbage", "end": "2026-12-01"},
        {"start": "2026-12-01", "end": "2026-11-01"},
        {"start": "2026-01-01", "end": "2026-12-31"},  # too long a range
        {"start": "0001-01-01", "end": "0001-01-20"},
        {"start": "9999-12-01", "end": "9999-12-31"},
        {"start": "2" * 3000, "end": "2026-12-01"},
        {"start": "2026-11-01", "end": "2026-12-01", "assignee": "abc"},
        {"start": "2026-11-01", "end": "2026-12-01", "assignee": "99999999999999999999999"},
        {"start": "2026-11-01", "end": "2026-12-01", "assignee": "987654"},
    ],
)
def test_bad_ranges_are_400_with_a_message(client_ivan, params):
    response = client_ivan.get("/calendar/events/", params)
    assert response.status_code == 400
    assert response.json()["error"]


def test_moving_a_task_on_the_calendar_keeps_the_time_of_day(client_ivan, user):
    task = TaskFactory(author=user, assignee=user, status=Status.ASSIGNED, deadline=_sofia(2026, 11, 10, 15, 30))
    response = client_ivan.post("/calendar/move/", {"task": task.pk, "date": "2026-11-24"})
    assert response.status_code == 200 and response.json()["ok"], response.content
    task.refresh_from_db()
    assert task.deadline == _sofia(2026, 11, 24, 15, 30)
    assert ThreadEvent.objects.filter(task=task, kind=ThreadEvent.Kind.DEADLINE_CHANGED).count() == 1
    # Across the change to winter time the wall-clock time stays.
    task.deadline = _sofia(2026, 10, 20, 9, 0)
    task.save()
    client_ivan.post("/calendar/move/", {"task": task.pk, "date": "2026-11-03T00:00:00+02:00"})
    task.refresh_from_db()
    assert timezone.localtime(task.deadline, SOFIA).time() == datetime.time(9, 0)


@pytest.mark.parametrize("date", ["", "garbage", "2026-02-30", "0001-01-01", "9999-12-31", "\x00", "2" * 3000])
def test_bad_calendar_moves_are_refused(client_ivan, user, date):
    task = TaskFactory(author=user, assignee=user, deadline=_sofia(2026, 11, 10, 15, 30))
    response = client_ivan.post("/calendar/move/", {"task": task.pk, "date": date})
    assert response.status_code == 400 and response.json()["ok"] is False
    task.refresh_from_db()
    assert task.deadline == _sofia(2026, 11, 10, 15, 30)


# --- the iCalendar feed --------------------------------------------------------------------------


def _feed_path(user) -> str:
    return f"/calendar/{calendar_feed_token(feed=calendar_feed_of(user=user))}.ics"


def test_feed_lists_my_open_tasks_with_deadlines(client, client_ivan, user, other_user):
    client_ivan.post("/calendar/feed/new/")
    mine = TaskFactory(
        author=other_user,
        assignee=user,
        status=Status.IN_PROGRESS,
        subject="Да се обади на Алфа",
        deadline=_sofia(2026, 11, 10, 15, 30),
    )
    TaskFactory(author=other_user, assignee=user, status=Status.DONE, subject="Свършена")
    TaskFactory(author=other_user, assignee=user, status=Status.ASSIGNED, subject="Без срок", deadline=None)
    TaskFactory(author=user, assignee=other_user, status=Status.ASSIGNED, subject="На Мария")
    client.logout()
    response = client.get(_feed_path(user))  # a calendar app: no session
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == [f"{mine.number} Да се обади на Алфа"]
    assert events[0].decoded("dtstart") == _sofia(2026, 11, 10, 15, 30)
    assert str(events[0]["url"]).endswith(f"/tasks/{mine.pk}/")


def test_feed_url_is_on_the_calendar_page_and_regenerating_revokes_it(client, client_ivan, user):
    client_ivan.post("/calendar/feed/new/")
    old = _feed_path(user)
    assert old in client_ivan.get("/calendar/").content.decode()
    assert client.get(old).status_code == 200
    response = client_ivan.post("/calendar/feed/new/")
    assert response.status_code == 302
    new = _feed_path(user)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_feed_tokens_are_unguessable(client, user, other_user):
    feed = calendar_feed_regenerate(user=user)
    token = calendar_feed_token(feed=feed)
    user_part, signature = token.split("-")
    assert user_part == str(user.pk) and len(signature) == 64
    assert len(feed.nonce) >= 43  # 256 random bits
    assert token not in str(CalendarFeed.objects.values_list("nonce", flat=True)[0])
    # Another user's id with this signature, a changed signature, nonsense: all 404.
    calendar_feed_regenerate(user=other_user)
    for guess in (
        f"{other_user.pk}-{signature}",
        f"{user.pk}-{signature[:-1]}{'0' if signature[-1] != '0' else '1'}",
        f"{user.pk}-",
        "abc",
        "-" * 70,
        f"99999999999999999999999-{signature}",
        "x" * 150,
    ):
        assert client.get(f"/calendar/{guess}.ics").status_code == 404, guess


def test_a_deactivated_users_feed_is_gone(client, user):
    calendar_feed_regenerate(user=user)
    path = _feed_path(user)
    user.is_active = False
    user.save()
    assert client.get(path).status_code == 404


def test_feed_regenerate_needs_post(client_ivan):
    assert client_ivan.get("/calendar/feed/new/").status_code == 405


def test_feed_queries_do_not_grow(client, user, other_user):
    calendar_feed_regenerate(user=user)
    path = _feed_path(user)
    counts = []
    for n in (2, 20):
        for _ in range(n):
            TaskFactory(author=other_user, assignee=user, status=Status.ASSIGNED)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == 2  # the feed with its user, the tasks


def test_navbar_has_board_and_calendar(client_ivan):
    html = client_ivan.get("/").content.decode()
    assert 'id="nav-board"' in html and 'href="/tasks/board/"' in html
    assert 'id="nav-calendar"' in html and 'href="/calendar/"' in html


def test_the_overdue_board_has_no_done_cards_and_asks_nothing_for_them(client_ivan, user):
    """Overdue tasks are open: the done column is empty without a query (PostgreSQL cannot tell
    that ``status IN (open) AND status = 'done'`` matches nothing, and walked every done task)."""
    late = timezone.now() - datetime.timedelta(days=1)
    _fill(user, 2)
    for status in Status.values:
        TaskFactory(author=user, assignee=None if status == Status.NEW else user, status=status, deadline=late)
    with CaptureQueriesContext(connection) as ctx:
        html = client_ivan.get("/tasks/board/", {"overdue": "1"}, **HTMX).content.decode()
    assert _own(ctx) == EDGE + ROWS + 3 * KEYS + SAVED
    assert _column(html, "done").count('<article class="board-card') == 0
    assert all(_column(html, status).count("board-overdue") == 1 for status in ("new", "assigned", "in_progress"))
    more = client_ivan.get("/tasks/board/", {"overdue": "1", "column": "done"}, **HTMX)
    assert more.status_code == 200 and "board-card" not in more.content.decode()
