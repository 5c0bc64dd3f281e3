"""paging.keyset_first_pages gives every column of a board what keyset_page gives it alone (the
same cards, cursor and total) in one window edge and one load, whichever branch of _page_keys
finds a column's keys: all in the window, sparse past it, probed past it, or fewer rows than the
window. Runs on SQLite and on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import paging
from crm.board_selectors import board_card_queryset
from crm.models import Status, Task
from crm.selectors import list_sort
from crm.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

# (window, page size, tasks per status): fewer rows than the window; every column found in the
# window; columns that walk on or are probed past it; pages with and without a next one.
CASES = [
    (5000, 4, {"new": 2, "assigned": 5, "in_progress": 0, "done": 9}),
    (40, 3, {"new": 7, "assigned": 1, "in_progress": 4, "done": 12}),
    (4, 3, {"new": 1, "assigned": 6, "in_progress": 2, "done": 14}),
    (2, 5, {"new": 0, "assigned": 0, "in_progress": 3, "done": 8}),
]


@pytest.mark.parametrize(("window", "size", "per_status"), CASES)
@pytest.mark.parametrize("sort_value", ["deadline", "-created", "number"])
def test_first_pages_are_each_columns_own_first_page(monkeypatch, user, window, size, per_status, sort_value):
    monkeypatch.setattr(paging, "WINDOW", window)
    for status, n in per_status.items():
        for _ in range(n):
            TaskFactory(author=user, assignee=None if status == Status.NEW else user, status=status)
    sort, descending = list_sort("task", sort_value)
    columns = [Task.objects.filter(status=status) for status in Status.values]
    alone = [
        paging.keyset_page(qs, rows=board_card_queryset(), sort=sort, descending=descending, size=size)
        for qs in columns
    ]
    with CaptureQueriesContext(connection) as ctx:
        together = paging.keyset_first_pages(
            columns, rows=board_card_queryset(), sort=sort, descending=descending, size=size
        )
    for one, other in zip(alone, together, strict=True):
        assert [t.pk for t in other] == [t.pk for t in one]
        assert (other.next_cursor, other.previous_cursor, other.total) == (one.next_cursor, None, one.total)
    loads = [q for q in ctx.captured_queries if '"crm_task"."subject"' in q["sql"]]
    assert len(loads) == (1 if sum(per_status.values()) else 0), "one load of every column's cards"


def test_counts_together_are_each_querysets_own_count(monkeypatch, user):
    """paging.list_counts of several querysets is list_count of each: small ones counted (capped),
    large ones the lists' kind ("more" on SQLite, the estimate on PostgreSQL), a part Django knows
    matches nothing 0; the small ones counted in one statement (SQLite: all of them)."""
    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    for status, n in {"new": 2, "assigned": 7, "in_progress": 0, "done": 30}.items():
        for _ in range(n):
            TaskFactory(author=user, assignee=None if status == Status.NEW else user, status=status)
    querysets = [Task.objects.filter(status=status) for status in Status.values]
    querysets += [Task.objects.filter(pk__in=[]), Task.objects.filter(assignee=user, subject__contains="'%s\\")]
    alone = [paging.list_count(qs) for qs in querysets]
    with CaptureQueriesContext(connection) as ctx:
        together = paging.list_counts(querysets)
    assert together == alone
    assert together[0] == (2, "exact") and together[2] == (0, "exact") and together[4] == (0, "exact")
    assert together[1] == (5, "more")
    if connection.vendor == "postgresql":
        assert together[3][1] in ("more", "estimate")
        assert len([q for q in ctx.captured_queries if "COUNT(*)" in q["sql"]]) == 1
    else:
        assert together[3] == (5, "more") and len(ctx.captured_queries) == 1
