"""Threads can be closed (and reopened, an event on the timeline); the lists' new sorts and the
thread list's filters get their indexes on PostgreSQL (nothing on SQLite).

- ``Thread.closed`` and the two event kinds: ordinary schema changes, on every database.
- B-tree indexes for the sorts of crm.selectors.LIST_SORTS that nothing served yet, each with the
  id tie-breaker of the keyset pages, on exactly the expression the sort orders by: communications
  by ``occurred_at`` ("Дата и час"); communications, tasks and threads by folded subject
  (``LOWER(subject)``, crm.db.UnicodeLower); communications and tasks by status in workflow order
  (crm.selectors.STATUS_RANK, a CASE); threads by creation. Without them each first page of such
  a sort reads the whole table (the keyset window's edge is the WINDOW-th row in that order).
  The thread list's default sort (last activity) has the model's thread_last_activity index.
- Trigram (pg_trgm, GIN) indexes for the thread list's text filters and the thread filter's
  type-ahead, as migration 0002 made for communications and tasks: number, subject and the
  free-text counterparty name of threads.

The index statements are not atomic (CONCURRENTLY: writes go on while they are built); Django
runs this migration outside a transaction, so the schema changes come first and each statement
stands on its own. A failed build leaves an invalid index that ``IF NOT EXISTS`` would keep: drop
it and migrate again.
"""

from django.db import migrations, models

# crm.selectors.STATUS_RANK as PostgreSQL receives it (the planner matches the index only on the
# same expression; crm/tests/test_list_columns.py checks that the sorts use these indexes).
STATUS_RANK_SQL = (
    "(CASE WHEN status = 'new' THEN '1' WHEN status = 'assigned' THEN '2' "
    "WHEN status = 'in_progress' THEN '3' WHEN status = 'done' THEN '4' ELSE '9' END)"
)

TRIGRAM = [
    ("crm_thread_subject_trgm", "crm_thread", "subject"),
    ("crm_thread_number_trgm", "crm_thread", "number"),
    ("crm_thread_cpname_trgm", "crm_thread", "counterparty_name"),
]

BTREE = [
    ("crm_comm_occurred", "crm_communication", "(occurred_at, id)"),
    ("crm_comm_subject_key", "crm_communication", "((LOWER(subject)), id)"),
    ("crm_comm_status_key", "crm_communication", f"({STATUS_RANK_SQL}, id)"),
    ("crm_task_subject_key", "crm_task", "((LOWER(subject)), id)"),
    ("crm_task_status_key", "crm_task", f"({STATUS_RANK_SQL}, id)"),
    ("crm_thread_created", "crm_thread", "(created_at, id)"),
    ("crm_thread_subject_key", "crm_thread", "((LOWER(subject)), id)"),
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
    for name, _table, _columns in [*TRIGRAM, *BTREE]:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("crm", "0004_input_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="thread",
            name="closed",
            field=models.BooleanField(default=False, verbose_name="closed"),
        ),
        migrations.AlterField(
            model_name="threadevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("status_changed", "Status changed"),
                    ("assigned", "Assigned"),
                    ("deadline_changed", "Deadline changed"),
                    ("order_linked", "Order linked"),
                    ("task_copied", "Task copied from a communication"),
                    ("counterparty_promoted", "Counterparty promoted"),
                    ("thread_closed", "Thread closed"),
                    ("thread_reopened", "Thread reopened"),
                ],
                max_length=32,
                verbose_name="kind",
            ),
        ),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
