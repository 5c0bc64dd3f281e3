"""Indexes of the communication and task lists on PostgreSQL (nothing on SQLite).

- Trigram (pg_trgm, GIN) indexes on exactly the expressions the text filters use:
  ``UnicodeLower(column)`` is ``LOWER(column)`` on PostgreSQL and the filters run
  ``LOWER(column)::text LIKE '%needle%'`` (crm/filters.py). Subject, free-text counterparty name
  and number of communications and tasks, and the counterparty's name (the counterparty filter
  looks up matching counterparties first).
- B-tree indexes the list's filters and sorts need beyond those of the models' Meta:
  tasks by author newest first, and the deadline sort key (tasks without a deadline last:
  ``COALESCE(deadline, '9999-12-31')``, crm.selectors.NO_DEADLINE), each with the id tie-breaker
  of the keyset pages.
- A larger statistics sample for the text expressions, so the planner's estimate of how many rows
  a ``LIKE '%…%'`` matches is good enough to choose between walking the sort index and reading
  the trigram index.

Built CONCURRENTLY (the migration is not atomic): on a table of millions of rows, writes go on
while the indexes are built. These indexes are not in the models' Meta (Django cannot express
opclasses on expressions portably), so makemigrations never sees them.
"""

from django.db import migrations

TRIGRAM = [
    ("crm_comm_subject_trgm", "crm_communication", "subject"),
    ("crm_comm_cpname_trgm", "crm_communication", "counterparty_name"),
    ("crm_comm_number_trgm", "crm_communication", "number"),
    ("crm_task_subject_trgm", "crm_task", "subject"),
    ("crm_task_cpname_trgm", "crm_task", "counterparty_name"),
    ("crm_task_number_trgm", "crm_task", "number"),
    ("crm_counterparty_name_trgm", "crm_counterparty", "name"),
]

BTREE = [
    ("crm_task_author_created", "crm_task", "(author_id, created_at DESC, id DESC)"),
    (
        "crm_task_deadline_key",
        "crm_task",
        "((COALESCE(deadline, '9999-12-31 00:00:00+00'::timestamp with time zone)), id)",
    ),
]

STATISTICS_TARGET = 1000


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM:
        execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING gin ((LOWER({column})) gin_trgm_ops)")
        execute(f"ALTER INDEX {name} ALTER COLUMN 1 SET STATISTICS {STATISTICS_TARGET}")
    for name, table, columns in BTREE:
        execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {columns}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The pg_trgm extension stays: other code may use it.
    for name, _table, _columns in [*TRIGRAM, *BTREE]:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("crm", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
