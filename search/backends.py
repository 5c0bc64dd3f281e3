"""Where documents are stored and searched: PostgreSQL (tsvector + hunspell-bg + pg_trgm) or
SQLite (FTS5). ``backend()`` picks by the default database's vendor.

The interface (what ``search.services`` and ``search.selectors`` call) is three methods —
``update(rows)``, ``remove(kind, ids)``, ``search(...)`` — plus ``clear``: an OpenSearch
backend would implement the same over an index with the ``bulgarian`` analyzer
(docs/search.md).

A page of one kind is its newest exact matches (every term somewhere; tier 0 when every term is
in the number, identifiers or title, else 1), then — only when they fall short of a page — the
newest matches that need a mistyped word (6+ letters, one letter off) read as the word it most
likely meant (tier 2, PostgreSQL only). ``selectors`` shows tier 0 first within a page. The
cursor is (phase, sort_date, id); how a page is found quickly for frequent and rare words alike
is ``Backend._newest``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection

from search.models import SearchDocument
from search.text import FUZZY_MIN_LENGTH, WORD_RE, levenshtein, stem
from search.types import Hit, Term

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# How many of a kind's newest documents a search looks through first (see Backend._newest).
WINDOW = 1000
COLUMNS = "id, kind, object_id, title, number, counterparty, status, date, sort_date, body"
UPDATE_FIELDS = ["number", "title", "names", "body", "identifiers", "counterparty", "status", "date", "sort_date"]


@dataclass(frozen=True)
class Position:
    """Where a page of one kind's results starts after: the last hit shown."""

    tier: int
    sort_date: datetime
    id: int


@dataclass(frozen=True)
class Scope:
    """What every statement of one search shares: the terms, the page size, the cursor, the dates."""

    terms: tuple[Term, ...]
    limit: int
    after: Position | None
    dates_sql: str
    dates_params: list


def _like(fragment: str) -> str:
    return "%" + fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class Backend:
    vendor = ""
    # Whether a term is also looked for inside identifiers (LIKE over the trigram index). Off on
    # the first pass: whole numbers, their parts as tokens (00012, 12) and prefixes are words of
    # the vector; a fragment from inside a number or an e-mail is looked for only when that pass
    # found nothing at all.
    fragments = False

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

    def _every(self, terms, *, title_only: bool, expansions=None) -> tuple[str, list]:
        """Every term matches (in the number, identifiers or title only, or anywhere; with the
        words a mistyped term may stand for when ``expansions`` are given)."""
        parts, params = [], []
        for term in terms:
            alternatives = (expansions or {}).get(term.word or "", [])
            sql, p = self.term_condition(term, title_only=title_only, alternatives=alternatives)
            parts.append(sql)
            params += p
        return "(" + " AND ".join(parts) + ")", params

    # How a query sorts newest first without walking the (kind, sort_date, id) index: an
    # expression the index does not cover, so the planner fetches the matches through the
    # full-text index and sorts them.
    UNINDEXED_SORT = "sort_date"

    def _newest(self, kinds, condition: tuple[str, list], *, scope: Scope, phase: int, window: bool):
        """Per kind, the newest ``limit + 1`` documents matching ``condition`` (after the cursor).

        ``window``: look among the WINDOW newest documents of the kind only. A frequent word finds
        its page there at once (walking the date index); a kind smaller than the window is
        complete there too. Otherwise (``window`` False) the matches are found through the
        full-text index and sorted: cheap when they are few, which is when the window fell short.
        One statement for all kinds; returns ({kind: [Hit]}, {kind: rows the window held})."""
        moment = connection.ops.adapt_datetimefield_value
        where, params = condition
        limit, after = scope.limit, scope.after
        tier_sql, tier_params = self._every(scope.terms, title_only=True)
        selects, all_params, probes, probe_params = [], [], [], []
        for kind in kinds:
            scope_sql, p = "kind = %s", [kind]
            if after is not None and after.tier == phase:
                scope_sql += " AND (sort_date < %s OR (sort_date = %s AND id < %s))"
                p += [moment(after.sort_date), moment(after.sort_date), after.id]
            scope_sql += scope.dates_sql
            p += scope.dates_params
            if window:
                source = (
                    f"(SELECT * FROM search_searchdocument WHERE {scope_sql} "  # noqa: S608 - our SQL only
                    f"ORDER BY sort_date DESC, id DESC LIMIT {WINDOW}) AS w"
                )
                order = "sort_date DESC, id DESC"
                # How many documents the window held (fewer than WINDOW: it held them all). Ordered
                # like the window, so it walks the same index instead of scanning the table.
                probes.append(
                    f"SELECT -1, %s, count(*), '', '', '', '', NULL, NULL, '', -1 FROM "  # noqa: S608
                    f"(SELECT 1 FROM search_searchdocument WHERE {scope_sql} "
                    f"ORDER BY sort_date DESC, id DESC LIMIT {WINDOW}) AS c"
                )
                probe_params += [kind, *p]
                source_params = p
                filter_sql, filter_params = where, params
            else:
                source, source_params = "search_searchdocument", []
                order = f"{self.UNINDEXED_SORT} DESC, id DESC"
                filter_sql, filter_params = f"{scope_sql} AND {where}", p + params
            selects.append(
                f"SELECT * FROM (SELECT {COLUMNS}, CASE WHEN {tier_sql} THEN 0 ELSE 1 END "  # noqa: S608
                f"FROM {source} WHERE {filter_sql} ORDER BY {order} LIMIT {int(limit) + 1}) AS t"
            )
            all_params += [*tier_params, *source_params, *filter_params]
        found: dict[str, list[Hit]] = {kind: [] for kind in kinds}
        held: dict[str, int] = {}
        with connection.cursor() as cursor:
            # The hits first: their columns give the UNION its types (a probe's NULLs have none).
            cursor.execute(" UNION ALL ".join(selects + probes), all_params + probe_params)
            rows = cursor.fetchall()
        for _id, kind, object_id, title, number, counterparty, status, date, sort_date, body, in_title in rows:
            if _id == -1:
                held[kind] = object_id
                continue
            found[kind].append(
                Hit(
                    kind=kind,
                    object_id=object_id,
                    tier=2 if phase == 1 else in_title,
                    title=title,
                    number=number,
                    counterparty=counterparty,
                    status=status,
                    date=_aware(date) if date is not None else None,
                    body=body,
                    position=Position(tier=phase, sort_date=_aware(sort_date), id=_id),
                )
            )
        return found, held

    def _phase(self, kinds, condition, *, scope: Scope, phase: int) -> dict[str, list[Hit]]:
        found, held = self._newest(kinds, condition, scope=scope, phase=phase, window=True)
        short = [k for k in kinds if len(found[k]) <= scope.limit and held.get(k, 0) >= WINDOW]
        if short:
            more, _ = self._newest(short, condition, scope=scope, phase=phase, window=False)
            found.update(more)
        return found

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
        """Up to ``limit + 1`` hits per kind (one more than asked: is there a next page), and the
        typo expansions used. The exact matches newest first (those with every term in the
        number or title marked tier 0), then — only where they fall short of a page — the matches
        that need a typo forgiven (tier 2, PostgreSQL). A cursor is (phase, sort_date, id).
        1–2 statements, 1–2 more for typos."""
        moment = connection.ops.adapt_datetimefield_value
        dates_sql, dates_params = "", []
        if date_from is not None:
            dates_sql += " AND date >= %s"
            dates_params.append(moment(date_from))
        if date_to is not None:
            dates_sql += " AND date < %s"
            dates_params.append(moment(date_to))
        scope = Scope(terms=terms, limit=limit, after=after, dates_sql=dates_sql, dates_params=dates_params)
        found: dict[str, list[Hit]] = {kind: [] for kind in kinds}
        self.fragments = not any(t.word for t in terms)  # an e-mail part is only a fragment
        exact = self._every(terms, title_only=False)
        if after is None or after.tier == 0:
            found.update(self._phase(kinds, exact, scope=scope, phase=0))
            if not self.fragments and not any(found.values()) and any(t.fragment for t in terms):
                self.fragments = True
                exact = self._every(terms, title_only=False)
                found.update(self._phase(kinds, exact, scope=scope, phase=0))
        typo_kinds = [k for k in kinds if len(found[k]) <= limit]
        expansions = self.expansions(terms) if typo_kinds else {}
        if expansions:
            typos, p = self._every(terms, title_only=False, expansions=expansions)
            condition = (f"{typos} AND NOT {exact[0]}", p + exact[1])
            typo_after = after if after is not None and after.tier == 1 else None
            typo_scope = Scope(terms, limit, typo_after, dates_sql, dates_params)
            more = self._phase(typo_kinds, condition, scope=typo_scope, phase=1)
            for kind in typo_kinds:
                found[kind] = (found[kind] + more[kind])[: limit + 1]
        return found, expansions


def _aware(value) -> datetime:
    if isinstance(value, str):  # SQLite through a raw cursor
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class PostgresBackend(Backend):
    vendor = "postgresql"
    UNINDEXED_SORT = "(sort_date + interval '0 second')"

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

    def _every(self, terms, *, title_only: bool, expansions=None) -> tuple[str, list]:
        """The plain words of the query as ONE tsquery (``a & b:*``): GIN then walks the rarest
        word's entries and checks the others, instead of building a bitmap per word. Only the
        last word is a prefix (it may still be being typed): an exact lexeme is a cheaper lookup.
        Terms that are also fragments of identifiers keep their own condition."""
        weight = "A" if title_only else ""
        words, others = [], []
        for term in terms:
            if (term.fragment and self.fragments) or not term.word:
                others.append(term)
                continue
            # Terms hold letters and digits only (search.text): no tsquery operator can get in.
            prefix = ":*" if term is terms[-1] else ":"
            alternatives = [term.word, *(expansions or {}).get(term.word, [])]
            words.append("(" + " | ".join(f"{w}{prefix}{weight}" for w in alternatives) + ")")
        parts, params = [], []
        if words:
            parts.append("vector @@ to_tsquery('bulgarian', %s)")
            params.append(" & ".join(words))
        for term in others:
            sql, p = self.term_condition(term, title_only=title_only)
            parts.append(sql)
            params += p
        return "(" + " AND ".join(parts) + ")", params

    def term_condition(self, term: Term, *, title_only: bool, alternatives=()) -> tuple[str, list]:
        weight = "A" if title_only else ""
        parts, params = [], []
        for word in ([term.word] if term.word else []) + list(alternatives):
            parts.append("vector @@ to_tsquery('bulgarian', %s)")
            params.append(f"{word}:*{weight}")
        if term.fragment and (self.fragments or not term.word):
            parts.append("identifiers LIKE %s")
            params.append(_like(term.fragment))
        return "(" + " OR ".join(parts) + ")", params


class SqliteBackend(Backend):
    """FTS5 with a light stemmer on the query side (search.text.stem): the endings of articles and
    plurals go, the rest matches as a prefix. No dictionary, so no vowel or consonant changes
    (каталози ↛ каталог), and no typo is forgiven."""

    vendor = "sqlite"
    UNINDEXED_SORT = "+sort_date"  # unary plus: SQLite does not use an index for it

    def update(self, rows: list[SearchDocument]) -> None:
        super().update(rows)
        if not rows:
            return
        # bulk_create sets the ids of inserted and updated rows alike (RETURNING, SQLite 3.35+).
        by_key = {(r.kind, r.object_id): r for r in rows}
        ids = {key: row.pk for key, row in by_key.items()}
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
        if term.fragment and (self.fragments or not term.word):
            parts.append("identifiers LIKE %s ESCAPE '\\'")
            params.append(_like(term.fragment))
        return "(" + " OR ".join(parts) + ")", params


def backend() -> Backend:
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteBackend()
