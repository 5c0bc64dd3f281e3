"""Jobs the runner's tests enqueue (a job must be a module-level function)."""

import os
import time

from django.core.mail.backends.base import BaseEmailBackend

from jobs.backends import EmlFileBackend
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


class SlowEmlBackend(EmlFileBackend):
    """Marks that a send began (a file ``sending-<pid>``), waits SLOW_MAIL_SECONDS, then writes
    the .eml: the worker-process test kills the worker during the wait."""

    def send_messages(self, messages):
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / f"sending-{os.getpid()}").write_text("x")
        time.sleep(float(os.environ.get("SLOW_MAIL_SECONDS", "0")))
        return super().send_messages(messages)
