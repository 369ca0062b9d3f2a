"""REST endpoints for the agent's live call: directory, blind and attended transfer, three-way call, leave."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent_desktop.api import Me
from agent_desktop.call_control import CallControl
from agent_desktop.directory import DirectoryEntry
from agent_desktop.errors import DesktopError

router = APIRouter(prefix="/api", tags=["call control"])


class TransferRequest(BaseModel):
    """A transfer target: a queue, a named agent, or a directory entry (exactly one)."""

    model_config = ConfigDict(extra="forbid")
    queue: str | None = Field(default=None, max_length=64)
    agent_id: str | None = Field(default=None, min_length=1, max_length=64)
    directory_id: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _exactly_one(self) -> TransferRequest:
        if sum(v is not None for v in (self.queue, self.agent_id, self.directory_id)) != 1:
            raise ValueError("give exactly one of queue, agent_id or directory_id")
        return self


class ThreeWayRequest(BaseModel):
    """Bring a directory entry (a department, 110, ...) into the call."""

    model_config = ConfigDict(extra="forbid")
    directory_id: str = Field(max_length=64)


class CallControlContext:
    """What the call-control endpoints need; stored on ``app.state.calls``."""

    def __init__(self, control: CallControl, directory: dict[str, DirectoryEntry]) -> None:
        self.control = control
        self.directory = directory

    def entry(self, directory_id: str) -> DirectoryEntry:
        """A directory entry or a 404."""
        try:
            return self.directory[directory_id]
        except KeyError:
            raise DesktopError(
                "unknown_directory_entry", f"no directory entry {directory_id!r}", status_code=404
            ) from None


def _calls(request: Request) -> CallControlContext:
    ctx: CallControlContext | None = getattr(request.app.state, "calls", None)
    if ctx is None:
        raise DesktopError("call_control_unavailable", "call control is not running", status_code=503)
    return ctx


Calls = Annotated[CallControlContext, Depends(_calls)]


@router.get("/directory")
async def directory(me: Me, calls: Calls) -> list[dict[str, str]]:
    """Departments, special lines and emergency services an agent can reach."""
    return [
        {"id": e.id, "name": e.name, "number": e.number, "kind": e.kind} for e in calls.directory.values()
    ]


@router.get("/colleagues")
async def colleagues(me: Me, calls: Calls) -> list[dict[str, object]]:
    """Signed-in agents other than the caller, for transfers and consultations (ready ones first)."""
    return calls.control.colleagues(me.user_id)


@router.post("/me/call/transfer")
async def transfer(body: TransferRequest, me: Me, calls: Calls) -> dict[str, str]:
    """Blind transfer of the current call."""
    if body.queue is not None:
        call = await calls.control.transfer_to_queue(me.user_id, body.queue)
        return {"call_id": call.call_id, "transferred_to": f"queue:{body.queue}"}
    if body.agent_id is not None:
        call = await calls.control.transfer_to_agent(me.user_id, body.agent_id)
        return {"call_id": call.call_id, "transferred_to": f"agent:{body.agent_id}"}
    entry = calls.entry(body.directory_id or "")
    call = await calls.control.transfer_to_number(me.user_id, entry)
    return {"call_id": call.call_id, "transferred_to": f"number:{entry.number}"}


@router.post("/me/call/three-way")
async def three_way(body: ThreeWayRequest, me: Me, calls: Calls) -> dict[str, str]:
    """Start a three-way call with a directory entry."""
    conference = await calls.control.three_way(me.user_id, calls.entry(body.directory_id))
    return {"conference": conference}


@router.post("/me/call/leave")
async def leave(me: Me, calls: Calls) -> dict[str, str]:
    """Hang up the agent's leg; in a three-way call the others stay connected."""
    call = await calls.control.leave(me.user_id)
    return {"call_id": call.call_id}


@router.post("/me/call/consult")
async def consult(body: TransferRequest, me: Me, calls: Calls) -> dict[str, str]:
    """Attended transfer, first step: hold the caller and talk to the target."""
    entry = calls.entry(body.directory_id) if body.directory_id is not None else None
    call, target = await calls.control.consult(
        me.user_id, entry=entry, queue=body.queue, target_agent=body.agent_id
    )
    return {"call_id": call.call_id, "consulting": target}


@router.post("/me/call/consult/complete")
async def complete_consult(me: Me, calls: Calls) -> dict[str, str]:
    """Attended transfer, last step: join the caller to the consulted party; the agent leaves."""
    call, target = await calls.control.complete_consult(me.user_id)
    return {"call_id": call.call_id, "transferred_to": target}


@router.post("/me/call/consult/cancel")
async def cancel_consult(me: Me, calls: Calls) -> dict[str, str]:
    """End the consultation and go back to the caller."""
    call, target = await calls.control.cancel_consult(me.user_id)
    return {"call_id": call.call_id, "cancelled": target}
