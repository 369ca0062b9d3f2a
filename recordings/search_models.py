"""The transcript search index: one row per done transcript, its text as bigram terms.

The text is stored in the form the knowledge base searches (``tickets.knowledge_text.bigrams``,
space-separated) and indexed by the database's own full-text engine, made by the migration
``0012_transcript_search``: on SQLite an FTS5 table ``transcript_fts`` kept in step by triggers, on
PostgreSQL a stored generated ``tsvector`` column ``search_vector`` (``simple`` configuration) with a
GIN index. Those objects are invisible to the models; schema comparisons skip them
(``include_in_comparison``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base

TRANSCRIPT_FTS_TABLE = "transcript_fts"
PG_SEARCH_INDEX = "ix_transcript_search_vector"
DATABASE_ONLY_OBJECTS = frozenset(
    {TRANSCRIPT_FTS_TABLE, PG_SEARCH_INDEX, "search_vector"}
    | {f"{TRANSCRIPT_FTS_TABLE}_{part}" for part in ("data", "idx", "content", "docsize", "config")}
)


class TranscriptSearch(Base):
    """The searchable form of one recording's transcript."""

    __tablename__ = "transcript_search"
    __table_args__ = (
        UniqueConstraint("recording_id"),
        Index("ix_transcript_search_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.recording_id", ondelete="CASCADE"))
    call_id: Mapped[str] = mapped_column(String)
    side: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    terms: Mapped[str] = mapped_column(Text)


def include_in_comparison(name: str | None, type_: str, parent_names: object) -> bool:
    """An Alembic ``include_name`` hook that skips ``DATABASE_ONLY_OBJECTS``."""
    return name not in DATABASE_ONLY_OBJECTS
