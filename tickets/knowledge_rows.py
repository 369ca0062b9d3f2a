"""Rows the knowledge base hands out: an article with its lifecycle, an earlier version, a search hit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class ArticleStatus(StrEnum):
    """``active`` articles are offered to agents (unless expired); ``retired`` ones are kept but hidden."""

    ACTIVE = "active"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """A knowledge-base article with its lifecycle fields."""

    id: int
    title: str
    body: str
    tags: tuple[str, ...]
    category: str | None
    owner_department: str | None
    expires_on: date | None
    status: ArticleStatus
    version: int
    created_by: str
    created_at: datetime
    updated_by: str | None
    updated_at: datetime

    def expired(self, today: date) -> bool:
        """True when the expiry date has passed (the article is due for review, not offered to agents)."""
        return self.expires_on is not None and self.expires_on < today


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleVersion:
    """An earlier text of an article, kept when an edit replaced it."""

    version: int
    title: str
    body: str
    tags: tuple[str, ...]
    category: str | None
    owner_department: str | None
    expires_on: date | None
    edited_by: str
    edited_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class KnowledgeHit:
    """A search result for agents: the article, its relevance and a snippet with the matched spans."""

    article: Article
    score: float
    snippet: str
    highlights: tuple[tuple[int, int], ...]
