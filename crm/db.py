"""Case-insensitive text matching that folds Cyrillic on every database.

Django's ``icontains``/``iexact`` use SQLite's LIKE/LOWER, which fold ASCII only, so
"алфа" would not find "АЛФА" there. ``UnicodeLower`` is ``LOWER()`` on PostgreSQL (which folds
Cyrillic under the UTF-8 ctype) and a Python function registered on each SQLite connection.
On PostgreSQL, trigram indexes are built on ``LOWER(column)``, the expression queries use.
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


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, _lower, deterministic=True)


def connect_signals() -> None:
    connection_created.connect(register_sqlite_functions, dispatch_uid="crm.db.register_sqlite_functions")
