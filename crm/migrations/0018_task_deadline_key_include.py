"""crm_task_deadline_key (migration 0002) also carries ``deadline``, ``status`` and
``assignee_id``, so a walk of the tasks in deadline order is answered from the index alone.

- PostgreSQL only uses an expression index for an index-only scan when every column the
  expression reads is in the index too (``deadline``). The window's edge of the board and of the
  task list sorted by deadline (the 5 000th task in that order) then reads no table pages:
  9 ms → 0.8 ms on the bench's 300 000 tasks.
- The window walk of a board column (``status = …``) for a department (``assignee_id IN …``)
  filters on the index's own columns: the columns of few open tasks among many done ones read
  5 000 table rows each before; 9–16 ms → ~1 ms each (docs/benchmarks.md, "Board").

PostgreSQL only, as 0002; the name stays (the planner's tests look for it)."""

from django.db import migrations

KEY = "(COALESCE(deadline, '9999-12-31 00:00:00+00'::timestamp with time zone))"


def _replace(schema_editor, include: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute("DROP INDEX CONCURRENTLY IF EXISTS crm_task_deadline_key_next")
    execute(f"CREATE INDEX CONCURRENTLY crm_task_deadline_key_next ON crm_task ({KEY}, id){include}")
    execute("DROP INDEX CONCURRENTLY IF EXISTS crm_task_deadline_key")
    execute("ALTER INDEX crm_task_deadline_key_next RENAME TO crm_task_deadline_key")


def forwards(apps, schema_editor):
    _replace(schema_editor, " INCLUDE (deadline, status, assignee_id)")


def backwards(apps, schema_editor):
    _replace(schema_editor, "")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("crm", "0017_report_totals_and_response_index"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
