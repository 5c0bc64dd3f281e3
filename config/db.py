"""Case-insensitive matching that folds Cyrillic on every database, for any app.

Django's ``icontains``/``iexact`` lower with SQLite's ``LIKE``/``LOWER``, which fold ASCII only,
so "мар" would not find "Мария" there. ``UnicodeLower`` is ``LOWER()`` on PostgreSQL (which folds
Cyrillic under a UTF-8 ctype; trigram indexes are built on that expression) and a Python
``str.lower`` registered on every SQLite connection (with ``median()``, the aggregate the reports
need: crm/reports.py).

It lives here, not in an app, because generic apps (``mentions``) and ``crm`` both need it and
neither may import the other. Every app whose queries use it calls ``connect_signals()`` in its
``AppConfig.ready`` (idempotent: one receiver whoever calls it).
"""

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


def connect_signals() -> None:
    connection_created.connect(register_sqlite_functions, dispatch_uid="config.db.register_sqlite_functions")
