"""The supervisor's actions: listening sessions on agents' calls and actions on agents, each within the
queues the supervisor supervises (admins: every queue), each written to the supervision log.

A listening session is also a read of the call in the read audit (``calls.listen``): whoever asks who
saw a call finds the supervisors who heard it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from acd.events import CallFinished
from acd.model import AgentStatus
from acd.service import AcdService
from agent_desktop.auth import Principal, Role
from agent_desktop.call_control import CallControl, LiveCall
from agent_desktop.service import DesktopService
from hotline.bus import EventBus
from hotline.db import repository as repo
from privacy.audit import Read, record_read
from supervisor import store
from supervisor.errors import SupervisorError, no_session, not_your_queue
from supervisor.spy import Spies, SpyMode, SpySession, new_session


class AgentAction(StrEnum):
    """What a supervisor may do to an agent."""

    READY = "ready"
    PAUSE = "pause"
    LOG_OUT = "log_out"


_STATUS_OF = {AgentAction.READY: "available", AgentAction.PAUSE: "paused", AgentAction.LOG_OUT: "logged_out"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who asks, and from where."""

    principal: Principal
    client: str = ""

    @property
    def user_id(self) -> str:
        """The supervisor's user id."""
        return self.principal.user_id


class SupervisorService:
    """Supervision rules over the ACD, AMI and the database."""

    def __init__(
        self,
        *,
        acd: AcdService,
        control: CallControl,
        desktop: DesktopService,
        spies: Spies,
        sessions: sessionmaker[Session],
        bus: EventBus,
        browser_phones: Callable[[str], bool] = lambda _contact: False,
    ) -> None:
        self._acd = acd
        self._control = control
        self._desktop = desktop
        self._spies = spies
        self._sm = sessions
        self._bus = bus
        self._browser_phones = browser_phones

    async def queues_of(self, principal: Principal) -> frozenset[str]:
        """The queues ``principal`` supervises (every queue for an admin)."""
        if principal.may(Role.ADMIN):
            return frozenset(self._acd.engine.queues)
        return await asyncio.to_thread(store.queues_of, self._sm, supervisor_id=principal.user_id)

    async def set_queues(self, supervisor_id: str, queues: list[str]) -> list[str]:
        """Replace the queues ``supervisor_id`` supervises (every name must be a queue of the centre)."""
        unknown = sorted(set(queues) - set(self._acd.engine.queues))
        if unknown:
            raise SupervisorError(
                "unknown_queue", "no such queue", status_code=422, details={"queues": unknown}
            )
        row = await asyncio.to_thread(repo.get_agent, self._sm, agent_id=supervisor_id)
        if row is None or row.role != Role.SUPERVISOR:
            raise SupervisorError(
                "not_a_supervisor", f"{supervisor_id!r} is not a supervisor", status_code=404
            )
        await asyncio.to_thread(store.set_queues, self._sm, supervisor_id=supervisor_id, queues=queues)
        return sorted(set(queues))

    async def _check_queue(self, principal: Principal, queue: str) -> None:
        if queue not in await self.queues_of(principal):
            raise not_your_queue(queue)

    async def listen(self, actor: Actor, agent_id: str, mode: SpyMode) -> SpySession:
        """Ring the supervisor's phone into the agent's live call in ``mode`` (an agent of the
        supervisor's queues, on a call of one of them)."""
        await self.check_agent(actor.principal, agent_id)
        call = await self._control.live_call(agent_id, consulting_ok=True)
        await self._check_queue(actor.principal, call.queue)
        phone = await self._phone_of(actor.user_id)
        target = await self._agent_uniqueid(call)
        session = new_session(
            supervisor_id=actor.user_id, agent_id=agent_id, call_id=call.call_id, queue=call.queue, mode=mode
        )
        await self._audit_listening(actor, session)
        await self._spies.start(session, phone=phone, target_uniqueid=target)
        return session

    async def _audit_listening(self, actor: Actor, session: SpySession) -> None:
        """Log the session and record it as a read of the call, before anyone hears anything."""
        await self._log(actor, "listen_" + str(session.mode), session)
        read = Read(
            user_id=actor.user_id,
            role=str(actor.principal.role),
            action="calls.listen",
            object_id=session.call_id,
            objects=(session.call_id,),
            client=actor.client,
        )
        await asyncio.to_thread(record_read, self._sm, read)

    async def session(self, actor: Actor, session_id: str) -> SpySession:
        """The actor's own live session ``session_id`` (404 otherwise)."""
        session = await self._spies.describe(session_id)
        if session is None or session.supervisor_id != actor.user_id:
            raise no_session(session_id)
        return session

    async def switch(self, actor: Actor, session_id: str, mode: SpyMode) -> SpySession:
        """Listen, whisper or barge from now on, in the same session."""
        session = await self._steerable(actor, session_id)
        switched = await self._spies.switch(session, mode)
        await self._log(actor, "switch_" + str(mode), switched)
        return switched

    async def _steerable(self, actor: Actor, session_id: str) -> SpySession:
        """A session the actor may still steer: theirs, in a queue they (still) supervise."""
        session = await self.session(actor, session_id)
        await self._check_queue(actor.principal, session.queue)
        return session

    async def leave(self, actor: Actor, session_id: str) -> SpySession:
        """Hang up the supervisor's leg."""
        session = await self.session(actor, session_id)
        await self._spies.leave(session)
        await self._log(actor, "leave", session)
        return session

    async def take_over(self, actor: Actor, session_id: str) -> tuple[SpySession, str]:
        """The supervisor stays with the caller; the agent drops (their part of the call ends)."""
        session = await self._steerable(actor, session_id)
        call = await self._control.live_call(session.agent_id, consulting_ok=True)
        if call.call_id != session.call_id:
            raise no_session(session_id)
        self._acd.submit(CallFinished(call_id=call.call_id))
        conf = await self._spies.take_over(session, caller_channel=call.caller_channel)
        await self._log(actor, "take_over", session, detail=conf)
        self._bus.publish(
            "call.transferred",
            {
                "call_id": call.call_id,
                "kind": "supervisor",
                "target": actor.user_id,
                "from_queue": call.queue,
                "at": time.time(),
            },
        )
        return session, conf

    async def act_on_agent(
        self, actor: Actor, agent_id: str, action: AgentAction, reason: str
    ) -> dict[str, Any]:
        """Force ready, pause with ``reason`` or log out an agent serving one of the actor's queues;
        the agent's desktops are told who did it and why."""
        await self.check_agent(actor.principal, agent_id)
        if action is AgentAction.PAUSE:
            self._check_pause_reason(reason)
        view = await self._desktop.change_status(
            agent_id, _STATUS_OF[action], reason=reason if action is AgentAction.PAUSE else None
        )
        step = store.Step(
            supervisor_id=actor.user_id,
            role=str(actor.principal.role),
            action=str(action),
            agent_id=agent_id,
            detail=reason,
            client=actor.client,
        )
        await asyncio.to_thread(store.log_step, self._sm, step)
        self._bus.publish(
            "agent.supervisor_action",
            {
                "agent_id": agent_id,
                "action": str(action),
                "reason": reason,
                "by": actor.user_id,
                "at": time.time(),
            },
        )
        return view

    def _check_pause_reason(self, reason: str) -> None:
        known = self._acd.engine.policy.pause_reasons
        if reason not in known:
            raise SupervisorError(
                "unknown_pause_reason",
                f"pause reason {reason!r} is not configured",
                status_code=422,
                details={"reason": reason, "known": list(known)},
            )

    async def check_agent(self, principal: Principal, agent_id: str) -> None:
        """The agent serves (has the skill of) or is on a call of a queue ``principal`` supervises."""
        agent = self._acd.engine.store.get_agent(agent_id)
        if agent is None or agent.status is AgentStatus.LOGGED_OUT:
            raise SupervisorError(
                "agent_not_signed_in", f"agent {agent_id!r} is not signed in", status_code=409
            )
        mine = await self.queues_of(principal)
        queues = self._acd.engine.queues
        serves = {name for name in mine if queues[name].skill in agent.skills}
        call = self._acd.engine.store.get_call(agent.current_call_id) if agent.current_call_id else None
        if not serves and (call is None or call.queue not in mine):
            raise SupervisorError(
                "agent_not_supervised",
                f"agent {agent_id!r} serves none of your queues",
                status_code=403,
                details={"agent_id": agent_id},
            )

    async def _phone_of(self, supervisor_id: str) -> str:
        """The supervisor's configured phone, else their browser phone (``PJSIP/<user id>``) when
        that extension has one."""
        row = await asyncio.to_thread(repo.get_agent, self._sm, agent_id=supervisor_id)
        contact = row.contact if row is not None else ""
        browser = f"PJSIP/{supervisor_id}"
        if not contact and self._browser_phones(browser):
            contact = browser
        if not contact:
            raise SupervisorError(
                "no_phone", "configure a phone for your user before listening in", status_code=409
            )
        return contact

    async def _agent_uniqueid(self, call: LiveCall) -> str:
        """The uniqueid of the agent's leg: the ACD's leg id when this node rang it, else Asterisk's."""
        leg_id = self._acd.leg_of_call.get(call.call_id)
        leg = self._acd.legs.get(leg_id) if leg_id else None
        if leg is not None and leg.channel == call.agent_channel:
            return leg.leg_id
        uniqueid = await self._spies.uniqueid_of(call.agent_channel)
        if not uniqueid:
            raise SupervisorError("no_live_call", "the agent is not on a call", status_code=409)
        return uniqueid

    async def _log(self, actor: Actor, action: str, session: SpySession, *, detail: str = "") -> None:
        step = store.Step(
            supervisor_id=actor.user_id,
            role=str(actor.principal.role),
            action=action,
            agent_id=session.agent_id,
            call_id=session.call_id,
            queue=session.queue,
            session_id=session.session_id,
            detail=detail,
            client=actor.client,
        )
        await asyncio.to_thread(store.log_step, self._sm, step)
