"""The earlier texts of knowledge-base articles: one row per replaced version, who replaced it and when.

Rows are written by ``tickets.knowledge_admin`` in the same transaction as the edit they record and
never changed afterwards; they go with their article (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base


class KnowledgeArticleVersion(Base):
    """Version ``version`` of article ``article_id`` as it was before an edit replaced it."""

    __tablename__ = "knowledge_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON)
    category: Mapped[str | None] = mapped_column(String(16))
    owner_department: Mapped[str | None] = mapped_column(String(32))
    expires_on: Mapped[date | None]
    edited_by: Mapped[str] = mapped_column(String(32))
    edited_at: Mapped[datetime]
