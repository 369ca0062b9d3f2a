"""Data access of the supervisor package: supervisors' queues and the append-only supervision log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import WRITE_OPTION
from supervisor.models import SupervisionEntry, SupervisorQueue

Sessions = sessionmaker[Session]


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One supervision step to log."""

    supervisor_id: str
    role: str
    action: str
    agent_id: str
    call_id: str | None = None
    queue: str | None = None
    session_id: str | None = None
    detail: str = ""
    client: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedStep:
    """A logged supervision step."""

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
    client: str


def queues_of(sm: Sessions, *, supervisor_id: str) -> frozenset[str]:
    """The queues ``supervisor_id`` supervises."""
    with sm() as s:
        rows = s.scalars(select(SupervisorQueue.queue).where(SupervisorQueue.supervisor_id == supervisor_id))
        return frozenset(rows)


def set_queues(sm: Sessions, *, supervisor_id: str, queues: Iterable[str]) -> None:
    """Replace the queues ``supervisor_id`` supervises."""
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        s.execute(delete(SupervisorQueue).where(SupervisorQueue.supervisor_id == supervisor_id))
        s.add_all(SupervisorQueue(supervisor_id=supervisor_id, queue=q) for q in sorted(set(queues)))


def log_step(sm: Sessions, step: Step, *, now: datetime | None = None) -> None:
    """Append one step to the supervision log."""
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        s.add(
            SupervisionEntry(
                at=now or datetime.now(UTC),
                supervisor_id=step.supervisor_id[:32],
                role=step.role[:16],
                action=step.action[:32],
                agent_id=step.agent_id[:32],
                call_id=None if step.call_id is None else step.call_id[:64],
                queue=None if step.queue is None else step.queue[:64],
                session_id=step.session_id,
                detail=step.detail[:200],
                client=step.client[:64],
            )
        )


def log_of(
    sm: Sessions, *, agent_id: str | None = None, supervisor_id: str | None = None, limit: int = 100
) -> list[LoggedStep]:
    """The newest logged steps first, optionally of one agent or one supervisor."""
    query = select(SupervisionEntry).order_by(SupervisionEntry.id.desc()).limit(limit)
    if agent_id is not None:
        query = query.where(SupervisionEntry.agent_id == agent_id)
    if supervisor_id is not None:
        query = query.where(SupervisionEntry.supervisor_id == supervisor_id)
    with sm() as s:
        return [
            LoggedStep(
                id=e.id,
                at=e.at,
                supervisor_id=e.supervisor_id,
                role=e.role,
                action=e.action,
                agent_id=e.agent_id,
                call_id=e.call_id,
                queue=e.queue,
                session_id=e.session_id,
                detail=e.detail,
                client=e.client,
            )
            for e in s.scalars(query)
        ]
