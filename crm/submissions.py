"""Double submits: one creation per rendered form, even for two POSTs of it in flight at once.

Every create form carries a random token (``uuid4().hex``). The view creates inside
``submit_token_claim``, which inserts (user, token) in the same transaction as the creation. A
second POST of the token waits — on the unique index (PostgreSQL) or for the write lock (SQLite:
IMMEDIATE transactions, settings) — until the first commits, then finds the row and is sent to
what the first one created. A creation that fails rolls its claim back with it, so a rejected
submit does not use up its token. A token guards for a day: older ones of the user are deleted
as the user submits again, in the creating transaction (a transaction of its own cost a commit
per create; the DELETE locks only the user's own expired rows, which only the user's other
submits would touch).
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from crm.models import SubmitToken

TOKEN = re.compile(r"[0-9a-f]{32}")
TOKEN_LIFETIME = timedelta(days=1)


@dataclass
class Claim:
    # Set when an earlier submit of the same token created something: where it is shown.
    earlier_url: str = ""
    # Set by the caller once it has created: where a repeated submit is to be sent.
    url: str = ""


@contextmanager
def submit_token_claim(*, user, token: str) -> Iterator[Claim]:
    """Claim ``token`` for the creation in the ``with`` block (see the module's docstring).

    If ``claim.earlier_url`` is set, the token was used already and the block must not create.
    Without a well-formed token there is nothing to guard: the block just runs.
    """
    claim = Claim()
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        yield claim
        return
    with transaction.atomic():
        SubmitToken.objects.filter(user=user, created_at__lt=timezone.now() - TOKEN_LIFETIME).delete()
        row_id = _insert(user_id=user.pk, token=token)
        if row_id is None:
            # The first submit has committed by now (the insert waited for it).
            claim.earlier_url = SubmitToken.objects.values_list("url", flat=True).get(user=user, token=token)
            yield claim
            return
        yield claim
        if not claim.url:
            raise RuntimeError("submit_token_claim: set claim.url to where the creation is shown")
        SubmitToken.objects.filter(pk=row_id).update(url=claim.url)


def _insert(*, user_id: int, token: str) -> int | None:
    """The claim's row, or None when the token is the user's already. ON CONFLICT DO NOTHING
    (PostgreSQL; SQLite ≥ 3.35 for RETURNING) waits for a concurrent insert of the same token
    like a plain INSERT, but a conflict is no error, so it needs no savepoint to recover from:
    two statements fewer per create than catching an IntegrityError."""
    table = connection.ops.quote_name(SubmitToken._meta.db_table)  # our own model's name, not input
    created_at = SubmitToken._meta.get_field("created_at").get_db_prep_value(timezone.now(), connection)
    sql = (
        f"INSERT INTO {table} (user_id, token, url, created_at) VALUES (%s, %s, '', %s) "  # noqa: S608
        "ON CONFLICT (user_id, token) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, token, created_at])
        row = cursor.fetchone()
    return row[0] if row else None
