"""Where the new text of a reply ends and the quoted history begins.

Our own rule, not mail-parser-reply: that library knows no Bulgarian or Russian client headers
("На … написа:", "От: … Изпратено:"), which is most of what our users receive. The rule:
the history starts at the first line that is

- an attribution line: "On … wrote:", "На … написа:", "… написал(а):", "Am … schrieb …:";
- an Outlook separator: "-----Original Message-----", "-----Оригинално съобщение-----",
  "________________________________" followed by a From:/От: block;
- a header block of a forwarded or Outlook-quoted mail: "From:"/"От:" with "Sent:"/"Изпратено:"/
  "Date:"/"Дата:" within the next three lines;
- or the start of the last run of lines quoted with ">" (with blank lines between them).

Everything from there on is the history. A text that is all history (a forward with no note)
keeps it as the new text: something must be shown.
"""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"^\s*(?:"
    r"On\s.{0,200}\swrote:"
    r"|На\s.{0,200}\sнаписа(?:\s*\(а\))?:"
    r"|.{0,200}\sнаписал(?:\(а\)|а)?:"
    r"|Am\s.{0,200}\sschrieb.{0,80}:"
    r"|Le\s.{0,200}\sa\sécrit\s?:"
    r")\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original Message|Оригинално съобщение|Исходное сообщение|Forwarded message|"
    r"Препратено съобщение|Пересылаемое сообщение|Weitergeleitete Nachricht)\s*-{2,}|_{20,})\s*$",
    re.IGNORECASE,
)
_FROM = re.compile(r"^\s*\*?(?:From|От|De|Von)\s*:\*?\s", re.IGNORECASE)
_FROM_COMPANION = re.compile(
    r"^\s*\*?(?:Sent|Изпратено|Отправлено|Date|Дата|Gesendet|Envoyé|To|До|Кому|Subject|Относно|Тема)\s*:", re.IGNORECASE
)


def _history_start(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if _ATTRIBUTION.match(line) or _SEPARATOR.match(line):
            return index
        # Gmail wraps a long attribution over two lines: "On Mon, … at 10:00, Иван Петров <\nivan@x.bg> wrote:"
        if index + 1 < len(lines) and _ATTRIBUTION.match(f"{line} {lines[index + 1]}") and line.strip():
            return index
        if _FROM.match(line) and any(_FROM_COMPANION.match(nxt) for nxt in lines[index + 1 : index + 4]):
            return index
    # Quoted lines at the end (bottom-quoting, or a client that writes no attribution).
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (lines[start - 1].lstrip().startswith(">") or not lines[start - 1].strip()):
        start -= 1
    while start < end and not lines[start].strip():
        start += 1
    if start < end and lines[start].lstrip().startswith(">"):
        return start
    return None


def split_quoted(text: str) -> tuple[str, str]:
    """(new text, quoted history) of a plain-text body."""
    lines = text.split("\n")
    start = _history_start(lines)
    if start is None:
        return text.strip(), ""
    new = "\n".join(lines[:start]).strip()
    quoted = "\n".join(lines[start:]).strip()
    if not new:
        return quoted, ""
    return new, quoted
