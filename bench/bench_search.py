"""Search bench: the index over 1 000 000 communications, 300 000 tasks, 100 000 threads and
20 000 counterparties (the lists bench's data, bench/bench_lists.py), on PostgreSQL.

`.venv/bin/python bench/run.py search`

1. Seeds with bench_lists.seed() (skipped when seeded), gives every tenth communication a
   description (mentions included), then rebuilds the index from scratch the way
   `manage.py search_rebuild` does (skipped when the index is complete): build time.
2. Index size: the documents table, its vector GIN, its trigram GIN, the word list.
3. p50/p95/max of ``search.selectors.search`` (all six kinds, five results each, as the /search/
   page asks) over 30 runs after 3 warm-ups: one word, three words, a whole number, a part of one,
   a typo — with the 1-minute load average beside each.
4. The write path: ``search.services.index_update`` of a communication (what every save adds).
"""

from __future__ import annotations

import os
import time

from django.db import connection

from bench import bench_lists
from bench.tables import Table, measure

DESCRIBED_EVERY = 10


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def _describe() -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE crm_communication SET description = "
            "'Клиентът пита за фактурите по ' || subject || '. Договорът е при #[SO-2026-00012](order:1).' "
            "WHERE id %% %s = 0 AND description = ''",
            [DESCRIBED_EVERY],
        )
    return time.perf_counter() - started


def _index_complete() -> bool:
    from crm.models import Communication, Task, Thread
    from search.models import SearchDocument

    expected = Communication.objects.count() + Task.objects.count() + Thread.objects.count()
    return SearchDocument.objects.filter(kind__in=["communication", "task", "thread"]).count() >= expected


def _size(relation: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size(%s)), pg_total_relation_size(%s)", [relation] * 2)
        pretty, _ = cursor.fetchone()
    return pretty


def _index_size(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_relation_size(%s))", [name])
        return cursor.fetchone()[0]


def run() -> list[Table]:
    from accounts.models import User
    from crm.models import Communication
    from search import selectors
    from search.services import index_rebuild, index_update

    assert connection.vendor == "postgresql", "the search bench needs PostgreSQL (DATABASE_URL)"
    seed_rows = bench_lists.seed()
    described = _describe()
    build = []
    if not _index_complete():
        started = time.perf_counter()
        counts = index_rebuild()
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE search_searchdocument")
            cursor.execute("VACUUM ANALYZE search_searchword")
        build = [[kind, count, ""] for kind, count in counts.items()]
        build.append(["rebuild total (manage.py search_rebuild's path)", sum(counts.values()), f"{seconds:.0f} s"])
    else:
        build.append(["rebuild", "index complete, skipped", ""])
    build.append(["descriptions set (every 10th communication)", "", f"{described:.1f} s"])
    build.append(["load average (1 min) after", "", _load()])

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_searchword")
        words = cursor.fetchone()[0]
    sizes = [
        ["search_searchdocument (table + all its indexes)", _size("search_searchdocument")],
        ["  GIN on the weighted vector", _index_size("search_document_vector")],
        ["  trigram GIN on identifiers", _index_size("search_document_identifiers_trgm")],
        [f"search_searchword ({words} words, trigram GIN)", _size("search_searchword")],
        ["for comparison: crm_communication", _size("crm_communication")],
    ]

    user = User.objects.get(username="bench_000")
    communication = Communication.objects.select_related("counterparty", "contact").order_by("-id")[1234]
    number = communication.number
    cases = [
        ("one word, frequent (рекламациите)", "рекламациите"),
        ("one word, rare (a counterparty name part)", "Хемус"),
        ("one word, inflected (договорът)", "договорът"),
        ("three words", "рекламация доставка столове"),
        ("whole number", number),
        ("part of a number (its sequence, zeros kept)", number.rsplit("-", 1)[1]),
        ("typo in a 6+ letter word (рекламацая)", "рекламацая"),
    ]
    rows = []
    for label, text in cases:
        result = measure(lambda text=text: selectors.search(user=user, text=text, per_kind=5), repeat=30)
        page = selectors.search(user=user, text=text, per_kind=5)
        shown = sum(len(g.results) for g in page.groups)
        timing = [result["p50"], result["p95"], result["max"], result["queries"]]
        rows.append([label, f"`{text}`", *timing, shown, _load()])

    write = measure(lambda: index_update(communication), repeat=50)
    write_rows = [
        ["index_update(communication): added to every save", *(write[k] for k in ("p50", "p95", "max", "queries"))]
    ]
    return [
        Table("Search bench: seeding (COPY)", ["step", "rows", "seconds"], seed_rows),
        Table("Search bench: building the index from scratch", ["kind", "documents", "time"], build),
        Table("Search bench: index size", ["relation", "size"], sizes),
        Table(
            "Search bench: /search/ overview (six kinds, five each), server time in ms",
            ["case", "query", "p50", "p95", "max", "queries", "results shown", "load avg (1 min)"],
            rows,
        ),
        Table("Search bench: write path, ms", ["what", "p50", "p95", "max", "queries"], write_rows),
    ]
