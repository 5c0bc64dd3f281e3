"""Reads: one search over every registered kind, grouped, access-filtered, highlighted.

A page is: one query for the hits (search.backends; two on PostgreSQL when a word may be
mistyped) and one ``visible`` call per kind that has hits (crm: one query each).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime

from search import registry
from search.backends import Position, backend
from search.text import highlight, highlight_patterns, parse_query, snippet
from search.types import Group, Result

CURSOR_MAX_LENGTH = 200
ID_MAX = 2**63 - 1


@dataclass
class SearchPage:
    text: str
    message: str = ""
    groups: list[Group] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(g.results for g in self.groups)


def encode_cursor(position: Position) -> str:
    raw = json.dumps([position.tier, position.sort_date.isoformat(), position.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(raw: str | None) -> Position | None:
    """A position, or None for anything else (the first page then): cursors are untrusted."""
    if not raw or len(raw) > CURSOR_MAX_LENGTH:
        return None
    try:
        tier, moment, pk = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        moment = datetime.fromisoformat(moment)
    except (ValueError, TypeError):
        return None
    if type(tier) is not int or not 0 <= tier <= 2 or type(pk) is not int or not 0 < pk <= ID_MAX:
        return None
    if moment.tzinfo is None:
        return None
    return Position(tier=tier, sort_date=moment, id=pk)


def search(
    *,
    user,
    text: str | None,
    kinds: list[str] | None = None,
    per_kind: int = 5,
    after: str | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> SearchPage:
    """``text`` searched in ``kinds`` (every registered one by default, in their order): up to
    ``per_kind`` results each, best first. ``after`` (a cursor of one kind's ``next_cursor``)
    continues a single kind."""
    query = parse_query(text)
    page = SearchPage(text=(text or "").strip(), message=query.message)
    if query.message:
        return page
    entries = [e for e in registry.entries() if not kinds or e.key in kinds]
    position = decode_cursor(after) if len(entries) == 1 else None
    found, expansions = backend().search(
        terms=query.terms,
        kinds=[e.key for e in entries],
        limit=per_kind,
        after=position,
        date_from=date_from,
        date_to=date_to,
    )
    pattern = highlight_patterns(query.terms, [w for words in expansions.values() for w in words])
    for entry in entries:
        hits = found.get(entry.key, [])
        shown = hits[:per_kind]  # newest first: the last one is where the next page starts
        next_cursor = encode_cursor(shown[-1].position) if len(hits) > per_kind else None
        visible = entry.visible(user, [h.object_id for h in shown]) if shown else set()
        results = [
            Result(
                kind=entry.key,
                object_id=hit.object_id,
                url=entry.url(hit.object_id),
                title=highlight(hit.title, pattern),
                number=hit.number,
                number_html=highlight(hit.number, pattern),
                snippet=snippet(hit.body, pattern),
                counterparty=highlight(hit.counterparty, pattern),
                status=hit.status,
                status_label=entry.label_of_status(hit.status),
                date=hit.date,
                fuzzy=hit.tier == 2,
            )
            # Within the page: every term in the number or title first, a forgiven typo last.
            for hit in sorted(shown, key=lambda h: h.tier)
            if hit.object_id in visible
        ]
        page.groups.append(
            Group(kind=entry.key, label=str(entry.verbose_name), results=results, next_cursor=next_cursor)
        )
    return page
