"""The caller's earlier calls for the screen-pop: how often, when, which queue, outcome, wait, who, orders.

Who may ask about a call: supervisors and admins about any call; an agent about a call the ACD has
offered to them or connected to them, or one recorded as theirs whose last step (offer, answer, end)
is at most ``RECENT_OWN_CALL`` ago (wrap-up, finishing the work order). A call that is live in the
ACD with nobody or someone else is not theirs. Another agent's call answers 403; an unknown or
malformed call id 404.

Agents see a confidential caller's number masked. Confidentiality is a tag of the live call; once a
call has left the ACD its tags are gone, so agents then get the number masked whatever it was.
Earlier calls are those from exactly the same number that started before the call asked about.
Work orders are listed as ``tickets.access`` lets the reader see them (the caller asked about is theirs).
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from acd.model import Call as LiveCall
from agent_desktop.auth import Principal, Role
from agent_desktop.context import DesktopContext
from agent_desktop.errors import DesktopError
from agent_desktop.schemas import CallerHistoryPublic, EarlierCallPublic
from hotline.db import repository as repo
from hotline.db.rows import CallRow
from privacy.masking import is_confidential, mask_number
from tickets import repository as tickets_repo

CALL_ID = re.compile(r"^[0-9A-Za-z._-]{1,64}$")
RECENT_OWN_CALL = timedelta(hours=1)
LISTED = timedelta(days=90)
RECENT = timedelta(days=30)
MAX_LISTED = 20
MAX_ORDERS = 200


@dataclass(frozen=True, slots=True)
class Window:
    """Which earlier calls of ``caller`` to read."""

    caller: str
    before: datetime
    exclude_call_id: str
    visible_to: str | None

    @property
    def listed_since(self) -> datetime:
        """Start of the listed calls."""
        return self.before - LISTED

    @property
    def recent_since(self) -> datetime:
        """Start of the counted calls."""
        return self.before - RECENT


def agent_may_see(agent_id: str, *, live: LiveCall | None, row: CallRow | None, now: datetime) -> bool:
    """Whether an agent may read the caller history of this call (see the module rules)."""
    if live is not None:
        return live.agent_id == agent_id
    if row is None or row.agent_id != agent_id:
        return False
    steps = [t for t in (row.offered_at, row.answered_at, row.ended_at) if t is not None]
    return bool(steps) and max(steps) >= now - RECENT_OWN_CALL


def _has_number(caller: str) -> bool:
    return any(c.isdigit() for c in caller)


def _read(sm: sessionmaker[Session], w: Window) -> tuple[list[CallRow], int, dict[str, list[str]]]:
    calls = repo.calls_from_caller(
        sm,
        caller=w.caller,
        since=w.listed_since,
        before=w.before,
        exclude_call_id=w.exclude_call_id,
        limit=MAX_LISTED,
    )
    recent = repo.count_calls_from_caller(
        sm, caller=w.caller, since=w.recent_since, before=w.before, exclude_call_id=w.exclude_call_id
    )
    listed = {c.call_id for c in calls}
    orders: dict[str, list[str]] = defaultdict(list)
    if listed:
        rows = tickets_repo.list_work_orders(
            sm, caller_number=w.caller, visible_to=w.visible_to, callers=(w.caller,), limit=MAX_ORDERS
        )
        for order in rows:
            if order.call_id in listed:
                orders[order.call_id].append(order.number)
    return calls, recent, orders


def _earlier(row: CallRow, orders: list[str]) -> EarlierCallPublic:
    return EarlierCallPublic(
        call_id=row.call_id,
        queue=row.queue,
        outcome=row.outcome,
        agent_id=row.agent_id,
        entered_ivr_at=row.entered_ivr_at,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        wait_seconds=row.wait_seconds,
        talk_seconds=row.talk_seconds,
        work_orders=orders,
    )


@dataclass(frozen=True, slots=True)
class Subject:
    """The call asked about: its live ACD state and record (at least one), caller and start."""

    live: LiveCall | None
    row: CallRow | None
    caller: str
    started: datetime


async def _find(ctx: DesktopContext, call_id: str) -> Subject:
    if not CALL_ID.fullmatch(call_id):
        raise DesktopError("call_not_found", "no such call: malformed call id", status_code=404)
    live = ctx.acd.engine.store.get_call(call_id)
    row = await asyncio.to_thread(repo.get_call, ctx.sessions, call_id=call_id)
    if row is not None:
        return Subject(live, row, row.caller or (live.caller if live else ""), row.entered_ivr_at)
    if live is not None:
        return Subject(live, row, live.caller, datetime.fromtimestamp(live.entered_at, UTC))
    raise DesktopError("call_not_found", f"no call {call_id}", status_code=404, details={"call_id": call_id})


async def caller_history(
    ctx: DesktopContext, me: Principal, call_id: str, *, now: datetime | None = None
) -> CallerHistoryPublic:
    """The earlier calls of the caller of ``call_id``, as ``me`` may see them."""
    subject = await _find(ctx, call_id)
    live, now = subject.live, now or datetime.now(UTC)
    supervising = me.may(Role.SUPERVISOR, Role.ADMIN)
    if not supervising and not agent_may_see(me.user_id, live=live, row=subject.row, now=now):
        raise DesktopError(
            "not_your_call",
            "agents may only look up the caller of a call offered to them, on them or just finished",
            status_code=403,
            details={"call_id": call_id},
        )
    masked = not supervising and (live is None or is_confidential(dict(live.attrs)))
    caller = subject.caller
    visible_to = None if supervising else me.user_id
    window = Window(caller=caller, before=subject.started, exclude_call_id=call_id, visible_to=visible_to)
    calls: list[CallRow] = []
    recent, orders = 0, dict[str, list[str]]()
    if _has_number(caller):
        calls, recent, orders = await asyncio.to_thread(_read, ctx.sessions, window)
    return CallerHistoryPublic(
        call_id=call_id,
        caller=mask_number(caller) if masked else caller,
        masked=masked,
        listed_days=LISTED.days,
        listed_since=window.listed_since,
        recent_days=RECENT.days,
        recent_since=window.recent_since,
        recent_calls=recent,
        calls=[_earlier(c, orders.get(c.call_id, [])) for c in calls],
    )
