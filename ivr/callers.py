"""Who is calling: the caller attributes a flow branches on (elderly, VIP, repeat caller, open orders).

``CallerDirectory`` is what the dry run asks; ``DbCallerDirectory`` answers from the database: elderly
and VIP from ``caller_profiles``, repeat caller from the ``calls`` table (another call from the same
number within ``repeat_window``), open work orders from ``work_orders`` (the caller's 20 newest, less
the closed and merged ones). ``attributes_in`` reads them all in a session the caller opened, so that a
call's start reads its flow and its caller in one transaction (``ivr.call_start``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Protocol, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from ivr import flow_store as store
from ivr.flow import CallerAttributes
from ivr.flow.context import OpenWorkOrder
from tickets.intake import CREATED_BY as INTAKE_USER
from tickets.models import WorkOrder
from tickets.vocab import Status

OPEN_ORDERS_LOOKED_AT = 20
_DONE = frozenset({Status.CLOSED.value, Status.MERGED.value})
_ORDERS = cast(Table, WorkOrder.__table__)
_NEWEST_ORDERS = (
    select(_ORDERS.c.number, _ORDERS.c.created_by, _ORDERS.c.status)
    .where(_ORDERS.c.caller_number == bindparam("caller"))
    .order_by(_ORDERS.c.created_at.desc(), _ORDERS.c.id.desc())
    .limit(OPEN_ORDERS_LOOKED_AT)
)


class CallerDirectory(Protocol):
    """Looks up the profile of a calling number at the start of a call."""

    async def lookup(self, caller: str, *, call_id: str, now: datetime) -> CallerAttributes:
        """The attributes of ``caller`` for call ``call_id`` at ``now``."""
        ...


class DbCallerDirectory:
    """Caller attributes from ``caller_profiles``, the call history and the work orders."""

    def __init__(
        self, sessions: sessionmaker[Session], *, repeat_window: timedelta = timedelta(days=7)
    ) -> None:
        self._sm = sessions
        self._window = repeat_window

    def attributes_in(self, s: Session, caller: str, *, call_id: str, now: datetime) -> CallerAttributes:
        """The attributes of ``caller`` for call ``call_id`` at ``now``, read in the open session ``s``."""
        if not caller:
            return CallerAttributes()
        profile = store.caller_profile_in(s, number=caller)
        earlier = store.recent_calls_in(s, caller=caller, since=self._window, now=now, exclude=call_id)
        return CallerAttributes(
            elderly=bool(profile and profile.elderly),
            vip=bool(profile and profile.vip),
            repeat_caller=earlier > 0,
            open_work_orders=_open_orders(s, caller),
        )

    async def lookup(self, caller: str, *, call_id: str, now: datetime) -> CallerAttributes:
        """Read the profile, the earlier calls and the open orders in one transaction in a worker thread."""
        return await asyncio.to_thread(self._lookup, caller, call_id, now)

    def _lookup(self, caller: str, call_id: str, now: datetime) -> CallerAttributes:
        with self._sm() as s:
            return self.attributes_in(s, caller, call_id=call_id, now=now)


def _open_orders(s: Session, caller: str) -> tuple[OpenWorkOrder, ...]:
    """The caller's unfinished work orders, newest first, with the agent who took each."""
    rows = s.execute(_NEWEST_ORDERS, {"caller": caller})
    return tuple(
        OpenWorkOrder(number=number, agent=None if created_by == INTAKE_USER else created_by)
        for number, created_by, status in rows
        if status not in _DONE
    )
