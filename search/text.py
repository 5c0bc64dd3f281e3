"""Text rules shared by both backends: reading a query, the identifier tokens of a document, the
Bulgarian stop words and the light stemmer SQLite uses, and safe highlighting.

Pure functions, no database: the table-driven tests run them without one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from search.types import Query, Term

# A query longer than this is refused with a message (a pasted page is no search).
MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
FUZZY_MIN_LENGTH = 6
# Fragments shorter than this match identifiers only as whole tokens or their beginnings (a
# two-digit fragment inside every number would match everything).
FRAGMENT_MIN_LENGTH = 3
PHONE_MIN_DIGITS = 6

STOP_WORDS_FILE = Path(__file__).resolve().parent / "sql" / "bulgarian.stop"
STOP_WORDS = frozenset(
    line.strip() for line in STOP_WORDS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()
)

WORD_RE = re.compile(r"[^\W_]+")
PHONE_RE = re.compile(r"^[\d\s+()./-]+$")

# Bulgarian endings: postfixed articles and plural/gender endings, longest first. SQLite's search
# cuts them off a query word and matches the rest as a prefix; PostgreSQL uses hunspell-bg.
ENDINGS = sorted(
    {
        "ищата", "овете", "евете", "ите", "ата", "ята", "ото", "ето", "ове", "еве", "ища", "ият", "ия",
        "ът", "ят", "та", "то", "те", "и", "а", "я", "о", "е", "у", "ю",
    },
    key=len,
    reverse=True,
)  # fmt: skip
STEM_MIN_LENGTH = 4


def stem(word: str) -> str:
    """A light Bulgarian stem: "фактурите", "фактурата", "фактура" → "фактур"; "клиентът" →
    "клиент". Never shorter than STEM_MIN_LENGTH letters (short words are kept whole)."""
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= STEM_MIN_LENGTH:
            return word[: -len(ending)]
    return word


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def phone_national(digits: str) -> str:
    """+359 88 812 3456, 00359…, 0888 123 456 → 0888123456: one spelling to compare."""
    if digits.startswith("00359"):
        return "0" + digits[5:]
    if digits.startswith("359") and len(digits) >= 11:
        return "0" + digits[3:]
    return digits


def _canonical(text: str) -> str:
    return "".join(WORD_RE.findall(text.lower()))


def identifier_tokens(identifiers: Iterable[str]) -> str:
    """The stored ``identifiers`` text: per identifier its letters and digits run together
    ("IN-2026-00012" → "in202600012"), each group of digits with and without leading zeros
    ("2026", "00012", "12"), an e-mail address as written (lowercased), a phone number as its
    national digits. Space-separated, each token once."""
    tokens: dict[str, None] = {}
    for raw in identifiers:
        raw = (raw or "").strip()
        if not raw:
            continue
        lowered = raw.lower()
        if "@" in lowered:
            tokens[lowered] = None
            for word in WORD_RE.findall(lowered):  # office@alfa-trade.bg: "alfa", "trade" too
                tokens[word] = None
        if PHONE_RE.match(raw) and len(_digits(raw)) >= PHONE_MIN_DIGITS:
            tokens[phone_national(_digits(raw))] = None
            continue
        tokens[_canonical(lowered)] = None
        for group in re.findall(r"\d+", lowered):
            tokens[group] = None
            tokens[group.lstrip("0") or "0"] = None
    tokens.pop("", None)
    return " ".join(tokens)


def parse_query(raw: str | None) -> Query:
    """The terms of what the user typed, or a message saying why nothing is searched. Any input
    is accepted: operators, quotes and SQL are just characters here (terms hold letters, digits,
    and an e-mail's ``@.-_+``), and the backends pass every term as a parameter."""
    text = (raw or "").strip()
    if not text:
        return Query(message=_("Type what to search for."))
    if len(text) > MAX_QUERY_LENGTH:
        return Query(message=_("The search text is too long: at most %(max)s characters.") % {"max": MAX_QUERY_LENGTH})
    if PHONE_RE.match(text) and len(_digits(text)) >= PHONE_MIN_DIGITS and re.search(r"\d\D+\d", text):
        # "0888 123 456", "+359 (88) 812-3456": one number, matched by its digits.
        digits = phone_national(_digits(text))
        return Query(terms=(Term(word=digits, fragment=digits),))
    terms: list[Term] = []
    for part in text.split():
        if "@" in part:
            email = "".join(re.findall(r"[\w@.+-]+", part.lower())).strip(".-")
            if len(email) >= FRAGMENT_MIN_LENGTH:
                terms.append(Term(word=None, fragment=email))
            continue
        if any(ch.isdigit() for ch in part):
            canonical = _canonical(part)
            if len(canonical) >= 2:
                fragment = canonical if len(canonical) >= FRAGMENT_MIN_LENGTH else None
                terms.append(Term(word=canonical, fragment=fragment))
            continue
        for word in WORD_RE.findall(part.lower()):
            if len(word) < 2 or word in STOP_WORDS:
                continue
            terms.append(Term(word=word, fuzzy=len(word) >= FUZZY_MIN_LENGTH))
    unique = list(dict.fromkeys(terms))[:MAX_TERMS]
    if not unique:
        return Query(
            message=_("Type at least two letters or digits (common words such as “и”, “за” are not searched).")
        )
    return Query(terms=tuple(unique))


def levenshtein(a: str, b: str, limit: int = 1) -> int:
    """Edit distance of ``a`` and ``b``, or ``limit + 1`` as soon as it is known to be larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


# --- highlighting --------------------------------------------------------------------------------


def highlight_patterns(terms: Iterable[Term], extra_words: Iterable[str] = ()) -> re.Pattern | None:
    """One regex for what a result highlights: the beginning of each word term (its stem, a
    letter shorter for a changed last consonant: доставчици/доставчик), fragments anywhere, and
    the words a typo was taken for."""
    parts = []
    for term in terms:
        if term.word and not term.fragment:
            root = stem(term.word)
            root = root[: max(STEM_MIN_LENGTH, len(root) - 1)] if len(root) > STEM_MIN_LENGTH + 1 else root
            parts.append(r"(?<!\w)" + re.escape(root) + r"\w*")
        if term.fragment:
            # "in202600012" highlights "IN-2026-00012": separators may stand between its characters.
            parts.append(r"[\W_]?".join(re.escape(ch) for ch in term.fragment))
        elif term.word and term.word.isdigit():
            parts.append(re.escape(term.word))
    for word in extra_words:
        parts.append(r"(?<!\w)" + re.escape(word) + r"\w*")
    if not parts:
        return None
    return re.compile("|".join(sorted(set(parts), key=len, reverse=True)), re.IGNORECASE)


def highlight(text: str, pattern: re.Pattern | None) -> SafeString:
    """``text`` escaped, with the matches of ``pattern`` in ``<mark>``: only the mark tags are ours."""
    if not text:
        return mark_safe("")  # noqa: S308 - empty
    if pattern is None:
        return mark_safe(str(escape(text)))  # noqa: S308 - escaped
    out, position = [], 0
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        out.append(str(escape(text[position : match.start()])))
        out.append("<mark>" + str(escape(match.group())) + "</mark>")
        position = match.end()
    out.append(str(escape(text[position:])))
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped


SNIPPET_LENGTH = 160


def snippet(text: str, pattern: re.Pattern | None) -> SafeString:
    """About SNIPPET_LENGTH characters of ``text`` around its first match, highlighted; empty
    when the text does not match (the title shows the match then)."""
    text = " ".join((text or "").split())
    match = pattern.search(text) if pattern is not None and text else None
    if match is None:
        return mark_safe("")  # noqa: S308 - empty
    start = max(0, match.start() - SNIPPET_LENGTH // 3)
    end = min(len(text), start + SNIPPET_LENGTH)
    piece = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    return highlight(piece, pattern)
