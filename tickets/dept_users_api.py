"""HTTP routes for department users (``/api/dept/users``, ``/api/dept/departments``).

Who manages whom: the centre's admin manages every department's users and alone makes department
admins; a department admin creates, changes and disables plain users of their department and the
departments below it, and sees only those users. Anyone else gets 403. A department admin never
touches another department admin (403 ``admin_only_by_centre``) nor a user outside their subtree
(404, as if unknown). Saving or disabling a user ends their open sessions. The user id of a centre
user (agent, supervisor, admin) is refused (409 ``user_not_department``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from agent_desktop.api import Me, _context, _principal
from agent_desktop.auth import Role
from agent_desktop.errors import DesktopError
from tickets.api import _run
from tickets.departments import Department
from tickets.dept_members import Member, disable_member, get_member, list_members, save_member
from tickets.dept_portal import Portal, PortalDep, acting_of, departments_by_code
from tickets.dept_schemas import USER_ID_PATTERN, DepartmentOut, MemberOut, UserIn

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(_principal)], tags=["departments"])
UserPath = Annotated[str, Path(pattern=USER_ID_PATTERN)]


@dataclass(frozen=True, slots=True)
class Manager:
    """Who manages users: the centre admin (``scope`` None: every department) or a department admin."""

    user_id: str
    scope: frozenset[str] | None

    @property
    def centre(self) -> bool:
        """Whether this is the centre's admin."""
        return self.scope is None

    def reaches(self, department: str) -> bool:
        """Whether users of ``department`` are this manager's."""
        return self.scope is None or department in self.scope


async def manager(me: Me, p: PortalDep) -> Manager:
    """The centre admin or an active department admin (403 for everyone else)."""
    if me.may(Role.ADMIN):
        return Manager(me.user_id, None)
    who = await asyncio.to_thread(acting_of, p, me.user_id) if me.role is Role.DEPARTMENT else None
    if who is None or not who.is_dept_admin:
        raise DesktopError(
            "forbidden", "only department admins and the centre admin manage users", status_code=403
        )
    return Manager(me.user_id, who.scope)


Managing = Annotated[Manager, Depends(manager)]


def _names(tree: dict[str, Department]) -> dict[str, str]:
    return {code: d.name for code, d in tree.items()}


async def _reachable_member(p: Portal, boss: Manager, user_id: str) -> Member | None:
    """The member ``user_id`` if the manager reaches them; None for a new id; 404 if out of reach;
    403 when a department admin asks about another department admin."""
    found = await asyncio.to_thread(get_member, p.tickets.sessions, agent_id=user_id)
    if found is None:
        return None
    if not boss.reaches(found.department):
        raise DesktopError("department_user_not_found", f"no department user {user_id}", status_code=404)
    if not boss.centre and found.is_dept_admin:
        raise DesktopError(
            "admin_only_by_centre", "only the centre admin manages department admins", status_code=403
        )
    return found


@router.get("/departments", response_model=list[DepartmentOut])
async def list_departments(boss: Managing, p: PortalDep) -> list[DepartmentOut]:
    """The departments whose users the manager manages, top level first."""
    tree = await asyncio.to_thread(departments_by_code, p)
    found = [d for d in tree.values() if boss.reaches(d.code)]
    return [DepartmentOut.of(d) for d in sorted(found, key=lambda d: (d.level.depth, d.code))]


@router.get("/users", response_model=list[MemberOut])
async def list_users(boss: Managing, p: PortalDep) -> list[MemberOut]:
    """The department users the manager manages."""
    members = await _run(list_members, p.tickets.sessions, departments=boss.scope)
    names = _names(await asyncio.to_thread(departments_by_code, p))
    return [MemberOut.of(m, names) for m in members]


@router.put("/users/{user_id}", response_model=MemberOut)
async def save_user(
    request: Request, user_id: UserPath, body: UserIn, me: Me, boss: Managing, p: PortalDep
) -> MemberOut:
    """Create or change a department user (a new user needs a password)."""
    if not boss.reaches(body.department):
        raise DesktopError(
            "department_not_managed",
            f"{body.department} is not a department you manage",
            status_code=403,
            details={"department": body.department},
        )
    if body.is_dept_admin and not boss.centre:
        raise DesktopError(
            "admin_only_by_centre", "only the centre admin makes department admins", status_code=403
        )
    await _reachable_member(p, boss, user_id)
    ctx = _context(request)
    password_hash = None
    if body.password is not None:
        password_hash = await ctx.login.pool.run(ctx.login.passwords.hash, body.password)
    saved = await _run(
        save_member,
        p.tickets.sessions,
        agent_id=user_id,
        name=body.name,
        department=body.department,
        is_dept_admin=body.is_dept_admin,
        password_hash=password_hash,
        actor=me.user_id,
    )
    ctx.tokens.revoke_user(user_id)
    return MemberOut.of(saved, _names(await asyncio.to_thread(departments_by_code, p)))


@router.post("/users/{user_id}/disable", response_model=MemberOut)
async def disable_user(request: Request, user_id: UserPath, boss: Managing, p: PortalDep) -> MemberOut:
    """Disable a department user: they can no longer sign in, and their open sessions end."""
    if user_id == boss.user_id:
        raise DesktopError("cannot_disable_self", "you cannot disable yourself", status_code=409)
    if await _reachable_member(p, boss, user_id) is None:
        raise DesktopError("department_user_not_found", f"no department user {user_id}", status_code=404)
    done = await _run(disable_member, p.tickets.sessions, agent_id=user_id)
    _context(request).tokens.revoke_user(user_id)
    return MemberOut.of(done, _names(await asyncio.to_thread(departments_by_code, p)))
