"""Document numbers (DESIGN.md "Numbers"): never duplicated under concurrency, never reused.

A number is taken from a per-key counter row in the same transaction as the object it names.
On PostgreSQL the UPDATE locks the row until commit, so concurrent creators queue on it; on
SQLite the transaction is IMMEDIATE (settings), which serialises writers. A rolled-back
creation also rolls back its increment; a deleted object's number stays used.

A counter can lag behind the numbers already stored: rows loaded with COPY (the bench seed), an
import, a restore of the table without its counters. Handing out such a number would end in a
unique-constraint error, a 500 for the user. So the allocator checks its number against the
stored ones (one index probe, in the statement that takes it) and, when it is taken, moves the
counter past the highest stored number of the key, still holding the counter row's lock, and
takes the next one.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models.functions import Length

from crm.models import NumberSequence


def company_year(moment: datetime) -> int:
    """The year of a moment in the company's time zone (00:30 on 1 Jan in Sofia is the new year)."""
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).year


# The number "<key>-<value, at least 5 digits>" in SQL, as _format writes it in Python ({t}:
# the counters' table).
_NUMBER_SQL = {
    "postgresql": "{t}.key || '-' || CASE WHEN {t}.last_value < 100000 THEN lpad({t}.last_value::text, 5, '0') "
    "ELSE {t}.last_value::text END",
    "sqlite": "{t}.key || '-' || printf('%%05d', {t}.last_value)",
}


def _format(key: str, value: int) -> str:
    return f"{key}-{value:05d}"


def _increment(key: str, model: type[models.Model]) -> tuple[int, bool] | None:
    """The counter's next value, and whether a row of ``model`` carries its number already (the
    counter lags); None when the key has no counter yet. UPDATE … RETURNING (PostgreSQL, SQLite
    ≥ 3.35) takes the lock, reads the value and probes the number's unique index in one round
    trip."""
    table = connection.ops.quote_name(NumberSequence._meta.db_table)  # our own models' names, not input
    rows = connection.ops.quote_name(model._meta.db_table)
    number = _NUMBER_SQL[connection.vendor].format(t=table)
    taken = f"EXISTS (SELECT 1 FROM {rows} WHERE {rows}.number = {number})"  # noqa: S608
    sql = f"UPDATE {table} SET last_value = last_value + 1 WHERE key = %s RETURNING last_value, {taken}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    return (row[0], bool(row[1])) if row else None


def _highest_stored(key: str, model: type[models.Model]) -> int:
    """The highest value stored under ``key`` ("IN-2026-00042" → 42); numbers of another shape
    (another key, a suffix) do not count. Longer digit strings are larger numbers, and among
    equally long ones the text order is the numeric order, so no cast of the column is needed."""
    highest = (
        model._default_manager.filter(number__startswith=f"{key}-", number__regex=rf"^{re.escape(key)}-[0-9]+$")
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    return int(highest.rsplit("-", 1)[1]) if highest else 0


def number_allocate(*, prefix: str, moment: datetime, model: type[models.Model]) -> str:
    """The next free number of ``prefix`` in the company year of ``moment`` for ``model``'s rows."""
    year = company_year(moment)
    key = f"{prefix}-{year}"
    # Inside the creator's transaction no savepoint is needed (any error here rolls the whole
    # creation back anyway): two statements fewer per number, which bulk filing of mail feels.
    with transaction.atomic(savepoint=False):
        taken = _increment(key, model)
        if taken is None:
            try:
                with transaction.atomic():
                    NumberSequence.objects.create(key=key, last_value=1)
                taken = 1, model._default_manager.filter(number=_format(key, 1)).exists()
            except IntegrityError:
                # Another creator made the row first: take the next value after theirs.
                taken = _increment(key, model)
        value, is_taken = taken
        if is_taken:
            value = max(value, _highest_stored(key, model) + 1)
            NumberSequence.objects.filter(key=key).update(last_value=value)
    return _format(key, value)
