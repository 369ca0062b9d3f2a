"""Supervisor routes (``/api/supervisor/...``): listening sessions, actions on agents, supervisors'
queues and the supervision log. Roles are checked here: supervisors and admins only (an agent gets 403
on every route); the queue mapping is admin-only."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from agent_desktop.api import AgentIdPath, Me
from agent_desktop.auth import Principal, Role
from hotline.body_limit import body_limit
from privacy.reads import client_of
from supervisor import store
from supervisor.errors import SupervisorError
from supervisor.schemas import (
    AgentActionRequest,
    ListenRequest,
    LogEntryPublic,
    ModeUpdate,
    QueuesPublic,
    QueuesUpdate,
    SessionPublic,
    TakeOverPublic,
)
from supervisor.service import Actor, AgentAction, SupervisorService

router = APIRouter(prefix="/api/supervisor", tags=["supervisor"])
BODY_LIMIT = 16_384


def _forbidden() -> SupervisorError:
    return SupervisorError("forbidden", "your role may not do this", status_code=403)


def _supervising(me: Me) -> Principal:
    if not me.may(Role.SUPERVISOR, Role.ADMIN):
        raise _forbidden()
    return me


def _admin(me: Me) -> Principal:
    if not me.may(Role.ADMIN):
        raise _forbidden()
    return me


def _service(request: Request) -> SupervisorService:
    service: SupervisorService | None = getattr(request.app.state, "supervisor", None)
    if service is None:
        raise SupervisorError("supervision_unavailable", "supervision is not running", status_code=503)
    return service


def _actor(request: Request, me: Annotated[Principal, Depends(_supervising)]) -> Actor:
    return Actor(principal=me, client=client_of(request))


Service = Annotated[SupervisorService, Depends(_service)]
Supervising = Annotated[Actor, Depends(_actor)]
Admin = Annotated[Principal, Depends(_admin)]
SessionIdPath = Annotated[str, Path(pattern=r"^spy-[0-9a-f]{16}$")]


@router.get("/queues", response_model=QueuesPublic)
async def my_queues(actor: Supervising, service: Service) -> QueuesPublic:
    """The queues the signed-in supervisor supervises (every queue for an admin)."""
    queues = await service.queues_of(actor.principal)
    return QueuesPublic(supervisor_id=actor.user_id, queues=sorted(queues))


@router.put("/supervisors/{supervisor_id}/queues", response_model=QueuesPublic)
@body_limit(BODY_LIMIT)
async def set_queues(
    supervisor_id: AgentIdPath, body: QueuesUpdate, _: Admin, service: Service
) -> QueuesPublic:
    """Set the queues a supervisor supervises (admin)."""
    queues = await service.set_queues(supervisor_id, body.queues)
    return QueuesPublic(supervisor_id=supervisor_id, queues=queues)


@router.post("/agents/{agent_id}/listen", response_model=SessionPublic, status_code=201)
@body_limit(BODY_LIMIT)
async def listen(
    agent_id: AgentIdPath, body: ListenRequest, actor: Supervising, service: Service
) -> SessionPublic:
    """Ring the supervisor's phone into the agent's live call: listen, whisper or barge."""
    return SessionPublic.of(await service.listen(actor, agent_id, body.mode))


@router.get("/sessions/{session_id}", response_model=SessionPublic)
async def get_session(session_id: SessionIdPath, actor: Supervising, service: Service) -> SessionPublic:
    """One of the supervisor's live sessions."""
    return SessionPublic.of(await service.session(actor, session_id))


@router.put("/sessions/{session_id}/mode", response_model=SessionPublic)
@body_limit(BODY_LIMIT)
async def switch_mode(
    session_id: SessionIdPath, body: ModeUpdate, actor: Supervising, service: Service
) -> SessionPublic:
    """Switch between listening, whispering and barging in the same session."""
    return SessionPublic.of(await service.switch(actor, session_id, body.mode))


@router.post("/sessions/{session_id}/take-over", response_model=TakeOverPublic)
async def take_over(session_id: SessionIdPath, actor: Supervising, service: Service) -> TakeOverPublic:
    """The supervisor stays with the caller; the agent's leg ends."""
    session, conference = await service.take_over(actor, session_id)
    return TakeOverPublic(session=SessionPublic.of(session), conference=conference)


@router.delete("/sessions/{session_id}", status_code=204)
async def leave(session_id: SessionIdPath, actor: Supervising, service: Service) -> None:
    """Leave the session (the supervisor's leg hangs up)."""
    await service.leave(actor, session_id)


@router.post("/agents/{agent_id}/actions")
@body_limit(BODY_LIMIT)
async def act_on_agent(
    agent_id: AgentIdPath, body: AgentActionRequest, actor: Supervising, service: Service
) -> dict[str, Any]:
    """Force ready, pause with a reason, or log out an agent of the supervisor's queues."""
    if body.action is AgentAction.PAUSE and not body.reason.strip():
        raise SupervisorError("reason_required", "a pause needs a reason", status_code=422)
    return await service.act_on_agent(actor, agent_id, body.action, body.reason.strip())


@router.get("/log", response_model=list[LogEntryPublic])
async def supervision_log(
    request: Request,
    actor: Supervising,
    agent_id: Annotated[str | None, Query(pattern=r"^[0-9A-Za-z_-]{1,32}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[LogEntryPublic]:
    """The newest supervision steps: an admin sees everyone's, a supervisor their own."""
    mine = None if actor.principal.may(Role.ADMIN) else actor.user_id
    sessions = request.app.state.desktop.sessions
    steps = await asyncio.to_thread(
        store.log_of, sessions, agent_id=agent_id, supervisor_id=mine, limit=limit
    )
    return [LogEntryPublic.model_validate(s, from_attributes=True) for s in steps]
