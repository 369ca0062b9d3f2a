"""Users as the admin console manages them: list, create, change, disable, enable, reset password,
and create many at once in one transaction (the CSV import).

Each write returns the user before and after, so that the caller records the change with its diff. A
disabled user keeps their row (call records and work orders name them) with no password, and has a row
in ``agent_disabled``; only a new password enables them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from admin.agents_models import AgentDisabled
from hotline.db.engine import WRITE_OPTION
from hotline.db.models import Agent
from supervisor.models import SupervisorQueue

Sessions = sessionmaker[Session]
PHONE_PREFIX = "PJSIP/"


class AgentConflict(Exception):
    """The user cannot be written as asked; ``error_id`` says why."""

    def __init__(self, error_id: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.details = details


@dataclass(frozen=True, slots=True, kw_only=True)
class UserInput:
    """What an admin gives for a user (``extension`` empty: no phone)."""

    agent_id: str
    name: str
    extension: str
    role: str
    skills: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdminUser:
    """A user as the console lists them."""

    agent_id: str
    name: str
    extension: str
    contact: str
    role: str
    skills: dict[str, int]
    disabled: bool
    disabled_at: datetime | None
    has_password: bool
    queues: list[str]
    created_at: datetime

    def audited(self) -> dict[str, Any]:
        """The fields a change diff shows (never the password hash)."""
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "extension": self.extension,
            "role": self.role,
            "skills": dict(sorted(self.skills.items())),
            "disabled": self.disabled,
        }


def contact_of(extension: str) -> str:
    """The ``agents.contact`` of a browser phone extension."""
    return f"{PHONE_PREFIX}{extension}" if extension else ""


def extension_of(contact: str) -> str:
    """The extension in a ``PJSIP/<ext>`` contact; empty for anything else."""
    return contact.removeprefix(PHONE_PREFIX) if contact.startswith(PHONE_PREFIX) else ""


def _user(a: Agent, off: AgentDisabled | None, queues: list[str]) -> AdminUser:
    # A password set since (PUT /api/agents, the department portal) enables the user again.
    off = off if a.password_hash is None else None
    return AdminUser(
        agent_id=a.agent_id,
        name=a.name,
        extension=extension_of(a.contact),
        contact=a.contact,
        role=a.role,
        skills={str(k): int(v) for k, v in (a.skills or {}).items()},
        disabled=off is not None,
        disabled_at=None if off is None else off.disabled_at,
        has_password=a.password_hash is not None,
        queues=queues,
        created_at=a.created_at,
    )


def _queues(s: Session, ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    query = (
        select(SupervisorQueue).where(SupervisorQueue.supervisor_id.in_(ids)).order_by(SupervisorQueue.queue)
    )
    for q in s.scalars(query):
        out.setdefault(q.supervisor_id, []).append(q.queue)
    return out


def list_users(sm: Sessions, *, search: str = "", role: str = "") -> list[AdminUser]:
    """Users by id; ``search`` matches the id, name or extension (any case), ``role`` one role."""
    query = select(Agent, AgentDisabled).outerjoin(AgentDisabled, AgentDisabled.agent_id == Agent.agent_id)
    if role:
        query = query.where(Agent.role == role)
    if search:
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        query = query.where(
            Agent.agent_id.ilike(like, escape="\\")
            | Agent.name.ilike(like, escape="\\")
            | Agent.contact.ilike(f"{PHONE_PREFIX}{like}", escape="\\")
        )
    with sm() as s:
        rows = s.execute(query.order_by(Agent.agent_id)).all()
        queues = _queues(s, [a.agent_id for a, _ in rows])
        return [_user(a, off, queues.get(a.agent_id, [])) for a, off in rows]


def get_user(sm: Sessions, agent_id: str) -> AdminUser | None:
    """One user, or None."""
    with sm() as s:
        return _read(s, agent_id)


def _read(s: Session, agent_id: str) -> AdminUser | None:
    a = s.get(Agent, agent_id)
    if a is None:
        return None
    return _user(a, s.get(AgentDisabled, agent_id), _queues(s, [agent_id]).get(agent_id, []))


def existing_ids(sm: Sessions, ids: Sequence[str]) -> set[str]:
    """Those of ``ids`` already taken by a user."""
    with sm() as s:
        return set(s.scalars(select(Agent.agent_id).where(Agent.agent_id.in_(list(ids)))))


def create_users(
    sm: Sessions, users: Sequence[tuple[UserInput, str]], *, now: datetime | None = None
) -> None:
    """Create every ``(user, password_hash)`` or none: AgentConflict ``user_exists`` names the first id
    already taken (``details.agent_id``) and nothing is written."""
    at = now or datetime.now(UTC)
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        ids = [u.agent_id for u, _ in users]
        taken = set(s.scalars(select(Agent.agent_id).where(Agent.agent_id.in_(ids))))
        if taken:
            first = next(u.agent_id for u, _ in users if u.agent_id in taken)
            raise AgentConflict(
                "user_exists", f"user {first} exists already", agent_id=first, agent_ids=sorted(taken)
            )
        s.add_all(
            Agent(
                agent_id=u.agent_id,
                name=u.name,
                contact=contact_of(u.extension),
                skills=dict(u.skills),
                role=u.role,
                password_hash=password_hash,
                created_at=at,
            )
            for u, password_hash in users
        )


def update_user(sm: Sessions, user: UserInput) -> tuple[AdminUser, AdminUser]:
    """Change name, extension, role and skills (not the password); (before, after)."""
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        before = _read(s, user.agent_id)
        row = s.get(Agent, user.agent_id, with_for_update=True)
        if before is None or row is None:
            raise AgentConflict("unknown_user", f"no user {user.agent_id}", agent_id=user.agent_id)
        row.name, row.contact, row.role, row.skills = (
            user.name,
            contact_of(user.extension),
            user.role,
            dict(user.skills),
        )
        if user.role != "supervisor":
            s.execute(delete(SupervisorQueue).where(SupervisorQueue.supervisor_id == user.agent_id))
        s.flush()
        after = _read(s, user.agent_id)
        assert after is not None
        return before, after


def disable_user(
    sm: Sessions, agent_id: str, *, by: str, now: datetime | None = None
) -> tuple[AdminUser, AdminUser]:
    """Clear the password and mark the user disabled; (before, after). Disabling twice changes nothing."""
    at = now or datetime.now(UTC)
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        before = _read(s, agent_id)
        row = s.get(Agent, agent_id, with_for_update=True)
        if before is None or row is None:
            raise AgentConflict("unknown_user", f"no user {agent_id}", agent_id=agent_id)
        row.password_hash = None
        if s.get(AgentDisabled, agent_id) is None:
            s.add(AgentDisabled(agent_id=agent_id, disabled_at=at, disabled_by=by[:32]))
        s.flush()
        after = _read(s, agent_id)
        assert after is not None
        return before, after


def set_password(
    sm: Sessions, agent_id: str, password_hash: str, *, enable: bool
) -> tuple[AdminUser, AdminUser]:
    """Store a new password hash; ``enable`` also lifts a disablement, otherwise a disabled user is
    refused (``user_disabled``). (before, after)."""
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        before = _read(s, agent_id)
        row = s.get(Agent, agent_id, with_for_update=True)
        if before is None or row is None:
            raise AgentConflict("unknown_user", f"no user {agent_id}", agent_id=agent_id)
        if before.disabled and not enable:
            raise AgentConflict(
                "user_disabled", f"user {agent_id} is disabled; enable them", agent_id=agent_id
            )
        row.password_hash = password_hash
        s.execute(delete(AgentDisabled).where(AgentDisabled.agent_id == agent_id))
        s.flush()
        after = _read(s, agent_id)
        assert after is not None
        return before, after
