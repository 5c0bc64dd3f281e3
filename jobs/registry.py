"""Due passes: periodic work kept as rows with a due time, claimed safely by whoever runs first.

django-tasks has no scheduler (django-tasks #259). Instead every app registers a *due pass* — a
function that finds the rows due at ``now`` (one indexed query when idle), claims a batch with a
compare-and-set update (or ``select_for_update(skip_locked=True)``), does the work and returns
how many it handled. ``run_due`` runs every pass once; each worker runs them every
``JOBS_DUE_INTERVAL_SECONDS``. Several workers may run the same pass at once: the claim decides
who does each row, so nothing is done twice::

    registry.register_due_pass(name="reminders", run=reminders_pass)   # in AppConfig.ready

A pass must be idempotent and must claim before it acts (see jobs/mail.py ``outbox_pass``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DuePass:
    name: str
    run: Callable[..., int]  # run(*, now: datetime) -> rows handled
    order: int = 100


_passes: dict[str, DuePass] = {}


def register_due_pass(*, name: str, run: Callable[..., int], order: int = 100) -> DuePass:
    """Register (or replace: reloads and tests do it) the pass ``name``; lower ``order`` runs first."""
    due_pass = DuePass(name=name, run=run, order=order)
    _passes[name] = due_pass
    return due_pass


def due_passes() -> list[DuePass]:
    return sorted(_passes.values(), key=lambda p: (p.order, p.name))


def run_due_passes(*, now: datetime) -> dict[str, int]:
    """Every pass once, in order; a failing pass is logged and does not stop the others."""
    done = {}
    for due_pass in due_passes():
        try:
            done[due_pass.name] = due_pass.run(now=now)
        except Exception:
            logger.exception("due pass %s failed; its rows stay due", due_pass.name)
            done[due_pass.name] = -1
    return done
