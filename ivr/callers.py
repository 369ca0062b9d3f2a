"""Who is calling: the caller attributes a flow branches on (elderly, VIP, repeat caller, open orders).

``CallerDirectory`` is what the runtime asks; ``DbCallerDirectory`` answers from the database: elderly
and VIP from ``caller_profiles``, repeat caller from the ``calls`` table (another call from the same
number within ``repeat_window``). Open work orders come from the work-order system once there is one;
until then the database directory reports none.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from ivr import flow_store as store
from ivr.flow import CallerAttributes
from ivr.flow.context import OpenWorkOrder
from tickets import repository as tickets_repo
from tickets.intake import CREATED_BY as INTAKE_USER
from tickets.vocab import Status


class CallerDirectory(Protocol):
    """Looks up the profile of a calling number at the start of a call."""

    async def lookup(self, caller: str, *, call_id: str, now: datetime) -> CallerAttributes:
        """The attributes of ``caller`` for call ``call_id`` at ``now``."""
        ...


class DbCallerDirectory:
    """Caller attributes from ``caller_profiles`` and the call history."""

    def __init__(
        self, sessions: sessionmaker[Session], *, repeat_window: timedelta = timedelta(days=7)
    ) -> None:
        self._sm = sessions
        self._window = repeat_window

    def _lookup(self, caller: str, call_id: str, now: datetime) -> CallerAttributes:
        if not caller:
            return CallerAttributes()
        profile = store.get_caller_profile(self._sm, number=caller)
        earlier = store.recent_calls_from(
            self._sm, caller=caller, since=self._window, now=now, exclude=call_id
        )
        return CallerAttributes(
            elderly=bool(profile and profile.elderly),
            vip=bool(profile and profile.vip),
            repeat_caller=earlier > 0,
            open_work_orders=self._open_orders(caller),
        )

    def _open_orders(self, caller: str) -> tuple[OpenWorkOrder, ...]:
        """The caller's unfinished work orders, newest first, with the agent who took each."""
        orders = tickets_repo.list_work_orders(self._sm, caller_number=caller, limit=20)
        done = {Status.CLOSED, Status.MERGED}
        return tuple(
            OpenWorkOrder(number=o.number, agent=None if o.created_by == INTAKE_USER else o.created_by)
            for o in orders
            if o.status not in done
        )

    async def lookup(self, caller: str, *, call_id: str, now: datetime) -> CallerAttributes:
        """Read the profile and count earlier calls in a worker thread."""
        return await asyncio.to_thread(self._lookup, caller, call_id, now)
