"""The scanner (mentions.parsing): what is a mention, what is a link, what stays text. No database,
and no registry: the parser is told which kinds exist."""

import pytest

from mentions import parsing
from mentions.parsing import MAX_MENTIONS, Handle, Link, Mentions, Text, Token, might_mention, token_for, within_limit

# The kinds these tests pretend are registered, with their triggers.
KNOWN = {"user": "@", "department": "@", "order": "#", "product": "#", "counterparty": "#", "thread": "#"}
KNOWN |= {"communication": "#", "task": "#"}


def is_known(trigger: str, key: str) -> bool:
    return KNOWN.get(key) == trigger


def extract(text: str, **kwargs) -> Mentions:
    return parsing.extract(text, is_known=is_known, **kwargs)


def scan(text: str):
    return parsing.scan(text, is_known=is_known)


@pytest.mark.parametrize(
    ("text", "refs", "handles"),
    [
        ("@[Иван Петров](user:12)", {("user", 12)}, set()),
        ("@[Продажби](department:3)", {("department", 3)}, set()),
        ("#[SO-2026-00012](order:45)", {("order", 45)}, set()),
        ("#[P-1 Стелаж](product:7) #[Фирма](counterparty:2)", {("product", 7), ("counterparty", 2)}, set()),
        (
            "#[TH-1](thread:1) #[IN-1](communication:2) #[T-1](task:3)",
            {("thread", 1), ("communication", 2), ("task", 3)},
            set(),
        ),
        ("обади се на @maria утре", set(), {"maria"}),
        ("@Maria", set(), {"maria"}),  # folded
        ("(@petar), „@мария“ и @ivan.", set(), {"petar", "мария", "ivan"}),
        ("ivan@example.bg", set(), set()),  # an e-mail address is not a mention
        ("пиши на ivan.petrov+erp@example.bg", set(), set()),
        ("mailto:maria@example.bg", set(), set()),
        ("https://medium.com/@ivan", set(), set()),  # inside a link
        ("a@b", set(), set()),
        ("#5 и # и @ сами", set(), set()),
        ("#[x](user:1)", set(), set()),  # wrong trigger for the kind: text
        ("@[x](order:1)", set(), set()),
        ("@[x](nosuchkind:1)", set(), set()),  # unknown kind: text
        ("@[x](user:0) @[x](user:-1) @[](user:1)", set(), set()),
        ("@[a\nb](user:1)", set(), set()),  # a label never spans lines
        ("@[Иван](user:1) @[Иван](user:1) @ivan @IVAN", {("user", 1)}, {"ivan"}),
        ("", set(), set()),
    ],
)
def test_extract(text, refs, handles):
    assert extract(text) == Mentions(frozenset(refs), frozenset(handles))


def test_scan_keeps_the_text_and_splits_it_in_order():
    text = "Здравей @[Мария](user:12),\r\nвиж https://x.bg/a_(b)). и ivan@example.bg @ivan"
    assert scan(text) == [
        Text("Здравей "),
        Token("@", "Мария", "user", 12),
        Text(",\nвиж "),
        Link("https://x.bg/a_(b)", "https://x.bg/a_(b)"),
        Text("). и "),
        Link("mailto:ivan@example.bg", "ivan@example.bg"),
        Text(" "),
        Handle("ivan"),
    ]


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("https://example.bg/path?q=1&b=2", ["https://example.bg/path?q=1&b=2"]),
        ("http://example.bg.", ["http://example.bg"]),
        ("(виж https://example.bg/x)", ["https://example.bg/x"]),
        ("mailto:a.b@example.bg", ["mailto:a.b@example.bg"]),
        ("javascript:alert(1)", []),
        ("data:text/html;base64,PHNjcmlwdD4=", []),
        ("ftp://example.bg/file", []),
        ("vbscript:msgbox(1)", []),
        ('https://x.bg/"onmouseover="alert(1)', ["https://x.bg/"]),
        ("https://", []),
        ("xhttps://example.bg", []),
    ],
)
def test_only_http_https_and_mailto_become_links(text, links):
    assert [s.href for s in scan(text) if isinstance(s, Link)] == links


def test_the_pre_scan_is_cheap_and_exact():
    assert not might_mention("нищо за търсене")
    assert might_mention("@") and might_mention("#")


@pytest.mark.parametrize(
    ("label", "token"),
    [
        ("Мария Иванова", "@[Мария Иванова](user:5)"),
        ("a]b[c", "@[a)b(c](user:5)"),
        ("  много \n  редове ", "@[много редове](user:5)"),
        ("", "@[user](user:5)"),
    ],
)
def test_token_for_cannot_break_the_token(label, token):
    assert token_for(trigger="@", label=label, key="user", pk=5) == token
    assert extract(token).refs == {("user", 5)}


def test_the_parser_is_told_what_is_known_and_imports_no_registry():
    assert parsing.extract("#[Бележка](note:3)", is_known=lambda trigger, key: True).refs == {("note", 3)}
    assert parsing.extract("#[Бележка](note:3)", is_known=lambda trigger, key: False).refs == frozenset()
    assert "registry" not in vars(parsing)


def many(n: int) -> str:
    return " ".join(f"@[Човек {i}](user:{i})" for i in range(1, n + 1))


@pytest.mark.parametrize(
    ("text", "refs", "handles", "total"),
    [
        (many(MAX_MENTIONS), MAX_MENTIONS, 0, MAX_MENTIONS),
        (many(MAX_MENTIONS + 1), MAX_MENTIONS, 0, MAX_MENTIONS + 1),  # the 51st is drawn as text
        (many(MAX_MENTIONS - 1) + " @maria @petar", MAX_MENTIONS - 1, 1, MAX_MENTIONS + 1),
        # Repeats are one mention: a repeated kept one stays a mention.
        (" ".join(["@[Иван](user:1)"] * 500 + ["@ivan"] * 500), 1, 1, 2),
    ],
)
def test_the_limit_counts_distinct_mentions(text, refs, handles, total):
    limited = extract(text)
    assert (len(limited.refs), len(limited.handles)) == (refs, handles)
    assert len(extract(text, limit=None)) == total


def test_mentions_over_the_limit_become_the_text_they_were_written_as():
    text = many(MAX_MENTIONS) + " и @[Последен](user:999), @ivan.\nкрай"
    segments = within_limit(scan(text))
    assert segments[-1] == Text(" и @[Последен](user:999), @ivan.\nкрай")
    assert "".join(s.raw if isinstance(s, Token) else s.text for s in segments) == text
    assert within_limit(scan("@[a](user:1) @a"), 1) == [Token("@", "a", "user", 1), Text(" @a")]
    assert within_limit([Handle("a"), Handle("b")], 1) == [Handle("a"), Text("@b")]
