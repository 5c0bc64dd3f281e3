"""Case-insensitive matching that folds Cyrillic on every database, for any app's models.

Django's ``icontains`` lowers with SQLite's ASCII-only ``LOWER``/``LIKE``, so "мар" would not
find "Мария" there. ``Folded`` is ``LOWER()`` on PostgreSQL (which folds Cyrillic under a UTF-8
ctype) and a Python ``str.lower`` registered on every SQLite connection. ``crm.db.UnicodeLower``
does the same for the CRM's own queries; this one keeps ``mentions`` free of imports from apps
that use it.
"""

from django.db.backends.signals import connection_created
from django.db.models import CharField, Func

SQLITE_FUNCTION = "mentions_fold"


class Folded(Func):
    function = "LOWER"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function=SQLITE_FUNCTION, **extra_context)


def fold(value: str) -> str:
    """What ``Folded`` does to a column, for the Python side of a comparison."""
    return value.lower()


def _fold_or_null(value):
    return value.lower() if isinstance(value, str) else value


def register_sqlite_function(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, _fold_or_null, deterministic=True)


def connect_signals() -> None:
    connection_created.connect(register_sqlite_function, dispatch_uid="mentions.db.register_sqlite_function")
