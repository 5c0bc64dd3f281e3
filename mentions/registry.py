"""What can be mentioned: apps register their models here (in their ``AppConfig.ready``).

``mentions`` knows no app that uses it. Each mentionable model is registered once, with:

- ``key``: the kind written into tokens, ``@[Мария Иванова](user:12)`` → ``user``;
- ``trigger``: ``@`` (people and groups of people) or ``#`` (things);
- ``search(query, limit) -> list``: the autocomplete, case-insensitive (Cyrillic too);
- ``describe(obj) -> Description``: how an object presents itself — ``label`` (the current name
  a chip shows and a token stores), ``hint`` (a second line: a username, a subject, a code) and
  ``url`` (where chips and "mentioned in" link to). Mentions reads nothing else of an object;
  by default ``str(obj)`` and ``get_absolute_url()``;
- ``queryset()``: how ids are resolved (``select_related`` whatever ``describe`` reads);
- ``handle_field``: for the one ``@`` model whose plain ``@handle`` also resolves (usernames);
- ``reach(ids) -> {id: {user ids}}``: who is told when one of these is mentioned (a user
  reaches itself, a department its members). Models without it reach no one. Called with at
  most ``BATCH_SIZE`` ids at a time.

Example::

    registry.register(
        key="order", trigger="#", model=Order, verbose_name=_("Order"),
        search=registry.text_search(Order, ["number", "counterparty__name"], order_by=["-date"]),
        describe=lambda order: Description(order.number, order.subject, order.get_absolute_url()),
    )

A leaf of the package but for ``types``: the receiver that forgets deleted objects
(mentions.receivers) listens to ``registered``/``unregistered`` instead of being imported here.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q, QuerySet
from django.dispatch import Signal

from config.db import UnicodeLower
from mentions.types import Description

TRIGGERS = ("@", "#")
KEY_RE = re.compile(r"^[a-z][a-z_]{0,31}$")
# The most ids or handles one lookup query carries (SQLite refuses a statement with more than
# 32,766 parameters, older builds 999): longer lists are looked up in batches of this size.
BATCH_SIZE = 500

SearchFunction = Callable[[str, int], list]
ReachFunction = Callable[[Collection[int]], dict[int, set[int]]]
DescribeFunction = Callable[[Any], Description]

# Sent with ``entry`` after a model is registered (again) or unregistered.
registered = Signal()
unregistered = Signal()


def default_describe(obj) -> Description:
    url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""
    return Description(label=str(obj), url=url)


@dataclass(frozen=True)
class Mentionable:
    key: str
    trigger: str
    model: type[models.Model]
    search: SearchFunction
    describe_object: DescribeFunction = default_describe
    queryset: Callable[[], QuerySet] | None = None
    handle_field: str = ""
    reach: ReachFunction | None = None
    verbose_name: Any = ""
    css_class: str = field(default="")

    def objects(self) -> QuerySet:
        return self.queryset() if self.queryset is not None else self.model._default_manager.all()

    def describe(self, obj) -> Description:
        """The registration's description of ``obj``, every part a plain ``str``."""
        description = self.describe_object(obj)
        return Description(
            label=str(description.label), hint=str(description.hint or ""), url=str(description.url or "")
        )

    @property
    def chip_class(self) -> str:
        return self.css_class or f"mention-{self.key}"


_registry: dict[str, Mentionable] = {}


def register(
    *,
    key: str,
    trigger: str,
    model: type[models.Model],
    search: SearchFunction,
    describe: DescribeFunction = default_describe,
    queryset: Callable[[], QuerySet] | None = None,
    handle_field: str = "",
    reach: ReachFunction | None = None,
    verbose_name: Any = "",
    css_class: str = "",
) -> Mentionable:
    """Make ``model`` mentionable under ``key``. Registering the same key for the same model again
    replaces the entry (tests do); another model under a taken key is a configuration error."""
    if not KEY_RE.match(key):
        raise ImproperlyConfigured(f"mentions: bad key {key!r} (lowercase letters and _)")
    if trigger not in TRIGGERS:
        raise ImproperlyConfigured(f"mentions: trigger of {key!r} must be one of {TRIGGERS}")
    existing = _registry.get(key)
    if existing is not None and existing.model is not model:
        raise ImproperlyConfigured(f"mentions: key {key!r} is already taken by {existing.model.__name__}")
    if handle_field:
        if trigger != "@":
            raise ImproperlyConfigured("mentions: only @ models can resolve plain handles")
        taken = [m.key for m in _registry.values() if m.handle_field and m.key != key]
        if taken:
            raise ImproperlyConfigured(f"mentions: plain @handles already resolve to {taken[0]!r}")
    entry = Mentionable(
        key=key,
        trigger=trigger,
        model=model,
        search=search,
        describe_object=describe,
        queryset=queryset,
        handle_field=handle_field,
        reach=reach,
        verbose_name=verbose_name or model._meta.verbose_name,
        css_class=css_class,
    )
    _registry[key] = entry
    registered.send(sender=Mentionable, entry=entry)
    return entry


def unregister(key: str) -> None:
    entry = _registry.pop(key, None)
    if entry is not None:
        unregistered.send(sender=Mentionable, entry=entry)


def registration_of(entry: Mentionable) -> dict:
    """The arguments ``register`` takes to make ``entry`` again (tests put kinds back)."""
    return {
        "key": entry.key,
        "trigger": entry.trigger,
        "model": entry.model,
        "search": entry.search,
        "describe": entry.describe_object,
        "queryset": entry.queryset,
        "handle_field": entry.handle_field,
        "reach": entry.reach,
        "verbose_name": entry.verbose_name,
        "css_class": entry.css_class,
    }


def get(key: str) -> Mentionable | None:
    return _registry.get(key)


def is_known(trigger: str, key: str) -> bool:
    """Whether a token ``trigger[label](key:id)`` names a registered kind (what the parser is
    told: mentions.parsing.scan)."""
    entry = _registry.get(key)
    return entry is not None and entry.trigger == trigger


def for_trigger(trigger: str) -> list[Mentionable]:
    return [entry for entry in _registry.values() if entry.trigger == trigger]


def for_model(model: type[models.Model]) -> Mentionable | None:
    concrete = model._meta.concrete_model
    return next((e for e in _registry.values() if e.model._meta.concrete_model is concrete), None)


def handle_entry() -> Mentionable | None:
    """The model plain ``@handle`` resolves to (users), if one is registered."""
    return next((e for e in _registry.values() if e.handle_field), None)


def entries() -> list[Mentionable]:
    return list(_registry.values())


def batches(values: Iterable, size: int = BATCH_SIZE) -> list[list]:
    """``values`` sorted, in lists of at most ``size``: the parameters of one query each."""
    ordered = sorted(values)
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


# --- building blocks for search functions ------------------------------------------------------


def text_search(
    model_or_queryset: type[models.Model] | QuerySet | Callable[[], QuerySet],
    fields: Iterable[str],
    *,
    order_by: Iterable[str] = ("pk",),
    lower: type[models.Func] = UnicodeLower,
    min_contains: int = 3,
    prefix_fields: Iterable[str] | None = None,
) -> SearchFunction:
    """A ``search(query, limit)`` over ``fields``: every word of the query must be found in one of
    them, case-insensitively (``lower`` folds the column: Cyrillic too on SQLite), newest or
    first by ``order_by``. An empty query lists the first ``limit`` rows.

    Words shorter than ``min_contains`` match the start of ``prefix_fields`` only (all fields by
    default): "#SO" finds "SO-2026-00012" by its number without looking for words starting
    with "so" in a million subjects. On PostgreSQL, trigram indexes on ``LOWER(column)`` serve
    the contains patterns and the anchored ones on identifiers. Ranking among kinds is
    done by the caller (mentions.selectors.mention_search), not in SQL, so the database can walk
    the ``order_by`` index and stop at ``limit``."""
    fields = list(fields)
    order_by = list(order_by)
    short = [f for f in fields if prefix_fields is None or f in set(prefix_fields)]

    def base() -> QuerySet:
        if isinstance(model_or_queryset, QuerySet):
            return model_or_queryset.all()
        if isinstance(model_or_queryset, type) and issubclass(model_or_queryset, models.Model):
            return model_or_queryset._default_manager.all()
        return model_or_queryset()

    def search(query: str, limit: int) -> list:
        words = query.lower().split()[:5]
        qs = base()
        if words:
            aliases = {name: f"_m_{i}" for i, name in enumerate(fields)}
            qs = qs.alias(**{alias: lower(name) for name, alias in aliases.items()})
            for word in words:
                if len(word) >= min_contains:
                    matches = [Q(**{f"{aliases[name]}__contains": word}) for name in fields]
                else:
                    matches = [Q(**{f"{aliases[name]}__startswith": word}) for name in short]
                qs = qs.filter(functools.reduce(operator.or_, matches))
        return list(qs.order_by(*order_by)[:limit])

    return search
