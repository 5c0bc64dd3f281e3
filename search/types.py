"""The values search's modules hand each other (a leaf: imports nothing of search)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.safestring import SafeString


@dataclass(frozen=True)
class Document:
    """What one object offers to search (built by the app that owns it, ``registry.register``).

    ``title``: its subject or name (weight A); ``names``: counterparty, contact people, e-mail
    addresses (weight B); ``body``: description, notes, address (weight C); ``identifiers``:
    numbers, codes, ЕИК/VAT, e-mails, phones — matched whole and in parts (``text.identifier_tokens``);
    ``references``: the same of objects the text mentions.
    ``number``, ``counterparty``, ``status`` and ``date`` are what a result line shows."""

    title: str
    number: str = ""
    names: tuple[str, ...] = ()
    body: str = ""
    identifiers: tuple[str, ...] = ()
    # Numbers of other objects the text mentions ("#SO-2026-00012"): matched as identifiers are,
    # ranked as names (the object is about it, it is not it).
    references: tuple[str, ...] = ()
    counterparty: str = ""
    status: str = ""
    date: datetime | None = None


@dataclass(frozen=True)
class Term:
    """One piece of a query. ``word``: matched against the words of documents (lowercased, letters
    and digits only; None for an e-mail); ``fragment``: also matched inside identifiers (numbers,
    e-mails, phones), None for plain words; ``fuzzy``: a letters-only word long enough (6+) that a
    one-letter typo is forgiven."""

    word: str | None
    fragment: str | None = None
    fuzzy: bool = False


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...] = ()
    # Why nothing is searched ("type at least two letters"); empty when terms are searched.
    message: str = ""


@dataclass(frozen=True)
class Hit:
    kind: str
    object_id: int
    tier: int  # 0: every term in the number or title; 1: anywhere; 2: only with a typo forgiven
    title: str
    number: str
    counterparty: str
    status: str
    date: datetime | None
    body: str = field(default="", repr=False)
    # Where the next page starts after this hit (search.backends.Position).
    position: Any = field(default=None, repr=False)


@dataclass
class Result:
    """A hit ready to show: escaped, highlighted, linked."""

    kind: str
    object_id: int
    url: str
    title: SafeString
    snippet: SafeString
    number: str
    number_html: SafeString
    counterparty: str
    status: str
    status_label: str
    date: datetime | None
    fuzzy: bool

    @property
    def status_css(self) -> str:
        return "status-" + self.status.replace("_", "-") if self.status else ""


@dataclass
class Group:
    kind: str
    label: str
    results: list[Result]
    next_cursor: str | None = None
