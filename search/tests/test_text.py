"""search.text without a database: reading queries, identifier tokens, the stemmer, highlighting."""

import pytest

from search.text import MAX_QUERY_LENGTH, highlight, highlight_patterns, identifier_tokens, parse_query, stem
from search.types import Term


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("фактурите", "фактур"),
        ("фактурата", "фактур"),
        ("фактура", "фактур"),
        ("фактури", "фактур"),
        ("клиентът", "клиент"),
        ("клиенти", "клиент"),
        ("поръчките", "поръчк"),
        ("складове", "склад"),
        ("алфа", "алфа"),  # short words stay whole
        ("щори", "щори"),
    ],
)
def test_stem(word, expected):
    assert stem(word) == expected


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("фактурите", (Term(word="фактурите", fuzzy=True),)),
        ("Клиент ИЛИ Бета", (Term(word="клиент", fuzzy=True), Term(word="бета"))),  # "или": a stop word
        ("IN-2026-00012", (Term(word="in202600012", fragment="in202600012"),)),
        ("12", (Term(word="12"),)),
        ("0888 123 456", (Term(word="0888123456", fragment="0888123456"),)),
        ("+359 888 123 456", (Term(word="0888123456", fragment="0888123456"),)),
        ("Petya@Alfa-Trade.bg", (Term(word=None, fragment="petya@alfa-trade.bg"),)),
        ("и за фактура", (Term(word="фактура", fuzzy=True),)),
        ("фактура фактура", (Term(word="фактура", fuzzy=True),)),
        ("a:* & b | !c", ()),
        ("оферта:*A", (Term(word="оферта", fuzzy=True),)),
    ],
)
def test_parse_query(text, terms):
    query = parse_query(text)
    assert query.terms == terms
    assert bool(query.message) is (not terms)


def test_parse_query_bounds():
    assert parse_query("x" * (MAX_QUERY_LENGTH + 1)).message
    assert not parse_query("ab " * 60).message
    assert len(parse_query(" ".join(f"дума{i}" for i in range(20))).terms) == 8


def test_identifier_tokens():
    tokens = identifier_tokens(["IN-2026-00012", "office@alfa-trade.bg", "+359 88 812 3456", "BG831234564", ""]).split()
    for expected in ["in202600012", "2026", "00012", "12", "office@alfa-trade.bg", "alfa", "0888123456", "bg831234564"]:
        assert expected in tokens


def test_highlight_escapes_and_marks():
    pattern = highlight_patterns(parse_query("фактурите IN-2026-00012").terms)
    html = str(highlight('<b>Фактурата</b> по IN-2026-00012 & "др."', pattern))
    assert html == "&lt;b&gt;<mark>Фактурата</mark>&lt;/b&gt; по <mark>IN-2026-00012</mark> &amp; &quot;др.&quot;"
    assert str(highlight("<script>", None)) == "&lt;script&gt;"
