"""The communication and task lists (DESIGN.md "List filters"): every filter, bad values, htmx,
keyset pages, query counts, CSV export, access. Runs on SQLite and on PostgreSQL."""

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import paging
from accounts.tests.factories import UserFactory
from crm import selectors
from crm.filters import CommunicationFilter, TaskFilter
from crm.models import Communication, Status, Task, Thread
from crm.tests.factories import CommunicationFactory, CounterpartyFactory, TaskFactory, ThreadFactory
from crm.tests.listing import shown, sofia

pytestmark = pytest.mark.django_db


@pytest.fixture
def comms(user, other_user):
    """Four communications that differ in every filtered field."""
    alfa = CounterpartyFactory(name="АЛФА ТРЕЙД ЕООД")
    beta = CounterpartyFactory(name="Бета Логистик ООД")
    t_alfa = ThreadFactory(counterparty=alfa, author=user, subject="Оферта")
    t_beta = ThreadFactory(counterparty=beta, author=other_user)
    t_gama = ThreadFactory(counterparty=None, counterparty_name="Гама Строй", author=user)
    return {
        "in_alfa": CommunicationFactory(
            number="IN-2026-00001",
            thread=t_alfa,
            direction="in",
            channel="email",
            subject="ЗАПИТВАНЕ ЗА ОФЕРТА",
            counterparty=alfa,
            author=user,
            assignee=other_user,
            status=Status.ASSIGNED,
            created_at=sofia(2026, 3, 10, 9, 0),
        ),
        # 23:30 in Sofia on the 11th is 21:30 UTC: still the 11th for the date filters.
        "out_beta": CommunicationFactory(
            number="OUT-2026-00001",
            thread=t_beta,
            direction="out",
            channel="phone",
            subject="Доставка на ПВЦ профили",
            counterparty=beta,
            author=other_user,
            assignee=user,
            status=Status.IN_PROGRESS,
            created_at=sofia(2026, 3, 11, 23, 30),
        ),
        # 00:30 in Sofia on the 12th is 22:30 UTC on the 11th: the 12th for the date filters.
        "in_gama": CommunicationFactory(
            number="IN-2026-00002",
            thread=t_gama,
            direction="in",
            channel="meeting",
            subject="Среща на обекта",
            counterparty=None,
            counterparty_name="ГАМА СТРОЙ",
            author=user,
            assignee=None,
            status=Status.NEW,
            created_at=sofia(2026, 3, 12, 0, 30),
        ),
        "in_done": CommunicationFactory(
            number="IN-2025-00123",
            thread=t_beta,
            direction="in",
            channel="email",
            subject="Рекламация – Offer Latin",
            counterparty=beta,
            author=other_user,
            assignee=other_user,
            status=Status.DONE,
            created_at=sofia(2025, 12, 31, 12, 0),
        ),
    }


COMMUNICATION_CASES = [
    ({}, ["in_gama", "out_beta", "in_alfa", "in_done"]),
    ({"direction": "in"}, ["in_gama", "in_alfa", "in_done"]),
    ({"direction": "out"}, ["out_beta"]),
    ({"number": "IN-2026"}, ["in_gama", "in_alfa"]),
    ({"number": "in-2026-00001"}, ["in_alfa"]),
    ({"number": "00123"}, ["in_done"]),
    ({"number": "OUT-2026-00001"}, ["out_beta"]),
    ({"created_after": "2026-03-12"}, ["in_gama"]),
    ({"created_before": "2026-03-11"}, ["out_beta", "in_alfa", "in_done"]),
    ({"created_after": "2026-03-11", "created_before": "2026-03-11"}, ["out_beta"]),
    ({"created_after": "12.03.2026"}, ["in_gama"]),
    ({"channel": "meeting"}, ["in_gama"]),
    ({"channel": "email"}, ["in_alfa", "in_done"]),
    # Cyrillic case folding, linked names and free text.
    ({"counterparty": "алфа"}, ["in_alfa"]),
    ({"counterparty": "трейд еоод"}, ["in_alfa"]),
    ({"counterparty": "гама"}, ["in_gama"]),
    ({"counterparty": "ГаМа сТрОй"}, ["in_gama"]),
    ({"counterparty": "ООД"}, ["out_beta", "in_alfa", "in_done"]),
    ({"counterparty": "няма такъв"}, []),
    ({"subject": "оферта"}, ["in_alfa"]),
    ({"subject": "Оферта"}, ["in_alfa"]),
    ({"subject": "пвц"}, ["out_beta"]),
    ({"subject": "offer latin"}, ["in_done"]),
    ({"subject": "50%"}, []),  # LIKE wildcards are matched literally
    ({"status": "new"}, ["in_gama"]),
    ({"status": "done"}, ["in_done"]),
    ({"direction": "in", "status": "done"}, ["in_done"]),
    ({"direction": "in", "counterparty": "бета"}, ["in_done"]),
    ({"channel": "email", "created_after": "2026-01-01"}, ["in_alfa"]),
]


@pytest.mark.parametrize(("params", "expected"), COMMUNICATION_CASES, ids=lambda v: str(v))
def test_communication_filters(client_ivan, comms, params, expected):
    assert shown(client_ivan.get("/communications/", params)) == [comms[k].pk for k in expected]


COUNTERPARTY_CASES = [(params, expected) for params, expected in COMMUNICATION_CASES if "counterparty" in params]


@pytest.mark.parametrize(("params", "expected"), COUNTERPARTY_CASES, ids=lambda v: str(v))
def test_a_common_counterparty_name_finds_the_same_rows(client_ivan, comms, monkeypatch, params, expected):
    """Past COUNTERPARTY_ID_LIMIT matching counterparties (here: past none), each row's own
    counterparty is looked up instead of a list of ids: the same rows, free-text names too."""
    monkeypatch.setattr(selectors, "COUNTERPARTY_ID_LIMIT", 0)
    assert selectors.counterparty_ids_named("алфа") is None
    assert shown(client_ivan.get("/communications/", params)) == [comms[k].pk for k in expected]


@pytest.mark.parametrize(
    ("path", "factory", "typed", "expected"),
    [
        ("/communications/", CommunicationFactory, "OUT-2025-01234", ["OUT-2025-01234"]),
        ("/communications/", CommunicationFactory, "out-2025-01234", ["OUT-2025-01234"]),
        ("/communications/", CommunicationFactory, "OUT-2025-012345", ["OUT-2025-012345"]),
        ("/communications/", CommunicationFactory, "ИЗХ-2025-01234", ["ИЗХ-2025-01234"]),
        ("/communications/", CommunicationFactory, "изх-2025-01234", ["ИЗХ-2025-01234"]),
        ("/communications/", CommunicationFactory, "OUT-2025-01239", []),
        ("/tasks/", TaskFactory, "T-2025-01234", ["T-2025-01234"]),
        ("/tasks/", TaskFactory, "t-2025-01234", ["T-2025-01234"]),
        # A part (four digits) still matches every number containing it.
        ("/tasks/", TaskFactory, "T-2025-0123", ["T-2025-01234", "T-2025-012345"]),
    ],
)
def test_a_whole_number_is_found_through_the_unique_index(client_ivan, path, factory, typed, expected):
    """A whole number is that row (``number IN (…)``, the unique index), not a LIKE search: the
    longer number that contains it is not shown; a part still is."""
    prefix = "T" if factory is TaskFactory else "OUT"
    for number in [f"{prefix}-2025-01234", f"{prefix}-2025-012345", "ИЗХ-2025-01234"]:
        factory(number=number)
    with CaptureQueriesContext(connection) as ctx:
        response = client_ivan.get(path, {"number": typed, "sort": "number"})
    found = factory._meta.model.objects.in_bulk(shown(response))
    assert sorted(item.number for item in found.values()) == expected
    like = [q["sql"] for q in ctx.captured_queries if "LIKE" in q["sql"] and '"number"' in q["sql"]]
    assert bool(like) == (typed == "T-2025-0123")


def test_communication_id_filters(client_ivan, comms, user, other_user):
    def ids(params):
        return set(shown(client_ivan.get("/communications/", params)))

    assert ids({"thread": comms["in_alfa"].thread_id}) == {comms["in_alfa"].pk}
    # The thread's number and subject are shown next to the id box.
    html = client_ivan.get("/communications/", {"thread": comms["in_alfa"].thread_id}).content.decode()
    assert re.search(r'<div id="thread-label"[^>]*><a href="/threads/\d+/"[^>]*>TH-F-\d+ Оферта</a>', html)
    assert ids({"thread": comms["in_done"].thread_id}) == {comms["in_done"].pk, comms["out_beta"].pk}
    assert ids({"author": user.pk}) == {comms["in_alfa"].pk, comms["in_gama"].pk}
    assert ids({"author": other_user.pk}) == {comms["out_beta"].pk, comms["in_done"].pk}
    assert ids({"assignee": other_user.pk}) == {comms["in_alfa"].pk, comms["in_done"].pk}
    assert ids({"assignee": user.pk}) == {comms["out_beta"].pk}
    assert ids({"mine": "assigned"}) == {comms["out_beta"].pk}
    assert ids({"mine": "created"}) == {comms["in_alfa"].pk, comms["in_gama"].pk}
    assert ids({"mine": "created", "direction": "in", "status": "new"}) == {comms["in_gama"].pk}


@pytest.fixture
def tasks(user, other_user):
    now = timezone.now()
    alfa = CounterpartyFactory(name="АЛФА ТРЕЙД ЕООД")
    thread = ThreadFactory(counterparty=alfa, author=user)
    internal = ThreadFactory(counterparty=None, author=user)
    return {
        "overdue": TaskFactory(
            number="T-2026-00001",
            thread=thread,
            subject="Изпрати ОФЕРТА",
            counterparty=alfa,
            author=other_user,
            assignee=user,
            status=Status.ASSIGNED,
            deadline=now - datetime.timedelta(days=2),
            created_at=now - datetime.timedelta(days=10),
        ),
        "done_late": TaskFactory(
            number="T-2026-00002",
            thread=thread,
            subject="Обади се на клиента",
            counterparty=alfa,
            author=user,
            assignee=other_user,
            status=Status.DONE,
            deadline=now - datetime.timedelta(days=3),
            created_at=now - datetime.timedelta(days=9),
        ),
        "future": TaskFactory(
            number="T-2026-00003",
            thread=internal,
            subject="Провери склада",
            counterparty=None,
            counterparty_name="Гама Строй",
            author=user,
            assignee=None,
            status=Status.NEW,
            deadline=now + datetime.timedelta(days=3),
            created_at=now - datetime.timedelta(days=1),
        ),
        "no_deadline": TaskFactory(
            number="T-2025-00077",
            thread=internal,
            subject="Вътрешна задача",
            counterparty=None,
            counterparty_name="",
            author=other_user,
            assignee=other_user,
            status=Status.IN_PROGRESS,
            deadline=None,
            created_at=now - datetime.timedelta(days=5),
        ),
    }


def _day(delta_days: int) -> str:
    return (timezone.localtime() + datetime.timedelta(days=delta_days)).date().isoformat()


def test_task_filters(client_ivan, tasks, user, other_user):
    def keys(params):
        by_pk = {t.pk: k for k, t in tasks.items()}
        return [by_pk[pk] for pk in shown(client_ivan.get("/tasks/", params))]

    assert keys({}) == ["future", "no_deadline", "done_late", "overdue"]
    assert keys({"number": "t-2026"}) == ["future", "done_late", "overdue"]
    assert keys({"number": "77"}) == ["no_deadline"]
    assert keys({"created_after": _day(-6)}) == ["future", "no_deadline"]
    assert keys({"created_before": _day(-9)}) == ["done_late", "overdue"]
    assert keys({"deadline_after": _day(0)}) == ["future"]
    assert keys({"deadline_before": _day(-2)}) == ["done_late", "overdue"]
    assert keys({"deadline_after": _day(-2), "deadline_before": _day(-2)}) == ["overdue"]
    assert keys({"counterparty": "алфа"}) == ["done_late", "overdue"]
    assert keys({"counterparty": "гама строй"}) == ["future"]
    assert keys({"thread": tasks["future"].thread_id}) == ["future", "no_deadline"]
    assert keys({"subject": "оферта"}) == ["overdue"]
    assert keys({"subject": "ПРОВЕРИ"}) == ["future"]
    assert keys({"author": user.pk}) == ["future", "done_late"]
    assert keys({"assignee": other_user.pk}) == ["no_deadline", "done_late"]
    assert keys({"status": "in_progress"}) == ["no_deadline"]
    assert keys({"overdue": "1"}) == ["overdue"]
    assert keys({"mine": "assigned"}) == ["overdue"]
    assert keys({"mine": "created"}) == ["future", "done_late"]
    assert keys({"mine": "assigned", "overdue": "1"}) == ["overdue"]
    assert keys({"overdue": "1", "status": "done"}) == []


def test_task_sorts(client_ivan, tasks):
    def keys(sort):
        by_pk = {t.pk: k for k, t in tasks.items()}
        return [by_pk[pk] for pk in shown(client_ivan.get("/tasks/", {"sort": sort}))]

    # No deadline sorts after every deadline (and so first when descending).
    assert keys("deadline") == ["done_late", "overdue", "future", "no_deadline"]
    assert keys("-deadline") == ["no_deadline", "future", "overdue", "done_late"]
    assert keys("number") == ["no_deadline", "overdue", "done_late", "future"]
    assert keys("-number") == ["future", "done_late", "overdue", "no_deadline"]
    assert keys("created") == ["overdue", "done_late", "no_deadline", "future"]


def test_overdue_is_highlighted_and_status_coloured(client_ivan, tasks):
    html = client_ivan.get("/tasks/").content.decode()
    overdue_row = re.search(rf'<tr data-id="{tasks["overdue"].pk}"[^>]*>', html).group(0)
    assert "overdue-row" in overdue_row
    done_row = re.search(rf'<tr data-id="{tasks["done_late"].pk}"[^>]*>', html).group(0)
    assert "overdue-row" not in done_row
    assert 'class="badge status-badge status-assigned" data-status="assigned"' in html
    assert 'data-status="done"' in html


def test_communication_icons_and_status(client_ivan, comms):
    html = client_ivan.get("/communications/").content.decode()
    assert "list-kind-in" in html and "list-kind-out" in html
    assert "bi-envelope" in html and "bi-telephone" in html and "bi-people" in html
    assert 'data-status="in_progress"' in html


def test_empty_result_says_so(client_ivan, comms):
    html = client_ivan.get("/communications/", {"subject": "няма такова нещо"}).content.decode()
    assert 'class="list-empty"' in html
    assert "No communications match these filters." in html or "list-empty" in html
    html = client_ivan.get("/tasks/").content.decode()
    assert 'class="list-empty"' in html  # no tasks at all


# --- bad input -------------------------------------------------------------------------------------

BAD_VALUES = [
    ("/communications/", "created_after", "2026-13-45"),
    ("/communications/", "created_before", "вчера"),
    ("/communications/", "created_after", "0001-01-01"),
    ("/communications/", "created_before", "9999-12-31"),
    ("/communications/", "status", "unknown"),
    ("/communications/", "channel", "pigeon"),
    ("/communications/", "direction", "sideways"),
    ("/communications/", "thread", "abc"),
    ("/communications/", "thread", "999999"),
    ("/communications/", "thread", "99999999999999999999999"),
    ("/communications/", "author", "abc"),
    ("/communications/", "assignee", "-1"),
    ("/communications/", "mine", "everyone"),
    ("/communications/", "sort", "counterparty"),  # not a sortable column
    ("/communications/", "thread", "TH-2099-99999"),  # no thread has this number
    ("/communications/", "number", "x" * 40),
    ("/tasks/", "deadline_after", "2026-02-30"),
    ("/tasks/", "deadline_before", "tomorrow"),
    ("/tasks/", "overdue", "yes"),
    ("/tasks/", "status", "archived"),
    ("/tasks/", "assignee", "1.5"),
]


@pytest.mark.parametrize(("path", "name", "value"), BAD_VALUES)
def test_a_bad_value_is_a_message_on_its_filter_not_a_500(client_ivan, comms, tasks, path, name, value):
    # A valid filter next to the bad one still applies.
    valid = {"status": "new"} if name != "status" else {"number": "2026"}
    response = client_ivan.get(path, {name: value, **valid})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="list-filter-errors"' in html
    if f'id="error-{name}"' in html:  # a visible input: the message sits next to it
        slot = re.search(rf'<div id="error-{name}"[^>]*>(.*?)</div>', html, re.S).group(1)
        assert slot.strip()
    rows = shown(response)
    model = Communication if path == "/communications/" else Task
    assert set(rows) == set(model.objects.filter(**valid_lookup(valid)).values_list("pk", flat=True))


def valid_lookup(valid: dict) -> dict:
    return {"status": valid["status"]} if "status" in valid else {"number__contains": valid["number"]}


@pytest.mark.parametrize("cursor", ["garbage", "%%%", "W10", "WyJjcmVhdGVkIiwgIm5vdCBhIGRhdGUiLCAxXQ", "x" * 600])
def test_a_bad_cursor_gives_the_first_page(client_ivan, comms, cursor):
    first = shown(client_ivan.get("/communications/"))
    assert shown(client_ivan.get("/communications/", {"after": cursor})) == first
    assert shown(client_ivan.get("/communications/", {"before": cursor})) == first


def test_bad_input_in_the_htmx_partial_fills_the_error_slot(client_ivan, comms):
    response = client_ivan.get("/communications/", {"created_after": "2026-99-01"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    slot = re.search(r'<div id="error-created_after"[^>]*hx-swap-oob="true"[^>]*>(.*?)</div>', html, re.S)
    assert slot and slot.group(1).strip()
    assert re.search(r'<div id="error-subject"[^>]*hx-swap-oob="true"[^>]*></div>', html)  # cleared


# --- htmx, URLs ------------------------------------------------------------------------------------


def test_htmx_request_gets_the_table_partial_and_the_canonical_url(client_ivan, comms):
    response = client_ivan.get("/communications/?subject=оферта&number=&direction=in&after=", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="list-results"')
    assert shown(response) == [comms["in_alfa"].pk]
    assert response["HX-Push-Url"] == "/communications/?subject=%D0%BE%D1%84%D0%B5%D1%80%D1%82%D0%B0&direction=in"
    assert "HX-Request" in response["Vary"]
    # The form's hidden state and the export link follow, out of band.
    assert '<div id="list-form-state" hx-swap-oob="true"><input type="hidden" name="direction" value="in">' in html
    assert 'id="list-export" href="/communications/export.csv?subject=' in html


def test_history_restore_gets_the_full_page(client_ivan, comms):
    response = client_ivan.get(
        "/communications/?direction=out", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" in html and 'id="list-filter-form"' in html
    assert shown(response) == [comms["out_beta"].pk]


def test_quick_buttons_and_sort_headers_are_links_with_htmx(client_ivan, comms):
    html = client_ivan.get("/communications/?direction=in&status=new").content.decode()
    for element_id, query in [
        ("quick-direction-all", "status=new"),
        ("quick-direction-in", "status=new&amp;direction=in"),
        ("quick-direction-out", "status=new&amp;direction=out"),
        ("quick-mine-assigned", "direction=in&amp;status=new&amp;mine=assigned"),
    ]:
        tag = re.search(rf'<a id="{element_id}"[^>]*>', html).group(0)
        assert f'href="/communications/?{query}"' in tag
        assert f'hx-get="/communications/?{query}"' in tag
        assert 'hx-target="#list-results"' in tag and 'hx-push-url="true"' in tag
    assert 'aria-current="true"' in re.search(r'<a id="quick-direction-in"[^>]*>', html).group(0)
    number_header = re.search(r'<a class="list-sort[^"]*"[^>]*data-sort="number"', html).group(0)
    assert 'href="/communications/?direction=in&amp;status=new&amp;sort=number"' in number_header
    # Every hx-get has a real href.
    for tag in re.findall(r"<a [^>]*hx-get=[^>]*>", html):
        assert re.search(r'href="([^"]+)"', tag).group(1) == re.search(r'hx-get="([^"]+)"', tag).group(1)


def test_filter_form_posts_nothing_and_updates_in_place(client_ivan, comms):
    html = client_ivan.get("/communications/").content.decode()
    form = re.search(r'<form id="list-filter-form"[^>]*>', html, re.S).group(0)
    assert 'method="get"' in form and 'action="/communications/"' in form
    assert 'hx-get="/communications/"' in form and 'hx-push-url="true"' in form
    assert 'hx-target="#list-results"' in form and "delay:" in form and "change" in form


# --- keyset pages --------------------------------------------------------------------------------


def _walk(client, path, params, direction="after"):
    pages = []
    response = client.get(path, params)
    while True:
        pages.append(shown(response))
        match = re.search(r'id="pager-next"[^>]*href="([^"]+)"', response.content.decode())
        if not match:
            return pages, response
        response = client.get(match.group(1).replace("&amp;", "&"))


# (window, probe cap, walk min): all in the window; past a small window, probed; more than the
# probe cap: walked; enough in the window to walk on.
PATHS = [(5000, 1000, 3), (7, 1000, 30), (7, 5, 30), (7, 1000, 3)]


@pytest.mark.parametrize(("window", "cap", "walk"), PATHS)
def test_keyset_pages_walk_forward_and_back_without_gaps_or_repeats(client_ivan, user, monkeypatch, window, cap, walk):
    monkeypatch.setattr(paging, "WINDOW", window)
    monkeypatch.setattr(paging, "PROBE_CAP", cap)
    monkeypatch.setattr(paging, "WALK_MIN", walk)
    moment = timezone.now()
    # Ties on the sort key: ids break them.
    for i in range(60):
        CommunicationFactory(created_at=moment - datetime.timedelta(minutes=i // 7), author=user)
    expected = list(Communication.objects.order_by("-created_at", "-id").values_list("pk", flat=True))
    pages, last = _walk(client_ivan, "/communications/", {})
    assert [len(p) for p in pages] == [25, 25, 10]
    assert sum(pages, []) == expected
    # Previous from the last page gives the second page again, then the first.
    html = last.content.decode()
    previous = re.search(r'id="pager-previous"[^>]*href="([^"]+)"', html).group(1).replace("&amp;", "&")
    second = client_ivan.get(previous)
    assert shown(second) == pages[1]
    previous = re.search(r'id="pager-previous"[^>]*href="([^"]+)"', second.content.decode()).group(1)
    first = client_ivan.get(previous.replace("&amp;", "&"))
    assert shown(first) == pages[0]
    # Back on the first page by a cursor, the count is still right.
    count = re.search(r'id="list-count">([^<]*)<', first.content.decode()).group(1)
    assert "60" in count  # counted (by the keys, or up to paging.COUNT_CAP)
    assert 'id="pager-previous"' not in first.content.decode()
    assert 'id="pager-first"' in second.content.decode()


def test_a_few_old_matches_are_found_past_the_window_and_counted(client_ivan, user, monkeypatch):
    """An old client's few calls: not in the newest rows the window walks, found by the probe."""
    monkeypatch.setattr(paging, "WINDOW", 10)
    old_client = CounterpartyFactory(name="Стар Клиент ЕООД")
    moment = timezone.now()
    old = [
        CommunicationFactory(author=user, counterparty=old_client, created_at=moment - datetime.timedelta(days=400 + i))
        for i in range(3)
    ]
    for i in range(40):
        CommunicationFactory(author=user, created_at=moment - datetime.timedelta(hours=i))
    response = client_ivan.get("/communications/", {"counterparty": "стар клиент"})
    assert shown(response) == [c.pk for c in old]
    assert re.search(r'id="list-count">\s*3 ', response.content.decode())


@pytest.mark.parametrize(("window", "cap", "walk"), PATHS)
@pytest.mark.parametrize("sort", ["number", "-number", "created", "deadline", "-deadline"])
def test_keyset_pages_follow_each_sort(client_ivan, user, monkeypatch, sort, window, cap, walk):
    monkeypatch.setattr(paging, "WINDOW", window)
    monkeypatch.setattr(paging, "PROBE_CAP", cap)
    monkeypatch.setattr(paging, "WALK_MIN", walk)
    moment = timezone.now()
    for i in range(55):
        deadline = None if i % 4 == 0 else moment + datetime.timedelta(hours=i % 9)
        TaskFactory(author=user, deadline=deadline, created_at=moment - datetime.timedelta(minutes=i % 5))
    pages, _ = _walk(client_ivan, "/tasks/", {"sort": sort})
    everything = sum(pages, [])
    assert len(everything) == 55 and len(set(everything)) == 55
    key, descending = sort.lstrip("-"), sort.startswith("-")
    field = {"number": "number", "created": "created_at", "deadline": "deadline_key"}[key]
    qs = Task.objects.all()
    if key == "deadline":
        qs = qs.annotate(deadline_key=selectors.LIST_SORTS["task"]["deadline"].expression)
    order = [f"-{field}", "-id"] if descending else [field, "id"]
    assert everything == list(qs.order_by(*order).values_list("pk", flat=True))


def test_a_cursor_of_another_sort_is_ignored(client_ivan, user):
    for _ in range(30):
        TaskFactory(author=user)
    html = client_ivan.get("/tasks/", {"sort": "number"}).content.decode()
    after = re.search(r'id="pager-next"[^>]*href="[^"]*after=([^"&]+)', html).group(1)
    first_by_created = shown(client_ivan.get("/tasks/"))
    assert shown(client_ivan.get("/tasks/", {"after": after})) == first_by_created


def test_count_is_exact_up_to_the_cap_then_more_than(client_ivan, user, monkeypatch):
    for _ in range(7):
        CommunicationFactory(author=user)
    html = client_ivan.get("/communications/").content.decode()
    assert re.search(r'id="list-count">\s*7 ', html)  # one page: counted by the page itself
    for _ in range(30):
        CommunicationFactory(author=user)
    html = client_ivan.get("/communications/").content.decode()
    assert re.search(r'id="list-count">\s*37 ', html)
    monkeypatch.setattr(paging, "COUNT_CAP", 30)
    html = client_ivan.get("/communications/").content.decode()
    count = re.search(r'id="list-count">([^<]*)<', html).group(1)
    capped = "30" in count and ("more than" in count or "повече от" in count)
    # PostgreSQL may show the planner's estimate instead, when the statistics make it large.
    estimated = connection.vendor == "postgresql" and re.search(r"(about|около) \d+", count)
    assert capped or estimated, count


# --- a fixed number of queries -------------------------------------------------------------------


def _many(user, n):
    alfa = CounterpartyFactory(name="Алфа ООД")
    for i in range(n):
        thread = ThreadFactory(counterparty=alfa, author=user)
        CommunicationFactory(thread=thread, counterparty=alfa, author=user, assignee=user)
        TaskFactory(
            thread=thread,
            counterparty=None if i % 2 else alfa,
            counterparty_name="Свободен текст" if i % 2 else "",
            author=user,
            assignee=user,
        )


# The list's own queries: the window's edge (the paging.WINDOW-th row), the page's keys, its rows,
# the count when the keys did not see every match (PostgreSQL: the plan's estimate, then a capped
# count when that is small; SQLite: the capped count), saved filters, and the employee named by
# an author/assignee filter (one lookup by id; the pickers no longer fetch every employee, so a
# page without such a filter runs one query fewer than it did with the <select> of all of them).
# The layout adds its own — session, user, notifications — which are not the list's to pin.
EDGE, KEYS, ROWS, SAVED, EMPLOYEES, COUNTERPARTIES, THREAD = 1, 1, 1, 1, 1, 1, 1
COUNT = 2 if connection.vendor == "postgresql" else 1


def _own(ctx) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if re.search(r'FROM "(crm_|savedfilters_)', q["sql"])
        or ('FROM "accounts_user"' in q["sql"] and "ORDER BY" in q["sql"])
    ]


def _queries(client, path, params=None, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params or {}, **headers)
    assert response.status_code == 200
    return len(_own(ctx)), len(ctx.captured_queries)


HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize("path", ["/communications/", "/tasks/"])
def test_list_page_runs_a_fixed_number_of_queries(client_ivan, user, django_assert_num_queries, path):
    _many(user, 30)
    thread = Thread.objects.order_by("pk").first()
    few = {"counterparty": "алфа", "thread": thread.pk, "author": user.pk, "status": "new"}
    none = {"subject": "няма такова нещо"}
    cases = [
        # (params, headers, the list's own queries)
        ({}, {}, EDGE + KEYS + ROWS + COUNT + SAVED),
        ({}, HTMX, EDGE + KEYS + ROWS + COUNT + SAVED),
        ({"sort": "number"}, HTMX, EDGE + KEYS + ROWS + COUNT + SAVED),
        # Everything fits on the page: the keys counted it.
        (few, {}, COUNTERPARTIES + THREAD + EDGE + KEYS + ROWS + SAVED + EMPLOYEES),
        (few, HTMX, COUNTERPARTIES + THREAD + EDGE + KEYS + ROWS + SAVED + EMPLOYEES),
        # Nothing matches: no rows to load.
        (none, {}, EDGE + KEYS + SAVED),
    ]
    totals = {}
    for rows in (30, 60):
        if rows == 60:
            _many(user, 30)
        for i, (params, headers, own) in enumerate(cases):
            mine, total = _queries(client_ivan, path, params, **headers)
            assert mine == own, (rows, params, headers, mine)
            totals.setdefault(i, total)
            # The whole request, layout included, does not grow with the data either.
            with django_assert_num_queries(totals[i]):
                client_ivan.get(path, params, **headers)
    # A later page: the same queries.
    html = client_ivan.get(path, {"sort": "number"}).content.decode()
    after = re.search(r'id="pager-next"[^>]*href="[^"]*after=([^"&]+)', html).group(1)
    mine, _total = _queries(client_ivan, path, {"sort": "number", "after": after})
    assert mine == EDGE + KEYS + ROWS + COUNT + SAVED


@pytest.mark.parametrize(
    ("cap", "walk", "extra", "counted"),
    [
        (1000, 30, 1, 0),  # too few in the window: the rest is probed, and so counted
        (5, 30, 2, COUNT),  # … the probe finds more than its cap: walked in order, then counted
        (1000, 3, 1, COUNT),  # enough in the window to walk on in order, then counted
    ],
)
def test_pages_past_the_window_stay_bounded(client_ivan, user, monkeypatch, cap, walk, extra, counted):
    monkeypatch.setattr(paging, "WINDOW", 10)
    monkeypatch.setattr(paging, "PROBE_CAP", cap)
    monkeypatch.setattr(paging, "WALK_MIN", walk)
    _many(user, 40)
    mine, _total = _queries(client_ivan, "/tasks/", {}, **HTMX)
    assert mine == EDGE + KEYS + extra + ROWS + counted + SAVED


# --- CSV export ----------------------------------------------------------------------------------


def _csv(response) -> tuple[bytes, list[list[str]]]:
    assert response.status_code == 200
    raw = b"".join(response.streaming_content)
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_communication_csv_is_excel_ready_and_filtered(client_ivan, comms):
    response = client_ivan.get("/communications/export.csv", {"counterparty": "ООД", "direction": "in"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.match(r'attachment; filename="communications-\d{8}-\d{4}\.csv"', response["Content-Disposition"])
    raw, rows = _csv(response)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Cyrillic right
    assert b"\r\n" in raw
    header, *data = rows
    assert len(header) == 11
    assert [r[0] for r in data] == ["IN-2026-00001", "IN-2025-00123"]
    assert data[0][5] == "ЗАПИТВАНЕ ЗА ОФЕРТА"
    assert data[0][6] == "АЛФА ТРЕЙД ЕООД"
    assert data[0][3] == "10.03.2026 09:00"  # company time


def test_task_csv_follows_sort_and_marks_overdue(client_ivan, tasks):
    _raw, rows = _csv(client_ivan.get("/tasks/export.csv", {"sort": "deadline"}))
    header, *data = rows
    assert len(header) == 10
    assert [r[0] for r in data] == ["T-2026-00002", "T-2026-00001", "T-2026-00003", "T-2025-00077"]
    overdue = {r[0]: r[3] for r in data}
    assert overdue["T-2026-00001"] and not overdue["T-2026-00002"]
    assert data[2][5] == "Гама Строй"


def test_csv_neutralises_formulas(client_ivan, user):
    CommunicationFactory(subject='=HYPERLINK("http://x")', author=user)
    CommunicationFactory(subject="+359 888", author=user)
    _raw, rows = _csv(client_ivan.get("/communications/export.csv"))
    subjects = sorted(r[5] for r in rows[1:])
    assert subjects == ["'+359 888", '\'=HYPERLINK("http://x")']


def test_csv_ignores_bad_filters_and_pages_through_everything(client_ivan, user, monkeypatch):
    from crm import list_views

    monkeypatch.setattr(list_views, "EXPORT_CHUNK", 7)
    for _ in range(30):
        TaskFactory(author=user)
    _raw, rows = _csv(client_ivan.get("/tasks/export.csv", {"status": "bogus", "after": "zzz"}))
    numbers = [r[0] for r in rows[1:]]
    assert len(numbers) == 30 == len(set(numbers))


def test_export_link_carries_the_filters(client_ivan, comms):
    html = client_ivan.get("/communications/?status=new&after=abc").content.decode()
    assert 'id="list-export" href="/communications/export.csv?status=new"' in html


# --- access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/communications/", "/tasks/", "/communications/export.csv", "/tasks/export.csv", "/tasks/?status=new"]
)
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_every_employee_sees_every_item(client, comms):
    client.force_login(UserFactory(username="someone_else"))
    assert len(shown(client.get("/communications/"))) == 4


# --- the filter sets directly ------------------------------------------------------------------


def test_filtersets_ignore_only_the_invalid_filter(comms, rf, user):
    request = rf.get("/")
    request.user = user
    fs = CommunicationFilter(
        {"status": "bogus", "direction": "in"}, queryset=Communication.objects.all(), request=request
    )
    assert set(fs.qs) == {comms["in_alfa"], comms["in_gama"], comms["in_done"]}
    assert "status" in fs.errors
    fs = TaskFilter({"sort": "-deadline"}, queryset=Task.objects.all(), request=request)
    assert fs.sort_value == "-deadline"
    fs = TaskFilter({"sort": "nonsense"}, queryset=Task.objects.all(), request=request)
    assert fs.sort_value == selectors.LIST_DEFAULT_SORT


# --- the text filters are index-backed on PostgreSQL; on SQLite that migration does nothing ------
# (so these run on PostgreSQL only: conftest.py deselects the ``postgres`` marker elsewhere)

ON_POSTGRES = connection.vendor == "postgresql"


def _plan(qs, *disable: str) -> str:
    """The plan on a tiny table, where anything beats an index unless told otherwise."""
    with connection.cursor() as cursor:
        for setting in disable:
            cursor.execute(f"SET LOCAL enable_{setting} = off")
    return qs.explain()


def _assert_index_used(qs, index: str, *disable: str) -> None:
    assert index in _plan(qs, *disable)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("filterset", "params", "index"),
    [
        (CommunicationFilter, {"subject": "оферта"}, "crm_comm_subject_trgm"),
        (CommunicationFilter, {"number": "2026-0"}, "crm_comm_number_trgm"),
        # From a whole prefix: a start, on the B-tree of migration 0015 (crm/tests/test_number_part.py).
        (CommunicationFilter, {"number": "in-2026"}, "crm_comm_number_prefix"),
        (CommunicationFilter, {"counterparty": "алфа"}, "crm_comm_cpname_trgm"),
        (TaskFilter, {"subject": "оферта"}, "crm_task_subject_trgm"),
        (TaskFilter, {"counterparty": "гама"}, "crm_task_cpname_trgm"),
        (TaskFilter, {"number": "2026-0"}, "crm_task_number_trgm"),
        # Every task number begins with T-: "t-2026" is a start there.
        (TaskFilter, {"number": "t-2026"}, "crm_task_number_prefix"),
    ],
)
def test_text_filters_use_the_trigram_indexes(comms, tasks, rf, user, filterset, params, index):
    request = rf.get("/")
    request.user = user
    model = filterset._meta.model
    qs = filterset(params, queryset=model.objects.all(), request=request).qs
    _assert_index_used(qs, index, "seqscan", "indexscan")


@pytest.mark.postgres
@pytest.mark.parametrize("filterset", [CommunicationFilter, TaskFilter])
def test_a_common_counterparty_name_is_looked_up_per_row(comms, tasks, rf, user, monkeypatch, filterset):
    """A name in half of all counterparties (ООД): ``counterparty_id IN (subquery)`` would be a
    hashed sub-plan, every matching counterparty read first in each statement of the page. The
    scalar subquery looks up each walked row's counterparty by its primary key instead."""
    monkeypatch.setattr(selectors, "COUNTERPARTY_ID_LIMIT", 0)
    request = rf.get("/")
    request.user = user
    model = filterset._meta.model
    qs = filterset({"counterparty": "ООД"}, queryset=model.objects.all(), request=request).qs
    plan = _plan(qs.order_by("-created_at", "-id")[:26], "seqscan", "bitmapscan")
    assert "crm_counterparty_pkey" in plan
    assert "hashed" not in plan


@pytest.mark.postgres
def test_counterparty_names_use_their_trigram_index(comms):
    from crm.db import UnicodeLower
    from crm.models import Counterparty

    qs = Counterparty.objects.alias(f=UnicodeLower("name")).filter(f__contains="алфа").values("pk")
    _assert_index_used(qs, "crm_counterparty_name_trgm", "seqscan", "indexscan")


@pytest.mark.postgres
def test_deadline_sort_uses_its_expression_index(tasks):
    sort = selectors.LIST_SORTS["task"]["deadline"]
    qs = Task.objects.annotate(deadline_key=sort.expression).order_by("deadline_key", "id")[:26]
    _assert_index_used(qs, "crm_task_deadline_key", "seqscan", "sort")


def test_a_slow_count_gives_way_to_the_estimate(comms, monkeypatch):
    """PostgreSQL: a count that overruns its budget gives way to the planner's estimate.
    SQLite: rows are counted (up to the cap), exactly."""
    if not ON_POSTGRES:
        assert paging.list_count(Communication.objects.all()) == (4, "exact")
        return

    def slow_count(querysets, cap=None):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")

    monkeypatch.setattr(paging, "capped_counts", slow_count)
    n, kind = paging.list_count(Communication.objects.all())
    assert kind == "estimate" and n >= 0
    # The budget was the count's own: the connection goes on as before.
    assert Communication.objects.count() == 4
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"


@pytest.mark.parametrize(
    ("path", "filtered", "none_yet", "none_match"),
    [
        (
            "/communications/",
            "subject=няма-такова",
            "Още няма комуникации.",
            "Няма комуникации, отговарящи на тези филтри.",
        ),
        ("/tasks/", "subject=няма-такова", "Още няма задачи.", "Няма задачи, отговарящи на тези филтри."),
        ("/threads/", "subject=няма-такова", "Още няма нишки.", "Няма нишки, които да отговарят на тези филтри."),
        ("/counterparties/", "q=няма-такова", "Все още няма контрагенти.", "Няма контрагенти по тези филтри."),
    ],
)
def test_an_empty_list_says_why_in_bulgarian(client_ivan, path, filtered, none_yet, none_match):
    """The shared empty row (crm/_list_empty.html): nothing yet, or nothing for these filters
    with a link that clears them."""
    from crm.models import ContactPerson, Counterparty

    ContactPerson.objects.all().delete()
    Counterparty.objects.all().delete()  # the list of counterparties starts empty too
    html = client_ivan.get(path).content.decode()
    assert none_yet in html and none_match not in html
    html = client_ivan.get(f"{path}?{filtered}").content.decode()
    assert none_match in html and f'href="{path}">Изчисти всички филтри</a>' in html


def test_the_filter_form_class_is_made_once_and_each_form_has_its_own_fields(user):
    from django.http import QueryDict
    from django.utils import translation

    first, second = TaskFilter(QueryDict("status=nonsense")), TaskFilter(QueryDict(""))
    assert type(first.form) is type(second.form)
    assert type(CommunicationFilter(QueryDict("")).form) is not type(first.form)
    first.form.fields["subject"].widget.attrs["data-x"] = "1"
    assert "data-x" not in second.form.fields["subject"].widget.attrs
    assert first.form.fields["assignee"].queryset is not second.form.fields["assignee"].queryset
    assert not first.is_valid() and second.is_valid()  # errors are the form's, not the class's
    with translation.override("en"):
        assert TaskFilter(QueryDict("")).form.fields["status"].label == "Status"
    with translation.override("bg"):
        assert TaskFilter(QueryDict("")).form.fields["status"].label == "Статус"
