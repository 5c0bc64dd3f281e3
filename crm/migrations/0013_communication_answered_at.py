"""answered_at on incoming communications (the reports' response time), filled for the stored
rows by one set-based UPDATE (the rule of crm.services.communications.communication_answers_refresh,
restated here: a migration must not import code that may change later), and the reports' indexes."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery


def backfill(apps, schema_editor):
    Communication = apps.get_model("crm", "Communication")
    answer = (
        Communication.objects.filter(thread_id=OuterRef("thread_id"), direction="out")
        .filter(
            Q(occurred_at__gt=OuterRef("occurred_at")) | Q(occurred_at=OuterRef("occurred_at"), id__gt=OuterRef("id"))
        )
        .order_by("occurred_at", "id")
        .values("occurred_at")[:1]
    )
    Communication.objects.filter(direction="in").update(answered_at=Subquery(answer))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0012_calendar_feed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="communication",
            name="answered_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="answered at"),
        ),
        # Before the new indexes: the UPDATE does not have to maintain them.
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="communication",
            index=models.Index(
                condition=models.Q(("direction", "in")),
                fields=["occurred_at"],
                include=("assignee", "answered_at"),
                name="comm_in_answered",
            ),
        ),
        migrations.AddIndex(
            model_name="communication",
            index=models.Index(fields=["created_at", "direction"], name="comm_created_direction"),
        ),
    ]
