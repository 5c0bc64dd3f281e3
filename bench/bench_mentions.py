"""Saving a description with 20 mentions, one of them a department of 500 members.

Target (issue "Mentions"): under 150 ms server time and a fixed number of queries (bulk
inserts: one row per mention, one notification per person, each in a single INSERT).

Measured through crm.services.item_edit, as the edit page does:
- "all new": the description goes from no mentions to 20 (519 people told, rows inserted);
- "unchanged": the same text saved again (nothing written, nobody told);
- "one added": one more employee mentioned (only that one is told).
The after-commit websocket push (notifications.services) runs inside the measured call, as it
does in a request; a second table measures the rows-only part (push captured, not executed).
"""

import time
from unittest import mock

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.tables import Table, percentile

PREFIX = "bench-mention"
DEPARTMENT_SIZE = 500
REPEAT = 20


def _seed():
    from accounts.models import Department, User
    from crm.models import Counterparty, Order, Product

    author, _ = User.objects.get_or_create(username=f"{PREFIX}-author", defaults={"first_name": "Автор"})
    users = list(User.objects.filter(username__startswith=f"{PREFIX}-member-").order_by("pk"))
    if len(users) < DEPARTMENT_SIZE:
        unusable = make_password(None)  # nobody logs in as these
        User.objects.bulk_create(
            User(username=f"{PREFIX}-member-{i:04d}", first_name="Служител", last_name=f"№{i}", password=unusable)
            for i in range(len(users), DEPARTMENT_SIZE)
        )
        users = list(User.objects.filter(username__startswith=f"{PREFIX}-member-").order_by("pk"))
    department, created = Department.objects.get_or_create(name=f"{PREFIX} склад")
    if created or department.members.count() < DEPARTMENT_SIZE:
        department.members.clear()
        Department.members.through.objects.bulk_create(
            Department.members.through(department_id=department.pk, user_id=u.pk) for u in users
        )
    others = []
    for i in range(20):
        user, _ = User.objects.get_or_create(
            username=f"{PREFIX}-direct-{i:02d}", defaults={"first_name": "Пряк", "last_name": f"№{i}"}
        )
        others.append(user)
    counterparty, _ = Counterparty.objects.get_or_create(name=f"{PREFIX} клиент")
    orders = [
        Order.objects.get_or_create(
            number=f"SO-BENCH-M-{i}", defaults={"kind": "sales", "counterparty": counterparty, "date": "2026-01-01"}
        )[0]
        for i in range(4)
    ]
    products = [
        Product.objects.get_or_create(code=f"BENCH-M-{i}", defaults={"name": f"Продукт {i}"})[0] for i in range(4)
    ]
    return author, department, others, counterparty, orders, products


def _text(department, users, counterparty, orders, products) -> str:
    from mentions.selectors import mention_token

    # 20 mentions: the department, 10 employees, 4 orders, 4 products, 1 counterparty.
    targets = [department, *users[:10], *orders, *products, counterparty]
    assert len(targets) == 20
    return "Моля за внимание: " + ", ".join(mention_token(obj=t) for t in targets) + ".\nБлагодаря!"


def _save(task, author, description):
    from crm import services

    services.item_edit(item=task, actor=author, changes={"description": description})


def _time(fn, prepare=None, repeat=REPEAT):
    timings, queries = [], None
    for i in range(repeat + 1):
        if prepare is not None:
            prepare()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            fn()
            elapsed = (time.perf_counter() - started) * 1000
        if i == 0:
            queries = len(ctx.captured_queries)  # the first run warms caches; counted, not timed
            continue
        timings.append(elapsed)
    return {
        "p50": round(percentile(timings, 50), 1),
        "p95": round(percentile(timings, 95), 1),
        "max": round(max(timings), 1),
        "queries": queries,
    }


def run() -> list[Table]:
    from crm.models import Task, Thread
    from mentions.models import Mention
    from mentions.selectors import mention_search
    from notifications.models import Notification

    author, department, others, counterparty, orders, products = _seed()
    # Rows made directly (not numbered by the services): the bench measures the edit only.
    thread, _ = Thread.objects.get_or_create(
        number="TH-BENCH-MENTIONS", defaults={"subject": f"{PREFIX}: нишка", "author": author}
    )
    task, _ = Task.objects.get_or_create(
        number="T-BENCH-MENTIONS", defaults={"subject": f"{PREFIX}: задача", "thread": thread, "author": author}
    )
    text = _text(department, others, counterparty, orders, products)
    plus_one = text + " " + f"@{others[15].username}"

    def reset():
        # Back to "no mentions yet", outside the timing.
        Mention.objects.filter(source_id=task.pk).delete()
        Notification.objects.filter(actor=author).delete()
        task.description = ""

    def first_save():
        _save(task, author, text)

    def reset_to_text():
        task.description = text

    def unchanged():
        _save(task, author, text)

    def add_one():
        _save(task, author, plus_one)

    def back_to_text():
        _save(task, author, text)

    rows = []
    result = _time(first_save, prepare=reset)
    told = Notification.objects.filter(actor=author, kind="mention").count()
    rows.append(["20 mentions, all new (dept of 500)", told, *(result[k] for k in ("p50", "p95", "max", "queries"))])
    first_save()
    result = _time(unchanged, prepare=reset_to_text)
    rows.append(["same text saved again", 0, result["p50"], result["p95"], result["max"], result["queries"]])
    result = _time(add_one, prepare=back_to_text)
    rows.append(["one employee added", 1, result["p50"], result["p95"], result["max"], result["queries"]])

    # Without the after-commit push (notifications' part, measured above): the rows only.
    with mock.patch("notifications.services.notification_push"):
        rows_only = _time(first_save, prepare=reset)

    search_rows = []
    for query, trigger in [("Мар", "@"), ("служ", "@"), ("SO", "#"), ("", "#")]:
        result = _time(lambda q=query, t=trigger: mention_search(query=q, trigger=t), repeat=50)
        search_rows.append([f"{trigger}{query}", result["p50"], result["p95"], result["queries"]])

    reset()
    return [
        Table(
            title="Mentions: saving a description (crm.services.item_edit, PostgreSQL)",
            columns=["case", "people told", "p50 ms", "p95 ms", "max ms", "queries"],
            rows=rows,
            note=(
                "Target: < 150 ms and a fixed number of queries. Includes the task update itself "
                "and the after-commit websocket push to every person told. "
                f"Rows only (push not run): p50 {rows_only['p50']} ms, p95 {rows_only['p95']} ms, "
                f"{rows_only['queries']} queries."
            ),
        ),
        Table(
            title="Mentions: autocomplete (mentions.selectors.mention_search)",
            columns=["typed", "p50 ms", "p95 ms", "queries"],
            rows=search_rows,
        ),
    ]
