"""Reads: resolving what texts mention, "mentioned in", autocomplete, who a mention reaches.

Resolution is Zulip-style: a pure pre-scan (mentions.parsing) collects every token and plain
handle first, then one query per kind present looks them all up, however many there are (in
batches of ``registry.BATCH_SIZE`` ids or handles, so no statement outgrows SQLite's limit).
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from config.compiled import CompiledQuery
from config.db import UnicodeLower
from mentions import registry
from mentions.models import Mention
from mentions.parsing import Mentions, extract, token_for
from mentions.rules import mention_recipients
from mentions.types import MentionDiff, MentionText, Ref, Resolution, Target


def _target(entry: registry.Mentionable, obj) -> Target:
    description = entry.describe(obj)
    return Target(
        key=entry.key,
        pk=obj.pk,
        trigger=entry.trigger,
        label=description.label,
        url=description.url,
        hint=description.hint,
        chip_class=entry.chip_class,
        obj=obj,
    )


def _lookups(ids: set[int], handles: Iterable[str]) -> list[tuple[list[int], list[str]]]:
    """The ids and handles of one kind, as (ids, handles) per query: at most BATCH_SIZE of them
    together, so a few mentions take one query and 140,000 take a few hundred small ones."""
    items = [(0, pk) for pk in sorted(ids)] + [(1, name) for name in sorted(handles)]
    return [
        ([v for t, v in chunk if t == 0], [v for t, v in chunk if t == 1])
        for chunk in (items[i : i + registry.BATCH_SIZE] for i in range(0, len(items), registry.BATCH_SIZE))
    ]


def mention_resolve(*, mentions: Mentions) -> Resolution:
    """Look up everything ``mentions`` names: one query per kind present (plain handles share
    the query of their kind), one more per BATCH_SIZE ids or handles beyond the first. Unknown
    kinds, tokens whose trigger does not match their kind, and ids that no longer exist are left
    out (they render as their stored label)."""
    if not mentions:
        return Resolution()
    ids_by_key: dict[str, set[int]] = defaultdict(set)
    for key, pk in mentions.refs:
        if registry.get(key) is not None:
            ids_by_key[key].add(pk)
    handle_entry = registry.handle_entry() if mentions.handles else None
    if handle_entry is not None:
        ids_by_key.setdefault(handle_entry.key, set())

    targets: dict[Ref, Target] = {}
    handles: dict[str, Ref] = {}
    for key, ids in ids_by_key.items():
        entry = registry.get(key)
        wanted_handles = entry is handle_entry
        for chunk_ids, chunk_handles in _lookups(ids, mentions.handles if wanted_handles else ()):
            qs = entry.objects()
            conditions = []
            if chunk_ids:
                conditions.append(Q(pk__in=chunk_ids))
            if chunk_handles:
                qs = qs.alias(_m_handle=UnicodeLower(entry.handle_field))
                conditions.append(Q(_m_handle__in=chunk_handles))
            for obj in qs.filter(functools.reduce(operator.or_, conditions)).order_by("pk"):
                target = _target(entry, obj)
                if obj.pk in ids:
                    targets[target.ref] = target
                if wanted_handles:
                    folded = str(getattr(obj, entry.handle_field)).lower()
                    if folded in mentions.handles:
                        handles.setdefault(folded, target.ref)
                        targets[target.ref] = target
    return Resolution(targets=targets, handles=handles)


def mention_resolve_texts(*, texts: Iterable[str]) -> Resolution:
    """All tokens of all ``texts`` at once (a page showing many descriptions): of each text, the
    mentions the renderer draws (the first parsing.MAX_MENTIONS)."""
    mentions = functools.reduce(
        operator.or_, (extract(text or "", is_known=registry.is_known) for text in texts), Mentions()
    )
    return mention_resolve(mentions=mentions)


def mention_prefetch(*, objects: Iterable, field: str = "description") -> None:
    """Resolve the mentions of ``obj.<field>`` for every object in one go and keep the result
    with each text, so ``{{ obj.description|render_mentions }}`` draws them without queries."""
    objects = [obj for obj in objects if obj is not None]
    resolution = mention_resolve_texts(texts=(getattr(obj, field) or "" for obj in objects))
    for obj in objects:
        setattr(obj, field, MentionText(getattr(obj, field) or "", resolution))


# --- who a mention reaches -----------------------------------------------------------------------


def _reach(refs: Iterable[Ref]) -> dict[Ref, set[int]]:
    """Who each mention reaches: one call of its kind's ``reach`` per BATCH_SIZE ids (only kinds
    that reach anyone: a user itself, a department its members)."""
    ids_by_key: dict[str, set[int]] = defaultdict(set)
    for key, pk in refs:
        ids_by_key[key].add(pk)
    reach: dict[Ref, set[int]] = {}
    for key, ids in ids_by_key.items():
        entry = registry.get(key)
        if entry is None or entry.reach is None:
            continue
        for chunk in registry.batches(ids):
            for pk, users in entry.reach(chunk).items():
                reach[(key, pk)] = set(users)
    return reach


def _active_user_ids(user_ids: set[int]) -> set[int]:
    manager = get_user_model()._default_manager
    active: set[int] = set()
    for chunk in registry.batches(user_ids):
        active.update(manager.filter(pk__in=chunk, is_active=True).values_list("pk", flat=True))
    return active


def mention_audience(*, diff: MentionDiff, actor_id: int | None) -> set[int]:
    """The users to tell about ``diff`` (a sync's result): the reads the pure rule
    (mentions.rules.mention_recipients) needs, then the rule. No query when nothing was added.

    Queries: one per kind added or previously stored that reaches anyone (departments; users
    reach themselves without one), one for which candidates are active (per BATCH_SIZE of
    either); the same for a department of 5 or 500.
    """
    if not diff.added:
        return set()
    reach = _reach(diff.added | diff.previous)
    # Everyone the rule could pick, so one query tells which of them are active.
    candidates = mention_recipients(
        added=diff.added,
        previous=diff.previous,
        reach=reach,
        active_user_ids=set().union(*reach.values()),
        actor_id=actor_id,
    )
    if not candidates:
        return set()
    return mention_recipients(
        added=diff.added,
        previous=diff.previous,
        reach=reach,
        active_user_ids=_active_user_ids(candidates),
        actor_id=actor_id,
    )


def mention_reaching_types() -> dict[int, str]:
    """The content type id → registry key of every kind a mention of which reaches someone."""
    return {ContentType.objects.get_for_model(entry.model).pk: entry.key for entry in registry.entries() if entry.reach}


def mention_reach_rows(*, sources: Iterable[tuple[int, Any]], target_type_ids: list[int]):
    """The distinct (target type id, target id) of the stored mentions of ``sources`` — (content
    type id, ids), the ids a list or a values("pk") queryset — whose target is of one of
    ``target_type_ids`` (mention_reaching_types): a queryset, so a caller may run it with others
    in one query (crm.selectors' followers) and hand the rows to mention_reached_by."""
    conditions = [Q(source_type_id=type_id, source_id__in=ids) for type_id, ids in sources]
    return (
        Mention.objects.filter(functools.reduce(operator.or_, conditions), target_type_id__in=target_type_ids)
        .order_by()
        .values_list("target_type_id", "target_id")
        .distinct()
    )


def mention_reached_by(rows: Iterable[tuple[int, int]], reaching: dict[int, str]) -> set[int]:
    """Everyone mention_reach_rows' rows reach now: one query per kind that reaches through a
    lookup (departments)."""
    refs = {(reaching[type_id], pk) for type_id, pk in rows}
    return set().union(*_reach(refs).values()) if refs else set()


def mention_reached_user_ids(*, sources: Iterable[tuple[type, Any]]) -> set[int]:
    """Everyone the stored mentions of ``sources`` reach now (users themselves, departments their
    members; active or not — the caller filters). ``sources``: (model, ids), the ids a list or a
    values("pk") queryset (a subquery, so a thread's thousand items are no parameter list).

    Queries: one for the mentions, one per kind that reaches through a lookup (departments)."""
    sources = [(ContentType.objects.get_for_model(model).pk, ids) for model, ids in sources]
    if not sources:
        return set()
    reaching = mention_reaching_types()
    if not reaching:
        return set()
    return mention_reached_by(mention_reach_rows(sources=sources, target_type_ids=list(reaching)), reaching)


# --- mentioned in --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MentionSource:
    obj: object
    label: str
    hint: str
    url: str
    kind: str
    mentioned_at: datetime


# Every detail page asks it: its SQL compiled once per limit (config.compiled), not built by the ORM.
_MENTIONED_IN_ROWS = CompiledQuery(
    lambda type_id, target_pk, *, limit: (
        Mention.objects.filter(target_type_id=type_id, target_id=target_pk)
        .order_by("-created_at", "-id")
        .values_list("source_type_id", "source_id", "created_at")[:limit]
    )
)


def mentioned_in(*, target, limit: int = 50) -> list[MentionSource]:
    """Where ``target`` is mentioned, newest first: one query for the rows, one per kind of
    source (content types come from Django's cache)."""
    if target is None or getattr(target, "pk", None) is None:
        return []
    target_type = ContentType.objects.get_for_model(target)
    rows = _MENTIONED_IN_ROWS.run(target_type.pk, target.pk, limit=limit)
    ids_by_type: dict[int, set[int]] = defaultdict(set)
    for type_id, source_id, _at in rows:
        ids_by_type[type_id].add(source_id)
    found: dict[tuple[int, int], object] = {}
    entries: dict[int, registry.Mentionable | None] = {}
    for type_id, ids in ids_by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        # A source of a kind nobody registered (texts may live on any model) still shows.
        entries[type_id] = entry = registry.for_model(model)
        qs = entry.objects() if entry else model._default_manager.all()
        for chunk in registry.batches(ids):
            for obj in qs.filter(pk__in=chunk):
                found[(type_id, obj.pk)] = obj
    sources = []
    for type_id, source_id, at in rows:
        obj = found.get((type_id, source_id))
        if obj is None:  # deleted since: rows are cleaned on delete, but never trust it
            continue
        entry = entries[type_id]
        description = entry.describe(obj) if entry else registry.default_describe(obj)
        sources.append(
            MentionSource(
                obj=obj,
                label=str(description.label),
                hint=str(description.hint or ""),
                url=str(description.url or ""),
                kind=str(entry.verbose_name if entry else obj._meta.verbose_name),
                mentioned_at=at,
            )
        )
    return sources


def mention_token(*, obj, label: str | None = None) -> str:
    """The token that mentions ``obj`` (what the autocomplete inserts), labelled with its current
    name unless ``label`` is given. No query beyond what ``describe`` reads."""
    entry = registry.for_model(type(obj))
    if entry is None:
        raise ValueError(f"{type(obj).__name__} is not mentionable (mentions.registry)")
    return token_for(trigger=entry.trigger, label=label or entry.describe(obj).label, key=entry.key, pk=obj.pk)


# --- autocomplete --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    key: str
    id: int
    label: str
    hint: str
    kind: str
    url: str
    token: str

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "id": self.id,
            "label": self.label,
            "hint": self.hint,
            "kind": self.kind,
            "url": self.url,
            "token": self.token,
        }


def mention_search(*, query: str, trigger: str, limit: int = 12) -> list[Suggestion]:
    """Autocomplete: every kind of ``trigger`` searched (one query each), labels starting with
    the query first, kinds interleaved, at most ``limit``."""
    query = " ".join((query or "").split())[:100]
    first = query.lower().split()[0] if query else ""
    ranked = []
    for kind_index, entry in enumerate(registry.for_trigger(trigger)):
        for position, obj in enumerate(entry.search(query, limit)):
            target = _target(entry, obj)
            label, hint = target.label.lower(), target.hint.lower()
            if not first or label.startswith(first):
                rank = 0
            elif any(word.startswith(first) for word in label.split()) or hint.startswith(first):
                rank = 1
            else:
                rank = 2
            ranked.append(((rank, position, kind_index), entry, target))
    ranked.sort(key=operator.itemgetter(0))
    return [
        Suggestion(
            key=target.key,
            id=target.pk,
            label=target.label,
            hint=target.hint,
            kind=str(entry.verbose_name),
            url=target.url,
            token=token_for(trigger=entry.trigger, label=target.label, key=target.key, pk=target.pk),
        )
        for _rank, entry, target in ranked[:limit]
    ]
