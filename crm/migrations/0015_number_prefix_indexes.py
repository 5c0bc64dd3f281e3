"""B-tree indexes for a number typed from its start (PostgreSQL only, nothing on SQLite).

The number filter matches ``LOWER(number)::text LIKE 'in-2025-0123%'`` when the typed part can
only be the start of a number (crm.filters.number_part_is_a_start). ``text_pattern_ops`` lets a
B-tree answer a LIKE with a fixed start whatever the database's collation; the trigram index of
migration 0002 stays for the parts typed from the middle ("0123", "2025-01").

Built CONCURRENTLY (the migration is not atomic), as migration 0002; not in the models' Meta
(Django cannot express an opclass on an expression portably), so makemigrations never sees them.
"""

from django.db import migrations

INDEXES = [
    ("crm_comm_number_prefix", "crm_communication"),
    ("crm_task_number_prefix", "crm_task"),
    ("crm_thread_number_prefix", "crm_thread"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ((LOWER(number)) text_pattern_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("crm", "0014_task_open_created"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
