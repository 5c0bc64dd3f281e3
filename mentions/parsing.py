"""Reading a description: mention tokens, plain ``@handles``, links and the text between them.

One scanner serves both the renderer and the sync, so what is shown as a mention is exactly
what is stored and notified. Pure functions: no database.

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


def _registered(trigger: str, key: str) -> bool:
    from mentions import registry

    entry = registry.get(key)
    return entry is not None and entry.trigger == trigger


def scan(text: str, *, is_known: Callable[[str, str], bool] = _registered) -> list[Segment]:
    """The text as segments, in order; joined back they give the text (CRLF as LF).

    A token of a kind nobody registered, or with the other trigger (``#[x](user:1)``), is
    plain text: it is neither drawn nor stored as a mention."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    segments: list[Segment] = []
    position = 0

    def plain(chunk: str) -> None:
        if not chunk:
            return
        if segments and isinstance(segments[-1], Text):
            segments[-1] = Text(segments[-1].text + chunk)
        else:
            segments.append(Text(chunk))

    for match in SCANNER.finditer(text):
        plain(text[position : match.start()])
        position = match.end()
        if match["t_key"]:
            if is_known(match["t_trigger"], match["t_key"]):
                segments.append(Token(match["t_trigger"], match["t_label"], match["t_key"], int(match["t_id"])))
            else:
                plain(match[0])
        elif match["url"]:
            url, trailing = _split_url(match["url"])
            if url.partition("://")[2]:
                segments.append(Link(url, url))
            else:
                trailing = url + trailing
            plain(trailing)
        elif match["mailto"]:
            segments.append(Link(match["mailto"], match["mailto"]))
        elif match["email"]:
            segments.append(Link(f"mailto:{match['email']}", match["email"]))
        else:
            segments.append(Handle(match["handle"]))
    plain(text[position:])
    return segments


def collect(segments: list[Segment]) -> Mentions:
    refs = frozenset(s.ref for s in segments if isinstance(s, Token))
    handles = frozenset(s.folded for s in segments if isinstance(s, Handle))
    return Mentions(refs, handles)


def extract(text: str) -> Mentions:
    """Tokens and plain handles of ``text`` (no lookup: ids may not exist)."""
    if not text or not might_mention(text):
        return Mentions()
    return collect(scan(text))


def token_for(*, trigger: str, label: str, key: str, pk: int) -> str:
    """The stable text of a mention; the label is kept readable but cannot break the token."""
    clean = " ".join(label.replace("[", "(").replace("]", ")").split())[:MAX_LABEL] or key
    return f"{trigger}[{clean}]({key}:{pk})"
