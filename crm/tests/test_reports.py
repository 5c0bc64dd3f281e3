"""/reports/: the numbers of each chart (on both backends), the links of the bars, the CSV, the
query count, and who may see it (the access table: test_access.py)."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import DepartmentFactory, UserFactory
from crm import reports
from crm.models import Status
from crm.services.communications import communication_answers_refresh
from crm.services.report_counts import report_counts_rebuild
from crm.services.tasks import task_create, task_status_set
from crm.tests.factories import CommunicationFactory, TaskFactory, ThreadFactory

pytestmark = pytest.mark.django_db

LAYOUT = 4  # session, user, the navbar's permissions (1), the bell (1)
SOFIA = ZoneInfo("Europe/Sofia")


def at(day: int, hour: int = 10) -> datetime:
    """A moment in the week of Monday 2 November 2026 (and the following ones), Sofia time."""
    return datetime(2026, 11, 2, hour, tzinfo=SOFIA) + timedelta(days=day)


@pytest.fixture
def team():
    sales = DepartmentFactory(name="Продажби")
    ana = UserFactory(username="ana", first_name="Ана", last_name="Иванова")
    bob = UserFactory(username="bob", first_name="Боян", last_name="Петров")
    outsider = UserFactory(username="out", first_name="Външен", last_name="Човек")
    sales.members.add(ana, bob)
    return sales, ana, bob, outsider


PERIOD = reports.Period(start=at(0).date(), end=at(20).date())


def test_open_tasks_per_assignee_and_status(team):
    sales, ana, bob, outsider = team
    past = timezone.now() - timedelta(days=1)
    thread = ThreadFactory()
    for status in (Status.ASSIGNED, Status.ASSIGNED, Status.IN_PROGRESS):
        TaskFactory(thread=thread, assignee=ana, status=status, created_at=at(1), deadline=past)
    TaskFactory(thread=thread, assignee=ana, status=Status.DONE, created_at=at(1))  # done: not open
    TaskFactory(thread=thread, assignee=bob, status=Status.NEW, created_at=at(2))
    TaskFactory(thread=thread, assignee=bob, status=Status.NEW, created_at=at(40))  # after the period
    TaskFactory(thread=thread, assignee=outsider, status=Status.NEW, created_at=at(2))

    rows = reports.open_tasks(PERIOD)
    assert [(r.name, r.by_status, r.overdue) for r in rows] == [
        ("Ана Иванова", {"assigned": 2, "in_progress": 1}, 3),
        ("Боян Петров", {"new": 1}, 0),
        ("Външен Човек", {"new": 1}, 0),
    ]
    in_sales = reports.open_tasks(reports.Period(PERIOD.start, PERIOD.end, sales.pk))
    assert [r.name for r in in_sales] == ["Ана Иванова", "Боян Петров"]


def test_communications_per_week_in_and_out(team):
    _sales, ana, _bob, _outsider = team
    thread = ThreadFactory()
    CommunicationFactory(thread=thread, direction="in", created_at=at(0, 0), assignee=ana)  # Monday 00:00 Sofia
    CommunicationFactory(thread=thread, direction="in", created_at=at(6, 23), assignee=ana)  # Sunday night
    CommunicationFactory(thread=thread, direction="out", created_at=at(7), assignee=ana)
    report_counts_rebuild()  # the factories write past the write path: the rebuild
    rows = reports.communications_per_week(PERIOD)
    assert [(r["week"].isoformat(), r["in"], r["out"]) for r in rows] == [
        ("2026-11-02", 2, 0),
        ("2026-11-09", 0, 1),
        ("2026-11-16", 0, 0),
    ]


def test_median_response_time_per_assignee(team):
    _sales, ana, bob, _outsider = team
    one, two, three = ThreadFactory(), ThreadFactory(), ThreadFactory()
    # Ана: answered after 2 h and after 4 h (a later outgoing one does not count), one unanswered.
    CommunicationFactory(thread=one, direction="in", occurred_at=at(1, 8), assignee=ana)
    CommunicationFactory(thread=one, direction="out", occurred_at=at(1, 10), assignee=ana)
    CommunicationFactory(thread=one, direction="out", occurred_at=at(1, 15), assignee=ana)
    CommunicationFactory(thread=two, direction="in", occurred_at=at(2, 8), assignee=ana)
    CommunicationFactory(thread=two, direction="out", occurred_at=at(2, 12), assignee=bob)
    CommunicationFactory(thread=three, direction="in", occurred_at=at(3, 8), assignee=ana)
    # An answer in another thread is no answer; an outgoing one before the question neither.
    CommunicationFactory(thread=three, direction="out", occurred_at=at(3, 7), assignee=ana)
    # Боян: 1 h, 2 h, 6 h: the median is 2 h.
    for hours in (1, 2, 6):
        thread = ThreadFactory()
        CommunicationFactory(thread=thread, direction="in", occurred_at=at(4, 8), assignee=bob)
        CommunicationFactory(thread=thread, direction="out", occurred_at=at(4, 8 + hours), assignee=bob)

    communication_answers_refresh()  # the factories write past the write path: the backfill
    rows = {r["name"]: r for r in reports.response_times(PERIOD)}
    assert rows["Ана Иванова"]["median_hours"] == 3.0  # (2 + 4) / 2
    assert (rows["Ана Иванова"]["answered"], rows["Ана Иванова"]["unanswered"]) == (2, 1)
    assert rows["Боян Петров"]["median_hours"] == 2.0
    assert (rows["Боян Петров"]["answered"], rows["Боян Петров"]["unanswered"]) == (3, 0)


def test_tasks_done_per_week(team, user):
    """By the moment each task was last done, through the write path: reopened and done again
    counts once (when last done), reopened and still open not at all, created done when created."""
    sales, ana, _bob, outsider = team

    def write(day: int, change, **kwargs):
        with time_machine.travel(at(day), tick=False):
            return change(actor=user, **kwargs) if change is task_status_set else change(author=user, **kwargs)

    once = write(0, task_create, subject="Веднъж", assignee=ana)
    twice = write(0, task_create, subject="Два пъти", assignee=ana)
    reopened = write(0, task_create, subject="Отворена пак", assignee=ana)
    theirs = write(0, task_create, subject="Чужда", assignee=outsider)
    write(1, task_status_set, task=once, status=Status.DONE)
    write(1, task_status_set, task=theirs, status=Status.DONE)
    write(3, task_status_set, task=twice, status=Status.DONE)
    write(4, task_status_set, task=twice, status=Status.IN_PROGRESS)
    write(8, task_status_set, task=twice, status=Status.DONE)
    write(2, task_status_set, task=reopened, status=Status.DONE)
    write(5, task_status_set, task=reopened, status=Status.ASSIGNED)
    write(9, task_create, subject="Готова", assignee=ana, status=Status.DONE)
    write(30, task_create, subject="След периода", assignee=ana, status=Status.DONE)

    assert [r["done"] for r in reports.tasks_done_per_week(PERIOD)] == [2, 2, 0]
    in_sales = reports.Period(PERIOD.start, PERIOD.end, sales.pk)
    assert [r["done"] for r in reports.tasks_done_per_week(in_sales)] == [1, 2, 0]
    # A period starting mid-week counts from its first day (the old query's rule too).
    wednesday = reports.Period(at(2).date(), at(13).date())
    assert [r["done"] for r in reports.tasks_done_per_week(wednesday)] == [0, 2]


def test_page_charts_links_table_and_query_count(client, manager, team, django_assert_num_queries):
    _sales, ana, _bob, _outsider = team
    thread = ThreadFactory()
    TaskFactory(thread=thread, assignee=ana, status=Status.ASSIGNED, created_at=at(1))
    CommunicationFactory(thread=thread, direction="in", created_at=at(1), occurred_at=at(1), assignee=ana)
    report_counts_rebuild()
    client.force_login(manager)
    url = "/reports/?start=02.11.2026&end=22.11.2026"
    client.get(url)
    # The department choices, one query per chart (4).
    with django_assert_num_queries(LAYOUT + 5):
        response = client.get(url)
    page = response.content.decode()
    assert 'id="chart-open-tasks"' in page and "Ана Иванова" in page
    data = response.context["charts"]
    assigned = next(d for d in data["open_tasks"]["datasets"] if d["key"] == "assigned")
    assert assigned["data"] == [1]
    assert assigned["links"] == [
        f"/tasks/?assignee={ana.pk}&status=assigned&created_after=2026-11-02&created_before=2026-11-22"
    ]
    incoming = data["communications"]["datasets"][0]
    assert incoming["data"][0] == 1
    assert incoming["links"][0] == "/communications/?direction=in&created_after=2026-11-02&created_before=2026-11-08"
    # The data reaches the page as JSON (no inline script).
    blob = page.split('id="report-data" type="application/json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(blob) == json.loads(json.dumps(data))


def test_a_bar_link_opens_the_list_it_counts(client, manager, team):
    sales, ana, _bob, outsider = team
    thread = ThreadFactory()
    TaskFactory(thread=thread, assignee=ana, status=Status.ASSIGNED, created_at=at(1))
    TaskFactory(thread=thread, assignee=outsider, status=Status.ASSIGNED, created_at=at(1))
    client.force_login(manager)
    response = client.get(f"/reports/?start=2026-11-02&end=2026-11-22&department={sales.pk}")
    charts = response.context["charts"]
    link = next(d for d in charts["open_tasks"]["datasets"] if d["key"] == "assigned")["links"][0]
    listed = client.get(link).context["page"]
    assert [t.assignee for t in listed] == [ana]
    week = charts["communications"]["datasets"][0]["links"][0]
    assert f"department={sales.pk}" in week
    assert client.get(week).status_code == 200


def test_bad_period_is_a_message_and_the_default(client, manager):
    client.force_login(manager)
    response = client.get("/reports/?start=30.11.2026&end=01.11.2026&department=abc")
    assert response.status_code == 200
    assert response.context["form"].errors["end"]
    assert response.context["report"].period.end == timezone.localdate()
    response = client.get("/reports/?start=99.99.9999")
    assert response.status_code == 200 and response.context["form"].errors["start"]


def test_csv_has_the_same_numbers(client, manager, team):
    _sales, ana, _bob, _outsider = team
    TaskFactory(thread=ThreadFactory(), assignee=ana, status=Status.NEW, created_at=at(1))
    client.force_login(manager)
    body = client.get("/reports/export.csv?start=2026-11-02&end=2026-11-22").content.decode("utf-8-sig")
    lines = body.splitlines()
    assert any(line.startswith("Отворени задачи;Ана Иванова;Нова;1") for line in lines), lines[:5]


def test_report_is_cached_per_period_and_department(team, django_assert_num_queries, settings):
    from django.core.cache import cache

    sales, ana, _bob, _outsider = team
    settings.REPORTS_CACHE_SECONDS = 60
    cache.clear()
    TaskFactory(thread=ThreadFactory(), assignee=ana, status=Status.NEW, created_at=at(1))
    first = reports.report_cached(PERIOD)
    with django_assert_num_queries(0):
        again = reports.report_cached(PERIOD)
    assert [r.open for r in again.open_tasks] == [r.open for r in first.open_tasks] == [1]
    with django_assert_num_queries(4):  # another department: its own entry
        reports.report_cached(reports.Period(PERIOD.start, PERIOD.end, sales.pk))
    cache.clear()
