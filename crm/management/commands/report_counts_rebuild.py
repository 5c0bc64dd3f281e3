"""Recompute the reports' stored counts from the base tables (crm.services.report_counts): after
rows were written past the services (a COPY, a restore, a manual fix). The write path keeps them
otherwise: ``python manage.py report_counts_rebuild``."""

from django.core.management.base import BaseCommand

from crm.services.report_counts import report_counts_rebuild


class Command(BaseCommand):
    help = "Recompute the reports' day counts of communications and the done moments of tasks."

    def handle(self, *args, **options):
        written = report_counts_rebuild()
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in written.items()))
