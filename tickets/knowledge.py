"""The knowledge base: articles with title, body and tags, searched by character bigrams.

Chinese has no spaces, so text is indexed as overlapping character bigrams ("噪音扰民" → 噪音 音扰
扰民); Latin letters and digits stay whole words. The bigram form is stored next to the text and
indexed by the database's own full-text engine: SQLite FTS5 (ranked with ``bm25``, title weighted
3:1) or PostgreSQL ``tsvector`` with the ``simple`` configuration, stored in the generated columns
``search_vector`` (title weight A, body B) and ``title_vector``, ranked with ``ts_rank`` in stages
(see ``_postgres``) so the cost stays bounded when a term is in most articles. A query shorter than one bigram
(a single character) falls back to a substring match (``LIKE``/``ILIKE``) because no indexed term
can contain it.

Agents are offered only ``active`` articles whose expiry date (a Beijing calendar day) has not
passed; editors (``tickets.knowledge_admin``) see every article.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import writing
from tickets.errors import TicketNotFoundError, TicketValidationError
from tickets.knowledge_rows import Article, ArticleStatus, KnowledgeHit
from tickets.knowledge_text import MAX_QUERY_TERMS, bigrams, index_terms, query_terms, snippet_of
from tickets.models import KNOWLEDGE_FTS_TABLE, KnowledgeArticle
from tickets.rows import ArticleHit, ArticleRow
from tickets.vocab import BEIJING

__all__ = [
    "MAX_QUERY_TERMS",
    "add_article",
    "article_of",
    "bigrams",
    "find_for_agents",
    "get_article",
    "index_terms",
    "query_terms",
    "search_articles",
    "search_ids",
    "snippet_of",
    "today",
]

Sessions = sessionmaker[Session]
SUBSTRING_CANDIDATES = 200
RANK_CANDIDATES = 300
TITLE_BONUS = 1.0


def today(now: datetime | None = None) -> date:
    """The Beijing calendar day of ``now`` (default: the current time), against which expiry is judged."""
    return (datetime.now(UTC) if now is None else now).astimezone(BEIJING).date()


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


def article_of(a: KnowledgeArticle) -> Article:
    """The row form of a stored article."""
    return Article(
        id=a.id,
        title=a.title,
        body=a.body,
        tags=tuple(a.tags),
        category=a.category,
        owner_department=a.owner_department,
        expires_on=a.expires_on,
        status=ArticleStatus(a.status),
        version=a.version,
        created_by=a.created_by,
        created_at=a.created_at,
        updated_by=a.updated_by,
        updated_at=a.updated_at,
    )


def check_aware(now: datetime) -> None:
    """Refuse a naive ``now``."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise TicketValidationError("naive_datetime", "now must be timezone-aware", field="now")


def new_article(
    *,
    title: str,
    body: str,
    tags: Sequence[str],
    category: str | None,
    owner_department: str | None,
    expires_on: date | None,
    created_by: str,
    now: datetime,
) -> KnowledgeArticle:
    """An unsaved article with its index terms; a blank title is refused."""
    if not title.strip():
        raise TicketValidationError("invalid_value", "an article needs a title", field="title")
    clean_tags = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    title_terms, body_terms = index_terms(title, body, clean_tags)
    return KnowledgeArticle(
        title=title.strip(),
        body=body,
        tags=clean_tags,
        title_terms=title_terms,
        body_terms=body_terms,
        category=category,
        owner_department=owner_department,
        expires_on=expires_on,
        status=ArticleStatus.ACTIVE.value,
        version=1,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )


def add_article(
    sm: Sessions,
    *,
    title: str,
    body: str,
    tags: Sequence[str] = (),
    created_by: str,
    now: datetime | None = None,
) -> ArticleRow:
    """Store an article and index it (the database's triggers or generated column do the indexing)."""
    now = datetime.now(UTC) if now is None else now
    check_aware(now)
    article = new_article(
        title=title,
        body=body,
        tags=tags,
        category=None,
        owner_department=None,
        expires_on=None,
        created_by=created_by,
        now=now,
    )
    with writing(sm) as s:
        s.add(article)
        s.flush()
        return _row(article)


def get_article(sm: Sessions, *, article_id: int) -> ArticleRow:
    """The article ``article_id``; ``TicketNotFoundError`` if there is none."""
    with sm() as s:
        return _row(stored(s, article_id))


def stored(s: Session, article_id: int) -> KnowledgeArticle:
    """The stored article ``article_id``; ``TicketNotFoundError`` if there is none."""
    article = s.get(KnowledgeArticle, article_id)
    if article is None:
        raise TicketNotFoundError("article_not_found", f"no article {article_id}", article_id=article_id)
    return article


def offered(on: date) -> ColumnElement[bool]:
    """The condition of an article agents are offered on day ``on``: active and not expired."""
    col = KnowledgeArticle
    return and_(col.status == ArticleStatus.ACTIVE.value, or_(col.expires_on.is_(None), col.expires_on >= on))


def search_ids(
    s: Session, *, query: str, limit: int, on: date | None, extra: ColumnElement[bool] | None = None
) -> list[tuple[int, float]]:
    """``(article id, score)`` of the best matches of ``query``; ``on`` set: only articles offered that day.

    ``extra`` narrows the candidates further (an editor's filters)."""
    terms = query_terms(query)
    limit = max(0, limit)
    if not terms or limit == 0:
        return []
    cond = offered(on) if on is not None else None
    if extra is not None:
        cond = extra if cond is None else and_(cond, extra)
    if all(len(t) == 1 for t in terms):
        return _substring(s, terms, limit, cond)
    if s.get_bind().dialect.name == "postgresql":
        return _postgres(s, terms, limit, cond)
    return _sqlite(s, terms, limit, cond)


def _loaded(s: Session, scored: Sequence[tuple[int, float]]) -> dict[int, KnowledgeArticle]:
    ids = [article_id for article_id, _ in scored]
    return {a.id: a for a in s.scalars(select(KnowledgeArticle).where(KnowledgeArticle.id.in_(ids)))}


def search_articles(sm: Sessions, *, query: str, limit: int = 10, on: date | None = None) -> list[ArticleHit]:
    """Articles offered to agents (on ``on``, default today) matching ``query``, best first."""
    with sm() as s:
        scored = search_ids(s, query=query, limit=limit, on=today() if on is None else on)
        articles = _loaded(s, scored)
        return [ArticleHit(article=_row(articles[i]), score=round(score, 6)) for i, score in scored]


def find_for_agents(
    sm: Sessions, *, query: str, limit: int = 5, on: date | None = None
) -> list[KnowledgeHit]:
    """Like ``search_articles`` with the article's lifecycle fields and a highlighted snippet per hit."""
    terms = query_terms(query)
    with sm() as s:
        scored = search_ids(s, query=query, limit=limit, on=today() if on is None else on)
        articles = _loaded(s, scored)
        hits = []
        for i, score in scored:
            snippet, spans = snippet_of(articles[i].body, terms)
            hits.append(
                KnowledgeHit(
                    article=article_of(articles[i]), score=round(score, 6), snippet=snippet, highlights=spans
                )
            )
        return hits


def _sqlite(
    s: Session, terms: list[str], limit: int, cond: ColumnElement[bool] | None
) -> list[tuple[int, float]]:
    fts = KNOWLEDGE_FTS_TABLE
    match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
    ranked = text(f"SELECT rowid AS id, -bm25({fts}, 3.0, 1.0) AS score FROM {fts} WHERE {fts} MATCH :match")
    sub = ranked.columns(column("id", Integer), column("score", Float)).subquery("ranked")
    stmt = select(sub.c.id, sub.c.score).join(KnowledgeArticle, KnowledgeArticle.id == sub.c.id)
    if cond is not None:
        stmt = stmt.where(cond)
    stmt = stmt.order_by(sub.c.score.desc(), sub.c.id).limit(limit)
    return [(int(i), float(score)) for i, score in s.execute(stmt, {"match": match}).all()]


def _tsquery(terms: list[str], joiner: str) -> ColumnElement[Any]:
    quoted = joiner.join("'" + t.replace("'", "''") + "'" for t in terms)
    return func.to_tsquery(literal_column("'simple'::regconfig"), quoted)


def _postgres(
    s: Session, terms: list[str], limit: int, cond: ColumnElement[bool] | None
) -> list[tuple[int, float]]:
    """Three stages, each only while fewer than ``limit`` are found, so a common term never makes the
    server rank most of the table: articles whose title has every term (ranked on the small title
    vector, scored above the rest), then articles with every term anywhere, then with any term; the
    last two rank at most ``RANK_CANDIDATES`` matches each (in index order) and go to the server as one
    statement (see ``_later_stages``), so a search takes at most two round trips."""
    col = KnowledgeArticle
    title: ColumnElement[Any] = literal_column("knowledge_articles.title_vector")
    any_term, every_term = _tsquery(terms, " | "), _tsquery(terms, " & ")
    score = (func.ts_rank(title, any_term) + TITLE_BONUS).label("score")
    stmt = select(col.id, score).where(title.op("@@")(every_term))
    if cond is not None:
        stmt = stmt.where(cond)
    found = [(int(i), float(sc)) for i, sc in s.execute(stmt.order_by(score.desc(), col.id).limit(limit))]
    if len(found) >= limit:
        return found
    queries = (every_term, any_term) if len(terms) > 1 else (any_term,)
    return found + _later_stages(s, queries, any_term, cond, [i for i, _ in found], limit - len(found))


def _later_stages(
    s: Session,
    queries: Sequence[ColumnElement[Any]],
    rank_by: ColumnElement[Any],
    cond: ColumnElement[bool] | None,
    seen: list[int],
    limit: int,
) -> list[tuple[int, float]]:
    """The ranked stages of ``queries`` in one statement, in stage order, at most ``limit`` hits.

    A stage's gate (the count of the earlier stages' hits below ``limit``) is a one-time filter, so
    the server skips the stage once enough are found."""
    stages: list[CTE] = []
    for query in queries:
        stages.append(_ranked(query, rank_by, cond, seen, stages, limit).cte(f"stage{len(stages) + 1}"))
    parts = [select(literal(n, Integer).label("stage"), e.c.id, e.c.score) for n, e in enumerate(stages)]
    both = union_all(*parts).subquery("stages")
    stmt = select(both.c.id, both.c.score).order_by(both.c.stage, both.c.score.desc(), both.c.id)
    return [(int(i), float(sc)) for i, sc in s.execute(stmt.limit(limit))]


def _ranked(
    query: ColumnElement[Any],
    rank_by: ColumnElement[Any],
    cond: ColumnElement[bool] | None,
    seen: list[int],
    earlier: list[CTE],
    limit: int,
) -> Select[tuple[int, float]]:
    """The best ``limit`` of at most ``RANK_CANDIDATES`` matches of ``query`` that are neither ``seen``
    nor in ``earlier``, ranked by ``rank_by``; nothing when ``earlier`` holds ``limit`` hits."""
    col = KnowledgeArticle
    vector: ColumnElement[Any] = literal_column("knowledge_articles.search_vector")
    inner = select(col.id.label("id"), vector.label("v")).where(vector.op("@@")(query))
    if cond is not None:
        inner = inner.where(cond)
    if seen:
        inner = inner.where(col.id.not_in(seen))
    if earlier:
        counts = [select(func.count()).select_from(e).scalar_subquery() for e in earlier]
        inner = inner.where(sum(counts[1:], counts[0]) < limit)
    for e in earlier:
        inner = inner.where(col.id.not_in(select(e.c.id)))
    sub = inner.limit(RANK_CANDIDATES).subquery("candidates")
    score = func.ts_rank(sub.c.v, rank_by).label("score")
    return select(sub.c.id, score).order_by(score.desc(), sub.c.id).limit(limit)


def _substring(
    s: Session, terms: list[str], limit: int, cond: ColumnElement[bool] | None
) -> list[tuple[int, float]]:
    col = KnowledgeArticle
    matches = [
        or_(col.title.icontains(t, autoescape=True), col.body.icontains(t, autoescape=True)) for t in terms
    ]
    query = select(col.id, col.title).where(or_(*matches))
    if cond is not None:
        query = query.where(cond)
    rows = s.execute(query.order_by(col.id).limit(SUBSTRING_CANDIDATES)).all()
    scored = [(int(i), 1.0 + sum(t in title.lower() for t in terms)) for i, title in rows]
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored[:limit]
