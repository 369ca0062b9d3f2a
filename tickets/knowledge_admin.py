"""Editing the knowledge base: create, edit (the replaced text is kept as a version), retire and restore,
list with filters, read with versions.

Rules: an edit replaces the article's text and lifecycle fields, stores the previous ones in
``knowledge_article_versions`` with who replaced them and when, and raises ``version`` by one, all
in one transaction. An edit may name the version it was made from (``expected_version``); if the
article has moved on meanwhile it is refused (409 ``article_version_conflict``) and nothing changes.
Retiring hides an article from agents and keeps it; restoring offers it again. An article past its
expiry date stays active but is not offered to agents: editors see it as ``expired`` (due for review).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import writing
from tickets.errors import TicketError, TicketValidationError
from tickets.knowledge import (
    article_of,
    check_aware,
    index_terms,
    new_article,
    search_ids,
    stored,
    today,
)
from tickets.knowledge_models import KnowledgeArticleVersion
from tickets.knowledge_rows import Article, ArticleStatus, ArticleVersion
from tickets.models import KnowledgeArticle
from tickets.vocab import Category

__all__ = [
    "ArticleFields",
    "ArticleList",
    "ListFilter",
    "VersionConflictError",
    "create_article",
    "edit_article",
    "list_articles",
    "set_retired",
    "versions",
]

Sessions = sessionmaker[Session]
MAX_PAGE = 200


class VersionConflictError(TicketError):
    """The article was edited since the version the editor started from."""

    status_code = 409


class ListStatus(StrEnum):
    """What an editor's list shows: ``expired`` are active articles past their expiry date."""

    ACTIVE = "active"
    RETIRED = "retired"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleFields:
    """The editable content of an article."""

    title: str
    body: str
    tags: Sequence[str] = ()
    category: str | None = None
    owner_department: str | None = None
    expires_on: date | None = None

    def checked(self) -> ArticleFields:
        """These fields, or ``TicketValidationError`` for a category the order vocabulary does not know."""
        if self.category is not None and self.category not in {c.value for c in Category}:
            raise TicketValidationError("invalid_value", "unknown category", field="category")
        return self


@dataclass(frozen=True, slots=True, kw_only=True)
class ListFilter:
    """An editor's list: status, category, expiring within ``expiring_within_days`` days, free text."""

    status: ListStatus | None = None
    category: str | None = None
    expiring_within_days: int | None = None
    query: str = ""
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleList:
    """One page of an editor's list and the number of articles the filter matches."""

    items: list[Article]
    total: int


def _now(now: datetime | None) -> datetime:
    now = datetime.now(UTC) if now is None else now
    check_aware(now)
    return now


def create_article(sm: Sessions, fields: ArticleFields, *, by: str, now: datetime | None = None) -> Article:
    """Store a new active article (version 1)."""
    now = _now(now)
    article = _new(fields.checked(), by=by, now=now)
    with writing(sm) as s:
        s.add(article)
        s.flush()
        return article_of(article)


def _new(f: ArticleFields, *, by: str, now: datetime) -> KnowledgeArticle:
    return new_article(
        title=f.title,
        body=f.body,
        tags=f.tags,
        category=f.category,
        owner_department=f.owner_department,
        expires_on=f.expires_on,
        created_by=by,
        now=now,
    )


def create_many(s: Session, rows: Sequence[ArticleFields], *, by: str, now: datetime) -> list[int]:
    """Add ``rows`` as new articles in the open transaction ``s``; their ids in order."""
    articles = [_new(f.checked(), by=by, now=now) for f in rows]
    s.add_all(articles)
    s.flush()
    return [a.id for a in articles]


def edit_article(
    sm: Sessions,
    article_id: int,
    fields: ArticleFields,
    *,
    by: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Article:
    """Replace the article's content, keeping the previous content as a version."""
    now = _now(now)
    f = fields.checked()
    if not f.title.strip():
        raise TicketValidationError("invalid_value", "an article needs a title", field="title")
    with writing(sm) as s:
        a = _locked(s, article_id)
        if expected_version is not None and expected_version != a.version:
            raise VersionConflictError(
                "article_version_conflict",
                "the article was changed meanwhile; reload it",
                article_id=article_id,
                version=a.version,
            )
        s.add(
            KnowledgeArticleVersion(
                article_id=a.id,
                version=a.version,
                title=a.title,
                body=a.body,
                tags=list(a.tags),
                category=a.category,
                owner_department=a.owner_department,
                expires_on=a.expires_on,
                edited_by=by,
                edited_at=now,
            )
        )
        tags = list(dict.fromkeys(t.strip() for t in f.tags if t.strip()))
        a.title, a.body, a.tags = f.title.strip(), f.body, tags
        a.title_terms, a.body_terms = index_terms(a.title, a.body, tags)
        a.category, a.owner_department, a.expires_on = f.category, f.owner_department, f.expires_on
        a.version += 1
        a.updated_by, a.updated_at = by, now
        s.flush()
        return article_of(a)


def _locked(s: Session, article_id: int) -> KnowledgeArticle:
    stored(s, article_id)
    found = s.scalars(
        select(KnowledgeArticle).where(KnowledgeArticle.id == article_id).with_for_update()
    ).one()
    s.refresh(found)
    return found


def set_retired(
    sm: Sessions, article_id: int, *, retired: bool, by: str, now: datetime | None = None
) -> Article:
    """Retire (hide from agents, keep) or restore an article; doing it twice changes nothing more."""
    now = _now(now)
    status = ArticleStatus.RETIRED if retired else ArticleStatus.ACTIVE
    with writing(sm) as s:
        a = _locked(s, article_id)
        if a.status != status.value:
            a.status = status.value
            a.updated_by, a.updated_at = by, now
            s.flush()
        return article_of(a)


def get_full(sm: Sessions, article_id: int) -> tuple[Article, list[ArticleVersion]]:
    """The article and its earlier versions, newest first."""
    with sm() as s:
        return article_of(stored(s, article_id)), _versions(s, article_id)


def versions(sm: Sessions, article_id: int) -> list[ArticleVersion]:
    """The earlier versions of the article, newest first."""
    with sm() as s:
        stored(s, article_id)
        return _versions(s, article_id)


def _versions(s: Session, article_id: int) -> list[ArticleVersion]:
    v = KnowledgeArticleVersion
    rows = s.scalars(select(v).where(v.article_id == article_id).order_by(v.version.desc()))
    return [
        ArticleVersion(
            version=r.version,
            title=r.title,
            body=r.body,
            tags=tuple(r.tags),
            category=r.category,
            owner_department=r.owner_department,
            expires_on=r.expires_on,
            edited_by=r.edited_by,
            edited_at=r.edited_at,
        )
        for r in rows
    ]


def _conditions(f: ListFilter, on: date) -> list[ColumnElement[bool]]:
    col = KnowledgeArticle
    conds: list[ColumnElement[bool]] = []
    if f.status is ListStatus.RETIRED:
        conds.append(col.status == ArticleStatus.RETIRED.value)
    elif f.status is ListStatus.ACTIVE:
        conds.append(
            and_(
                col.status == ArticleStatus.ACTIVE.value, or_(col.expires_on.is_(None), col.expires_on >= on)
            )
        )
    elif f.status is ListStatus.EXPIRED:
        conds.append(and_(col.status == ArticleStatus.ACTIVE.value, col.expires_on < on))
    if f.category is not None:
        conds.append(col.category == f.category)
    if f.expiring_within_days is not None:
        conds.append(col.expires_on <= on + timedelta(days=f.expiring_within_days))
    return conds


def list_articles(sm: Sessions, f: ListFilter, *, now: datetime | None = None) -> ArticleList:
    """An editor's page of articles: best matches first when ``query`` is set, else the soonest expiry,
    then the newest."""
    on = today(_now(now))
    conds = _conditions(f, on)
    col = KnowledgeArticle
    limit = max(0, min(f.limit, MAX_PAGE))
    with sm() as s:
        if f.query.strip():
            extra = and_(*conds) if conds else None
            scored = search_ids(s, query=f.query, limit=f.offset + limit, on=None, extra=extra)[f.offset :]
            found = {a.id: a for a in s.scalars(select(col).where(col.id.in_([i for i, _ in scored])))}
            return ArticleList(items=[article_of(found[i]) for i, _ in scored], total=len(scored) + f.offset)
        total = s.scalar(select(func.count()).select_from(col).where(*conds)) or 0
        order = (col.expires_on.is_(None), col.expires_on, col.updated_at.desc(), col.id.desc())
        page = s.scalars(select(col).where(*conds).order_by(*order).offset(f.offset).limit(limit))
        return ArticleList(items=[article_of(a) for a in page], total=total)
