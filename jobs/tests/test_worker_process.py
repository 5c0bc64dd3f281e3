"""A real worker process (``manage.py jobs_worker``) runs the job a request queued — a task
assigned to someone who chose "e-mail at once", with no delay: the job that mails it — and,
killed in the middle of sending, loses nothing and sends nothing twice once a worker runs again."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jobs.models import OutgoingMail
from notifications.models import Channel, Preference

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
STALE_SECONDS = 10  # the smallest JOBS_STALE_AFTER_SECONDS allows


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(outbox: Path, *, slow_seconds: float) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url(),
        "TEST_EMAIL_BACKEND": "jobs.tests.sample_jobs.SlowEmlBackend",
        "EMAIL_OUTBOX_DIR": str(outbox),
        "SLOW_MAIL_SECONDS": str(slow_seconds),
        "NOTIFY_EMAIL_DELAY_MINUTES": "0",
        "JOBS_DUE_INTERVAL_SECONDS": "1",
        "JOBS_STALE_AFTER_SECONDS": str(STALE_SECONDS),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "jobs_worker", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(client, user, petar, tmp_path, settings_override):
    petar.email = "petar@example.bg"
    petar.save()
    Preference.objects.create(user=petar, kind="assignment", channel=Channel.EMAIL)
    client.force_login(user)
    response = client.post(
        "/tasks/new/",
        {"subject": "Обади се на клиента", "assignee": petar.pk, "status": "assigned", "counterparty_name": ""},
    )
    assert response.status_code == 302
    # The request queued the job that mails it (e-mail at once, no delay here).
    [queued] = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert queued.task_path == "notifications.mailing.email_pass_job"

    first = start_worker(tmp_path, slow_seconds=120)
    try:
        wait_for(lambda: list(tmp_path.glob("sending-*")), timeout=60, what="the first worker to start sending")
        first.send_signal(signal.SIGKILL)  # no clean-up of any kind
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    [mail] = OutgoingMail.objects.all()
    assert mail.sent_at is None and mail.claimed_at is not None
    assert list(tmp_path.glob("*.eml")) == []

    second = start_worker(tmp_path, slow_seconds=0)
    try:
        wait_for(
            lambda: OutgoingMail.objects.filter(sent_at__isnull=False).exists(),
            timeout=STALE_SECONDS + 60,
            what="the second worker to send the mail",
        )
        time.sleep(3)  # several more due rounds: nothing more may leave
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0, second.stderr.read().decode()
    [eml] = tmp_path.glob("*.eml")
    assert b"petar@example.bg" in eml.read_bytes()
    assert OutgoingMail.objects.get().attempts == 2


@pytest.fixture
def settings_override(settings):
    settings.NOTIFY_EMAIL_DELAY_MINUTES = 0  # the request's process decides when the row is due
    return settings
