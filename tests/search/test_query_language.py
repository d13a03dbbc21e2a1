"""The query language: what it understands, how it says what is wrong, what it refuses."""

from __future__ import annotations

from datetime import date

import pytest

from civicrecords.errors import QueryError
from civicrecords.search import analysis
from civicrecords.search.query_nodes import (
    And,
    DateSpan,
    Every,
    Not,
    Or,
    Phrase,
    Term,
    Wildcard,
    describe,
    normalize,
)
from civicrecords.search.query_parser import QueryLimits, parse_query


def _tree(text: str) -> object:
    return normalize(parse_query(text).node)


def test_words_are_folded_stemmed_and_searched_in_text_and_title() -> None:
    assert _tree("Plowing") == Or((Term("text", "plow"), Term("title", "plow")))
    assert _tree("CAFÉ") == Or((Term("text", "cafe"), Term("title", "cafe")))
    assert _tree("text:Straße") == Term("text", "strass")
    assert _tree("Oak-Street") == Or((Phrase("text", ("oak", "street")),
                                      Phrase("title", ("oak", "street"))))


def test_operators_groups_and_precedence() -> None:
    snow, ice = _tree("snow"), _tree("ice")
    assert isinstance(snow, Or) and isinstance(ice, Or)
    assert _tree("snow ice") == _tree("snow AND ice") == And((snow, ice))
    assert _tree("snow OR ice plow") == Or((*snow.children, And((ice, _tree("plow")))))
    assert _tree("(snow OR ice) plow") == And((Or((*snow.children, *ice.children)),
                                               _tree("plow")))
    assert _tree("snow NOT ice") == _tree("snow -ice") == And((snow, Not(ice)))
    assert _tree("NOT ice") == And((Every(), Not(ice)))
    assert _tree("+snow") == snow
    assert _tree("kind:(post OR media)") == Or((Term("kind", "post"), Term("kind", "media")))


def test_fields_phrases_wildcards_and_dates() -> None:
    assert _tree('author:"Karen Olson"') == Phrase("author", ("karen", "olson"))
    assert _tree("author:@KarenOlson@North.example") == Term("author",
                                                             "karenolson@north.example")
    assert _tree("tag:#SnowEmergency") == Term("tag", "snowemergency")
    assert _tree("account:Lakeside-Mayor") == Term("account", "lakeside-mayor")
    assert _tree("url:oak-street") == Phrase("url", ("oak", "street"))
    assert _tree("plow*") == Wildcard("words", "plow*")
    assert _tree("title:te?t") == Wildcard("words", "te?t")
    assert _tree('"snow emergency"~2') == Or((Phrase("text", ("snow", "emerg"), 2),
                                             Phrase("title", ("snow", "emerg"), 2)))
    assert _tree("text:\"a b c\"~1") == And((Phrase("text", ("a", "b"), 1),
                                            Phrase("text", ("b", "c"), 1)))
    assert _tree("created:2026-02") == DateSpan(date(2026, 2, 1), date(2026, 2, 28))
    assert _tree("created:2024") == DateSpan(date(2024, 1, 1), date(2024, 12, 31))
    assert _tree("created:[2026-01-01 TO 2026-01-31]") == DateSpan(date(2026, 1, 1),
                                                                   date(2026, 1, 31))
    assert _tree("created:{2026-01-01 TO 2026-02}") == DateSpan(date(2026, 1, 2),
                                                                date(2026, 1, 31))
    assert _tree("created:[2026-01-15 TO]") == DateSpan(date(2026, 1, 15), None)
    assert _tree("created:[* TO 2026-01-15]") == DateSpan(None, date(2026, 1, 15))


def test_common_words_are_ignored_unless_quoted() -> None:
    parsed = parse_query("the snow")
    assert normalize(parsed.node) == _tree("snow") and parsed.ignored == ["the"]
    assert _tree('"the"') == Or((Term("text", "the"), Term("title", "the")))
    with pytest.raises(QueryError, match="nothing to search for: the, of"):
        parse_query("the of")


def test_urls_are_words_not_fields() -> None:
    tree = _tree("https://www.lakesidemn.example/snow")
    assert isinstance(tree, Or) and tree.children[0] == Phrase(
        "text", ("https", "www", "lakesidemn", "exampl", "snow"))


@pytest.mark.parametrize(("query", "message"), [
    ("(snow", "character 1 near '(snow': this '(' is never closed"),
    ("snow)", "character 5 near ')': this ')' has no matching '('"),
    ('"snow emergency', "character 1 near '\"snow emergency': this quote is never closed"),
    ("snow OR", "character 6 near 'OR': 'OR' needs a term after it"),
    ("OR snow", "character 1 near 'OR snow': 'OR' needs a term before it"),
    ("snow AND", "'AND' needs a term after it"),
    ("NOT", "'NOT' needs a term after it"),
    ("()", "empty parentheses"),
    ("autor:karen", "unknown field 'autor'"),
    ("author: karen", "'author:' needs a value right after the colon"),
    ("kind:comments", "kind: 'comments' is not one of post, comment, message, media, page"),
    ("status:deleted", "is not one of live, edited, removed"),
    ("created:2026-13", "'2026-13' is not a valid date"),
    ("created:yesterday", "'yesterday' is not a date"),
    ("created:[2026-02-01 TO 2026-01-01]", "the range ends before it starts"),
    ("created:[2026-01-01 2026-02-01]", "a range looks like"),
    ("text:[a TO b]", "ranges work only on dates"),
    ("created:[2026-01-01 TO 2026-02-01", "range is never closed"),
    ("a*", "'a*' is too broad"),
    ("author:*", "is too broad"),
    ("plow*ing!", "wildcards work on single words"),
])
def test_malformed_queries_say_where_and_what(query: str, message: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse_query(query)
    assert message in raised.value.message
    assert "\n" not in raised.value.message


@pytest.mark.parametrize(("query", "message"), [
    ("snow " * 300, "query is 1499 characters; the limit is 1000"),
    (" ".join(f"w{i}" for i in range(65)), "more than 64 search terms"),
    ("(" * 9 + "snow" + ")" * 9, "nested more than 8 levels deep"),
    ("NOT " * 9 + "snow", "nested more than 8 levels deep"),
    ("ab* cd* ef* gh* ij*", "more than 4 wildcards"),
    ("*ab *cd", "more than 1 wildcard(s) at the start of a word"),
])
def test_costly_queries_are_refused_before_any_work(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_query(query)


def test_limits_come_from_the_caller() -> None:
    loose = QueryLimits(max_chars=100_000, max_terms=10_000, max_depth=5_000)
    assert normalize(parse_query("(" * 50 + "snow" + ")" * 50, loose).node) == _tree("snow")
    deep = "(" * 3000 + "snow" + ")" * 3000
    with pytest.raises(QueryError, match="nested more than 50"):
        parse_query(deep, loose)
    with pytest.raises(QueryError, match="nested more than 8"):
        parse_query(deep, QueryLimits(max_chars=100_000))
    assert parse_query("a*", QueryLimits(wildcard_min_chars=1)).node == Wildcard("words", "a*")


def test_describe_spells_out_what_is_searched() -> None:
    text = describe(_tree('snow -plow* author:mayor created:2026-01 "oak street"~2'))
    assert text == ('(text:snow OR title:snow) AND NOT words:plow* AND author:mayor AND '
                    'created:[2026-01-01 TO 2026-01-31] AND '
                    '(text:"oak street"~2 OR title:"oak street"~2)')


def test_analysis_keeps_offsets_of_the_original_text() -> None:
    text = "CAFÉ straße can’t İstanbul"
    tokens = analysis.tokens_with_offsets(text)
    assert [t.word for t in tokens] == analysis.words(text) == ["cafe", "strasse", "can't",
                                                               "istanbul"]
    assert [text[t.start:t.end] for t in tokens] == ["CAFÉ", "straße", "can’t", "İstanbul"]
    assert analysis.words("x" * 65 + " ok") == ["ok"]
    assert analysis.name_terms("@Karen@North.example", "Karen Ölson") == [
        "karen@north.example", "karen", "karen", "olson"]
