"""Case-insensitive matching that folds Cyrillic on every database, for any app.

Django's ``icontains``/``iexact`` lower with SQLite's ``LIKE``/``LOWER``, which fold ASCII only,
so "мар" would not find "Мария" there. ``UnicodeLower`` is ``LOWER()`` on PostgreSQL (which folds
Cyrillic under a UTF-8 ctype; trigram indexes are built on that expression) and a Python
``str.lower`` registered on every SQLite connection (with ``median()``, the aggregate the reports
need: crm/reports.py).

It lives here, not in an app, because generic apps (``mentions``) and ``crm`` both need it and
neither may import the other. Every app whose queries use it calls ``connect_signals()`` in its
``AppConfig.ready`` (idempotent: one receiver whoever calls it).

``connect_signals()`` also gives every PostgreSQL connection psycopg's C loader of timestamptz
(``load_timestamptz_in_c``): Django's own parses each value in Python.
"""

import datetime
import functools

from django.db.backends.signals import connection_created
from django.db.models import CharField, Func

SQLITE_FUNCTION = "unicode_lower"


class UnicodeLower(Func):
    function = "LOWER"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function=SQLITE_FUNCTION, **extra_context)


def _lower(value):
    return value.lower() if isinstance(value, str) else value


class _Median:
    """``median(x)`` for SQLite, which has no percentile aggregate: the middle value (the mean of
    the two middle ones for an even count), NULLs ignored — PostgreSQL's percentile_cont(0.5)."""

    def __init__(self):
        self.values: list[float] = []

    def step(self, value):
        if value is not None:
            self.values.append(float(value))

    def finalize(self):
        if not self.values:
            return None
        values = sorted(self.values)
        middle = len(values) // 2
        return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, _lower, deterministic=True)
        connection.connection.create_aggregate("median", 1, _Median)


@functools.cache
def _c_timestamptz_loader():
    """A timestamptz loader whose ``load`` is psycopg's C one, or None without the C module.

    Django's (``BaseTzLoader``) subclasses psycopg's pure-Python loader to set the tzinfo, so
    with psycopg-binary installed every timestamptz is still parsed in Python: ~3 µs each, 21 ms
    of a 44 ms (cProfiled) list page that probes 5 000 keys (docs/decisions.md, "A common
    counterparty name, timestamps parsed in C"). The C loader cannot be subclassed (Django
    ticket #36960, psycopg issue #1273), so this Python subclass keeps Django's ``timezone``
    attribute (its create_cursor compares it) and takes the C loader's bound ``load``.
    psycopg's global adapters map gives the optimised class by the public ``get_loader``.
    """
    import psycopg
    from psycopg.pq import Format
    from psycopg.types.datetime import TimestamptzLoader

    oid = psycopg.adapters.types["timestamptz"].oid
    optimised = psycopg.adapters.get_loader(oid, Format.TEXT)
    if optimised is None or optimised is TimestamptzLoader:
        return None

    class CTimestamptzLoader(TimestamptzLoader):
        timezone = datetime.UTC  # what Django's loader sets; the C one gives the session's, UTC

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self.load = optimised(oid, context).load

    return CTimestamptzLoader


def load_timestamptz_in_c(sender, connection, **kwargs) -> None:
    """Only where the C loader gives exactly what Django's would: aware datetimes whose tzinfo is
    ``datetime.UTC``. It returns them in the session's time zone, and Django sets the session to
    UTC when USE_TZ is on and DATABASES sets no TIME_ZONE; anything else keeps Django's loader."""
    if connection.vendor != "postgresql" or connection.timezone is not datetime.UTC:
        return
    if connection.connection.info.timezone is not datetime.UTC:
        return
    loader = _c_timestamptz_loader()
    if loader is not None:
        connection.connection.adapters.register_loader("timestamptz", loader)


def connect_signals() -> None:
    connection_created.connect(register_sqlite_functions, dispatch_uid="config.db.register_sqlite_functions")
    connection_created.connect(load_timestamptz_in_c, dispatch_uid="config.db.load_timestamptz_in_c")
