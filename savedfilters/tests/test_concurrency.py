"""Two saves of one filter name at the same moment (a double click, two tabs): one row, no error.

Real threads released together, on committed data. The insert is slowed down so that both saves
have looked for the name (and found nothing) before either inserts: the second insert then meets
the unique constraint every time. On PostgreSQL it waits on the unique index for the first to
commit; on SQLite the second transaction waits for the write lock (IMMEDIATE, settings) and finds
the row when it looks.
"""

import threading
import time
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from savedfilters.models import SavedFilter

pytestmark = pytest.mark.django_db(transaction=True)

RACE_WINDOW = 0.3


def test_two_saves_of_one_name_in_flight_keep_one_filter(user):
    first = Client()
    first.force_login(user)
    second = Client()
    second.cookies[settings.SESSION_COOKIE_NAME] = first.cookies[settings.SESSION_COOKIE_NAME].value
    posts = [
        (first, {"name": "Моите нови", "path": "/tasks/", "query": "status=new"}),
        (second, {"name": "Моите нови", "path": "/tasks/", "query": "status=new&mine=assigned"}),
    ]
    barrier = threading.Barrier(len(posts))
    responses, errors = [None] * len(posts), []
    insert = SavedFilter.objects.create

    def slow_insert(**fields):
        time.sleep(RACE_WINDOW)
        return insert(**fields)

    def save(i: int) -> None:
        client, data = posts[i]
        try:
            barrier.wait(timeout=10)
            responses[i] = client.post("/saved-filters/", data)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    with mock.patch.object(SavedFilter.objects, "create", side_effect=slow_insert):
        threads = [threading.Thread(target=save, args=(i,)) for i in range(len(posts))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert [r.status_code for r in responses] == [302, 302]
    saved = SavedFilter.objects.get()
    assert (saved.user, saved.path, saved.name) == (user, "/tasks/", "Моите нови")
    # Both saves went through, each back to the list as it saved it; the later one replaced the first.
    queries = {"status=new", "status=new&mine=assigned"}
    assert saved.query_string in queries
    assert {r["Location"] for r in responses} == {f"/tasks/?{q}" for q in queries}
