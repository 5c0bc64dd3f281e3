"""A job worker: django-tasks-db's ``db_worker`` loop, which also runs the due passes every
JOBS_DUE_INTERVAL_SECONDS and re-queues jobs of workers that died.

Run as many as you like, on any machines that share the database (README "Workers"): queued
jobs are claimed with ``select_for_update(skip_locked=True)`` by the backend, due rows by each
pass's own compare-and-set, so the workers never do the same thing twice."""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from jobs.registry import run_due_passes
from jobs.runner import batch_worker_options, requeue_stale

logger = logging.getLogger(__name__)


class DueWorker(Worker):
    """The backend's worker in batch mode (it returns once the queue is empty), wrapped in a loop
    that runs a due round at most every JOBS_DUE_INTERVAL_SECONDS — between jobs too, so a long
    queue does not hold reminders back."""

    next_due_round = 0.0

    def run_task(self, db_task_result) -> None:
        super().run_task(db_task_result)
        self.maybe_run_due()

    def maybe_run_due(self) -> None:
        if time.monotonic() < self.next_due_round:
            return
        self.next_due_round = time.monotonic() + settings.JOBS_DUE_INTERVAL_SECONDS
        close_old_connections()
        now = timezone.now()
        requeue_stale(now=now)
        run_due_passes(now=now)

    def serve(self, *, poll_seconds: float) -> None:
        logger.info("job worker %s started", self.worker_id)
        while self.running:
            self.maybe_run_due()
            self.run()
            if self.running:
                time.sleep(poll_seconds)


class Command(BaseCommand):
    help = "Run queued jobs and the due passes until stopped (SIGTERM finishes the current job)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
        parser.add_argument("--worker-id", default="", help="unique per worker (default: random)")

    def handle(self, *args, interval: float, worker_id: str, **options) -> None:
        # The backend logs each batch start and end at INFO: once a second when idle.
        logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
        worker = DueWorker(**batch_worker_options(worker_id=worker_id or get_random_string(32)))
        worker.configure_signals()
        worker.serve(poll_seconds=interval)
