"""The search index: documents and the word list; on PostgreSQL the ``bulgarian`` configuration
(search/postgres.py: degrades to ``simple`` with a warning when hunspell-bg is missing), the
generated weighted vector and its GIN/trigram indexes; on SQLite the FTS5 table."""

from django.db import migrations, models

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "title, names, body, identifiers, tokenize = 'unicode61 remove_diacritics 0')"
)


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        from search import postgres

        postgres.configure(connection)
        postgres.create_objects(connection)
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(SQLITE_FTS)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS vector")
        elif connection.vendor == "sqlite":
            cursor.execute("DROP TABLE IF EXISTS search_fts")


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=32)),
                ("object_id", models.BigIntegerField()),
                ("number", models.CharField(blank=True, max_length=64)),
                ("title", models.TextField(blank=True)),
                ("names", models.TextField(blank=True)),
                ("body", models.TextField(blank=True)),
                ("identifiers", models.TextField(blank=True)),
                ("counterparty", models.CharField(blank=True, max_length=255)),
                ("status", models.CharField(blank=True, max_length=32)),
                ("date", models.DateTimeField(blank=True, null=True)),
                ("sort_date", models.DateTimeField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("kind", "object_id"), name="searchdocument_kind_object")
                ],
                "indexes": [models.Index(fields=["kind", "-sort_date", "-id"], name="searchdocument_kind_date")],
            },
        ),
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("word", models.CharField(max_length=64, unique=True)),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
