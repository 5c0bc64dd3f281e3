"""Reading a description: mention tokens, plain ``@handles``, links and the text between them.

One scanner serves both the renderer and the sync, so what is shown as a mention is exactly
what is stored and notified. Pure functions: no database, and no registry either: callers say
which kinds exist (``is_known``, usually ``mentions.registry.is_known``), so this module is a
leaf that every other module of mentions may import.

- token: ``@[Иван Петров](user:12)``, ``#[SO-2026-00012](order:45)`` — a trigger, the label at
  the time of writing (shown only when the object is gone), the registry key and the id;
- plain handle: ``@ivan`` at the start of the text or after a space or opening punctuation, so
  ``ivan@example.bg`` (an e-mail address) and ``https://x.bg/@ivan`` (inside a link) are not;
- link: ``http(s)://…``, ``mailto:…`` and bare e-mail addresses; nothing else becomes a link.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_LABEL = 200
# Distinct mentions (tokens of known kinds, plain @handles) one text may hold. Saving more is
# refused (mentions.services.mention_sync); an older or imported text with more draws only the
# first ones as chips and looks only those up (``within_limit``), so a page stays small and
# every lookup stays a few queries. See docs/decisions.md "Mentions: limits".
MAX_MENTIONS = 50

# A mention token: trigger, [label], (key:id).
_CHIP = (
    r"(?P<t_trigger>[@#])"
    r"\[(?P<t_label>[^\[\]\r\n]{1,200})\]"
    r"\((?P<t_key>[a-z][a-z_]{0,31}):(?P<t_id>[1-9]\d{0,17})\)"
)
_URL = r"(?P<url>\bhttps?://[^\s<>\"'`\\]+)"
_MAILTO = r"(?P<mailto>\bmailto:[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
_EMAIL = r"(?P<email>(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
# Start of text, whitespace or opening punctuation before the @; the name ends on a word char.
_HANDLE = r"(?<![^\s(\[{\"'«„“,;])@(?P<handle>\w(?:[\w.+-]{0,148}\w)?)"

SCANNER = re.compile("|".join((_CHIP, _URL, _MAILTO, _EMAIL, _HANDLE)))

# Punctuation that usually ends a sentence, not a link: "виж https://x.bg/a." links "…/a".
_URL_TRAILING = ".,;:!?'\"»“”’)]}"


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Token:
    trigger: str
    label: str
    key: str
    id: int

    @property
    def ref(self) -> tuple[str, int]:
        return (self.key, self.id)

    @property
    def raw(self) -> str:
        return f"{self.trigger}[{self.label}]({self.key}:{self.id})"


@dataclass(frozen=True)
class Handle:
    name: str

    @property
    def folded(self) -> str:
        return self.name.lower()

    @property
    def raw(self) -> str:
        return f"@{self.name}"


@dataclass(frozen=True)
class Link:
    href: str
    text: str


Segment = Text | Token | Handle | Link


@dataclass(frozen=True)
class Mentions:
    """What a text (or several) mentions, before any lookup."""

    refs: frozenset[tuple[str, int]] = frozenset()
    handles: frozenset[str] = frozenset()  # folded (lower case)

    def __bool__(self) -> bool:
        return bool(self.refs or self.handles)

    def __or__(self, other: Mentions) -> Mentions:
        return Mentions(self.refs | other.refs, self.handles | other.handles)

    def __len__(self) -> int:
        """How many distinct mentions (a handle and a token may name the same person: not
        known before the lookup, so they count apart)."""
        return len(self.refs) + len(self.handles)


IsKnown = Callable[[str, str], bool]


def might_mention(text: str) -> bool:
    """The cheap pre-scan: no trigger character, nothing to look up."""
    return "@" in text or "#" in text


def _split_url(url: str) -> tuple[str, str]:
    """The link and the punctuation after it that belongs to the sentence."""
    end = len(url)
    while end and url[end - 1] in _URL_TRAILING:
        char = url[end - 1]
        if char == ")" and url[:end].count("(") >= url[:end].count(")"):
            break  # https://bg.wikipedia.org/wiki/Пловдив_(град) keeps its parenthesis
        end -= 1
    return url[:end], url[end:]


class _Segments:
    """Segments being built, neighbouring text joined into one ``Text``. The pieces of a run of
    text are joined once, when something else follows: appending to a growing string instead
    would copy it for every piece (minutes for a text of 140,000 unknown tokens)."""

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self._text: list[str] = []

    def text(self, chunk: str) -> None:
        if chunk:
            self._text.append(chunk)

    def add(self, segment: Segment) -> None:
        self._flush()
        self.segments.append(segment)

    def _flush(self) -> None:
        if self._text:
            self.segments.append(Text("".join(self._text)))
            self._text = []

    def done(self) -> list[Segment]:
        self._flush()
        return self.segments


def scan(text: str, *, is_known: IsKnown) -> list[Segment]:
    """The text as segments, in order; joined back they give the text (CRLF as LF).

    ``is_known(trigger, key)`` says whether a token names a registered kind with that trigger:
    one that does not (``#[x](user:1)``, an unregistered kind) is plain text, neither drawn
    nor stored as a mention."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    out = _Segments()
    plain = out.text
    position = 0
    for match in SCANNER.finditer(text):
        plain(text[position : match.start()])
        position = match.end()
        if match["t_key"]:
            if is_known(match["t_trigger"], match["t_key"]):
                out.add(Token(match["t_trigger"], match["t_label"], match["t_key"], int(match["t_id"])))
            else:
                plain(match[0])
        elif match["url"]:
            url, trailing = _split_url(match["url"])
            if url.partition("://")[2]:
                out.add(Link(url, url))
            else:
                trailing = url + trailing
            plain(trailing)
        elif match["mailto"]:
            out.add(Link(match["mailto"], match["mailto"]))
        elif match["email"]:
            out.add(Link(f"mailto:{match['email']}", match["email"]))
        else:
            out.add(Handle(match["handle"]))
    plain(text[position:])
    return out.done()


def _identity(segment: Token | Handle) -> tuple:
    return ("token", segment.ref) if isinstance(segment, Token) else ("handle", segment.folded)


def within_limit(segments: list[Segment], limit: int = MAX_MENTIONS) -> list[Segment]:
    """``segments`` with only the first ``limit`` distinct mentions kept as mentions (repeats of
    a kept one stay mentions); the others become the plain text they were written as."""
    kept: set[tuple] = set()
    out = _Segments()
    for segment in segments:
        if isinstance(segment, Token | Handle):
            identity = _identity(segment)
            if identity in kept or len(kept) < limit:
                kept.add(identity)
                out.add(segment)
            else:
                out.text(segment.raw)
        elif isinstance(segment, Text):
            out.text(segment.text)
        else:
            out.add(segment)
    return out.done()


def collect(segments: list[Segment]) -> Mentions:
    refs = frozenset(s.ref for s in segments if isinstance(s, Token))
    handles = frozenset(s.folded for s in segments if isinstance(s, Handle))
    return Mentions(refs, handles)


def extract(text: str, *, is_known: IsKnown, limit: int | None = MAX_MENTIONS) -> Mentions:
    """Tokens and plain handles of ``text`` (no lookup: ids may not exist): the first ``limit``
    distinct ones (what the renderer draws), or all of them with ``limit=None`` (to check a
    text before saving it)."""
    if not text or not might_mention(text):
        return Mentions()
    segments = scan(text, is_known=is_known)
    return collect(segments if limit is None else within_limit(segments, limit))


def token_for(*, trigger: str, label: str, key: str, pk: int) -> str:
    """The stable text of a mention; the label is kept readable but cannot break the token."""
    clean = " ".join(label.replace("[", "(").replace("]", ")").split())[:MAX_LABEL] or key
    return f"{trigger}[{clean}]({key}:{pk})"
