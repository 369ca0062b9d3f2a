"""The department portal's wiring: the services its routes use and who is acting.

``Portal`` is made once per app from ``app.state`` (the ticket service, ``order_loop`` and
``attachments`` when the centre set them); making it adds the departments of the shipped tree that
the table lacks (a tree file extended after the migration seeded it; another app node doing the same
at once is harmless; a tree that no longer fits the edited table is logged and skipped). ``Acting``
is a signed-in user of role ``department`` with an active membership in an active department, and
the set of departments they act for: their own and every department below it
(``tickets.departments.subtree``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.api import Me
from agent_desktop.auth import Role
from agent_desktop.errors import DesktopError
from hotline.db.engine import WRITE_OPTION
from tickets.api import ticket_service
from tickets.attachments import AttachmentStore
from tickets.departments import (
    Department,
    all_departments,
    get_department,
    load_tree,
    seed_departments,
    subtree,
)
from tickets.dept_members import get_member
from tickets.errors import TicketError
from tickets.loop import OrderLoop
from tickets.service import TicketService

__all__ = ["Acting", "Portal", "PortalDep", "Who", "acting", "acting_of", "departments_by_code", "portal"]

log = logging.getLogger(__name__)
_SEEDING = threading.Lock()


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Portal:
    """What the portal's routes use: sessions, work orders, the loop, the attachment store, a clock."""

    tickets: TicketService
    loop: OrderLoop
    store: AttachmentStore | None
    clock: Callable[[], datetime] = field(default=_utc_now)


def seed_missing(sm: sessionmaker[Session]) -> int:
    """Add the shipped tree's departments the table lacks; how many were added (0 when refused)."""
    try:
        with _SEEDING, sm.begin() as s:
            s.connection(execution_options={WRITE_OPTION: True})
            return seed_departments(s, load_tree())
    except IntegrityError:
        log.info("the department tree was seeded by another node meanwhile")
    except TicketError as exc:
        log.warning("the shipped department tree does not fit the edited table: %s", exc)
    return 0


def portal(request: Request) -> Portal:
    """``app.state.dept_portal``; made once from the app's ticket service, ``app.state.order_loop`` and
    ``app.state.attachments`` (a store under the state directory) when unset."""
    found: Portal | None = getattr(request.app.state, "dept_portal", None)
    if found is None:
        tickets = ticket_service(request)
        loop = getattr(request.app.state, "order_loop", None) or OrderLoop(
            sessions=tickets.sessions, catalogue=tickets.catalogue, policy=tickets.policy
        )
        found = Portal(tickets=tickets, loop=loop, store=getattr(request.app.state, "attachments", None))
        seed_missing(tickets.sessions)
        request.app.state.dept_portal = found
    return found


PortalDep = Annotated[Portal, Depends(portal)]


@dataclass(frozen=True, slots=True)
class Acting:
    """The signed-in department user and the departments they act for (their own and below)."""

    user_id: str
    name: str
    is_dept_admin: bool
    department: Department
    scope: frozenset[str]


def acting_of(p: Portal, user_id: str) -> Acting | None:
    """The active membership of ``user_id`` in an active department, or None."""
    sm = p.tickets.sessions
    member = get_member(sm, agent_id=user_id)
    if member is None or not member.active:
        return None
    with sm() as s:
        department = get_department(s, member.department)
        if department is None or not department.active:
            return None
        scope = frozenset(subtree(s, department.code))
    return Acting(member.agent_id, member.name, member.is_dept_admin, department, scope)


async def acting(me: Me, p: PortalDep) -> Acting:
    """The acting department user (403 for other roles and for disabled users)."""
    if me.role is not Role.DEPARTMENT:
        raise DesktopError(
            "department_only", "the department portal is for department users", status_code=403
        )
    found = await asyncio.to_thread(acting_of, p, me.user_id)
    if found is None:
        raise DesktopError("department_user_disabled", "this department user is disabled", status_code=403)
    return found


Who = Annotated[Acting, Depends(acting)]


def departments_by_code(p: Portal) -> dict[str, Department]:
    """Every department of the tree by code."""
    with p.tickets.sessions() as s:
        return {d.code: d for d in all_departments(s)}
