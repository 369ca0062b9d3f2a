"""Plain, immutable records returned by the repository; no ORM object leaves a session."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRow:
    """A configured desktop user."""

    agent_id: str
    name: str
    contact: str
    skills: Mapping[str, int]
    role: str
    password_hash: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRow:
    """One call record; every timestamp is an aware UTC datetime. ``kind`` is ``citizen``, or
    ``consult`` for an agent's consultation leg that waited in the ACD (not a citizen's call)."""

    call_id: str
    caller: str
    channel: str
    dialed: str
    queue: str | None
    ivr_keys: str
    ivr_flow_version: str | None
    entered_ivr_at: datetime
    queued_at: datetime | None
    offered_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    agent_id: str | None
    outcome: str | None
    wait_seconds: float | None
    talk_seconds: float | None
    recording_path: str | None
    survey_score: int | None
    kind: str
    confidential: bool = False
    anonymised_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEventRow:
    """One step in a call's life."""

    id: int
    call_id: str
    at: datetime
    kind: str
    detail: Mapping[str, object]
    once_key: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStateRow:
    """One recorded agent status/state change."""

    id: int
    agent_id: str
    at: datetime
    status: str
    state: str
    pause_reason: str | None
    call_id: str | None
