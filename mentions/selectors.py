"""Reads: resolving what texts mention, "mentioned in", autocomplete.

Resolution is Zulip-style: a pure pre-scan (mentions.parsing) collects every token and plain
handle first, then one query per kind present looks them all up, however many there are.
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from mentions import registry
from mentions.db import Folded
from mentions.models import Mention
from mentions.parsing import Mentions, extract, token_for

Ref = tuple[str, int]


@dataclass(frozen=True)
class Target:
    """A mentioned object, ready to draw: no further queries."""

    key: str
    pk: int
    trigger: str
    label: str
    url: str
    hint: str
    chip_class: str
    obj: object = field(repr=False, compare=False)

    @property
    def ref(self) -> Ref:
        return (self.key, self.pk)


@dataclass(frozen=True)
class Resolution:
    targets: dict[Ref, Target] = field(default_factory=dict)
    handles: dict[str, Ref] = field(default_factory=dict)  # folded handle → ref

    def target(self, ref: Ref) -> Target | None:
        return self.targets.get(ref)

    def handle(self, name: str) -> Target | None:
        ref = self.handles.get(name.lower())
        return self.targets.get(ref) if ref else None

    def refs(self) -> set[Ref]:
        """Every existing object mentioned, by token or by handle."""
        return set(self.targets)


def _target(entry: registry.Mentionable, obj) -> Target:
    return Target(
        key=entry.key,
        pk=obj.pk,
        trigger=entry.trigger,
        label=str(entry.label(obj)),
        url=str(entry.url(obj)),
        hint=str(entry.hint(obj) or ""),
        chip_class=entry.chip_class,
        obj=obj,
    )


def mention_resolve(*, mentions: Mentions) -> Resolution:
    """Look up everything ``mentions`` names: one query per kind present (plain handles share
    the query of their kind). Unknown kinds, tokens whose trigger does not match their kind, and
    ids that no longer exist are left out (they render as their stored label)."""
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
        condition = Q(pk__in=sorted(ids)) if ids else Q()
        qs = entry.objects()
        wanted_handles = entry is handle_entry
        if wanted_handles:
            qs = qs.alias(_m_handle=Folded(entry.handle_field))
            by_handle = Q(_m_handle__in=sorted(mentions.handles))
            condition = (condition | by_handle) if ids else by_handle
        for obj in qs.filter(condition).order_by("pk"):
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
    """All tokens of all ``texts`` at once (a page showing many descriptions)."""
    mentions = functools.reduce(operator.or_, (extract(text or "") for text in texts), Mentions())
    return mention_resolve(mentions=mentions)


def mention_prefetch(*, objects: Iterable, field: str = "description") -> None:
    """Resolve the mentions of ``obj.<field>`` for every object in one go and keep the result
    with each text, so ``{{ obj.description|render_mentions }}`` draws them without queries."""
    from mentions.rendering import MentionText

    objects = [obj for obj in objects if obj is not None]
    resolution = mention_resolve_texts(texts=(getattr(obj, field) or "" for obj in objects))
    for obj in objects:
        setattr(obj, field, MentionText(getattr(obj, field) or "", resolution))


# --- mentioned in --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MentionSource:
    obj: object
    number: str
    subject: str
    url: str
    kind: str
    mentioned_at: datetime


def mentioned_in(*, target, limit: int = 50) -> list[MentionSource]:
    """Where ``target`` is mentioned, newest first: one query for the rows, one per kind of
    source (content types come from Django's cache)."""
    if target is None or getattr(target, "pk", None) is None:
        return []
    target_type = ContentType.objects.get_for_model(target)
    rows = list(
        Mention.objects.filter(target_type=target_type, target_id=target.pk)
        .order_by("-created_at", "-id")
        .values_list("source_type_id", "source_id", "created_at")[:limit]
    )
    ids_by_type: dict[int, set[int]] = defaultdict(set)
    for type_id, source_id, _at in rows:
        ids_by_type[type_id].add(source_id)
    found: dict[tuple[int, int], object] = {}
    for type_id, ids in ids_by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        for obj in model._default_manager.filter(pk__in=sorted(ids)):
            found[(type_id, obj.pk)] = obj
    sources = []
    for type_id, source_id, at in rows:
        obj = found.get((type_id, source_id))
        if obj is None:  # deleted since: rows are cleaned on delete, but never trust it
            continue
        entry = registry.for_model(type(obj))
        number, subject = str(getattr(obj, "number", "") or ""), str(getattr(obj, "subject", "") or "")
        sources.append(
            MentionSource(
                obj=obj,
                number=number,
                subject=subject if (number or subject) else str(obj),
                url=obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else "",
                kind=str(entry.verbose_name if entry else obj._meta.verbose_name),
                mentioned_at=at,
            )
        )
    return sources


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
