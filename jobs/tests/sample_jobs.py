"""Jobs the runner's tests enqueue (a job must be a module-level function)."""

from django.core.mail.backends.base import BaseEmailBackend

from jobs.runner import job

RUNS: list[str] = []
FAIL_TIMES: dict[str, int] = {}


@job()
def record(*, key: str) -> None:
    RUNS.append(key)


@job(retries=2)
def flaky(*, key: str) -> None:
    if FAIL_TIMES.get(key, 0) > 0:
        FAIL_TIMES[key] -= 1
        raise RuntimeError("not this time")
    RUNS.append(key)


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("refused")
