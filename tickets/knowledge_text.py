"""Chinese text as search terms: character bigrams, query terms and matched snippets.

Chinese has no spaces, so text is indexed as overlapping character bigrams ("噪音扰民" → 噪音 音扰
扰民); Latin letters and digits stay whole words; text is NFKC-normalised and lower-cased first. The
knowledge base (tickets.knowledge) indexes and queries with these, and so may any other search over
Chinese text (order duplicates, transcripts).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9a-z]+")
MAX_QUERY_TERMS = 64
SNIPPET_CHARS = 80
SNIPPET_LEAD = 16


def _runs(value: str) -> Iterator[str]:
    return (m.group(0) for m in _RUN.finditer(unicodedata.normalize("NFKC", value).lower()))


def bigrams(value: str) -> list[str]:
    """Index terms of ``value``: CJK runs as overlapping bigrams (a lone character as itself), words whole."""
    terms: list[str] = []
    for run in _runs(value):
        if run.isascii() or len(run) == 1:
            terms.append(run)
        else:
            terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    return terms


def query_terms(query: str) -> list[str]:
    """Distinct terms of a search query, in first-seen order, at most ``MAX_QUERY_TERMS``."""
    return list(dict.fromkeys(bigrams(query)))[:MAX_QUERY_TERMS]


def index_terms(title: str, body: str, tags: Sequence[str]) -> tuple[str, str]:
    """The stored bigram forms ``(title_terms, body_terms)``; tags are searched with the body."""
    return " ".join(bigrams(title)), " ".join(bigrams(body + " " + " ".join(tags)))


def _spans(text_: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    lowered = unicodedata.normalize("NFKC", text_).lower()
    if len(lowered) != len(text_):
        lowered = text_.lower()
    found = sorted(
        (m.start(), m.start() + len(t)) for t in terms if t for m in re.finditer(re.escape(t), lowered)
    )
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet_of(body: str, terms: Sequence[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A window of ``body`` around its first matched term and the matched spans within that window."""
    spans = _spans(body, terms)
    start = max(0, spans[0][0] - SNIPPET_LEAD) if spans else 0
    end = min(len(body), start + SNIPPET_CHARS)
    window = body[start:end]
    lead = "…" if start > 0 else ""
    tail = "…" if end < len(body) else ""
    shift = len(lead) - start
    inside = tuple((max(a, start) + shift, min(b, end) + shift) for a, b in spans if a < end and b > start)
    return lead + window + tail, inside
