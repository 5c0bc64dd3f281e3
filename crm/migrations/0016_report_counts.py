"""The reports' stored counts (crm.services.report_counts): the communications of each day per
direction and assignee, and Task.done_at, both filled for the stored rows by set-based
statements — the rules of report_counts_rebuild restated here (a migration must not import code
that may change later): one INSERT … SELECT … GROUP BY, and one UPDATE of the done tasks (their
last STATUS_CHANGED → done event, their creation if they were created done)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce

LOCAL_DATE = {
    "postgresql": "(created_at AT TIME ZONE %(zone)s)::date",
    "sqlite": "django_datetime_cast_date(created_at, %(zone)s, 'UTC')",
}


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO crm_communicationdaycount (day, direction, assignee_id, n) "  # noqa: S608 - our SQL
            f"SELECT {LOCAL_DATE[connection.vendor]}, direction, assignee_id, COUNT(*) "
            "FROM crm_communication GROUP BY 1, 2, 3",
            {"zone": settings.TIME_ZONE},
        )
    Task = apps.get_model("crm", "Task")
    ThreadEvent = apps.get_model("crm", "ThreadEvent")
    last_done = (
        ThreadEvent.objects.filter(task_id=OuterRef("pk"), kind="status_changed", data__new="done")
        .order_by()
        .values("task_id")
        .annotate(at=Max("created_at"))
        .values("at")
    )
    Task.objects.filter(status="done").update(done_at=Coalesce(Subquery(last_done), F("created_at")))
    if connection.vendor == "postgresql":  # the planner's statistics of the new rows (what autovacuum does later)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE crm_communicationdaycount")
            cursor.execute("ANALYZE crm_task")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0015_number_prefix_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CommunicationDayCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="day")),
                (
                    "direction",
                    models.CharField(
                        choices=[("in", "Incoming"), ("out", "Outgoing")], max_length=3, verbose_name="direction"
                    ),
                ),
                ("n", models.IntegerField(default=0, verbose_name="count")),
            ],
            options={
                "verbose_name": "communications of a day",
                "verbose_name_plural": "communications of a day",
            },
        ),
        migrations.AddField(
            model_name="task",
            name="done_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="done at"),
        ),
        migrations.AddField(
            model_name="communicationdaycount",
            name="assignee",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="communicationdaycount",
            constraint=models.UniqueConstraint(
                condition=models.Q(("assignee__isnull", False)),
                fields=("day", "direction", "assignee"),
                name="comm_day_count_assignee",
            ),
        ),
        migrations.AddConstraint(
            model_name="communicationdaycount",
            constraint=models.UniqueConstraint(
                condition=models.Q(("assignee__isnull", True)),
                fields=("day", "direction"),
                name="comm_day_count_nobody",
            ),
        ),
        # After the table and its unique indexes, before the index on done_at (the UPDATE need not
        # maintain it).
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="communicationdaycount",
            index=models.Index(fields=["day"], include=("direction", "n"), name="comm_day_count_day"),
        ),
        migrations.AddIndex(
            model_name="communicationdaycount",
            index=models.Index(fields=["assignee", "day"], include=("direction", "n"), name="comm_day_count_member"),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("done_at__isnull", False)),
                fields=["done_at"],
                include=("assignee",),
                name="task_done_at",
            ),
        ),
    ]
