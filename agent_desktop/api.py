"""Desktop REST API: sign-in, agent status, users, live ACD snapshot, call records and caller history."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from pydantic import AwareDatetime

from acd.errors import AcdError
from agent_desktop.auth import Principal, Role
from agent_desktop.caller_history import caller_history
from agent_desktop.context import DesktopContext
from agent_desktop.errors import DesktopError
from agent_desktop.schemas import (
    AgentPublic,
    AgentUpsert,
    CallerHistoryPublic,
    CallPublic,
    SessionCreate,
    SessionPublic,
    StatusUpdate,
)
from hotline.body_limit import body_limit
from hotline.db import repository as repo
from privacy.reads import asked_for_caller, audit_read

if TYPE_CHECKING:
    from agent_desktop.phone_api import PhoneDirectory

router = APIRouter(prefix="/api")


def _context(request: Request) -> DesktopContext:
    ctx: DesktopContext = request.app.state.desktop
    return ctx


def _principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    if not authorization or not authorization.startswith("Bearer "):
        raise DesktopError("unauthenticated", "a bearer token is required", status_code=401)
    principal = _context(request).tokens.resolve(authorization.removeprefix("Bearer ").strip())
    if principal is None:
        raise DesktopError("unauthenticated", "the token is unknown or expired", status_code=401)
    if principal.role is Role.DEPARTMENT and not request.url.path.startswith(DEPARTMENT_PATHS):
        raise DesktopError(
            "department_portal_only", "department users use the department portal only", status_code=403
        )
    return principal


Ctx = Annotated[DesktopContext, Depends(_context)]
Me = Annotated[Principal, Depends(_principal)]
AgentIdPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,32}$")]
SIGN_IN_BODY_LIMIT = 4096
DEPARTMENT_PATHS = ("/api/dept/", "/api/sessions", "/api/reports/departments")
"""The only routes a user of role ``department`` may call: the portal's, signing out, and the 三率
report of their own subtree (``tickets.sanlv_api``)."""


class SupervisesAgents(Protocol):
    """The supervisor service's check (supervisor.service), as this module sees it."""

    async def check_agent(self, principal: Principal, agent_id: str) -> None:
        """Raise a DesktopError unless ``agent_id`` serves one of ``principal``'s queues."""
        ...


async def _check_supervises(request: Request, me: Principal, agent_id: str) -> None:
    """A supervisor acts only on agents of their queues; without the supervisor service, not at all."""
    checker: SupervisesAgents | None = getattr(request.app.state, "supervisor", None)
    if checker is None:
        raise DesktopError("forbidden", "your role may not do this", status_code=403)
    await checker.check_agent(me, agent_id)


def _require(principal: Principal, *roles: Role) -> None:
    if not principal.may(*roles):
        raise DesktopError("forbidden", "your role may not do this", status_code=403)


@router.post("/sessions", response_model=SessionPublic, tags=["auth"])
@body_limit(SIGN_IN_BODY_LIMIT)
async def sign_in(body: SessionCreate, request: Request, ctx: Ctx) -> SessionPublic:
    """Exchange a user id and password for a bearer token (throttled: 429 with Retry-After)."""
    address = request.client.host if request.client else "unknown"
    done = await ctx.login.sign_in(
        ctx.sessions, ctx.tokens, user_id=body.user_id, password=body.password, address=address
    )
    return SessionPublic(token=done.token, user_id=done.user_id, role=str(done.role))


@router.delete("/sessions", status_code=204, tags=["auth"])
async def sign_out(request: Request, me: Me, ctx: Ctx) -> None:
    """Revoke the current token."""
    ctx.tokens.revoke(request.headers["authorization"].removeprefix("Bearer ").strip())


@router.get("/me", tags=["agent"])
async def whoami(me: Me, ctx: Ctx) -> dict[str, Any]:
    """The signed-in user's ACD situation."""
    full = me.may(Role.SUPERVISOR, Role.ADMIN)
    agent = ctx.desktop.agent_view(me.user_id, full_numbers=full)
    return {"user_id": me.user_id, "role": str(me.role), "agent": agent}


def _check_contact(request: Request, me: Principal, agent_id: str, contact: str | None) -> None:
    """A phone named in a status change must be a configured extension's (HOTLINE_AGENT_EXTENSIONS);
    an agent may name only their own. Refused otherwise, so nobody routes citizens' calls elsewhere."""
    if contact is None:
        return
    if not me.may(Role.SUPERVISOR, Role.ADMIN) and contact != f"PJSIP/{me.user_id}":
        raise DesktopError("contact_not_allowed", "agents may only use their own phone", status_code=403)
    directory: PhoneDirectory | None = getattr(request.app.state, "phone", None)
    if directory is None or not directory.allows_contact(contact):
        raise DesktopError(
            "contact_not_allowed",
            "only the phone of a configured agent extension may be used",
            status_code=403,
            details={"agent_id": agent_id},
        )


@router.post("/me/status", tags=["agent"])
async def change_my_status(request: Request, body: StatusUpdate, me: Me, ctx: Ctx) -> dict[str, Any]:
    """Go available, pause with a reason, or log out of the ACD.

    An agent may name no phone (the configured one is used) or their own browser phone ``PJSIP/<id>``;
    a supervisor any configured extension's phone; never an arbitrary dial string.
    """
    _check_contact(request, me, me.user_id, body.contact)
    return await ctx.desktop.change_status(me.user_id, body.status, reason=body.reason, contact=body.contact)


@router.post("/agents/{agent_id}/status", tags=["supervisor"])
async def change_agent_status(
    request: Request, agent_id: AgentIdPath, body: StatusUpdate, me: Me, ctx: Ctx
) -> dict[str, Any]:
    """An admin, or a supervisor of a queue the agent serves, changes an agent's status (e.g. forces a
    logout), optionally to a configured phone."""
    _require(me, Role.SUPERVISOR, Role.ADMIN)
    if me.role is Role.SUPERVISOR:
        await _check_supervises(request, me, agent_id)
    _check_contact(request, me, agent_id, body.contact)
    return await ctx.desktop.change_status(agent_id, body.status, reason=body.reason, contact=body.contact)


@router.put("/agents/{agent_id}", response_model=AgentPublic, tags=["admin"])
async def upsert_agent(agent_id: AgentIdPath, body: AgentUpsert, me: Me, ctx: Ctx) -> AgentPublic:
    """Create or update a user; the password is stored as a salted hash."""
    _require(me, Role.ADMIN)
    existing = await asyncio.to_thread(repo.get_agent, ctx.sessions, agent_id=agent_id)
    password_hash = existing.password_hash if existing is not None else None
    if body.password is not None:
        password_hash = await ctx.login.pool.run(ctx.login.passwords.hash, body.password)
    ctx.tokens.revoke_user(agent_id)
    await asyncio.to_thread(
        repo.upsert_agent,
        ctx.sessions,
        agent_id=agent_id,
        name=body.name,
        contact=body.contact,
        skills=body.skills,
        role=body.role,
        password_hash=password_hash,
    )
    return AgentPublic(
        agent_id=agent_id, name=body.name, contact=body.contact, skills=body.skills, role=body.role
    )


@router.get("/agents", response_model=list[AgentPublic], tags=["supervisor"])
async def list_agents(me: Me, ctx: Ctx) -> list[AgentPublic]:
    """All configured users."""
    _require(me, Role.SUPERVISOR, Role.ADMIN)
    rows = await asyncio.to_thread(repo.list_agents, ctx.sessions)
    return [
        AgentPublic(agent_id=r.agent_id, name=r.name, contact=r.contact, skills=dict(r.skills), role=r.role)
        for r in rows
    ]


@router.get("/acd", tags=["supervisor"])
async def acd_snapshot(me: Me, ctx: Ctx) -> dict[str, object]:
    """Live agents, waiting calls and queues."""
    _require(me, Role.SUPERVISOR, Role.ADMIN)
    return ctx.acd.engine.snapshot()


@router.get("/calls", response_model=list[CallPublic], tags=["supervisor"])
async def list_calls(
    request: Request,
    me: Me,
    ctx: Ctx,
    since: AwareDatetime | None = None,
    caller_prefix: Annotated[str | None, Query(max_length=32, pattern=r"^[0-9+]*$")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    kind: repo.CallKind = "citizen",
) -> list[CallPublic]:
    """Call records, newest first: citizens' calls, or with ``kind=consult`` the agents' consultation
    legs that waited in the ACD during attended transfers (kept for audit, never counted as calls).

    ``since`` must carry its time zone (``2026-11-25T08:00:00+08:00`` or ``...Z``); a time without
    one is ambiguous and answers 422 rather than being guessed.
    """
    _require(me, Role.SUPERVISOR, Role.ADMIN)
    rows = await asyncio.to_thread(
        repo.list_calls, ctx.sessions, since=since, caller_prefix=caller_prefix, limit=limit, kind=kind
    )
    asked = asked_for_caller(caller_prefix, kind="caller_prefix")
    await audit_read(request, me, "calls.list", object_id=asked, objects=(r.call_id for r in rows))
    return [CallPublic.model_validate(r, from_attributes=True) for r in rows]


@router.get("/calls/{call_id}/caller-history", response_model=CallerHistoryPublic, tags=["agent"])
async def get_caller_history(request: Request, call_id: str, me: Me, ctx: Ctx) -> CallerHistoryPublic:
    """Earlier calls of this call's caller: the last 90 days (at most 20, newest first), a 30-day count.

    Agents may ask about a call offered to them, on them or just finished (403 otherwise); supervisors
    and admins about any call. A confidential caller's number reaches agents masked.
    """
    history = await caller_history(ctx, me, call_id)
    shown = [call_id, *(c.call_id for c in history.calls), *(n for c in history.calls for n in c.work_orders)]
    await audit_read(request, me, "caller_history.read", object_id=call_id, objects=shown)
    return history


def acd_error_status(exc: AcdError) -> int:
    """HTTP status for an ACD refusal."""
    return 404 if exc.error_id.startswith("unknown") else 409
