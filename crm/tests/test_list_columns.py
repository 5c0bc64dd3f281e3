"""The columns of the communication and task lists (issue 12): "Дата и час" (``occurred_at``) and
the other sortable columns, the thread filter by the number users see with its type-ahead, and
the status colours' contrast. Runs on SQLite and on PostgreSQL (index checks on PostgreSQL only)."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import paging
from crm import selectors
from crm.models import Communication, Status, Task, Thread
from crm.templatetags.crm_tags import STATUS_CLASSES
from crm.tests.factories import CommunicationFactory, TaskFactory, ThreadFactory
from crm.tests.listing import shown, sofia

pytestmark = pytest.mark.django_db


@pytest.fixture
def comms(user):
    """Recorded in one order, happened in another; subjects and statuses in a third."""
    thread = ThreadFactory(number="TH-2026-00005", subject="Оферта за профили", author=user)
    other = ThreadFactory(number="TH-2026-00006", subject="Рекламация", author=user)
    rows = [
        # key, created, occurred, subject, status, thread
        ("a", sofia(2026, 3, 1, 9), sofia(2026, 2, 27, 15), "Бета запитване", Status.DONE, thread),
        ("b", sofia(2026, 3, 2, 9), sofia(2026, 3, 2, 8), "алфа среща", Status.NEW, thread),
        ("c", sofia(2026, 3, 3, 9), sofia(2026, 1, 15, 10), "Гама обаждане", Status.IN_PROGRESS, other),
        ("d", sofia(2026, 3, 4, 9), sofia(2026, 3, 5, 11), "АЛФА доставка", Status.ASSIGNED, other),
    ]
    return {
        key: CommunicationFactory(
            author=user,
            created_at=created,
            occurred_at=occurred,
            subject=subject,
            status=status,
            thread=t,
            counterparty=t.counterparty,
        )
        for key, created, occurred, subject, status, t in rows
    }


COMMUNICATION_SORTS = [
    ("occurred", ["c", "a", "b", "d"]),
    ("-occurred", ["d", "b", "a", "c"]),
    # Folded: "алфа" and "АЛФА" sort together, whatever the case (then by id).
    ("subject", ["d", "b", "a", "c"]),
    ("-subject", ["c", "a", "b", "d"]),
    # In the order work goes: new, assigned, in progress, done.
    ("status", ["b", "d", "c", "a"]),
    ("-status", ["a", "c", "d", "b"]),
    ("created", ["a", "b", "c", "d"]),
    ("-created", ["d", "c", "b", "a"]),
    ("", ["d", "c", "b", "a"]),  # the default: newest recorded first
]


@pytest.mark.parametrize(("sort", "expected"), COMMUNICATION_SORTS)
def test_communication_sorts(client_ivan, comms, sort, expected):
    assert shown(client_ivan.get("/communications/", {"sort": sort})) == [comms[k].pk for k in expected]


def test_communications_show_when_they_happened(client_ivan, comms):
    html = client_ivan.get("/communications/").content.decode()
    header = re.search(r'<th scope="col" aria-sort="none"><a class="list-sort"[^>]*data-sort="occurred">([^<]*)', html)
    assert header and header.group(1).strip() == "Дата и час"
    row = re.search(rf'<tr data-id="{comms["c"].pk}">.*?</tr>', html, re.S).group(0)
    cell = re.search(r'<td class="small list-date list-occurred">(.*?)</td>', row, re.S).group(1)
    assert re.sub(r"<[^>]+>|\s+", " ", cell).split() == ["15.01.2026", "10:00"]


@pytest.fixture
def tasks(user):
    rows = [
        ("a", "Обади се", Status.IN_PROGRESS),
        ("b", "изпрати оферта", Status.DONE),
        ("c", "Архивирай", Status.NEW),
        ("d", "Провери", Status.ASSIGNED),
    ]
    moment = timezone.now()
    return {
        key: TaskFactory(author=user, subject=subject, status=status, created_at=moment - datetime.timedelta(hours=i))
        for i, (key, subject, status) in enumerate(rows)
    }


TASK_SORTS = [
    ("subject", ["c", "b", "a", "d"]),
    ("-subject", ["d", "a", "b", "c"]),
    ("status", ["c", "d", "a", "b"]),
    ("-status", ["b", "a", "d", "c"]),
]


@pytest.mark.parametrize(("sort", "expected"), TASK_SORTS)
def test_task_sorts(client_ivan, tasks, sort, expected):
    assert shown(client_ivan.get("/tasks/", {"sort": sort})) == [tasks[k].pk for k in expected]


@pytest.mark.parametrize(
    ("path", "keys"),
    [
        ("/communications/", ["number", "occurred", "created", "subject", "status"]),
        ("/tasks/", ["number", "created", "subject", "deadline", "status"]),
        ("/threads/", ["number", "subject", "created", "activity"]),
    ],
)
def test_sortable_headers_in_column_order(client_ivan, path, keys):
    html = client_ivan.get(path).content.decode()
    assert re.findall(r'<a class="list-sort[^"]*"[^>]*data-sort="([a-z]+)"', html) == keys


@pytest.mark.parametrize(("window", "cap", "walk"), [(5000, 1000, 3), (7, 1000, 30), (7, 5, 30), (7, 1000, 3)])
@pytest.mark.parametrize("sort", ["occurred", "-occurred", "subject", "-subject", "status", "-status"])
def test_keyset_pages_follow_the_new_sorts(client_ivan, user, monkeypatch, sort, window, cap, walk):
    monkeypatch.setattr(paging, "WINDOW", window)
    monkeypatch.setattr(paging, "PROBE_CAP", cap)
    monkeypatch.setattr(paging, "WALK_MIN", walk)
    moment = timezone.now()
    statuses = Status.values
    for i in range(55):
        # Ties everywhere: ids break them.
        CommunicationFactory(
            author=user,
            occurred_at=moment - datetime.timedelta(minutes=i % 6),
            subject=["Алфа", "алфа", "Бета", "гама"][i % 4],
            status=statuses[i % 4],
        )
    pages = []
    response = client_ivan.get("/communications/", {"sort": sort})
    while True:
        pages.append(shown(response))
        match = re.search(r'id="pager-next"[^>]*href="([^"]+)"', response.content.decode())
        if not match:
            break
        response = client_ivan.get(match.group(1).replace("&amp;", "&"))
    everything = sum(pages, [])
    assert len(everything) == 55 and len(set(everything)) == 55
    key, descending = sort.lstrip("-"), sort.startswith("-")
    chosen = selectors.LIST_SORTS["communication"][key]
    qs = Communication.objects.all()
    if chosen.expression is not None:
        qs = qs.annotate(**{chosen.field: chosen.expression})
    order = [f"-{chosen.field}", "-id"] if descending else [chosen.field, "id"]
    assert everything == list(qs.order_by(*order).values_list("pk", flat=True))


# --- the thread filter: the number users see, or the id -------------------------------------------

THREAD_VALUES = [
    # (value, the thread it names: "five", "six" or None for a message on the filter)
    ("TH-2026-00005", "five"),
    ("th-2026-00005", "five"),
    ("  TH-2026-00006  ", "six"),
    ("id:five", "five"),
    ("TH-2026-5", None),
    ("TH-2026-0000", None),
    ("TH-2099-00005", None),
    ("x" * 40, None),
    ("1" * 40, None),
    ("TH-2026-00005\x00", "five"),  # config.middleware drops NUL from query strings
    ("-1", None),
    ("0", None),
]


@pytest.mark.parametrize(("value", "expected"), THREAD_VALUES)
def test_thread_filter_takes_the_visible_number(client_ivan, comms, value, expected):
    threads = {"five": comms["a"].thread, "six": comms["c"].thread}
    if value.startswith("id:"):
        value = str(threads[value[3:]].pk)
    response = client_ivan.get("/communications/", {"thread": value, "status": "done"})
    html = response.content.decode()
    rows = shown(response)
    if expected is None:
        slot = re.search(r'<div id="error-thread"[^>]*>(.*?)</div>', html, re.S).group(1)
        assert "TH-2026-00005" in slot  # the message says what to type
        assert rows == [comms["a"].pk]  # the other filters still apply
    else:
        assert re.search(r'<div id="error-thread"[^>]*></div>', html)  # no message
        thread = threads[expected]
        assert set(rows) == set(thread.communications.filter(status="done").values_list("pk", flat=True))
        assert f">{thread.number} {thread.subject}</a>" in html  # named next to the box


def test_thread_filter_by_number_is_one_indexed_query(client_ivan, comms):
    with CaptureQueriesContext(connection) as ctx:
        client_ivan.get("/communications/", {"thread": "th-2026-00005"})
    lookups = [q["sql"] for q in ctx.captured_queries if re.search(r'FROM "crm_thread"\s+WHERE', q["sql"])]
    assert len(lookups) == 1
    # An exact match on the unique column (no LOWER() over every row).
    assert '"crm_thread"."number" IN' in lookups[0] and "LOWER(" not in lookups[0].upper()


def test_thread_filter_box_asks_for_suggestions(client_ivan, comms):
    html = client_ivan.get("/communications/").content.decode()
    box = re.search(r'<input[^>]*name="thread"[^>]*>', html).group(0)
    assert 'type="text"' in box  # applied on change or Enter, not while typing a partial number
    assert 'hx-get="/threads/search/"' in box and 'hx-target="#thread-suggestions"' in box
    assert 'role="combobox"' in box and 'aria-controls="thread-suggestions"' in box
    assert '<div class="typeahead-menu list-group shadow-sm" id="thread-suggestions"' in html
    assert "/static/js/lists.js" in html


SEARCHES = [
    # (what is typed, the threads suggested in order: most recently active first)
    ("TH-2026-0000", ["six", "five"]),
    ("th-2026-00005", ["five"]),
    ("00006", ["six"]),
    ("рекламация", ["six"]),
    ("ОФЕРТА", ["five"]),
    ("   ", []),
    ("няма такава", []),
    ("x" * 5000, []),
    ("50%", []),
]


@pytest.mark.parametrize(("query", "expected"), SEARCHES)
def test_thread_suggestions(client_ivan, comms, query, expected):
    threads = {"five": comms["a"].thread, "six": comms["c"].thread}
    Thread.objects.filter(pk=threads["six"].pk).update(last_activity_at=timezone.now() + datetime.timedelta(hours=1))
    for params in ({"q": query}, {"thread": query}):  # the filter box sends its own name
        response = client_ivan.get("/threads/search/", params)
        assert response.status_code == 200
        html = response.content.decode()
        assert re.findall(r'data-thread-pick="([^"]+)"', html) == [threads[k].number for k in expected]
        if not expected and query.strip():
            assert "Няма нишка" in html


def test_thread_suggestions_mark_closed_threads_and_escape(client_ivan, user):
    ThreadFactory(number="TH-2026-00010", subject="<script>alert(1)</script>", closed=True, author=user)
    html = client_ivan.get("/threads/search/", {"q": "th-2026-0001"}).content.decode()
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert "thread-closed-badge" in html


def test_thread_suggestions_are_bounded(client_ivan, user):
    for i in range(15):
        ThreadFactory(number=f"TH-2026-{i + 100:05d}", author=user)
    with CaptureQueriesContext(connection) as ctx:
        html = client_ivan.get("/threads/search/", {"q": "TH-2026"}).content.decode()
    assert len(re.findall("data-thread-pick=", html)) == selectors.THREAD_SEARCH_LIMIT
    assert len([q for q in ctx.captured_queries if 'FROM "crm_thread"' in q["sql"]]) == 1


# --- the status colours: WCAG AA contrast (4.5:1 for text of this size) ---------------------------

CSS = Path(settings.BASE_DIR) / "static" / "css" / "app.css"


def _luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _colours(css_class: str) -> tuple[str, str]:
    """(background, color) of the last rule for exactly ``.css_class`` in app.css."""
    rules = re.findall(rf"\.{re.escape(css_class)}\s*\{{([^}}]*)\}}", CSS.read_text())
    assert rules, f".{css_class} has no rule in app.css"
    body = rules[-1]
    background = re.search(r"background(?:-color)?:\s*(#[0-9a-fA-F]{3,6})\b", body)
    colour = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})\b", body)
    assert background and colour, body
    return background.group(1), colour.group(1)


def test_contrast_formula():
    assert contrast("#000", "#fff") == pytest.approx(21)
    assert contrast("#fff", "#fff") == pytest.approx(1)
    assert contrast("#fd7e14", "#fff") == pytest.approx(2.57, abs=0.01)  # the old "Работи се"


@pytest.mark.parametrize("css_class", [*STATUS_CLASSES.values(), "thread-closed-badge"])
def test_badge_colours_meet_wcag_aa(css_class):
    background, colour = _colours(css_class)
    assert contrast(background, colour) >= 4.5, (css_class, background, colour)


# --- the sorts are index-backed on PostgreSQL (migration 0005) ---------------------------------------


def _plan(qs) -> str:
    """The plan on a tiny table, where anything beats an index unless told otherwise."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    return qs.explain()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("model", "kind", "key", "index"),
    [
        (Communication, "communication", "occurred", "crm_comm_occurred"),
        (Communication, "communication", "subject", "crm_comm_subject_key"),
        (Communication, "communication", "status", "crm_comm_status_key"),
        (Task, "task", "subject", "crm_task_subject_key"),
        (Task, "task", "status", "crm_task_status_key"),
        (Thread, "thread", "created", "crm_thread_created"),
        (Thread, "thread", "subject", "crm_thread_subject_key"),
        (Thread, "thread", "activity", "thread_last_activity"),
    ],
)
def test_sorts_use_their_indexes(comms, tasks, model, kind, key, index):
    sort = selectors.LIST_SORTS[kind][key]
    qs = model.objects.all()
    if sort.expression is not None:
        qs = qs.annotate(**{sort.field: sort.expression})
    for order in ([sort.field, "id"], [f"-{sort.field}", "-id"]):
        assert index in _plan(qs.order_by(*order).values_list("pk", sort.field)[:26])


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({"subject": "оферта"}, "crm_thread_subject_trgm"),
        ({"number": "2026-0"}, "crm_thread_number_trgm"),
        # From a whole prefix: a start, on the B-tree of migration 0015 (crm/tests/test_number_part.py).
        ({"number": "th-2026"}, "crm_thread_number_prefix"),
        ({"counterparty": "гама"}, "crm_thread_cpname_trgm"),
    ],
)
def test_thread_text_filters_use_the_trigram_indexes(comms, rf, user, params, index):
    from crm.filters import ThreadFilter

    request = rf.get("/")
    request.user = user
    qs = ThreadFilter(params, queryset=Thread.objects.all(), request=request).qs
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    assert index in qs.explain()
