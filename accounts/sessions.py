"""The session engine (settings.SESSION_ENGINE): Django's database sessions, with the read every
signed-in request makes — the session by its key — as one plain SQL statement.

Django's store builds and compiles ``Session.objects.get(session_key=…, expire_date__gt=now)``
for each request: 0.5–0.6 ms of CPU, more than PostgreSQL takes to answer, on every page
(bench/bench_cpu.py's "bare stack"; docs/benchmarks-lists.md "Branch request"). The statement
here is that query — the same table, columns, parameters as the ORM prepares them, the same
database as the router picks — so its meaning is Django's: a session is found only if its row
exists and has not expired, and one that is not found forgets its key (a new one is made if the
request stores anything). Writes (login, logout, a changed session) stay Django's. Kept in the
database rather than a cache: a row deleted there (an administrator, ``clearsessions``) signs
that session out at once, on every worker, and the websocket's session check
(notifications.selectors.session_user_id) reads the same row.
"""

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self) -> dict:
        model = self.model
        connection = connections[router.db_for_read(model)]
        opts = model._meta
        key, data, expires = (opts.get_field(name) for name in ("session_key", "session_data", "expire_date"))
        quote = connection.ops.quote_name
        # The names are the model's, quoted; the values are parameters.
        table, where = quote(opts.db_table), f"{quote(key.column)} = %s AND {quote(expires.column)} > %s"
        sql = f"SELECT {quote(data.column)} FROM {table} WHERE {where}"  # noqa: S608
        params = [
            key.get_db_prep_value(self.session_key, connection),
            expires.get_db_prep_value(timezone.now(), connection),
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's store: a key that names no live session is dropped
            return {}
        return self.decode(row[0])

    async def aload(self) -> dict:
        return await sync_to_async(self.load)()
