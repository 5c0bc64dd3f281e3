"""Case-insensitive text matching that folds Cyrillic on every database.

Django's ``icontains``/``iexact`` use SQLite's LIKE/LOWER, which fold ASCII only, so
"алфа" would not find "АЛФА" there. ``UnicodeLower`` is ``LOWER()`` on PostgreSQL (which folds
Cyrillic under the UTF-8 ctype) and a Python function registered on each SQLite connection.
On PostgreSQL, trigram indexes are built on ``LOWER(column)``, the expression queries use.

``name_lock`` serialises the transactions that work on one name, ignoring case, where no row
exists yet that could be locked (two promotions of a name that is not a counterparty yet).
"""

from django.db import connections
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


def name_lock(*, scope: str, name: str, using: str = "default") -> None:
    """Hold a lock on ``name`` (ignoring case, as ``UnicodeLower`` compares) in ``scope`` until the
    current transaction ends; a second transaction asking for it waits for the first to end.

    PostgreSQL: a transaction-level advisory lock keyed by the hashes of the scope and of the
    lowered name (a hash collision only makes two names wait for each other). SQLite: nothing to
    do, the transaction is IMMEDIATE (settings) and holds the database's write lock already.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("name_lock() only means something inside a transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(LOWER(%s)))", [scope, name])
