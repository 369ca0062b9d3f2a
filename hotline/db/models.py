"""The relational schema: agents, call records, agent state history and call events.

Rules: every timestamp is a timezone-aware UTC ``datetime`` (``UtcDateTime`` stores UTC on every
backend and hands back aware values); constraint and index names come from one naming convention so
the Alembic migration and these models name things identically. ``call_events.call_id`` and
``agent_state_log.agent_id`` are plain indexed columns, not foreign keys: history is written in
arrival order and must never be refused because the row it refers to is not there (yet).

A row of ``calls`` is a citizen call unless its ``kind`` says ``consult``: the stand-in call an
agent's attended transfer to a queue or a colleague puts through the ACD. Such a row is kept for audit
(who answered the consultation, when, for how long) and left out of every citizen figure and list.
``calls.confidential`` is set once any event of the call carried the IVR's ``confidential`` tag;
``anonymised_at`` once the retention job blanked the caller's number (``privacy.retention``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from hotline.db.errors import InvalidValueError

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
CITIZEN = "citizen"
"""``calls.kind`` of a call a citizen made (the default)."""
CONSULT = "consult"
"""``calls.kind`` of an agent's consultation leg queued through the ACD (attended transfer)."""


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware (UTC), SQLite included."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC (naive UTC on SQLite, which has no zone support)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidValueError(
                "naive_datetime", "timestamps must be timezone-aware", value=value.isoformat()
            )
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base holding the shared metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, dict[str, Any]: JSON}


class Agent(Base):
    """A person who can sign in: agent, supervisor or admin."""

    __tablename__ = "agents"

    agent_id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    contact: Mapped[str] = mapped_column(String)
    skills: Mapped[dict[str, Any]]
    role: Mapped[str] = mapped_column(String)
    password_hash: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime]


class Call(Base):
    """One call through the centre, keyed by the waiting channel's Asterisk Uniqueid: a citizen's
    call, or (``kind`` = ``consult``) an agent's consultation leg that waited in the ACD."""

    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint("survey_score BETWEEN 1 AND 5", name="survey_score_range"),
        CheckConstraint(f"kind IN ('{CITIZEN}', '{CONSULT}')", name="kind_known"),
        Index("ix_calls_entered_ivr_at", "entered_ivr_at"),
        Index("ix_calls_caller", "caller", postgresql_ops={"caller": "text_pattern_ops"}),
        Index("ix_calls_agent_id", "agent_id"),
        Index("ix_calls_queued_at", "queued_at"),
    )

    call_id: Mapped[str] = mapped_column(String, primary_key=True)
    caller: Mapped[str] = mapped_column(String)
    channel: Mapped[str] = mapped_column(String)
    dialed: Mapped[str] = mapped_column(String)
    queue: Mapped[str | None] = mapped_column(String)
    ivr_keys: Mapped[str] = mapped_column(String)
    ivr_flow_version: Mapped[str | None] = mapped_column(String)
    entered_ivr_at: Mapped[datetime]
    queued_at: Mapped[datetime | None]
    offered_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.agent_id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String)
    wait_seconds: Mapped[float | None]
    talk_seconds: Mapped[float | None]
    wrap_seconds: Mapped[float | None]
    """Wrap-up seconds of the call's handlings, once the recorder saw them end (NULL: not known)."""
    recording_path: Mapped[str | None] = mapped_column(String)
    survey_score: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String, default=CITIZEN, server_default=CITIZEN)
    confidential: Mapped[bool] = mapped_column(default=False, server_default=false())
    anonymised_at: Mapped[datetime | None]


class AgentStateLog(Base):
    """One change of an agent's status/state, as the ACD saw it."""

    __tablename__ = "agent_state_log"
    __table_args__ = (
        Index("ix_agent_state_log_agent_id_at", "agent_id", "at"),
        Index("ix_agent_state_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(String)
    at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String)
    state: Mapped[str] = mapped_column(String)
    pause_reason: Mapped[str | None] = mapped_column(String)
    call_id: Mapped[str | None] = mapped_column(String)


class CallEvent(Base):
    """One step in a call's life (``ivr_started``, ``queued``, ``offered``, ``answered``, ...).

    ``once_key`` names a step that happens at most once in a call but is reported by every app node
    (each node hears the same Asterisk event): the first report is kept, the others are not recorded.
    Steps reported by one node only leave it empty (NULLs never collide in the unique index).
    """

    __tablename__ = "call_events"
    __table_args__ = (
        Index("ix_call_events_call_id_at", "call_id", "at"),
        Index("ix_call_events_kind_at", "kind", "at"),
        Index("uq_call_events_call_id_once_key", "call_id", "once_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String)
    detail: Mapped[dict[str, Any]]
    once_key: Mapped[str | None] = mapped_column(String)
