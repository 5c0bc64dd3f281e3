"""What every list page pays besides its rows (issue 13, branch ``layout``): the navbar and its
bell, the filter form's widgets, the layout's two per-request queries. Each change against what it
replaced, interleaved in one process (A, B, A, B… then B, A…), CPU ms per request
(time.process_time: this process only, so the machine's load weighs on both sides alike).

- **navbar + bell**: the navbar and bell templates as they were (kept in crm/tests/test_layout.py)
  against ``{% navbar %}`` (crm/templatetags/layout.py), rendered for the same request;
- **widgets**: whole list pages with config.renderers drawing the widgets in Python against the
  same pages with every widget sent to Django's templates (``DRAW`` emptied);
- **compiled queries**: whole list pages with the bell's query and the permission check compiled
  once (config.compiled) against the same querysets built and compiled by the ORM each time;
- **filter form class once**: whole list pages with the filter set's form class made once per
  class (crm.filters.ListFilterSet.get_form_class) against django-filter's, made per request.

``bench/run.py layout`` (needs the lists bench's seed: ``bench/run.py lists`` first).
BENCH_LAYOUT_ROUNDS (default 60) rounds per side.
"""

from __future__ import annotations

import os
import statistics
import time
from contextlib import contextmanager

from django.test import Client, RequestFactory

from bench.tables import Table

PAGES = ["/communications/", "/tasks/", "/threads/", "/communications/?status=assigned&channel=email"]


def _ab(side_a, side_b, rounds: int) -> tuple[float, float]:
    """Median CPU ms of ``side_a()`` and ``side_b()``, alternating which goes first."""
    times = {"a": [], "b": []}
    for _ in range(3):
        side_a(), side_b()
    for i in range(rounds):
        for side in ("a", "b") if i % 2 == 0 else ("b", "a"):
            fn = side_a if side == "a" else side_b
            started = time.process_time()
            fn()
            times[side].append((time.process_time() - started) * 1000)
    return statistics.median(times["a"]), statistics.median(times["b"])


@contextmanager
def _templates_for_widgets(on: bool):
    from config import renderers

    saved = dict(renderers.DRAW)
    if on:
        renderers.DRAW.clear()
    try:
        yield
    finally:
        renderers.DRAW.update(saved)


@contextmanager
def _form_class_per_request(on: bool):
    """django-filter's own get_form_class: the form class and its fields made for every request."""
    import django_filters

    from crm.filters import ListFilterSet

    saved = ListFilterSet.__dict__["get_form_class"]
    if on:
        ListFilterSet.get_form_class = django_filters.FilterSet.get_form_class
    try:
        yield
    finally:
        ListFilterSet.get_form_class = saved


@contextmanager
def _orm_for_layout_queries(on: bool):
    """The bell's query and the permission check as the ORM builds them on each call."""
    import accounts.models
    from notifications import selectors

    bell, perms = selectors._BELL.run, accounts.models._PERMISSIONS.run
    if on:
        selectors._BELL.run = lambda user_id: list(selectors._bell_queryset(user_id))
        accounts.models._PERMISSIONS.run = lambda user_id: list(accounts.models._permissions_queryset(user_id=user_id))
    try:
        yield
    finally:
        selectors._BELL.run, accounts.models._PERMISSIONS.run = bell, perms


def _row(name: str, a: float, b: float) -> list:
    return [name, round(a, 2), round(b, 2), f"{a / b:.2f}" if b else "", f"{os.getloadavg()[0]:.1f}"]


def run() -> list[Table]:
    from django.contrib.sessions.backends.db import SessionStore
    from django.template import engines
    from django.urls import resolve

    from accounts.models import User
    from crm.tests.test_layout import NEW, old_engine

    rounds = int(os.environ.get("BENCH_LAYOUT_ROUNDS", "60"))
    user = User.objects.filter(username__startswith="bench_", is_active=True).order_by("username").first()
    assert user is not None, "seed first: bench/run.py lists"

    def request():
        r = RequestFactory().get("/communications/?status=assigned")
        r.user = User.objects.get(pk=user.pk)  # a fresh user: no permission cache carried over
        r.session = SessionStore()
        r.resolver_match = resolve(r.path)
        return r

    old, new = old_engine().get_template("navbar.html"), engines["django"].from_string(NEW)
    rows = [
        _row(
            "navbar + bell (render only, 2 queries each side)",
            *_ab(lambda: old.render({}, request()), lambda: new.render({}, request()), rounds),
        )
    ]
    client = Client()
    client.force_login(user)
    for path in PAGES:

        def page(templates: bool, path=path) -> None:
            with _templates_for_widgets(templates):
                response = client.get(path)
            assert response.status_code == 200

        rows.append(_row(f"widgets: `{path}`", *_ab(lambda: page(True), lambda: page(False), rounds)))
    for path in PAGES:

        def orm_page(orm: bool, path=path) -> None:
            with _orm_for_layout_queries(orm):
                response = client.get(path)
            assert response.status_code == 200

        rows.append(_row(f"compiled queries: `{path}`", *_ab(lambda: orm_page(True), lambda: orm_page(False), rounds)))
    for path in PAGES:

        def form_page(per_request: bool, path=path) -> None:
            with _form_class_per_request(per_request):
                response = client.get(path)
            assert response.status_code == 200

        rows.append(
            _row(f"filter form class once: `{path}`", *_ab(lambda: form_page(True), lambda: form_page(False), rounds))
        )
    note = (
        f"In process (django.test.Client, bench settings, DEBUG=0), {rounds} rounds per side after 3 warm-up, "
        "alternating A/B then B/A; CPU = time.process_time of this process per request (or render), median. "
        "load: the 1-minute load average after the row."
    )
    return [
        Table(
            "Layout bench: each change against what it replaced (interleaved, CPU ms)",
            ["change", "A: before", "B: after", "A ÷ B", "load"],
            rows,
            note,
        )
    ]
