"""The knowledge base: articles with title, body and tags, searched by character bigrams.

Chinese has no spaces, so text is indexed as overlapping character bigrams ("噪音扰民" → 噪音 音扰
扰民); Latin letters and digits stay whole words. The bigram form is stored next to the text and
indexed by the database's own full-text engine: SQLite FTS5 (ranked with ``bm25``, title weighted
3:1) or PostgreSQL ``tsvector`` with the ``simple`` configuration (ranked with ``ts_rank``, title
weight A, body B). A query shorter than one bigram (a single character) falls back to a substring
match (``LIKE``/``ILIKE``) because no indexed term can contain it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import WRITE_OPTION
from tickets.errors import TicketNotFoundError, TicketValidationError
from tickets.models import KNOWLEDGE_FTS_TABLE, KnowledgeArticle
from tickets.rows import ArticleHit, ArticleRow

__all__ = ["add_article", "bigrams", "get_article", "query_terms", "search_articles"]

Sessions = sessionmaker[Session]
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9a-z]+")
_PG_VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body_terms), 'B')"
)
MAX_QUERY_TERMS = 64
SUBSTRING_CANDIDATES = 200


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


def _row(a: KnowledgeArticle) -> ArticleRow:
    return ArticleRow(
        id=a.id,
        title=a.title,
        body=a.body,
        tags=tuple(a.tags),
        created_by=a.created_by,
        created_at=a.created_at,
        updated_at=a.updated_at,
    )


@contextmanager
def _writing(sm: Sessions) -> Iterator[Session]:
    with sm.begin() as session:
        session.connection(execution_options={WRITE_OPTION: True})
        yield session


def add_article(
    sm: Sessions,
    *,
    title: str,
    body: str,
    tags: Sequence[str] = (),
    created_by: str,
    now: datetime | None = None,
) -> ArticleRow:
    """Store an article and index it (the database's triggers or expression index do the indexing)."""
    now = datetime.now(UTC) if now is None else now
    if now.tzinfo is None or now.utcoffset() is None:
        raise TicketValidationError("naive_datetime", "now must be timezone-aware", field="now")
    if not title.strip():
        raise TicketValidationError("invalid_value", "an article needs a title", field="title")
    clean_tags = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    article = KnowledgeArticle(
        title=title.strip(),
        body=body,
        tags=clean_tags,
        title_terms=" ".join(bigrams(title)),
        body_terms=" ".join(bigrams(body + " " + " ".join(clean_tags))),
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    with _writing(sm) as s:
        s.add(article)
        s.flush()
        return _row(article)


def get_article(sm: Sessions, *, article_id: int) -> ArticleRow:
    """The article ``article_id``; ``TicketNotFoundError`` if there is none."""
    with sm() as s:
        article = s.get(KnowledgeArticle, article_id)
        if article is None:
            raise TicketNotFoundError("article_not_found", f"no article {article_id}", article_id=article_id)
        return _row(article)


def search_articles(sm: Sessions, *, query: str, limit: int = 10) -> list[ArticleHit]:
    """Articles matching ``query``, best first; an empty list when nothing matches."""
    terms = query_terms(query)
    limit = max(0, limit)
    if not terms or limit == 0:
        return []
    with sm() as s:
        if all(len(t) == 1 for t in terms):
            return _substring(s, terms, limit)
        if s.get_bind().dialect.name == "postgresql":
            return _postgres(s, terms, limit)
        return _sqlite(s, terms, limit)


def _hits(s: Session, found: Sequence[Any]) -> list[ArticleHit]:
    scored = [(int(i), float(score)) for i, score in found]
    ids = [article_id for article_id, _ in scored]
    articles = {a.id: a for a in s.scalars(select(KnowledgeArticle).where(KnowledgeArticle.id.in_(ids)))}
    return [ArticleHit(article=_row(articles[i]), score=round(score, 6)) for i, score in scored]


def _sqlite(s: Session, terms: list[str], limit: int) -> list[ArticleHit]:
    match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
    stmt = text(
        f"SELECT rowid, -bm25({KNOWLEDGE_FTS_TABLE}, 3.0, 1.0) AS score FROM {KNOWLEDGE_FTS_TABLE} "
        f"WHERE {KNOWLEDGE_FTS_TABLE} MATCH :match ORDER BY score DESC, rowid LIMIT :limit"
    )
    return _hits(s, s.execute(stmt, {"match": match, "limit": limit}).all())


def _postgres(s: Session, terms: list[str], limit: int) -> list[ArticleHit]:
    tsquery = " | ".join("'" + t.replace("'", "''") + "'" for t in terms)
    stmt = text(
        f"SELECT id, ts_rank({_PG_VECTOR}, q)::float8 AS score "
        f"FROM knowledge_articles, to_tsquery('simple'::regconfig, :q) AS q "
        f"WHERE ({_PG_VECTOR}) @@ q ORDER BY score DESC, id LIMIT :limit"
    ).bindparams(bindparam("q"), bindparam("limit"))
    return _hits(s, s.execute(stmt, {"q": tsquery, "limit": limit}).all())


def _substring(s: Session, terms: list[str], limit: int) -> list[ArticleHit]:
    col = KnowledgeArticle
    matches = [
        or_(col.title.icontains(t, autoescape=True), col.body.icontains(t, autoescape=True)) for t in terms
    ]
    query = select(col).where(or_(*matches)).order_by(col.id).limit(SUBSTRING_CANDIDATES)
    scored = [(a, 1.0 + sum(t in a.title.lower() for t in terms)) for a in s.scalars(query)]
    scored.sort(key=lambda pair: (-pair[1], pair[0].id))
    return [ArticleHit(article=_row(a), score=score) for a, score in scored[:limit]]
