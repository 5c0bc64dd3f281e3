"""The lists' paging never gives a 500 (hardening): whatever an ``after=``/``before=`` cursor holds,
the page is the one it means or, when it cannot mean a position in the list, the first page; and
a count leaves the caller's transaction as it found it.

Runs on SQLite and on PostgreSQL: each backend fails differently on the same value (SQLite
cannot take a moment outside year 1–9999 once in UTC, PostgreSQL refuses NUL characters and
offsets past ±15:59, both refuse lone surrogates).
"""

import base64
import datetime
import json
import re

import pytest
from django.db import connection, transaction
from django.utils import timezone

import paging
from crm.models import Communication, Task
from crm.tests.factories import CommunicationFactory, TaskFactory

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr data-id="(\d+)"')
NOW = "2026-03-01T12:00:00+00:00"
ID_MAX = 2**63 - 1


def cursor(*parts) -> str:
    """A cursor as the lists make them: URL-safe base64 of a JSON list, without padding."""
    raw = json.dumps(list(parts))  # ensure_ascii: a lone surrogate travels as \\ud800
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def raw_b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.fixture
def rows(user):
    """More rows than a page (25), so that the first page is not everything."""
    moment = timezone.now()
    for i in range(30):
        at = moment - datetime.timedelta(minutes=i)
        CommunicationFactory(author=user, created_at=at)
        deadline = None if i % 3 == 0 else moment + datetime.timedelta(hours=i)
        TaskFactory(author=user, created_at=at, deadline=deadline)


def shown(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [int(pk) for pk in ROW.findall(response.content.decode())]


def page(client, path: str, sort: str, query: str = "") -> list[int]:
    return shown(client.get(f"{path}?sort={sort}{'&' + query if query else ''}"))


# (what, sort, cursor): cursors that cannot mean a position in the list: the first page.
# The datetime ones are for the created sort (both lists), the text ones for the number sort.
IGNORED = [
    # Moments a datetime holds but UTC cannot (SQLite stores UTC: OverflowError), and no moment.
    ("year 1, east of UTC", "-created", cursor("created", "0001-01-01T00:00:00+05:00", 1)),
    ("year 1, the largest offset", "-created", cursor("created", "0001-01-01T00:00:00+23:59", 1)),
    ("year 9999, west of UTC", "-created", cursor("created", "9999-12-31T23:59:59-05:00", 1)),
    ("year 9999, west of UTC, ascending", "created", cursor("created", "9999-12-31T20:00:00-10:00", 1)),
    ("year 0", "-created", cursor("created", "0000-01-01T00:00:00+00:00", 1)),
    ("year 10000", "-created", cursor("created", "10000-01-01T00:00:00+00:00", 1)),
    ("no offset", "-created", cursor("created", "2026-03-01T12:00:00", 1)),
    ("a day, no time", "-created", cursor("created", "2026-03-01", 1)),
    ("a unix timestamp", "-created", cursor("created", 1772366400, 1)),
    ("an out-of-range timestamp", "-created", cursor("created", 1e300, 1)),
    ("NUL in the date", "-created", cursor("created", NOW + "\x00", 1)),
    ("lone surrogate in the date", "-created", cursor("created", NOW[:10] + "\ud800", 1)),
    # Ids: rows have ids from 1 to the 64-bit maximum; past it, no database compares it.
    ("id 2**63", "-created", cursor("created", NOW, ID_MAX + 1)),
    ("id 10**40", "-created", cursor("created", NOW, 10**40)),
    ("id 10**40, ascending", "created", cursor("created", NOW, 10**40)),
    ("id -2**63 - 1", "-created", cursor("created", NOW, -(2**63) - 1)),
    ("id -1", "-created", cursor("created", NOW, -1)),
    ("id 0", "-created", cursor("created", NOW, 0)),
    ("id 1.5", "-created", cursor("created", NOW, 1.5)),
    ("id true", "-created", cursor("created", NOW, True)),
    ("id as text", "-created", cursor("created", NOW, "1")),
    ("id null", "-created", cursor("created", NOW, None)),
    # Text sort values.
    ("NUL in a number", "number", cursor("number", "IN-\x00", 1)),
    ("NUL in a number, descending", "-number", cursor("number", "\x00", 1)),
    ("lone surrogate in a number", "number", cursor("number", "\ud800", 1)),
    ("lone low surrogate in a number", "-number", cursor("number", "T-\udfff", 1)),
    ("overlong number", "number", cursor("number", "x" * 5000, 1)),
    ("a number that is a list", "number", cursor("number", ["IN"], 1)),
    # The wrapping.
    ("NUL", "-created", "\x00"),
    ("not UTF-8 inside", "-created", raw_b64(b'["created", "\xff\xfe", 1]')),
    ("JSON with a NUL byte", "number", raw_b64(b'["number", "a\x00", 1]')),
    ("nested lists", "-created", raw_b64(b"[" * 300 + b"]" * 300)),
    ("an object", "-created", cursor({"created": NOW})),
    ("four parts", "-created", cursor("created", NOW, 1, 2)),
    ("NaN", "-created", raw_b64(b'["created", NaN, 1]')),
    # Longer query strings are refused with a 400 before any view runs (config/middleware.py).
    ("overlong", "-created", "A" * 7_000),
]


@pytest.mark.parametrize("path", ["/communications/", "/tasks/"])
@pytest.mark.parametrize(("what", "sort", "value"), IGNORED, ids=[case[0] for case in IGNORED])
@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_cursor_that_is_no_position_gives_the_first_page(client_ivan, rows, path, what, sort, value, direction):
    first = page(client_ivan, path, sort)
    assert len(first) == 25
    response = client_ivan.get(path, {"sort": sort, direction: value})
    assert shown(response) == first, what


# Bytes of the query string itself that are not text (the client would refuse to encode them).
@pytest.mark.parametrize("path", ["/communications/", "/tasks/"])
@pytest.mark.parametrize("query", ["after=%00", "after=%ED%A0%80", "after=%FF%FE", "before=%C0%80", "after=%E2%82"])
def test_cursor_bytes_that_are_not_utf8_give_the_first_page(client_ivan, rows, path, query):
    assert page(client_ivan, path, "-created", query) == page(client_ivan, path, "-created")


def _order(path: str, sort: str) -> list[int]:
    from crm.selectors import LIST_SORTS

    model = Communication if path == "/communications/" else Task
    key = LIST_SORTS["communication" if model is Communication else "task"][sort.lstrip("-")]
    qs = model.objects.annotate(**{key.field: key.expression}) if key.expression is not None else model.objects
    prefix = "-" if sort.startswith("-") else ""
    return list(qs.order_by(f"{prefix}{key.field}", f"{prefix}id").values_list("pk", flat=True))


# (path, sort, cursor, what ?after= shows, what ?before= shows) for positions at the far ends of
# what the databases hold: real positions, honoured (the deadline sort puts tasks without a
# deadline at 9999-12-31, so such cursors are the lists' own).
ENDS = [
    ("/communications/", "-created", cursor("created", "0001-01-01T00:00:00+00:00", 1), "none", "last"),
    ("/communications/", "-created", cursor("created", "9999-12-31T23:59:59.999999+00:00", ID_MAX), "first", "none"),
    ("/communications/", "created", cursor("created", "0001-01-01T00:00:00-05:00", 1), "first", "none"),
    ("/communications/", "number", cursor("number", "", 1), "first", "none"),
    ("/communications/", "-number", cursor("number", "я" * 10, ID_MAX), "first", "none"),
    ("/tasks/", "-created", cursor("created", "0001-01-01T00:00:00+00:00", 1), "none", "last"),
    ("/tasks/", "deadline", cursor("deadline", "9999-12-31T00:00:00+00:00", ID_MAX), "none", "last"),
    ("/tasks/", "-deadline", cursor("deadline", "9999-12-31T00:00:00+00:00", ID_MAX), "first", "none"),
    ("/tasks/", "-deadline", cursor("deadline", "0001-01-01T00:00:00+00:00", 1), "none", "last"),
]


@pytest.mark.parametrize(("path", "sort", "value", "after", "before"), ENDS)
def test_a_cursor_at_the_far_ends_is_honoured(client_ivan, rows, path, sort, value, after, before):
    order = _order(path, sort)
    expect = {"none": [], "first": order[:25], "last": order[-25:]}
    assert page(client_ivan, path, sort, f"after={value}") == expect[after]
    assert page(client_ivan, path, sort, f"before={value}") == expect[before]


def test_a_count_leaves_the_callers_transaction_as_it_was(user):
    """PostgreSQL counts under a time budget (SET LOCAL statement_timeout): inside a caller's
    transaction — a test's, or an atomic block — the budget must not outlive the count, or the
    caller's next slower query fails. SQLite: counted, and the transaction goes on."""
    for _ in range(4):
        CommunicationFactory(author=user)
    with transaction.atomic():
        assert paging.list_count(Communication.objects.all()) == (4, "exact")  # counted, not estimated
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW statement_timeout")
                assert cursor.fetchone()[0] == "0"
                cursor.execute("SELECT pg_sleep(%s)", [3 * paging.COUNT_BUDGET_MS / 1000])
        assert Communication.objects.count() == 4
