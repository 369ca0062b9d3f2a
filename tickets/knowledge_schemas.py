"""Wire formats of the knowledge routes: In (create, edit, one import row) / Public per resource."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator

from tickets.knowledge_admin import ArticleFields
from tickets.knowledge_rows import Article, ArticleVersion, KnowledgeHit
from tickets.schemas import Tag, _In
from tickets.vocab import Category

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
DepartmentCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]
_CATEGORY_BY_LABEL = {c.label: c for c in Category}


class ArticleIn(_In):
    """A new article, an edit's content, or one row of an import."""

    title: Title
    body: Body
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    category: Category | None = None
    owner_department: DepartmentCode | None = None
    expires_on: date | None = None

    @field_validator("category", mode="before")
    @classmethod
    def _label(cls, value: object) -> object:
        """Accept the Chinese label (咨询, 投诉, …) as well as the value; blank is none."""
        if isinstance(value, str):
            value = value.strip()
            return _CATEGORY_BY_LABEL.get(value, value) if value else None
        return value

    def fields(self) -> ArticleFields:
        """The content as the admin layer takes it."""
        return ArticleFields(
            title=self.title,
            body=self.body,
            tags=self.tags,
            category=self.category.value if self.category else None,
            owner_department=self.owner_department,
            expires_on=self.expires_on,
        )


class ArticleEdit(ArticleIn):
    """An edit: the new content and, optionally, the version it was made from."""

    expected_version: int | None = Field(default=None, ge=1, le=2**31 - 1)


class RetireIn(_In):
    """Retire (true) or restore (false)."""

    retired: bool


class ArticleOut(BaseModel):
    """An article with its lifecycle; ``expired`` is judged on today's Beijing date."""

    id: int
    title: str
    body: str
    tags: list[str]
    category: str | None
    category_label: str | None
    owner_department: str | None
    expires_on: date | None
    status: str
    expired: bool
    version: int
    created_by: str
    created_at: datetime
    updated_by: str | None
    updated_at: datetime

    @classmethod
    def of(cls, a: Article, today: date) -> ArticleOut:
        """From a row."""
        return cls(
            id=a.id,
            title=a.title,
            body=a.body,
            tags=list(a.tags),
            category=a.category,
            category_label=Category(a.category).label if a.category else None,
            owner_department=a.owner_department,
            expires_on=a.expires_on,
            status=a.status.value,
            expired=a.expired(today),
            version=a.version,
            created_by=a.created_by,
            created_at=a.created_at,
            updated_by=a.updated_by,
            updated_at=a.updated_at,
        )


class VersionOut(BaseModel):
    """An earlier text of an article and who replaced it, when."""

    version: int
    title: str
    body: str
    tags: list[str]
    category: str | None
    owner_department: str | None
    expires_on: date | None
    edited_by: str
    edited_at: datetime

    @classmethod
    def of(cls, v: ArticleVersion) -> VersionOut:
        """From a row."""
        return cls(
            version=v.version,
            title=v.title,
            body=v.body,
            tags=list(v.tags),
            category=v.category,
            owner_department=v.owner_department,
            expires_on=v.expires_on,
            edited_by=v.edited_by,
            edited_at=v.edited_at,
        )


class ArticleDetail(ArticleOut):
    """An article with its earlier versions, newest first."""

    versions: list[VersionOut]


class HitOut(BaseModel):
    """A search result: the article, its score, a snippet and the matched spans ``[start, end)`` in it."""

    article: ArticleOut
    score: float
    snippet: str
    highlights: list[tuple[int, int]]

    @classmethod
    def of(cls, h: KnowledgeHit, today: date) -> HitOut:
        """From a hit."""
        return cls(
            article=ArticleOut.of(h.article, today),
            score=h.score,
            snippet=h.snippet,
            highlights=list(h.highlights),
        )


class ArticlePage(BaseModel):
    """One page of an editor's list."""

    items: list[ArticleOut]
    total: int


class ImportRowError(BaseModel):
    """Why row ``row`` (CSV: the line as a spreadsheet numbers it, header = 1; JSON: the item from 1)
    cannot be imported."""

    row: int
    field: str | None
    type: str = "file"
    """The kind of error (a pydantic error type such as ``missing``, ``string_too_short``, ``enum``;
    ``file`` for an error about the whole file), so a page can say it in its own language."""
    message: str


class ImportResult(BaseModel):
    """What an import did: the ids of the new articles (all rows) or nothing and the errors."""

    imported: int
    ids: list[int]
    errors: list[ImportRowError]
