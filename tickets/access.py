"""Who may see which work orders, and whether an order's call is confidential (decided on the server).

- Supervisors and admins see every order.
- An agent sees the orders they created, and the orders of the caller of a call they are offered or
  on now, or that was theirs within the last hour (``RECENT_CALL``: wrap-up, follow-up questions);
  never another agent's confidential order. Lists and single reads use the same rule.
- An order taken for a call is confidential when the call is: the live ACD call's IVR tags, else the
  call record's ``confidential`` flag (set by the recorder from the same tags). The agent's form can
  add confidentiality (a caller asking for it), never take it away.
- Agents see a confidential order's caller number masked.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.auth import Principal, Role
from agent_desktop.context import DesktopContext
from hotline.db.models import Call
from privacy.masking import is_confidential, mask_number
from tickets.rows import NewWorkOrder, WorkOrderRow

RECENT_CALL = timedelta(hours=1)
MAX_RECENT_CALLS = 200
SUPERVISING = (Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class OrderScope:
    """The orders one reader may see: all (``user_id`` None), or their own plus the non-confidential
    orders whose caller number is in ``callers``."""

    user_id: str | None
    callers: frozenset[str] = frozenset()

    def allows(self, row: WorkOrderRow) -> bool:
        """Whether the reader may see ``row``."""
        if self.user_id is None or row.created_by == self.user_id:
            return True
        return not row.caller.confidential and row.caller.number in self.callers

    def shown(self, row: WorkOrderRow) -> WorkOrderRow:
        """``row`` as the reader sees it: a confidential caller's number masked for agents."""
        if self.user_id is None or not row.caller.confidential:
            return row
        return replace(row, caller=replace(row.caller, number=mask_number(row.caller.number)))


def recent_callers(sm: sessionmaker[Session], *, agent_id: str, since: datetime) -> set[str]:
    """Caller numbers of the calls recorded as ``agent_id``'s with a step (offer, answer, end) since."""
    stmt = (
        select(Call.caller)
        .where(Call.agent_id == agent_id)
        .where(or_(Call.offered_at >= since, Call.answered_at >= since, Call.ended_at >= since))
        .limit(MAX_RECENT_CALLS)
    )
    with sm() as s:
        return {c for c in s.scalars(stmt) if c}


def _live_callers(ctx: DesktopContext, agent_id: str) -> set[str]:
    store = ctx.acd.engine.store
    agent = store.get_agent(agent_id)
    if agent is None:
        return set()
    calls = (store.get_call(c) for c in (agent.offered_call_id, agent.current_call_id) if c)
    return {c.caller for c in calls if c is not None and c.caller}


async def scope_for(ctx: DesktopContext, me: Principal, *, now: datetime | None = None) -> OrderScope:
    """The orders ``me`` may see now."""
    if me.may(*SUPERVISING):
        return OrderScope(None)
    since = (now or datetime.now(UTC)) - RECENT_CALL
    recent = await asyncio.to_thread(recent_callers, ctx.sessions, agent_id=me.user_id, since=since)
    return OrderScope(me.user_id, frozenset(recent | _live_callers(ctx, me.user_id)))


def _recorded_call(sm: sessionmaker[Session], call_id: str) -> tuple[bool, str] | None:
    with sm() as s:
        found = s.execute(select(Call.confidential, Call.caller).where(Call.call_id == call_id)).first()
        return None if found is None else (bool(found[0]), found[1])


async def with_call_confidentiality(ctx: DesktopContext, order: NewWorkOrder) -> NewWorkOrder:
    """``order`` with ``confidential`` set from its call; a confidential call's real number is filled in
    when the form had none or a masked one (agents never see it)."""
    if order.call_id is None:
        return order
    live = ctx.acd.engine.store.get_call(order.call_id)
    recorded = await asyncio.to_thread(_recorded_call, ctx.sessions, order.call_id)
    confidential = (live is not None and is_confidential(dict(live.attrs))) or bool(recorded and recorded[0])
    if not confidential:
        return order
    number = order.caller.number
    known = live.caller if live is not None and live.caller else recorded[1] if recorded else ""
    if known and (not number or "*" in number):
        number = known
    return replace(order, caller=replace(order.caller, confidential=True, number=number))
