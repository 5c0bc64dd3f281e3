"""The runner's own guarantees, on the real database backend: queued after commit, run by
run_due, retried on failure, re-run after a dead worker, mail sent once."""

import datetime

import pytest
from django.core import mail as django_mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from config.env import ImproperlyConfiguredEnv, email_from_url, site_url
from jobs import registry
from jobs.mail import mail_queue, mail_send_now
from jobs.models import OutgoingMail
from jobs.runner import enqueue_on_commit, run_due
from jobs.tests import sample_jobs

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "ssl", "user", "password"),
    [
        ("smtp://mail.example.com", "mail.example.com", 25, False, False, "", ""),
        ("smtp+starttls://u%40x.bg:p%2Fw@mail.example.com", "mail.example.com", 587, True, False, "u@x.bg", "p/w"),
        ("smtps://a:b@mail.example.com:2465", "mail.example.com", 2465, False, True, "a", "b"),
    ],
)
def test_email_url_schemes(url, host, port, tls, ssl, user, password):
    parsed = email_from_url(url)
    assert (parsed["EMAIL_HOST"], parsed["EMAIL_PORT"]) == (host, port)
    assert (parsed["EMAIL_USE_TLS"], parsed["EMAIL_USE_SSL"]) == (tls, ssl)
    assert (parsed["EMAIL_HOST_USER"], parsed["EMAIL_HOST_PASSWORD"]) == (user, password)


@pytest.mark.parametrize("url", ["http://x", "smtp://", "smtp://h:port", "smtp://h?timeout=soon"])
def test_malformed_email_url_fails_loudly(url):
    with pytest.raises(ImproperlyConfiguredEnv, match="EMAIL_URL"):
        email_from_url(url)


def test_site_url_must_be_an_origin(monkeypatch):
    monkeypatch.setenv("SITE_URL", "https://crm.example.com/")
    assert site_url("SITE_URL", "http://x") == "https://crm.example.com"
    monkeypatch.setenv("SITE_URL", "crm.example.com")
    with pytest.raises(ImproperlyConfiguredEnv, match="SITE_URL"):
        site_url("SITE_URL", "http://x")


def test_a_job_enqueued_after_commit_runs_once_in_run_due():
    sample_jobs.RUNS.clear()
    enqueue_on_commit(sample_jobs.record, key="a")  # autocommit: runs the callback at once
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1
    run_due()
    run_due()
    assert sample_jobs.RUNS == ["a"]
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL


def test_a_failing_job_is_tried_again_later_then_succeeds(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    sample_jobs.RUNS.clear()
    sample_jobs.FAIL_TIMES["b"] = 1
    sample_jobs.flaky.enqueue(key="b")
    run_due()
    assert sample_jobs.RUNS == []  # failed; the retry waits 30 s
    run_due()
    assert sample_jobs.RUNS == []
    time_machine.shift(datetime.timedelta(seconds=31))
    run_due()
    assert sample_jobs.RUNS == ["b"]
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED", "SUCCESSFUL"]


def test_a_job_left_running_by_a_dead_worker_runs_again_after_the_stale_time(time_machine, settings):
    time_machine.move_to(timezone.now(), tick=False)
    sample_jobs.RUNS.clear()
    result = sample_jobs.record.enqueue(key="c")
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim("dead-worker")  # as a worker does just before it is killed
    run_due()
    assert sample_jobs.RUNS == []
    time_machine.shift(datetime.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS + 1))
    run_due()
    assert sample_jobs.RUNS == ["c"]


def test_queued_mail_is_sent_once_however_often_it_is_tried():
    mail = mail_queue(to="x@example.com", subject="Здравей", text="текст", html="<p>текст</p>")
    run_due()
    run_due()
    assert mail_send_now(mail_id=mail.pk) is False
    assert len(django_mail.outbox) == 1
    message = django_mail.outbox[0]
    assert message.subject == "Здравей"
    assert message.extra_headers["Message-ID"] == mail.message_id
    mail.refresh_from_db()
    assert mail.sent_at is not None and mail.due_at is None and mail.attempts == 1


def test_a_failed_send_is_given_back_and_sent_by_a_later_pass(settings, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    settings.EMAIL_BACKEND = "jobs.tests.sample_jobs.BrokenBackend"
    mail = mail_queue(to="x@example.com", subject="s", text="t")
    run_due()
    mail.refresh_from_db()
    assert mail.sent_at is None and mail.claimed_at is None and "refused" in mail.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_due()
    assert len(django_mail.outbox) == 0  # not due again yet
    time_machine.shift(datetime.timedelta(minutes=6))
    run_due()
    assert len(django_mail.outbox) == 1


def test_eml_backend_writes_one_file_per_message(settings, tmp_path):
    settings.EMAIL_BACKEND = "jobs.backends.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    mail_queue(to="x@example.com", subject="Тема", text="тяло")
    run_due()
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1
    assert b"Subject: =?utf-8?" in files[0].read_bytes()


def test_run_due_command_runs_every_registered_pass(capsys):
    calls = []
    registry.register_due_pass(name="sample", run=lambda *, now: calls.append(now) or 1)
    try:
        call_command("run_due")
    finally:
        registry._passes.pop("sample")
    assert len(calls) == 1
    assert "sample: 1" in capsys.readouterr().out


def test_idle_outbox_pass_is_one_query(django_assert_num_queries):
    from jobs.mail import outbox_pass

    OutgoingMail.objects.all().delete()
    with django_assert_num_queries(1):
        assert outbox_pass(now=timezone.now()) == 0
