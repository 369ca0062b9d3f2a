"""What a desktop user can ask of the centre: status changes and a snapshot of their situation."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from acd.events import AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentReady
from acd.model import AgentStatus
from acd.service import AcdService
from agent_desktop.errors import DesktopError
from agent_desktop.hub import masked_call
from hotline.db import repository as repo


class DesktopService:
    """Turns desktop requests into ACD events."""

    def __init__(self, *, acd: AcdService, sessions: sessionmaker[Session]) -> None:
        self._acd = acd
        self._sm = sessions

    async def change_status(
        self, agent_id: str, status: str, *, reason: str | None = None, contact: str | None = None
    ) -> dict[str, Any]:
        """Apply ``available``, ``paused`` or ``logged_out`` for ``agent_id``; return the new agent view."""
        current = self._acd.engine.store.get_agent(agent_id)
        logged_in = current is not None and current.status is not AgentStatus.LOGGED_OUT
        if status == "logged_out":
            if logged_in:
                self._acd.submit(AgentLoggedOut(agent_id=agent_id))
            return self.agent_view(agent_id)
        if status not in ("available", "paused"):
            raise DesktopError("invalid_status", f"unknown status {status!r}", status_code=422)
        if status == "paused":
            self._acd.engine.check_pause_reason(reason or "小休", agent_id=agent_id)
        if not logged_in:
            row = await asyncio.to_thread(repo.get_agent, self._sm, agent_id=agent_id)
            if row is None:
                raise DesktopError("unknown_agent", f"agent {agent_id} is not configured", status_code=404)
            phone = contact or row.contact
            if not phone:
                raise DesktopError("no_contact", "the agent has no phone to ring", status_code=409)
            self._acd.submit(AgentLoggedIn(agent_id=agent_id, contact=phone, skills=dict(row.skills)))
        if status == "available":
            self._acd.submit(AgentReady(agent_id=agent_id))
        else:
            self._acd.submit(AgentPaused(agent_id=agent_id, reason=reason or "小休"))
        return self.agent_view(agent_id)

    def agent_view(self, agent_id: str, *, full_numbers: bool = False) -> dict[str, Any]:
        """The agent as the desktop shows it, including an offered or current call.

        A confidential call's caller number is masked unless ``full_numbers`` (supervisors, admins).
        """
        agent = self._acd.engine.store.get_agent(agent_id)
        if agent is None:
            return {
                "agent_id": agent_id,
                "status": "logged_out",
                "state": "idle",
                "pause_reason": None,
                "wrapup_until": None,
                "call": None,
            }
        call_id = agent.offered_call_id or agent.current_call_id
        call = self._acd.engine.store.get_call(call_id) if call_id else None
        view: dict[str, object] | None = None
        if call is not None:
            view = {
                "call_id": call.call_id,
                "caller": call.caller,
                "queue": call.queue,
                "state": str(call.state),
                "ivr": dict(call.attrs),
                "entered_at": call.entered_at,
            }
            view = view if full_numbers else masked_call(view)
        return {
            "agent_id": agent_id,
            "status": str(agent.status),
            "state": str(agent.state),
            "pause_reason": agent.pause_reason,
            "wrapup_until": agent.wrapup_until,
            "call": view,
        }
