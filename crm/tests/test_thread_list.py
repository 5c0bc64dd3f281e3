"""The thread list (a list like communications and tasks: filters, sorts, htmx, keyset pages, CSV,
saved filters, pinned queries) and editing a thread: subject, counterparty, close and reopen.
Runs on SQLite and on PostgreSQL."""

import csv
import datetime
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import paging
from crm import selectors, services
from crm.filters import ThreadFilter
from crm.models import Thread, ThreadEvent
from crm.tests.factories import CommunicationFactory, CounterpartyFactory, TaskFactory, ThreadFactory
from crm.tests.listing import shown, sofia

pytestmark = pytest.mark.django_db


@pytest.fixture
def threads(user, other_user):
    alfa = CounterpartyFactory(name="АЛФА ТРЕЙД ЕООД")
    beta = CounterpartyFactory(name="Бета Логистик ООД")
    rows = {
        "alfa": {
            "number": "TH-2026-00001",
            "subject": "Оферта за ПВЦ профили",
            "counterparty": alfa,
            "author": user,
            "created_at": sofia(2026, 3, 10, 9),
            "last_activity_at": sofia(2026, 3, 20, 12),
        },
        # 23:30 in Sofia on the 11th: still the 11th for the date filters.
        "beta": {
            "number": "TH-2026-00002",
            "subject": "Доставка",
            "counterparty": beta,
            "author": other_user,
            "created_at": sofia(2026, 3, 11, 23, 30),
            "last_activity_at": sofia(2026, 3, 12, 8),
        },
        "gama": {
            "number": "TH-2026-00003",
            "subject": "Рекламация",
            "counterparty": None,
            "counterparty_name": "ГАМА СТРОЙ",
            "author": user,
            "closed": True,
            "created_at": sofia(2026, 3, 12, 0, 30),
            "last_activity_at": sofia(2026, 3, 25, 10),
        },
        "internal": {
            "number": "TH-2025-00077",
            "subject": "вътрешна задача",
            "counterparty": None,
            "counterparty_name": "",
            "author": other_user,
            "created_at": sofia(2025, 12, 31, 12),
            "last_activity_at": sofia(2026, 1, 5, 12),
        },
    }
    made = {key: ThreadFactory(**values) for key, values in rows.items()}
    CommunicationFactory(thread=made["alfa"], counterparty=alfa, author=user)
    TaskFactory(thread=made["alfa"], author=user)
    return made


THREAD_CASES = [
    # Open threads, most recently active first: the default.
    ({}, ["alfa", "beta", "internal"]),
    ({"state": "open"}, ["alfa", "beta", "internal"]),
    ({"state": "closed"}, ["gama"]),
    ({"state": "all"}, ["gama", "alfa", "beta", "internal"]),
    ({"number": "th-2026"}, ["alfa", "beta"]),
    ({"number": "th-2026", "state": "all"}, ["gama", "alfa", "beta"]),
    ({"number": "00077"}, ["internal"]),
    ({"subject": "оферта"}, ["alfa"]),
    ({"subject": "пвц"}, ["alfa"]),
    ({"subject": "ВЪТРЕШНА"}, ["internal"]),
    ({"counterparty": "алфа"}, ["alfa"]),
    ({"counterparty": "ООД"}, ["alfa", "beta"]),
    ({"counterparty": "гама"}, []),  # closed
    ({"counterparty": "гама", "state": "closed"}, ["gama"]),
    ({"created_after": "2026-03-12", "state": "all"}, ["gama"]),
    ({"created_before": "2026-03-11"}, ["alfa", "beta", "internal"]),
    ({"created_after": "11.03.2026", "created_before": "2026-03-11"}, ["beta"]),
    ({"mine": "created"}, ["alfa"]),
    ({"mine": "created", "state": "all"}, ["gama", "alfa"]),
    # Sorts.
    ({"sort": "number", "state": "all"}, ["internal", "alfa", "beta", "gama"]),
    ({"sort": "-number", "state": "all"}, ["gama", "beta", "alfa", "internal"]),
    ({"sort": "-created", "state": "all"}, ["gama", "beta", "alfa", "internal"]),
    ({"sort": "created"}, ["internal", "alfa", "beta"]),
    ({"sort": "subject", "state": "all"}, ["internal", "beta", "alfa", "gama"]),
    ({"sort": "-subject"}, ["alfa", "beta", "internal"]),
    ({"sort": "activity", "state": "all"}, ["internal", "beta", "alfa", "gama"]),
]


@pytest.mark.parametrize(("params", "expected"), THREAD_CASES, ids=lambda v: str(v))
def test_thread_filters_and_sorts(client_ivan, threads, params, expected):
    assert shown(client_ivan.get("/threads/", params)) == [threads[k].pk for k in expected]


@pytest.mark.parametrize(
    ("params", "expected"), [case for case in THREAD_CASES if "counterparty" in case[0]], ids=lambda v: str(v)
)
def test_a_common_counterparty_name_finds_the_same_threads(client_ivan, threads, monkeypatch, params, expected):
    """Past COUNTERPARTY_ID_LIMIT matches each thread's counterparty is looked up: the same threads."""
    monkeypatch.setattr(selectors, "COUNTERPARTY_ID_LIMIT", 0)
    assert shown(client_ivan.get("/threads/", params)) == [threads[k].pk for k in expected]


def test_thread_author_filter(client_ivan, threads, user, other_user):
    assert shown(client_ivan.get("/threads/", {"author": other_user.pk})) == [
        threads["beta"].pk,
        threads["internal"].pk,
    ]
    assert shown(client_ivan.get("/threads/", {"author": user.pk, "state": "closed"})) == [threads["gama"].pk]


BAD_VALUES = [
    ("state", "archived"),
    ("mine", "assigned"),  # threads have no assignee
    ("sort", "deadline"),
    ("created_after", "2026-02-30"),
    ("author", "abc"),
    ("number", "x" * 40),
]


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_a_bad_value_is_a_message_not_a_500(client_ivan, threads, name, value):
    response = client_ivan.get("/threads/", {name: value, "subject": "а"})
    html = response.content.decode()
    assert 'id="list-filter-errors"' in html
    # The other filters still apply; the bad one is ignored (a bad state: the open threads).
    expected = {t.pk for t in Thread.objects.filter(closed=False) if "а" in t.subject.lower()}
    assert set(shown(response)) == expected


def test_filters_a_thread_has_not_are_not_on_the_form(client_ivan, threads):
    html = client_ivan.get("/threads/", {"status": "new", "assignee": "1", "thread": "x"}).content.decode()
    for name in ("status", "assignee", "thread", "direction", "channel"):
        assert f'name="{name}"' not in html
    assert 'id="list-filter-errors"' not in html  # unknown parameters are no filters
    assert len(shown(client_ivan.get("/threads/", {"status": "new"}))) == 3


def test_closed_threads_are_marked(client_ivan, threads):
    html = client_ivan.get("/threads/", {"state": "all"}).content.decode()
    closed_row = re.search(rf'<tr data-id="{threads["gama"].pk}"[^>]*>.*?</tr>', html, re.S).group(0)
    assert 'class="thread-closed"' in closed_row and "thread-closed-badge" in closed_row
    assert "Приключена" in closed_row
    open_row = re.search(rf'<tr data-id="{threads["alfa"].pk}"[^>]*>.*?</tr>', html, re.S).group(0)
    assert "thread-closed" not in open_row
    # The counts of a row: communications, and open / all tasks.
    assert re.search(r'<td class="text-end small">1</td>', open_row)


def test_quick_buttons_open_closed_all(client_ivan, threads):
    html = client_ivan.get("/threads/", {"subject": "а"}).content.decode()
    expected = {
        "quick-state-open": "/threads/?subject=%D0%B0",
        "quick-state-closed": "/threads/?subject=%D0%B0&amp;state=closed",
        "quick-state-all": "/threads/?subject=%D0%B0&amp;state=all",
        "quick-mine-created": "/threads/?subject=%D0%B0&amp;mine=created",
    }
    for element_id, url in expected.items():
        tag = re.search(rf'<a id="{element_id}"[^>]*>', html).group(0)
        assert f'href="{url}"' in tag and f'hx-get="{url}"' in tag
    assert 'aria-current="true"' in re.search(r'<a id="quick-state-open"[^>]*>', html).group(0)
    assert 'id="quick-mine-assigned"' not in html
    html = client_ivan.get("/threads/", {"state": "closed"}).content.decode()
    assert 'aria-current="true"' in re.search(r'<a id="quick-state-closed"[^>]*>', html).group(0)
    assert 'aria-current="true"' not in re.search(r'<a id="quick-state-open"[^>]*>', html).group(0)


def test_htmx_gets_the_results_and_the_url_follows(client_ivan, threads):
    response = client_ivan.get("/threads/?state=closed&subject=&sort=-created", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="list-results"')
    assert shown(response) == [threads["gama"].pk]
    assert response["HX-Push-Url"] == "/threads/?state=closed&sort=-created"
    assert '<input type="hidden" name="state" value="closed">' in html
    assert 'id="thread-label"' not in html  # no thread filter on this list
    form = re.search(r'<form id="list-filter-form"[^>]*>', client_ivan.get("/threads/").content.decode()).group(0)
    assert 'hx-get="/threads/"' in form and 'hx-push-url="true"' in form


def test_keyset_pages_of_threads(client_ivan, user, monkeypatch):
    monkeypatch.setattr(paging, "WINDOW", 7)
    moment = timezone.now()
    for i in range(60):
        ThreadFactory(author=user, last_activity_at=moment - datetime.timedelta(minutes=i // 4), closed=i % 5 == 0)
    open_threads = Thread.objects.filter(closed=False).order_by("-last_activity_at", "-id")
    expected = list(open_threads.values_list("pk", flat=True))
    pages = []
    response = client_ivan.get("/threads/")
    while True:
        pages.append(shown(response))
        match = re.search(r'id="pager-next"[^>]*href="([^"]+)"', response.content.decode())
        if not match:
            break
        response = client_ivan.get(match.group(1).replace("&amp;", "&"))
    assert [len(p) for p in pages] == [25, 23]
    assert sum(pages, []) == expected


def test_thread_csv(client_ivan, threads):
    response = client_ivan.get("/threads/export.csv", {"state": "all", "sort": "number"})
    assert re.match(r'attachment; filename="threads-\d{8}-\d{4}\.csv"', response["Content-Disposition"])
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert len(header) == 10
    assert [r[0] for r in rows] == ["TH-2025-00077", "TH-2026-00001", "TH-2026-00002", "TH-2026-00003"]
    alfa = rows[1]
    assert alfa[1] == "10.03.2026 09:00" and alfa[3] == "Оферта за ПВЦ профили" and alfa[4] == "АЛФА ТРЕЙД ЕООД"
    assert alfa[6:9] == ["1", "1", "1"] and alfa[9] == ""
    assert rows[3][9] == "да"  # closed
    _raw = b"".join(client_ivan.get("/threads/export.csv").streaming_content)
    assert b"TH-2026-00003" not in _raw  # the default: open threads


def test_saved_filter_of_the_thread_list(client_ivan, threads):
    response = client_ivan.post("/saved-filters/", {"path": "/threads/", "query": "state=closed", "name": "Приключени"})
    assert response.status_code == 302 and response["Location"] == "/threads/?state=closed"
    html = client_ivan.get("/threads/").content.decode()
    assert re.search(r'<a href="/threads/\?state=closed"[^>]*>Приключени</a>', html)


# --- a fixed number of queries -------------------------------------------------------------------

LAYOUT = 4  # session, user, the navbar's permissions (1), the bell's unread count and latest rows (1)
HTMX_LAYOUT = 2  # a fragment: session and user, no bell
# EMPLOYEES: the employee an author filter names (one lookup by id). The author picker no longer
# loads every employee, so a page without that filter runs one query fewer than it used to.
EDGE, KEYS, ROWS, SAVED, EMPLOYEES, COUNTERPARTIES = 1, 1, 1, 1, 1, 1
# PostgreSQL: the plan's estimate, then a count in a savepoint with its own time budget (savepoint,
# SET LOCAL, the count, rolled back, released); SQLite: the count.
COUNT = 6 if connection.vendor == "postgresql" else 1


def _many(user, n):
    alfa = CounterpartyFactory(name="Алфа ООД")
    for i in range(n):
        thread = ThreadFactory(
            author=user,
            subject=f"Тема {i}",
            counterparty=alfa if i % 2 else None,
            counterparty_name="" if i % 2 else "Х",
        )
        CommunicationFactory(thread=thread, author=user, counterparty=alfa)
        TaskFactory(thread=thread, author=user)


def test_thread_list_runs_a_pinned_number_of_queries(client_ivan, user, django_assert_num_queries):
    few = {"counterparty": "алфа", "author": user.pk, "subject": "тема 1"}  # 6 of each 30
    cases = [
        ({}, {}, EDGE + KEYS + ROWS + COUNT + SAVED),
        ({}, {"HTTP_HX_REQUEST": "true"}, EDGE + KEYS + ROWS + COUNT + SAVED - (LAYOUT - HTMX_LAYOUT)),
        ({"sort": "subject", "state": "all"}, {}, EDGE + KEYS + ROWS + COUNT + SAVED),
        # Everything fits on the page: the keys counted it.
        (few, {}, COUNTERPARTIES + EDGE + KEYS + ROWS + SAVED + EMPLOYEES),
        # Nothing matches: no rows to load.
        ({"subject": "няма такова нещо"}, {}, EDGE + KEYS + SAVED),
    ]
    client_ivan.get("/threads/")  # warm up (content types)
    for _rows in (30, 60):
        _many(user, 30)
        for params, headers, own in cases:
            with django_assert_num_queries(LAYOUT + own):
                response = client_ivan.get("/threads/", params, **headers)
            assert response.status_code == 200
            assert bool(shown(response)) == ("subject" not in params or params is few)
    html = client_ivan.get("/threads/").content.decode()
    after = re.search(r'id="pager-next"[^>]*href="[^"]*after=([^"&]+)', html).group(1)
    with django_assert_num_queries(LAYOUT + EDGE + KEYS + ROWS + COUNT + SAVED):
        client_ivan.get("/threads/", {"after": after})


# --- editing a thread ----------------------------------------------------------------------------


@pytest.fixture
def thread(user):
    return ThreadFactory(
        number="TH-2026-00005", subject="Оферта", counterparty=CounterpartyFactory(name="Алфа ООД"), author=user
    )


def _edit_data(thread, **changes) -> dict:
    data = {
        "subject": thread.subject,
        "description": thread.description,
        "counterparty": str(thread.counterparty_id or ""),
        "counterparty_name": thread.counterparty_label,
    }
    return data | changes


def test_edit_form_shows_the_thread(client_ivan, thread):
    html = client_ivan.get(f"/threads/{thread.pk}/edit/").content.decode()
    assert 'name="subject"' in html and 'value="Оферта"' in html
    assert f'name="counterparty" id="id_counterparty" value="{thread.counterparty_id}"' in html
    assert re.search(r'<input type="checkbox" name="closed" id="id_closed" class="form-check-input"\s*aria', html)
    assert f'action="/threads/{thread.pk}/edit/"' in html


def test_edit_subject_and_counterparty(client_ivan, thread, user):
    beta = CounterpartyFactory(name="Бета ЕООД")
    data = _edit_data(thread, subject="  Оферта за 2027  ", counterparty=str(beta.pk), counterparty_name=beta.name)
    response = client_ivan.post(f"/threads/{thread.pk}/edit/", data)
    assert response.status_code == 302 and response["Location"] == f"/threads/{thread.pk}/"
    thread.refresh_from_db()
    assert (thread.subject, thread.counterparty, thread.counterparty_name) == ("Оферта за 2027", beta, "")
    assert not thread.closed
    # A free-text name instead of the link.
    client_ivan.post(f"/threads/{thread.pk}/edit/", _edit_data(thread, counterparty="", counterparty_name="Гама"))
    thread.refresh_from_db()
    assert (thread.counterparty, thread.counterparty_name) == (None, "Гама")
    assert not ThreadEvent.objects.filter(thread=thread).exists()  # no close, no reopen


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 256}, "subject"),
        ({"counterparty": "999999"}, "counterparty"),
        ({"counterparty": "abc"}, "counterparty"),
        ({"counterparty_name": "x" * 256}, "counterparty_name"),
        ({"description": "x" * 20_001}, "description"),
    ],
)
def test_bad_edit_is_a_message_on_its_field_and_saves_nothing(client_ivan, thread, changes, field):
    before = Thread.objects.filter(pk=thread.pk).values().get()
    response = client_ivan.post(f"/threads/{thread.pk}/edit/", _edit_data(thread, closed="on", **changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'data-error-for="{field}"' in response.content.decode()
    assert Thread.objects.filter(pk=thread.pk).values().get() == before
    assert not ThreadEvent.objects.exists()


def test_close_in_the_edit_form(client_ivan, thread, user):
    client_ivan.post(f"/threads/{thread.pk}/edit/", _edit_data(thread, closed="on"))
    thread.refresh_from_db()
    assert thread.closed
    event = ThreadEvent.objects.get(thread=thread)
    assert (event.kind, event.actor) == (ThreadEvent.Kind.THREAD_CLOSED, user)
    assert thread.pk not in shown(client_ivan.get("/threads/"))
    assert thread.pk in shown(client_ivan.get("/threads/", {"state": "closed"}))
    html = client_ivan.get(f"/threads/{thread.pk}/edit/").content.decode()
    assert re.search(r'id="id_closed" class="form-check-input"\s*checked', html)


def test_close_and_reopen_buttons(client_ivan, thread, user):
    html = client_ivan.get(f"/threads/{thread.pk}/").content.decode()
    assert 'id="close-thread"' in html and 'id="reopen-thread"' not in html and 'id="thread-closed-badge"' not in html
    response = client_ivan.post(f"/threads/{thread.pk}/edit/", {"closed_only": "1", "closed": "1"}, follow=True)
    html = response.content.decode()
    assert "TH-2026-00005 е приключена." in html
    assert 'id="thread-closed-badge"' in html and 'id="reopen-thread"' in html
    assert 'data-event="thread_closed"' in html and "Нишката е приключена" in html
    # Closing a closed thread again changes nothing.
    client_ivan.post(f"/threads/{thread.pk}/edit/", {"closed_only": "1", "closed": "1"})
    assert ThreadEvent.objects.filter(thread=thread).count() == 1
    response = client_ivan.post(f"/threads/{thread.pk}/edit/", {"closed_only": "1", "closed": "0"}, follow=True)
    html = response.content.decode()
    assert "TH-2026-00005 е отворена отново." in html and 'id="close-thread"' in html
    assert 'data-event="thread_reopened"' in html
    thread.refresh_from_db()
    assert not thread.closed
    kinds = list(ThreadEvent.objects.filter(thread=thread).order_by("pk").values_list("kind", flat=True))
    assert kinds == [ThreadEvent.Kind.THREAD_CLOSED, ThreadEvent.Kind.THREAD_REOPENED]


@pytest.mark.parametrize("value", ["", "yes", "2", "x" * 1000])
def test_close_button_with_a_bad_value_changes_nothing(client_ivan, thread, value):
    response = client_ivan.post(f"/threads/{thread.pk}/edit/", {"closed_only": "1", "closed": value}, follow=True)
    assert response.status_code == 200
    assert "Тук може само да се приключи или отвори отново." in response.content.decode()
    thread.refresh_from_db()
    assert not thread.closed and not ThreadEvent.objects.exists()


def test_closing_is_activity_on_the_thread(thread, user):
    thread.last_activity_at = timezone.now() - datetime.timedelta(days=3)
    thread.save()
    before = timezone.now()
    services.thread_edit(thread=thread, actor=user, changes={"closed": True})
    thread.refresh_from_db()
    assert thread.closed and thread.last_activity_at >= before


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_service_takes_closed_as_a_boolean_only(thread, user, value):
    with pytest.raises(ValidationError) as error:
        services.thread_edit(thread=thread, actor=user, changes={"closed": value})
    assert "closed" in error.value.error_dict
    thread.refresh_from_db()
    assert not thread.closed and not ThreadEvent.objects.exists()


def test_filterset_defaults_to_open_threads(threads, rf, user):
    request = rf.get("/")
    request.user = user
    assert set(ThreadFilter({}, queryset=Thread.objects.all(), request=request).qs) == {
        threads["alfa"],
        threads["beta"],
        threads["internal"],
    }
    assert ThreadFilter({}, queryset=Thread.objects.all(), request=request).sort_value == "-activity"


def test_counts_are_computed_for_the_page_rows_only(client_ivan, user):
    # One query for the page's rows and their counts together (subqueries, no per-row queries);
    # the total and the keys never compute them.
    for _ in range(30):
        ThreadFactory(author=user)
    with CaptureQueriesContext(connection) as ctx:
        client_ivan.get("/threads/")
    threads = [q["sql"] for q in ctx.captured_queries if 'FROM "crm_thread"' in q["sql"]]
    with_counts = [sql for sql in threads if "crm_communication" in sql]
    assert len(with_counts) == 1 and "COUNT(*)" not in with_counts[0]
    assert any("COUNT(*)" in sql for sql in threads)  # 30 > a page: counted
