"""A number part typed from its prefix (``IN-2025-0123``) is a "starts with" search on a B-tree
(crm.filters.number_part_is_a_start, migration 0015) that finds exactly what the "contains"
search finds. Runs on SQLite and on PostgreSQL."""

import re

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from crm.filters import number_part_is_a_start
from crm.tests.factories import CommunicationFactory, TaskFactory, ThreadFactory
from crm.tests.listing import shown

pytestmark = pytest.mark.django_db

CONTAINS = re.compile(r"LIKE\s+E?'%")  # a pattern with a leading wildcard (PostgreSQL: E'…' when escaped)

# Numbers as number_allocate writes them, with the parts a contains-search could also find
# elsewhere in a number: "t-2025" inside "OUT-2025-…", "2025-0123" after any prefix, 6 digits.
COMMUNICATION_NUMBERS = [
    "IN-2025-01230",
    "IN-2025-01234",
    "IN-2025-012345",
    "IN-2024-01234",
    "IN-2025-00123",
    "OUT-2025-01234",
    "OUT-2025-01230",
    "OUT-2024-00001",
]
TASK_NUMBERS = ["T-2025-01234", "T-2025-012345", "T-2024-01234", "T-2025-00123"]
THREAD_NUMBERS = ["TH-2025-01234", "TH-2025-012345", "TH-2024-01234"]


@pytest.mark.parametrize(
    ("typed", "is_start"),
    [
        ("IN-2025-0123", True),
        ("in-2025-0123", True),
        ("In-", True),
        ("OUT-2025", True),
        ("out-2025-0123", True),
        ("TH-2025-0", True),
        ("T-2025-0123", False),  # OUT ends with T: "t-2025-0123" is inside "OUT-2025-01234"
        ("t-", False),
        ("N-2025", False),  # not a prefix (and IN ends with it)
        ("UT-2025", False),
        ("2025-0123", False),
        ("IN", False),  # no dash yet: not known to be a whole prefix
        ("-2025-0123", False),
        ("ИЗХ-2025", False),
    ],
)
def test_which_parts_can_only_be_a_start(typed, is_start):
    assert number_part_is_a_start(typed) is is_start


@pytest.mark.parametrize(
    ("typed", "kind", "is_start"),
    [
        ("T-2025-0123", "task", True),  # every task number begins with T-: no OUT- among them
        ("t-", "task", True),
        ("T-2025-0123", "communication", False),  # inside OUT-2025-01234
        ("T-2025-0123", "thread", False),  # not the threads' prefix
        ("TH-2025", "thread", True),
        ("TH-2025", "task", False),
        ("IN-2025", "communication", True),
        ("OUT-2025", "communication", True),
        ("OUT-2025", "task", False),
        ("2025-0123", "task", False),
    ],
)
def test_a_list_knows_the_prefixes_of_its_own_numbers(typed, kind, is_start):
    assert number_part_is_a_start(typed, kind) is is_start


def test_a_prefix_of_another_shape_turns_the_shortcut_off_on_every_list():
    with override_settings(NUMBER_PREFIX_INCOMING="I1"):
        assert number_part_is_a_start("T-2025", "task") is False


@pytest.mark.parametrize(
    ("prefixes", "typed", "is_start"),
    [
        ({"NUMBER_PREFIX_OUTGOING": "ИЗХ"}, "изх-2025", True),
        ({"NUMBER_PREFIX_OUTGOING": "ИЗХ"}, "T-2025", True),  # no other prefix ends with T now
        ({"NUMBER_PREFIX_OUTGOING": "ИЗХ", "NUMBER_PREFIX_TASK": "Х"}, "х-2025", False),
        ({"NUMBER_PREFIX_TASK": "T1"}, "IN-2025", False),  # a prefix of another shape: no shortcut
        ({"NUMBER_PREFIX_TASK": "A-B"}, "IN-2025", False),
    ],
)
def test_the_shortcut_follows_the_prefixes_of_the_settings(prefixes, typed, is_start):
    with override_settings(**prefixes):
        assert number_part_is_a_start(typed) is is_start


KINDS = {"/communications/": "communication", "/tasks/": "task", "/threads/": "thread"}


def _page(client, path, typed):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, {"number": typed, "sort": "number"})
    number_sql = [q["sql"] for q in ctx.captured_queries if "LIKE" in q["sql"] and '"number"' in q["sql"]]
    return shown(response), number_sql, len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("path", "factory", "numbers", "typed"),
    [
        ("/communications/", CommunicationFactory, COMMUNICATION_NUMBERS, typed)
        for typed in [
            "IN-2025-0123",
            "in-2025-0123",
            "IN-2025-",
            "OUT-2025-0123",
            "out-",
            "IN-2025-0123%",  # LIKE's wildcards are literal in both searches
            "IN-2025_0123",
            "T-2025-0123",  # not a start: contains finds OUT-2025-01234
            "2025-0123",
            "N-2025-0",
        ]
    ]
    + [("/tasks/", TaskFactory, TASK_NUMBERS, typed) for typed in ["T-2025-0123", "t-2025", "t-", "2025-0123"]]
    + [("/threads/", ThreadFactory, THREAD_NUMBERS, typed) for typed in ["TH-2025-0123", "th-2024", "h-2025"]],
)
def test_a_start_finds_what_contains_finds(client_ivan, monkeypatch, path, factory, numbers, typed):
    """The page shows exactly the rows whose number contains the typed text (case folded), through
    LIKE 'x%' when the text can only be a start, and with as many queries as a contains search.
    (A whole number is the unique index's row instead: test_lists.)"""
    rows = {factory(number=number).pk: number for number in numbers}
    ids, number_sql, queries = _page(client_ivan, path, typed)
    assert sorted(rows[pk] for pk in ids) == sorted(n for n in numbers if typed.lower() in n.lower())
    assert number_sql, typed
    start = number_part_is_a_start(typed, KINDS[path])
    assert all(bool(CONTAINS.search(sql)) is not start for sql in number_sql), number_sql
    # The same page through the contains search: the same rows in the same order, the same queries.
    monkeypatch.setattr("crm.filters.number_part_is_a_start", lambda text, kind=None: False)
    contains_ids, contains_sql, contains_queries = _page(client_ivan, path, typed)
    assert ids == contains_ids
    assert queries == contains_queries
    assert all(CONTAINS.search(sql) for sql in contains_sql), contains_sql


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["crm_communication", "crm_task", "crm_thread"])
def test_a_start_can_be_answered_by_the_prefix_index(table):
    """The B-tree of migration 0015 serves the filter's own expression (what a seq scan would
    otherwise do on 1M rows; seq scans are turned off so the tiny test table cannot hide it)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN SELECT id FROM {table} WHERE LOWER({table}.number)::text LIKE 'in-2025-0123%%'")  # noqa: S608
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"{table.replace('crm_communication', 'crm_comm')}_number_prefix" in plan, plan
    assert "~>=~ 'in-2025-0123'" in plan, plan
