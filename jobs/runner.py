"""The job runner: django-tasks with its database backend, plus what it lacks — retries, jobs of a
dead worker run again, and one pass of everything due (``run_due``).

Define a job (a module-level function; its arguments are JSON: ids, not objects)::

    from jobs.runner import job, enqueue_on_commit

    @job(retries=5)
    def mail_send(*, mail_id: int) -> None: ...

    enqueue_on_commit(mail_send, mail_id=mail.pk)   # in the service that wrote the row

A job must be idempotent: it may run again after a crash or a retry. Durable state (was it sent?)
lives in the job's own rows, claimed with compare-and-set, never in the queue.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus

logger = logging.getLogger(__name__)

RETRY_BACKOFF_SECONDS = 30


def job(*, retries: int = 5, queue_name: str = "default", priority: int = 0) -> Callable:
    """A django-tasks task that is tried again on failure: ``retries`` more times, 30 s, 60 s,
    120 s … later (a new queue row each time; ``_attempt`` counts them)."""

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def run(*args, _attempt: int = 1, **kwargs):
            try:
                return function(*args, **kwargs)
            except Exception:
                if _attempt <= retries:
                    delay = timedelta(seconds=RETRY_BACKOFF_SECONDS * 2 ** (_attempt - 1))
                    wrapped.using(run_after=timezone.now() + delay).enqueue(*args, _attempt=_attempt + 1, **kwargs)
                    logger.warning("job %s failed (attempt %d); tried again in %s", function.__name__, _attempt, delay)
                raise

        wrapped = task(queue_name=queue_name, priority=priority)(run)
        return wrapped

    return decorate


def enqueue_on_commit(job_task, /, *args, **kwargs) -> None:
    """Queue ``job_task`` once the current transaction commits (never for a rolled-back change)."""
    transaction.on_commit(lambda: job_task.enqueue(*args, **kwargs))


def requeue_stale(*, now: datetime) -> int:
    """Jobs left "running" by a worker that died (killed, machine lost) are ready again.

    A job that really runs longer than JOBS_STALE_AFTER_SECONDS would run twice: jobs are short
    and idempotent, and what they send is claimed in their own rows (jobs/mail.py)."""
    from django_tasks_db.models import DBTaskResult

    cutoff = now - timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)
    return DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff).update(
        status=TaskResultStatus.READY, started_at=None
    )


def batch_worker_options(*, worker_id: str, max_tasks: int | None = None) -> dict:
    """db_worker's Worker in batch mode over every queue (it returns once nothing is ready):
    how run_due and the jobs_worker command both build it."""
    return {
        "queue_names": ["*"],
        "interval": 0,
        "batch": True,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": max_tasks,
        "worker_id": worker_id,
        "excluded_queue_names": [],
    }


def run_queued(*, worker_id: str = "run_due", max_tasks: int | None = None) -> int:
    """Run every queued job that is ready, then return how many ran.

    db_worker's own claim (``select_for_update(skip_locked=True)`` in an exclusive transaction)
    and its ``run_task``, without its loop: the loop closes "old" connections, which would close
    the connection of a caller inside a transaction (a test, a management command in atomic)."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    worker = Worker(**batch_worker_options(worker_id=worker_id, max_tasks=max_tasks))
    ran = 0
    while max_tasks is None or ran < max_tasks:
        ready = DBTaskResult.objects.ready().filter(backend_name="default")
        with exclusive_transaction(ready.db):
            task_result = ready.get_locked()
            if task_result is not None:
                task_result.claim(worker_id)
        if task_result is None:
            return ran
        worker.run_task(task_result)
        ran += 1
    return ran


def run_due(*, now: datetime | None = None) -> dict[str, int]:
    """One pass of everything due: stale jobs re-queued, every due pass, then the queued jobs."""
    from jobs.registry import run_due_passes

    now = now or timezone.now()
    requeue_stale(now=now)
    done = run_due_passes(now=now)
    run_queued()
    return done
