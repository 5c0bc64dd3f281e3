"""One pass of everything due — re-queue dead workers' jobs, every due pass, every queued job —
then exit. For tests and for deployments that run workers from cron instead of as services."""

from django.core.management.base import BaseCommand

from jobs.runner import run_due


class Command(BaseCommand):
    help = "Run everything that is due (reminders, e-mails, digests, queued jobs) once, then exit."

    def handle(self, *args, **options) -> None:
        done = run_due()
        if options["verbosity"] >= 1:
            self.stdout.write(", ".join(f"{name}: {count}" for name, count in done.items()) or "nothing registered")
