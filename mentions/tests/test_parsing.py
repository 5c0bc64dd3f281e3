"""The scanner (mentions.parsing): what is a mention, what is a link, what stays text. No database."""

import pytest

from mentions.parsing import Handle, Link, Mentions, Text, Token, extract, might_mention, scan, token_for


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
        ("пиши на ivan.petrov+crm@example.bg", set(), set()),
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
