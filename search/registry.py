"""What can be searched: apps register their models here (in their ``AppConfig.ready``).

``search`` knows no app that uses it (config/tests/test_architecture.py). Each searchable model
is registered once, with:

- ``key``: the kind stored with each document and used in ``?kind=``; ``verbose_name``: the
  title of its group of results; ``order``: where its group stands;
- ``document(obj) -> types.Document``: what of the object is searched and shown;
- ``queryset()``: the rows a rebuild walks (``select_related`` whatever ``document`` reads);
- ``url(pk) -> str``: where a result links to;
- ``visible(user, ids) -> set[int]``: of ``ids``, those the user may open — the same rule as the
  page a result links to (called once per kind per page of results, with at most a page of ids);
- ``status_label(code) -> str``: the status as shown (optional).

The owning app keeps the index current from its write path: ``search.services.index_update(obj)``
after a save, ``index_remove(obj)`` before a delete.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet

from search.types import Document


@dataclass(frozen=True)
class Searchable:
    key: str
    model: type[models.Model]
    verbose_name: Any
    document: Callable[[Any], Document]
    queryset: Callable[[], QuerySet]
    url: Callable[[int], str]
    visible: Callable[[Any, Collection[int]], set[int]]
    status_label: Callable[[str], str] | None = None
    order: int = 100

    def label_of_status(self, code: str) -> str:
        return str(self.status_label(code)) if self.status_label and code else code


_registry: dict[str, Searchable] = {}


def register(
    *,
    key: str,
    model: type[models.Model],
    verbose_name: Any,
    document: Callable[[Any], Document],
    url: Callable[[int], str],
    visible: Callable[[Any, Collection[int]], set[int]],
    queryset: Callable[[], QuerySet] | None = None,
    status_label: Callable[[str], str] | None = None,
    order: int = 100,
) -> Searchable:
    """Make ``model`` searchable under ``key``; the same key for the same model again replaces it."""
    if not key.isidentifier() or len(key) > 32:
        raise ImproperlyConfigured(f"search: bad key {key!r}")
    existing = _registry.get(key)
    if existing is not None and existing.model is not model:
        raise ImproperlyConfigured(f"search: key {key!r} is already taken by {existing.model.__name__}")
    entry = Searchable(
        key=key,
        model=model,
        verbose_name=verbose_name,
        document=document,
        queryset=queryset or model._default_manager.all,
        url=url,
        visible=visible,
        status_label=status_label,
        order=order,
    )
    _registry[key] = entry
    return entry


def unregister(key: str) -> None:
    _registry.pop(key, None)


def get(key: str) -> Searchable | None:
    return _registry.get(key)


def for_model(model: type[models.Model]) -> Searchable | None:
    concrete = model._meta.concrete_model
    return next((e for e in _registry.values() if e.model is concrete), None)


def entries() -> list[Searchable]:
    return sorted(_registry.values(), key=lambda e: (e.order, e.key))


# The widget the /search/ page's date filters use: the host app's date picker (crm registers
# its own, crm.widgets.DatePickerInput); the browser's date input until one is given.
_date_widget: type | None = None


def use_date_widget(widget: type) -> None:
    global _date_widget
    _date_widget = widget


def date_widget() -> type | None:
    return _date_widget
