"""The first look at a list page walks a window of the newest rows (paging._page_keys); on
PostgreSQL its far end is a row comparison, which the planner estimates right (paging._up_to).
Runs on SQLite and on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import paging
from crm.tests.factories import CommunicationFactory
from crm.tests.listing import shown

pytestmark = pytest.mark.django_db


@pytest.fixture
def window_of_three(monkeypatch):
    monkeypatch.setattr(paging, "WINDOW", 3)


@pytest.mark.parametrize("typed", ["", "физическо", "Физическо лице", "алфа"])
def test_the_window_and_past_it_show_every_match_in_order(client_ivan, window_of_three, typed):
    """Matches inside the window, at its edge and past it, newest first, each once: the window's
    row comparison and the plain bound past it split the rows without a gap or an overlap."""
    rows = []
    for i in range(9):
        name = "Иван Петров (физическо лице)" if i % 2 else "Алфа ООД"
        rows.append(CommunicationFactory(counterparty=None, counterparty_name=name))
    expected = [c.pk for c in sorted(rows, key=lambda c: (c.created_at, c.pk), reverse=True)]
    expected = [pk for pk in expected if typed.lower() in next(c for c in rows if c.pk == pk).counterparty_name.lower()]
    with CaptureQueriesContext(connection) as ctx:
        response = client_ivan.get("/communications/", {"counterparty": typed} if typed else {})
    assert shown(response) == expected
    window = [q["sql"] for q in ctx.captured_queries if "LIMIT 26" in q["sql"]]
    assert window, "the window's query"
    if connection.vendor == "postgresql":
        row = '("crm_communication"."created_at", "crm_communication"."id") >='
        assert row in window[0], window[0]
