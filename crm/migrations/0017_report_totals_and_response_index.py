"""The reports' day totals, backfilled as report_counts_rebuild does: CommunicationDayTotal (the
day counts summed over the assignees, one INSERT … SELECT … GROUP BY) and TaskDoneDayTotal (the
done tasks per Sofia date of done_at); and the response time's index by (assignee,
occurred_at) in place of the one by occurred_at alone. The day counts' (day) index goes: every
department reads the totals now. The rules are restated here (a migration must not import
service code that may change later)."""

from django.conf import settings
from django.db import migrations, models


LOCAL_DATE = {
    "postgresql": "(done_at AT TIME ZONE %(zone)s)::date",
    "sqlite": "django_datetime_cast_date(done_at, %(zone)s, 'UTC')",
}


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO crm_communicationdaytotal (day, direction, n) "
            "SELECT day, direction, SUM(n) FROM crm_communicationdaycount GROUP BY day, direction"
        )
        cursor.execute(
            "INSERT INTO crm_taskdonedaytotal (day, n) "  # noqa: S608 - our SQL
            f"SELECT {LOCAL_DATE[connection.vendor]}, COUNT(*) FROM crm_task WHERE done_at IS NOT NULL GROUP BY 1",
            {"zone": settings.TIME_ZONE},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0016_report_counts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CommunicationDayTotal",
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
                "verbose_name": "communications of a day, every assignee",
                "verbose_name_plural": "communications of a day, every assignee",
            },
        ),
        migrations.CreateModel(
            name="TaskDoneDayTotal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(unique=True, verbose_name="day")),
                ("n", models.IntegerField(default=0, verbose_name="count")),
            ],
            options={
                "verbose_name": "tasks done on a day",
                "verbose_name_plural": "tasks done on a day",
            },
        ),
        migrations.RemoveIndex(
            model_name="communication",
            name="comm_in_answered",
        ),
        migrations.RemoveIndex(
            model_name="communicationdaycount",
            name="comm_day_count_day",
        ),
        migrations.AddIndex(
            model_name="communication",
            index=models.Index(
                condition=models.Q(("direction", "in")),
                fields=["assignee", "occurred_at"],
                include=("answered_at",),
                name="comm_in_assignee_answered",
            ),
        ),
        migrations.AddConstraint(
            model_name="communicationdaytotal",
            constraint=models.UniqueConstraint(fields=("day", "direction"), name="comm_day_total"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
