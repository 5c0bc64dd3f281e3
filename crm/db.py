"""Database helpers of the CRM.

``UnicodeLower`` (Cyrillic-aware ``LOWER``) lives in ``config.db``, shared with the generic apps;
it is re-exported here so crm's modules keep one import.

``name_lock`` serialises the transactions that work on one name, ignoring case, where no row
exists yet that could be locked (two promotions of a name that is not a counterparty yet).
"""

from django.db import connections

from config.db import UnicodeLower, connect_signals

__all__ = ["UnicodeLower", "connect_signals", "name_lock"]


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
