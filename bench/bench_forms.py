"""Create and edit forms (issue 13 target: "create/edit forms p95 < 50 ms").

`.venv/bin/python bench/run.py forms` on the lists bench database (bench_lists seeds it; run
``lists`` once first). Through ``django.test.Client`` (server time, no network), signed in as an
employee who may create everything:

- GET of each new form (communication, task, thread) and of the edit form of one row of each;
- POST of each new form as a person sends it: the form is fetched, every field it renders is sent
  back with its value (the CSRF and submit tokens included, CSRF checks on), a subject and a
  free-text counterparty name typed in; the answer must be the redirect to the new row.

p50/p95/max over 30 requests after 3 warm-ups (a POST's own time: the GET before it is not
counted), the Django process's CPU time per request (median), the queries of one request, the
HTML size of a GET, the 1-minute load average.
"""

from __future__ import annotations

import os
import statistics
import time
from html.parser import HTMLParser

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.tables import Table, percentile

REPEAT = 30
WARMUP = 3


class _FormFields(HTMLParser):
    """The values a browser would submit for each ``<form method="post">`` of a page."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._in_form, self.fields = True, {}
            self.forms.append(self.fields)
        if not self._in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            if kind in {"file", "submit", "button"}:
                return
            self.fields[name] = attrs.get("value") or ("on" if kind == "checkbox" else "")
        elif tag == "select" and name:
            self._select, self._select_value = name, None
        elif tag == "option" and self._select:
            if self._select_value is None or "selected" in attrs:
                self._select_value = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            self.fields[self._select] = self._select_value or ""
            self._select = None
        elif tag == "textarea" and self._textarea:
            # A browser drops the newline that follows <textarea> (HTML's parsing rules).
            self.fields[self._textarea] = self.fields[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def form_fields(html: str) -> dict[str, str]:
    """The fields of the page's main form: the POST form with the most fields (not the header's
    sign-out or language forms)."""
    parser = _FormFields()
    parser.feed(html)
    return max(parser.forms, key=len)


def _timed(fn, *, repeat: int = REPEAT, warmup: int = WARMUP) -> dict:
    for _ in range(warmup):
        fn()
    timings, cpu = [], []
    for _ in range(repeat):
        wall, own = fn()
        timings.append(wall)
        cpu.append(own)
    return {
        "cpu": round(statistics.median(cpu), 1),
        "p50": round(statistics.median(timings), 1),
        "p95": round(percentile(timings, 95), 1),
        "max": round(max(timings), 1),
    }


def _get_ms(client: Client, url: str):
    def run() -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return elapsed, (time.process_time() - cpu) * 1000

    return run


def _post_ms(client: Client, url: str, typed: dict[str, str], counter: list[int]):
    """GET the form (not timed), POST it back (timed); the answer must be a redirect."""

    def run() -> tuple[float, float]:
        fields = form_fields(client.get(url).content.decode())
        counter[0] += 1
        data = {**fields, **{k: v.format(n=counter[0]) for k, v in typed.items()}}
        started, cpu = time.perf_counter(), time.process_time()
        response = client.post(url, data, HTTP_REFERER=f"http://testserver{url}")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 302, (url, response.status_code, response.content[:3000])
        return elapsed, (time.process_time() - cpu) * 1000

    return run


def form_urls(manager) -> dict[str, str]:
    """The new forms, and the edit form of the first row of each kind ``manager`` wrote (an
    author may edit it): a seeded row, whose ids come first, not one this bench's POSTs made
    (which would make the edit case differ between runs)."""
    from crm.models import Communication, Task, Thread

    def latest(model) -> int:
        return model.objects.filter(author=manager).order_by("id").values_list("pk", flat=True)[0]

    return {
        "new communication": "/communications/new/",
        "new task": "/tasks/new/",
        "new thread": "/threads/new/",
        "edit communication": f"/communications/{latest(Communication)}/edit/",
        "edit task": f"/tasks/{latest(Task)}/edit/",
        "edit thread": f"/threads/{latest(Thread)}/edit/",
    }


def run() -> list[Table]:
    from accounts.models import User

    assert connection.vendor == "postgresql", "the forms bench needs PostgreSQL (DATABASE_URL)"
    manager = User.objects.get(username="bench_000")
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    typed = {"subject": "Бенч форма {n}", "counterparty_name": "Физическо лице Бенч"}
    counter = [0]
    cases = [(f"GET {label}", url, None) for label, url in form_urls(manager).items()] + [
        ("POST new communication", "/communications/new/", typed),
        ("POST new task", "/tasks/new/", typed),
        ("POST new thread", "/threads/new/", typed),
    ]
    table = Table(
        "Forms: create and edit (server time through the Django test client)",
        ["case", "url", "p50 ms", "p95 ms", "max ms", "app CPU ms", "queries", "KB", "load"],
        note=(
            f"{REPEAT} requests after {WARMUP} warm-ups; a POST is timed alone (the GET that fetches its tokens "
            "is not), it creates a row and must answer with the redirect to it. ⚠: p95 over the 50 ms target. "
            "app CPU: median CPU time of the Django process per request (what a busy machine does not inflate). "
            "load: 1-minute load average before the case."
        ),
    )
    for label, url, post in cases:
        load = os.getloadavg()[0]
        if post is None:
            fn = _get_ms(client, url)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            size = f"{len(response.content) / 1024:.0f}"
        else:
            fn = _post_ms(client, url, post, counter)
            fields = form_fields(client.get(url).content.decode())
            counter[0] += 1
            with CaptureQueriesContext(connection) as ctx:
                response = client.post(
                    url, {**fields, **{k: v.format(n=counter[0]) for k, v in post.items()}}, HTTP_REFERER=url
                )
            assert response.status_code == 302, (url, response.status_code)
            size = ""
        queries = len(ctx.captured_queries)
        result = _timed(fn)
        flag = "" if result["p95"] < 50 else " ⚠"
        table.rows.append(
            [
                label,
                f"`{url}`",
                result["p50"],
                f"{result['p95']}{flag}",
                result["max"],
                result["cpu"],
                queries,
                size,
                f"{load:.1f}",
            ]
        )
    return [table]
