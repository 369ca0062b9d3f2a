"""Agent profiles (users of every role) and the log of agents' status and state changes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select

from hotline.db.access import Sessions, WriteTo, aware, insert, row, writing
from hotline.db.call_statements import AGENT_STATE_INSERT
from hotline.db.models import Agent, AgentStateLog
from hotline.db.rows import AgentRow, AgentStateRow

__all__ = ["Role", "agent_state_history", "get_agent", "list_agents", "log_agent_state", "upsert_agent"]

Role = Literal["agent", "supervisor", "admin", "department", "qa"]


def upsert_agent(
    sm: Sessions,
    *,
    agent_id: str,
    name: str,
    contact: str,
    skills: Mapping[str, int],
    role: Role = "agent",
    password_hash: str | None = None,
) -> None:
    """Create or replace an agent's profile; ``password_hash`` is stored as given (``None`` clears it)."""
    values = {
        "name": name,
        "contact": contact,
        "skills": dict(skills),
        "role": role,
        "password_hash": password_hash,
    }
    with writing(sm) as s:
        stmt = insert(s)(Agent).values(agent_id=agent_id, created_at=datetime.now(UTC), **values)
        s.execute(stmt.on_conflict_do_update(index_elements=[Agent.agent_id], set_=values))


def get_agent(sm: Sessions, *, agent_id: str) -> AgentRow | None:
    """The agent ``agent_id``, or ``None``."""
    with sm() as s:
        agent = s.get(Agent, agent_id)
        return None if agent is None else row(AgentRow, agent)


def list_agents(sm: Sessions) -> list[AgentRow]:
    """Every configured agent, ordered by ``agent_id``."""
    with sm() as s:
        return [row(AgentRow, a) for a in s.scalars(select(Agent).order_by(Agent.agent_id))]


def log_agent_state(
    sm: WriteTo,
    *,
    agent_id: str,
    at: datetime,
    status: str,
    state: str,
    pause_reason: str | None = None,
    call_id: str | None = None,
) -> None:
    """Append one agent status/state change."""
    at = aware(at, "at")
    with writing(sm) as s:
        s.execute(
            AGENT_STATE_INSERT,
            {
                "agent_id": agent_id,
                "at": at,
                "status": status,
                "state": state,
                "pause_reason": pause_reason,
                "call_id": call_id,
            },
        )


def agent_state_history(sm: Sessions, *, agent_id: str, limit: int = 100) -> list[AgentStateRow]:
    """An agent's most recent ``limit`` state changes, newest first."""
    query = (
        select(AgentStateLog)
        .where(AgentStateLog.agent_id == agent_id)
        .order_by(AgentStateLog.at.desc(), AgentStateLog.id.desc())
        .limit(max(0, limit))
    )
    with sm() as s:
        return [row(AgentStateRow, r) for r in s.scalars(query)]
