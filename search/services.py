"""Keeping the index current. Called by the write path of the app that owns an object (its
services, after the save, in the same transaction), never by signals: a bulk update that
bypasses the services is followed by ``index_update_many`` or ``manage.py search_rebuild``.

``index_update(obj)`` costs one statement on SQLite's side two more (the FTS row), on
PostgreSQL one more (the word list for typos); docs/benchmarks.md has the measured cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction

from search import registry
from search.backends import EPOCH, backend
from search.models import SearchDocument
from search.text import identifier_tokens
from search.types import Document

REBUILD_BATCH = 2000


def _row(key: str, pk: int, document: Document) -> SearchDocument:
    return SearchDocument(
        kind=key,
        object_id=pk,
        number=(document.number or "")[:64],
        title=document.title or "",
        names="\n".join([*(n for n in document.names if n), identifier_tokens(document.references)]).strip(),
        body=document.body or "",
        identifiers=identifier_tokens((document.number, *document.identifiers)),
        counterparty=(document.counterparty or "")[:255],
        status=(document.status or "")[:32],
        date=document.date,
        sort_date=document.date or EPOCH,
    )


def _entry(obj) -> registry.Searchable:
    entry = registry.for_model(type(obj))
    if entry is None:
        raise LookupError(f"search: {type(obj).__name__} is not registered")
    return entry


def index_update_many(objects: Iterable) -> int:
    """(Re)index ``objects`` (registered models, any mix): one write per backend table."""
    rows = []
    for obj in objects:
        entry = _entry(obj)
        rows.append(_row(entry.key, obj.pk, entry.document(obj)))
    backend().update(rows)
    return len(rows)


def index_update(obj) -> None:
    index_update_many([obj])


def index_remove(obj) -> None:
    index_remove_ids(type(obj), [obj.pk])


def index_remove_ids(model, ids: Iterable[int]) -> None:
    entry = registry.for_model(model)
    ids = [pk for pk in ids if pk is not None]
    if entry is not None and ids:
        backend().remove(entry.key, ids)


def index_rebuild(*, kinds: Iterable[str] | None = None, progress: Callable[[str, int], None] | None = None) -> dict:
    """Drop and rebuild the documents of ``kinds`` (all registered by default) from their rows,
    in batches of REBUILD_BATCH, each kind in one transaction. Returns {kind: documents}."""
    chosen = [e for e in registry.entries() if kinds is None or e.key in set(kinds)]
    counts = {}
    for entry in chosen:
        with transaction.atomic():
            backend().clear(entry.key)
            count, batch = 0, []
            for obj in entry.queryset().order_by("pk").iterator(chunk_size=REBUILD_BATCH):
                batch.append(_row(entry.key, obj.pk, entry.document(obj)))
                if len(batch) >= REBUILD_BATCH:
                    backend().update(batch)
                    count += len(batch)
                    batch = []
                    if progress is not None:
                        progress(entry.key, count)
            backend().update(batch)
            counts[entry.key] = count + len(batch)
    return counts
