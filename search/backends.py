"""Where documents are stored and searched: PostgreSQL (tsvector + hunspell-bg + pg_trgm) or
SQLite (FTS5). ``backend()`` picks by the default database's vendor.

The interface (what ``search.services`` and ``search.selectors`` call) is three methods —
``update(rows)``, ``remove(kind, ids)``, ``search(...)`` — plus ``clear``: an OpenSearch
backend would implement the same over an index with the ``bulgarian`` analyzer
(docs/search.md).

Results come in tiers, each newest first: 0 — every term in the number, identifiers or title;
1 — every term somewhere (names, description too); 2 — only once a mistyped word (6+ letters, one
letter off) is read as the word it most likely meant (PostgreSQL only). A page is up to
``limit`` hits of one kind after a cursor ``(tier, sort_date, id)``: each tier is one
``ORDER BY sort_date DESC, id DESC LIMIT`` query, all of a page sent as one UNION ALL statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection

from search.models import SearchDocument
from search.text import FUZZY_MIN_LENGTH, WORD_RE, levenshtein, stem
from search.types import Hit, Term

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COLUMNS = "id, kind, object_id, title, number, counterparty, status, date, sort_date, body"
UPDATE_FIELDS = ["number", "title", "names", "body", "identifiers", "counterparty", "status", "date", "sort_date"]


@dataclass(frozen=True)
class Position:
    """Where a page of one kind's results starts after: the last hit shown."""

    tier: int
    sort_date: datetime
    id: int


def _like(fragment: str) -> str:
    return "%" + fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class Backend:
    vendor = ""

    # --- writing ---------------------------------------------------------------------------------

    def update(self, rows: list[SearchDocument]) -> None:
        """Insert or replace the documents (matched by kind and object id): one statement."""
        if rows:
            SearchDocument.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["kind", "object_id"], update_fields=UPDATE_FIELDS
            )

    def remove(self, kind: str, ids: list[int]) -> None:
        SearchDocument.objects.filter(kind=kind, object_id__in=ids).delete()

    def clear(self, kind: str | None = None) -> None:
        qs = SearchDocument.objects.all()
        (qs.filter(kind=kind) if kind else qs).delete()

    # --- searching -------------------------------------------------------------------------------

    def expansions(self, terms: tuple[Term, ...]) -> dict[str, list[str]]:
        """For each fuzzy term, the known words one letter away (none: this backend forgives no typo)."""
        return {}

    def term_condition(self, term: Term, *, title_only: bool, alternatives: list[str] = ()) -> tuple[str, list]:
        raise NotImplementedError

    def _tier(self, terms, tier: int, expansions: dict[str, list[str]]) -> tuple[str, list]:
        """The condition of tier ``tier`` alone (not the tiers above it)."""

        def every(title_only: bool, with_typos: bool) -> tuple[str, list]:
            parts, params = [], []
            for term in terms:
                alternatives = expansions.get(term.word or "", []) if with_typos else []
                sql, p = self.term_condition(term, title_only=title_only, alternatives=alternatives)
                parts.append(sql)
                params += p
            return "(" + " AND ".join(parts) + ")", params

        in_title, p0 = every(True, False)
        anywhere, p1 = every(False, False)
        if tier == 0:
            return in_title, p0
        if tier == 1:
            return f"{anywhere} AND NOT {in_title}", p1 + p0
        typos, p2 = every(False, True)
        return f"{typos} AND NOT {anywhere}", p2 + p1

    def search(
        self,
        *,
        terms: tuple[Term, ...],
        kinds: list[str],
        limit: int,
        after: Position | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
    ) -> tuple[dict[str, list[Hit]], dict[str, list[str]]]:
        """Up to ``limit + 1`` hits per kind in order (one more than asked: is there a next page),
        and the typo expansions used. One query (two on PostgreSQL when a term may be mistyped)."""
        expansions = self.expansions(terms)
        tiers = [0, 1, 2] if expansions else [0, 1]
        selects, params = [], []
        moment = connection.ops.adapt_datetimefield_value  # SQLite compares its own text form
        for kind in kinds:
            for tier in tiers:
                if after is not None and tier < after.tier:
                    continue
                condition, p = self._tier(terms, tier, expansions)
                # Only our own SQL is formatted in; every value the user gave is a parameter.
                sql = f"SELECT {COLUMNS}, {tier} AS tier FROM search_searchdocument WHERE kind = %s AND {condition}"  # noqa: S608
                p = [kind, *p]
                if date_from is not None:
                    sql += " AND date >= %s"
                    p.append(moment(date_from))
                if date_to is not None:
                    sql += " AND date < %s"
                    p.append(moment(date_to))
                if after is not None and tier == after.tier:
                    sql += " AND (sort_date < %s OR (sort_date = %s AND id < %s))"
                    p += [moment(after.sort_date), moment(after.sort_date), after.id]
                selects.append(f"SELECT * FROM ({sql} ORDER BY sort_date DESC, id DESC LIMIT {int(limit) + 1}) AS t")  # noqa: S608
                params += p
        found: dict[str, list[Hit]] = {kind: [] for kind in kinds}
        if not selects:
            return found, expansions
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(selects), params)
            rows = cursor.fetchall()
        for _id, kind, object_id, title, number, counterparty, status, date, sort_date, body, tier in rows:
            found[kind].append(
                Hit(
                    kind=kind,
                    object_id=object_id,
                    tier=tier,
                    title=title,
                    number=number,
                    counterparty=counterparty,
                    status=status,
                    date=date,
                    body=body,
                    position=Position(tier=tier, sort_date=_aware(sort_date), id=_id),
                )
            )
        for hits in found.values():
            hits.sort(key=lambda h: (h.tier, -h.position.sort_date.timestamp(), -h.position.id))
            del hits[limit + 1 :]
        return found, expansions


def _aware(value) -> datetime:
    if isinstance(value, str):  # SQLite through a raw cursor
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class PostgresBackend(Backend):
    vendor = "postgresql"

    def update(self, rows: list[SearchDocument]) -> None:
        super().update(rows)
        # The words a typo can be taken for: every word of titles and names long enough to be
        # forgiven one (inserted once; a word no longer used only costs a wasted expansion).
        words = sorted(
            {
                w
                for row in rows
                for w in WORD_RE.findall(f"{row.title} {row.names}".lower())
                if FUZZY_MIN_LENGTH - 1 <= len(w) <= 64 and not w.isdigit()
            }
        )
        if words:
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO search_searchword (word) SELECT unnest(%s::text[]) ON CONFLICT (word) DO NOTHING",
                    [words],
                )

    def expansions(self, terms: tuple[Term, ...]) -> dict[str, list[str]]:
        fuzzy = [t.word for t in terms if t.fuzzy and t.word]
        if not fuzzy:
            return {}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT q, w.word FROM unnest(%s::text[]) AS q, LATERAL ("
                " SELECT word FROM search_searchword WHERE word %% q ORDER BY word <-> q LIMIT 20) AS w",
                [fuzzy],
            )
            rows = cursor.fetchall()
        found: dict[str, list[str]] = {}
        for word, candidate in rows:
            if candidate != word and levenshtein(word, candidate) <= 1:
                found.setdefault(word, []).append(candidate)
        return found

    def term_condition(self, term: Term, *, title_only: bool, alternatives=()) -> tuple[str, list]:
        weight = "A" if title_only else ""
        parts, params = [], []
        for word in ([term.word] if term.word else []) + list(alternatives):
            parts.append("vector @@ to_tsquery('bulgarian', %s)")
            params.append(f"{word}:*{weight}")
        if term.fragment:
            parts.append("identifiers LIKE %s")
            params.append(_like(term.fragment))
        return "(" + " OR ".join(parts) + ")", params


class SqliteBackend(Backend):
    """FTS5 with a light stemmer on the query side (search.text.stem): the endings of articles and
    plurals go, the rest matches as a prefix. No dictionary, so no vowel or consonant changes
    (доставчици ↛ доставчик), and no typo is forgiven."""

    vendor = "sqlite"

    def update(self, rows: list[SearchDocument]) -> None:
        super().update(rows)
        if not rows:
            return
        # bulk_create does not give back the ids of updated rows: read them.
        by_key = {(r.kind, r.object_id): r for r in rows}
        stored = SearchDocument.objects.filter(
            kind__in={k for k, _ in by_key}, object_id__in=[o for _, o in by_key]
        ).values_list("kind", "object_id", "id")
        ids = {(k, o): i for k, o, i in stored if (k, o) in by_key}
        with connection.cursor() as cursor:
            cursor.executemany("DELETE FROM search_fts WHERE rowid = %s", [(i,) for i in ids.values()])
            cursor.executemany(
                "INSERT INTO search_fts (rowid, title, names, body, identifiers) VALUES (%s, %s, %s, %s, %s)",
                [(ids[k], r.title, r.names, r.body, r.identifiers) for k, r in by_key.items() if k in ids],
            )

    def remove(self, kind: str, ids: list[int]) -> None:
        doc_ids = list(SearchDocument.objects.filter(kind=kind, object_id__in=ids).values_list("id", flat=True))
        with connection.cursor() as cursor:
            cursor.executemany("DELETE FROM search_fts WHERE rowid = %s", [(i,) for i in doc_ids])
        super().remove(kind, ids)

    def clear(self, kind: str | None = None) -> None:
        with connection.cursor() as cursor:
            if kind:
                cursor.execute(
                    "DELETE FROM search_fts WHERE rowid IN (SELECT id FROM search_searchdocument WHERE kind = %s)",
                    [kind],
                )
            else:
                cursor.execute("DELETE FROM search_fts")
        super().clear(kind)

    def term_condition(self, term: Term, *, title_only: bool, alternatives=()) -> tuple[str, list]:
        parts, params = [], []
        if term.word:
            word = term.word if term.word.isdigit() or term.fragment else stem(term.word)
            match = f'"{word}"*'
            if title_only:
                match = "{title identifiers} : " + match
            parts.append("id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)")
            params.append(match)
        if term.fragment:
            parts.append("identifiers LIKE %s ESCAPE '\\'")
            params.append(_like(term.fragment))
        return "(" + " OR ".join(parts) + ")", params


def backend() -> Backend:
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteBackend()
