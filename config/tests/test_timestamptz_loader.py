"""PostgreSQL connections read timestamptz through psycopg's C loader (config.db.load_timestamptz_in_c),
giving exactly what Django's own Python loader gives."""

import datetime

import pytest
from django.db import connection

from config import db

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# Around the edges a parser gets wrong: microseconds, DST changes in Sofia, leap day, year 1 and 9999.
MOMENTS = [
    "2026-03-29 00:59:59.999999+00",
    "2026-03-29 01:00:00+00",
    "2026-10-25 00:30:00.5+00",
    "2024-02-29 23:59:59+02",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2026-12-02 10:00:00+05:45",
]


def _read(values: list[str]) -> list[datetime.datetime]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT moment FROM unnest(%s::timestamptz[]) WITH ORDINALITY AS t(moment, n) ORDER BY n", [values]
        )
        return [row[0] for row in cursor.fetchall()]


def test_connections_use_the_c_loader():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(connection.connection.adapters.types["timestamptz"].oid, 0)
    assert loader is db._c_timestamptz_loader()
    assert loader.timezone is datetime.UTC  # Django's create_cursor compares it: no per-cursor loader


def test_values_are_the_ones_djangos_loader_gives():
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    fast = _read(MOMENTS)
    with connection.cursor() as cursor:
        register_tzloader(datetime.UTC, cursor)  # Django's own loader, on this cursor alone
        cursor.execute(
            "SELECT moment FROM unnest(%s::timestamptz[]) WITH ORDINALITY AS t(moment, n) ORDER BY n", [MOMENTS]
        )
        django_loaded = [row[0] for row in cursor.fetchall()]
    assert fast == django_loaded
    assert [value.tzinfo for value in fast] == [datetime.UTC] * len(MOMENTS)
    assert [value.isoformat() for value in fast] == [value.isoformat() for value in django_loaded]
    assert fast[0] == datetime.datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=datetime.UTC)
    assert fast[6] == datetime.datetime(2026, 12, 2, 4, 15, tzinfo=datetime.UTC)


def test_a_session_in_another_time_zone_keeps_djangos_loader(monkeypatch):
    """The C loader returns the session's zone; only a UTC session (Django's) may have it."""

    class Info:
        timezone = datetime.timezone(datetime.timedelta(hours=2))

    class Raw:
        info = Info()

        class adapters:  # noqa: N801 - stands in for psycopg's AdaptersMap
            registered = []

            @classmethod
            def register_loader(cls, *args):
                cls.registered.append(args)

    class Wrapper:
        vendor = "postgresql"
        timezone = datetime.UTC
        connection = Raw()

    db.load_timestamptz_in_c(sender=None, connection=Wrapper())
    assert Raw.adapters.registered == []
    Info.timezone = datetime.UTC
    db.load_timestamptz_in_c(sender=None, connection=Wrapper())
    assert Raw.adapters.registered == [("timestamptz", db._c_timestamptz_loader())]
