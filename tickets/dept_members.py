"""Department users: a user of role ``department`` tied to one department, and who may manage whom.

Rules: a member's user row (``agents``, role ``department``) and membership row are written in one
transaction. A user id that already belongs to a centre user (agent, supervisor, admin) is refused
(``user_not_department``, 409): the portal never turns a centre account into a department account.
Disabling keeps both rows (the history still names the user) but clears the password, so the user
can no longer sign in anywhere; saving the user again with a password enables them. A department
admin manages plain users of their department's subtree; only a centre admin makes department admins
(checked in ``tickets.dept_api``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import WRITE_OPTION
from hotline.db.models import Agent
from tickets.department_models import DepartmentMember, DepartmentNode
from tickets.errors import IllegalTransitionError, TicketNotFoundError, TicketValidationError

Sessions = sessionmaker[Session]
DEPARTMENT_ROLE = "department"


@dataclass(frozen=True, slots=True)
class Member:
    """A department user as the portal shows them."""

    agent_id: str
    name: str
    department: str
    is_dept_admin: bool
    active: bool
    created_by: str
    created_at: datetime


def _member(m: DepartmentMember, a: Agent) -> Member:
    return Member(
        agent_id=m.agent_id,
        name=a.name,
        department=m.department_code,
        is_dept_admin=m.is_dept_admin,
        active=m.active and a.role == DEPARTMENT_ROLE and a.password_hash is not None,
        created_by=m.created_by,
        created_at=m.created_at,
    )


def get_member(sm: Sessions, *, agent_id: str) -> Member | None:
    """The membership of ``agent_id``, or ``None`` for a user who is not a department user."""
    query = select(DepartmentMember, Agent).join(Agent, Agent.agent_id == DepartmentMember.agent_id)
    with sm() as s:
        found = s.execute(query.where(DepartmentMember.agent_id == agent_id)).one_or_none()
        return None if found is None else _member(*found)


def list_members(sm: Sessions, *, departments: Collection[str] | None = None) -> list[Member]:
    """Department users, of ``departments`` only when given, by department and id."""
    query = (
        select(DepartmentMember, Agent)
        .join(Agent, Agent.agent_id == DepartmentMember.agent_id)
        .order_by(DepartmentMember.department_code, DepartmentMember.agent_id)
    )
    if departments is not None:
        query = query.where(DepartmentMember.department_code.in_(sorted(set(departments))))
    with sm() as s:
        return [_member(m, a) for m, a in s.execute(query)]


def _check_department(s: Session, code: str) -> None:
    node = s.get(DepartmentNode, code)
    if node is None or not node.active:
        raise TicketValidationError("unknown_department", f"no active department {code}", department=code)


def _user_row(s: Session, agent_id: str, name: str, password_hash: str | None, now: datetime) -> Agent:
    user = s.get(Agent, agent_id, with_for_update=True)
    if user is None:
        user = Agent(agent_id=agent_id, contact="", skills={}, role=DEPARTMENT_ROLE, created_at=now)
        s.add(user)
    elif user.role != DEPARTMENT_ROLE:
        raise IllegalTransitionError(
            "user_not_department", f"{agent_id} is a centre user, not a department user", agent_id=agent_id
        )
    user.name = name
    if password_hash is not None:
        user.password_hash = password_hash
    elif user.password_hash is None:
        raise TicketValidationError("password_required", "a new or disabled user needs a password")
    return user


def save_member(
    sm: Sessions,
    *,
    agent_id: str,
    name: str,
    department: str,
    is_dept_admin: bool,
    password_hash: str | None,
    actor: str,
    now: datetime | None = None,
) -> Member:
    """Create or change a department user; ``password_hash`` None keeps the current password (a new
    or disabled user needs one: ``password_required``)."""
    at = now or datetime.now(UTC)
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        _check_department(s, department)
        user = _user_row(s, agent_id, name, password_hash, at)
        s.flush()
        member = s.get(DepartmentMember, agent_id)
        if member is None:
            member = DepartmentMember(agent_id=agent_id, created_by=actor, created_at=at)
            s.add(member)
        member.department_code = department
        member.is_dept_admin = is_dept_admin
        member.active = True
        member.updated_at = at
        s.flush()
        return _member(member, user)


def disable_member(sm: Sessions, *, agent_id: str, now: datetime | None = None) -> Member:
    """Disable a department user: membership inactive, password cleared (``TicketNotFoundError`` if
    ``agent_id`` is no department user)."""
    at = now or datetime.now(UTC)
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        member = s.get(DepartmentMember, agent_id, with_for_update=True)
        user = s.get(Agent, agent_id, with_for_update=True)
        if member is None or user is None:
            raise TicketNotFoundError("department_user_not_found", f"no department user {agent_id}")
        member.active = False
        member.updated_at = at
        user.password_hash = None
        s.flush()
        return _member(member, user)
