"""Quality inspection tables.

``qa_config_versions``: every saved version of the rules (``kind`` ``rules``) and of the scoring items
(``kind`` ``items``) as JSON; the newest version of a kind is in force, older ones stay for scores and
inspections that name them.

``qa_inspections``: one row per call the rules were applied to; ``state`` is ``skipped`` (neither
flagged nor sampled: not on the work list), ``open`` (on the work list) or ``scored``. Agent, queue and
the call's start are copied from the call record so that the work list reads one table.

``qa_flags``: the findings of an inspection. ``qa_scores``: the one score a call on the work list gets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base

CONFIG_KINDS = ("rules", "items")
STATES = ("skipped", "open", "scored")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class QaConfigVersion(Base):
    """One saved version of the rules or of the scoring items."""

    __tablename__ = "qa_config_versions"
    __table_args__ = (
        CheckConstraint(_in("kind", CONFIG_KINDS), name="qa_config_kind_known"),
        UniqueConstraint("kind", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int]
    body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(32))


class QaInspection(Base):
    """The rules applied to one call, and where the call stands on the work list."""

    __tablename__ = "qa_inspections"
    __table_args__ = (
        CheckConstraint(_in("state", STATES), name="qa_inspection_state_known"),
        Index("ix_qa_inspections_state_call_started_at", "state", "call_started_at"),
        Index("ix_qa_inspections_agent_id_call_started_at", "agent_id", "call_started_at"),
    )

    call_id: Mapped[str] = mapped_column(String, primary_key=True)
    inspected_at: Mapped[datetime]
    call_started_at: Mapped[datetime]
    agent_id: Mapped[str | None] = mapped_column(String(32))
    queue: Mapped[str | None] = mapped_column(String(64))
    rules_version: Mapped[int]
    flag_count: Mapped[int]
    sampled: Mapped[bool]
    state: Mapped[str] = mapped_column(String(16))


class QaFlag(Base):
    """One finding of a rule on a call (times on the call's clock, seconds from its first recording)."""

    __tablename__ = "qa_flags"
    __table_args__ = (Index("ix_qa_flags_call_id", "call_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("qa_inspections.call_id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(16))
    start_s: Mapped[float]
    end_s: Mapped[float]
    excerpt: Mapped[str] = mapped_column(String(200))


class QaScore(Base):
    """The score a reviewer gave a call on the work list."""

    __tablename__ = "qa_scores"

    call_id: Mapped[str] = mapped_column(
        ForeignKey("qa_inspections.call_id", ondelete="CASCADE"), primary_key=True
    )
    items_version: Mapped[int]
    marks: Mapped[dict[str, Any]]
    score: Mapped[float]
    comment: Mapped[str] = mapped_column(Text, default="")
    scored_by: Mapped[str] = mapped_column(String(32))
    scored_at: Mapped[datetime]
