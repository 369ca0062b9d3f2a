"""Request and response bodies of the desktop REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

AgentIdStr = Field(pattern=r"^[0-9A-Za-z_-]{1,32}$")


class SessionCreate(BaseModel):
    """Sign-in request."""

    model_config = ConfigDict(extra="forbid")
    user_id: str = AgentIdStr
    password: str = Field(min_length=1, max_length=256)


class SessionPublic(BaseModel):
    """Sign-in answer: the bearer token for REST calls and the websocket."""

    token: str
    user_id: str
    role: str


class StatusUpdate(BaseModel):
    """An agent's status change; ``contact`` overrides the configured phone for this login."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["available", "paused", "logged_out"]
    reason: str | None = Field(default=None, max_length=64)
    contact: str | None = Field(default=None, max_length=200, pattern=r"^[A-Za-z]+/[^\s,|;]+$")


class AgentUpsert(BaseModel):
    """Create or update a desktop user (admin only)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    contact: str = Field(default="", max_length=200, pattern=r"^([A-Za-z]+/[^\s,|;]+)?$")
    skills: dict[str, int] = Field(default_factory=dict, max_length=50)
    role: Literal["agent", "supervisor", "admin", "qa"] = "agent"
    password: str | None = Field(default=None, min_length=6, max_length=256)


class AgentPublic(BaseModel):
    """A configured user as listed to supervisors."""

    agent_id: str
    name: str
    contact: str
    skills: dict[str, int]
    role: str


class CallPublic(BaseModel):
    """One call record; ``kind`` is ``citizen``, or ``consult`` for an agent's consultation leg."""

    call_id: str
    caller: str
    queue: str | None
    ivr_keys: str | None
    outcome: str | None
    agent_id: str | None
    entered_ivr_at: datetime | None
    queued_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    wait_seconds: float | None
    talk_seconds: float | None
    kind: str = "citizen"


class EarlierCallPublic(BaseModel):
    """One earlier call of the same caller, as the screen-pop lists it."""

    call_id: str
    queue: str | None
    outcome: str | None
    agent_id: str | None
    entered_ivr_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    wait_seconds: float | None
    talk_seconds: float | None
    work_orders: list[str] = Field(description="numbers of the work orders taken on that call")


class CallerHistoryPublic(BaseModel):
    """The caller of ``call_id`` and their earlier calls (repeat-caller check of the screen-pop).

    ``calls`` are those of the ``listed_days`` before the call (since ``listed_since``), newest first and
    bounded; ``recent_calls`` counts every earlier call of the ``recent_days`` before it. ``caller`` is
    masked (``138****8000``) when ``masked``.
    """

    call_id: str
    caller: str
    masked: bool
    listed_days: int
    listed_since: datetime
    recent_days: int
    recent_since: datetime
    recent_calls: int
    calls: list[EarlierCallPublic]
