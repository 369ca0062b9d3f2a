"""Searching transcripts with the knowledge base's Chinese search (character bigrams, full-text index).

A done transcript is indexed in the transaction that stores it (``index_transcript``): its text as
bigram terms in ``transcript_search`` (see ``recordings.search_models``). A query becomes the same
terms (``tickets.knowledge_text.query_terms``) and is answered in two stages, each ranked by the
database: recordings whose transcript has every term, then, while fewer than ``limit`` were found,
those with any term (SQLite FTS5 ``bm25``, PostgreSQL ``ts_rank`` over the ``simple`` tsvector).
A query of single characters only falls back to a substring match on the transcript text. Each hit
carries a snippet with the matched spans and the start time of the first segment that matches, so a
player can jump to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, column, delete, func, literal_column, select, text
from sqlalchemy.orm import Session, sessionmaker

from recordings.models import Transcript, TranscriptSegment
from recordings.search_models import TRANSCRIPT_FTS_TABLE, TranscriptSearch
from tickets.knowledge_text import bigrams, query_terms, snippet_of

Sessions = sessionmaker[Session]
MAX_LIMIT = 100
SUBSTRING_CANDIDATES = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class TranscriptHit:
    """One recording whose transcript matches, best first."""

    recording_id: str
    call_id: str
    side: str
    started_at: datetime
    score: float
    snippet: str
    highlights: tuple[tuple[int, int], ...]
    at_s: float | None


def index_transcript(
    s: Session, *, recording_id: str, call_id: str, side: str, started_at: datetime, text_: str
) -> None:
    """(Re)index one transcript in the caller's transaction ``s``."""
    s.execute(delete(TranscriptSearch).where(TranscriptSearch.recording_id == recording_id))
    s.add(
        TranscriptSearch(
            recording_id=recording_id,
            call_id=call_id,
            side=side,
            started_at=started_at,
            terms=" ".join(bigrams(text_)),
        )
    )


def search_transcripts(sm: Sessions, *, query: str, limit: int = 20) -> list[TranscriptHit]:
    """Recordings whose transcript matches ``query``, best first (at most ``limit``)."""
    terms = query_terms(query)
    limit = max(0, min(limit, MAX_LIMIT))
    if not terms or limit == 0:
        return []
    with sm() as s:
        if all(len(t) == 1 for t in terms):
            scored = _substring(s, terms, limit)
        else:
            scored = _ranked(s, terms, every=True, limit=limit, seen=())
            if len(scored) < limit and len(terms) > 1:
                seen = tuple(i for i, _ in scored)
                scored += _ranked(s, terms, every=False, limit=limit - len(scored), seen=seen)
        return _hits(s, scored, terms)


def _ranked(
    s: Session, terms: list[str], *, every: bool, limit: int, seen: Sequence[int]
) -> list[tuple[int, float]]:
    if s.get_bind().dialect.name == "postgresql":
        return _postgres(s, terms, every=every, limit=limit, seen=seen)
    return _sqlite(s, terms, every=every, limit=limit, seen=seen)


def _sqlite(
    s: Session, terms: list[str], *, every: bool, limit: int, seen: Sequence[int]
) -> list[tuple[int, float]]:
    fts = TRANSCRIPT_FTS_TABLE
    match = (" AND " if every else " OR ").join('"' + t.replace('"', '""') + '"' for t in terms)
    ranked = text(f"SELECT rowid AS id, -bm25({fts}) AS score FROM {fts} WHERE {fts} MATCH :match")
    sub = ranked.columns(column("id", Integer), column("score", Float)).subquery("ranked")
    stmt = select(sub.c.id, sub.c.score)
    if seen:
        stmt = stmt.where(sub.c.id.not_in(list(seen)))
    stmt = stmt.order_by(sub.c.score.desc(), sub.c.id).limit(limit)
    return [(int(i), float(sc)) for i, sc in s.execute(stmt, {"match": match}).all()]


def _postgres(
    s: Session, terms: list[str], *, every: bool, limit: int, seen: Sequence[int]
) -> list[tuple[int, float]]:
    quoted = (" & " if every else " | ").join("'" + t.replace("'", "''") + "'" for t in terms)
    query: Any = func.to_tsquery(literal_column("'simple'::regconfig"), quoted)
    vector: Any = literal_column("transcript_search.search_vector")
    score = func.ts_rank(vector, query).label("score")
    stmt = select(TranscriptSearch.id, score).where(vector.op("@@")(query))
    if seen:
        stmt = stmt.where(TranscriptSearch.id.not_in(list(seen)))
    stmt = stmt.order_by(score.desc(), TranscriptSearch.id).limit(limit)
    return [(int(i), float(sc)) for i, sc in s.execute(stmt).all()]


def _substring(s: Session, terms: list[str], limit: int) -> list[tuple[int, float]]:
    matches = [Transcript.text.contains(t, autoescape=True) for t in terms]
    rows = s.execute(
        select(TranscriptSearch.id, Transcript.text)
        .join(Transcript, Transcript.recording_id == TranscriptSearch.recording_id)
        .where(*matches)
        .order_by(TranscriptSearch.started_at.desc(), TranscriptSearch.id)
        .limit(SUBSTRING_CANDIDATES)
    ).all()
    scored = [(int(i), float(sum(body.count(t) for t in terms))) for i, body in rows]
    scored.sort(key=lambda pair: -pair[1])
    return scored[:limit]


def _hits(s: Session, scored: list[tuple[int, float]], terms: list[str]) -> list[TranscriptHit]:
    if not scored:
        return []
    ids = [i for i, _ in scored]
    rows = {
        r.id: (r, body)
        for r, body in s.execute(
            select(TranscriptSearch, Transcript.text)
            .join(Transcript, Transcript.recording_id == TranscriptSearch.recording_id)
            .where(TranscriptSearch.id.in_(ids))
        ).all()
    }
    hits = []
    for i, score in scored:
        if i not in rows:
            continue
        row, body = rows[i]
        snippet, spans = snippet_of(body, terms)
        hits.append(
            TranscriptHit(
                recording_id=row.recording_id,
                call_id=row.call_id,
                side=row.side,
                started_at=row.started_at,
                score=round(score, 6),
                snippet=snippet,
                highlights=spans,
                at_s=_first_at(s, row.recording_id, terms),
            )
        )
    return hits


def _first_at(s: Session, recording_id: str, terms: list[str]) -> float | None:
    segments = s.execute(
        select(TranscriptSegment.start_s, TranscriptSegment.text)
        .where(TranscriptSegment.recording_id == recording_id)
        .order_by(TranscriptSegment.start_s)
    ).all()
    for start, body in segments:
        if any(t in body.lower() for t in terms):
            return float(start)
    return None
