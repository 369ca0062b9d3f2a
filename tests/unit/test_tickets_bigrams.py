"""Character bigrams: Chinese runs become overlapping pairs, Latin words and numbers stay whole."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.knowledge_text import MAX_QUERY_TERMS, bigrams, query_terms


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("噪音扰民", ["噪音", "音扰", "扰民"]),
        ("停水", ["停水"]),
        ("水", ["水"]),
        ("怎么办？停水了！", ["怎么", "么办", "停水", "水了"]),
        ("拨打12345热线", ["拨打", "12345", "热线"]),
        ("ＡＰＰ无法登录", ["app", "无法", "法登", "登录"]),
        ("Social Security", ["social", "security"]),
        ("'; DROP TABLE x; --", ["drop", "table", "x"]),
        ("", []),
    ],
)
def test_bigrams(text: str, terms: list[str]) -> None:
    assert bigrams(text) == terms


def test_query_terms_are_distinct_and_bounded() -> None:
    assert query_terms("停水停水") == ["停水", "水停"]
    assert len(query_terms("".join(chr(0x4E00 + i) for i in range(500)))) == MAX_QUERY_TERMS


@given(st.text(max_size=200))
def test_terms_are_never_empty_and_never_carry_query_syntax(text: str) -> None:
    for term in bigrams(text):
        assert term
        assert not set(term) & set("\"'()*:&|!^-+ ")
