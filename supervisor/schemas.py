"""Request and response bodies of the supervisor routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from supervisor.service import AgentAction
from supervisor.spy import SpyMode, SpySession

PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
"""No control characters (PostgreSQL refuses NUL in text; a reason is shown on desktops)."""


class ListenRequest(BaseModel):
    """Start listening in on an agent's call, in a starting mode."""

    model_config = ConfigDict(extra="forbid")
    mode: SpyMode = SpyMode.LISTEN


class ModeUpdate(BaseModel):
    """Switch a session's mode."""

    model_config = ConfigDict(extra="forbid")
    mode: SpyMode


class SessionPublic(BaseModel):
    """A listening session."""

    session_id: str
    agent_id: str
    call_id: str
    queue: str
    mode: SpyMode

    @classmethod
    def of(cls, session: SpySession) -> SessionPublic:
        """The public view of ``session``."""
        return cls(
            session_id=session.session_id,
            agent_id=session.agent_id,
            call_id=session.call_id,
            queue=session.queue,
            mode=session.mode,
        )


class TakeOverPublic(BaseModel):
    """A call the supervisor took over: the session and the conference now holding caller and supervisor."""

    session: SessionPublic
    conference: str


class AgentActionRequest(BaseModel):
    """Force an agent ready, pause them (a reason is required) or log them out; the reason is shown to
    the agent and logged."""

    model_config = ConfigDict(extra="forbid")
    action: AgentAction
    reason: str = Field(default="", max_length=64, pattern=PRINTABLE)


class QueuesUpdate(BaseModel):
    """The queues a supervisor supervises (replaces the previous list)."""

    model_config = ConfigDict(extra="forbid")
    queues: list[str] = Field(max_length=200)


class QueuesPublic(BaseModel):
    """A supervisor's queues."""

    supervisor_id: str
    queues: list[str]


class LogEntryPublic(BaseModel):
    """One supervision step."""

    id: int
    at: datetime
    supervisor_id: str
    role: str
    action: str
    agent_id: str
    call_id: str | None
    queue: str | None
    session_id: str | None
    detail: str
