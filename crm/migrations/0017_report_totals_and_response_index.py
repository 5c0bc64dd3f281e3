"""The reports' day totals (CommunicationDayTotal: the day counts summed over the assignees,
backfilled from them by one INSERT … SELECT … GROUP BY, as report_counts_rebuild does), and the
response time's index by (assignee, occurred_at) in place of the one by occurred_at alone; the
day counts' (day) index goes: every department reads the totals now."""

from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO crm_communicationdaytotal (day, direction, n) "
            "SELECT day, direction, SUM(n) FROM crm_communicationdaycount GROUP BY day, direction"
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
        ),        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
