"""What became of a scenario's calls: Asterisk's own event log against the centre's records.

For every call placed, Asterisk's CEL (hotline.cel) says whether a person was bridged with the caller,
whether the call went through the static fallback queue, and whether the caller booked a callback. The
centre's database says what it recorded. A call is

- ``answered`` when a person was bridged with it (``fallback`` when that was in the fallback queue),
  a ``callback`` when the caller left after booking one, ``abandoned`` when nobody answered and the
  record says the caller left (abandoned, or hung up in the IVR), and otherwise ``lost``;
- a missing record when the database has no row for it, no outcome, no end, or not ``answered`` for
  a call a person answered; a work order the agent wrote (the centre said 201) that is not in the
  database is missing too;
- duplicated when more than one answer is recorded for it, or more than one work order was written.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.cel import CelCall, read_calls
from hotline.db.models import CallEvent
from hotline.reconcile import Recorded, is_complete, recorded_calls
from hotline.sandbox.instance import AsteriskSandbox
from tests.faults.node import cel_path
from tickets.models import WorkOrder

log = logging.getLogger(__name__)

ANSWER_EVENTS = ("connected", "answered")
UNSEEN_AFTER_S = 15.0
"""A channel is logged (CHAN_START) as Asterisk creates it; one not logged this long after never was."""


@dataclass
class Tally:
    """One line of ``bench/faults.py`` (and what the fault tests assert on)."""

    scenario: str
    calls: int = 0
    answered: int = 0
    fallback: int = 0
    callbacks: int = 0
    abandoned: int = 0
    lost: int = 0
    records_missing: int = 0
    records_duplicated: int = 0
    recovery_s: float | None = None
    duplicates: list[str] = field(default_factory=list)
    """Each duplicated call's recorded events (for the failure message; not in the JSON line)."""

    def as_json(self) -> dict[str, object]:
        """The JSON line, recovery rounded to 0.1 s."""
        out = asdict(self)
        del out["duplicates"]
        if self.recovery_s is not None:
            out["recovery_s"] = round(self.recovery_s, 1)
        return out


def asterisk_view(sandbox: AsteriskSandbox, call_ids: Collection[str]) -> dict[str, CelCall]:
    """Asterisk's account of ``call_ids`` (ended or still live)."""
    ended, live = read_calls(cel_path(sandbox))
    return {c.call_id: c for c in (*ended, *live) if c.call_id in call_ids}


async def wait_calls_ended(sandbox: AsteriskSandbox, placed: Mapping[str, float], timeout: float) -> None:
    """Wait until every call in ``placed`` (call id: wall-clock time its Originate was accepted) is over
    (or ``timeout`` passes): Asterisk logged its end, or it was up when the running instance was spawned
    (a stop logs no end). A call the log has not shown ``UNSEEN_AFTER_S`` after it was accepted never
    started there (accepted while Asterisk was shutting down or still booting) and is not waited for."""
    deadline = time.monotonic() + timeout
    restarted_at = sandbox.spawned_at or 0.0
    call_ids = list(placed)
    while True:
        seen = asterisk_view(sandbox, call_ids)
        unseen = [c for c in call_ids if c not in seen and time.time() - placed[c] < UNSEEN_AFTER_S]
        live = [c for c in seen.values() if c.ended_at is None and c.started_at >= restarted_at]
        if not unseen and not live:
            return
        if time.monotonic() > deadline:
            log.warning("calls not over after %.0f s: %s", timeout, live)
            return
        await asyncio.sleep(1.0)


async def wait_records_settled(
    sm: sessionmaker[Session], cel: dict[str, CelCall], timeout: float
) -> dict[str, Recorded]:
    """Wait until every ended call's record is complete (or ``timeout`` passes); the records."""
    deadline = time.monotonic() + timeout
    while True:
        records = await asyncio.to_thread(recorded_calls, sm, list(cel))
        done = all(c.callback or is_complete(c, records.get(c.call_id)) for c in cel.values())
        if done or time.monotonic() > deadline:
            return records
        await asyncio.sleep(1.0)


def _counts(sm: sessionmaker[Session], call_ids: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Recorded answers and work orders per call."""
    with sm() as s:
        answers = dict(
            s.execute(
                select(CallEvent.call_id, func.count())
                .where(CallEvent.call_id.in_(call_ids), CallEvent.kind.in_(ANSWER_EVENTS))
                .group_by(CallEvent.call_id)
            ).all()
        )
        orders = dict(
            s.execute(
                select(WorkOrder.call_id, func.count())
                .where(WorkOrder.call_id.in_(call_ids))
                .group_by(WorkOrder.call_id)
            ).all()
        )
    return {str(k): int(v) for k, v in answers.items()}, {str(k): int(v) for k, v in orders.items()}


def _history(sm: sessionmaker[Session], call_id: str) -> str:
    """``call_id`` and its recorded events in order, one line."""
    with sm() as s:
        events = s.execute(
            select(CallEvent.kind, CallEvent.at, CallEvent.detail, CallEvent.once_key)
            .where(CallEvent.call_id == call_id)
            .order_by(CallEvent.id)
        ).all()
    return f"{call_id}: " + "; ".join(
        f"{kind} {at:%H:%M:%S.%f} {detail} {once_key or ''}".rstrip() for kind, at, detail, once_key in events
    )


def tally(
    tally_: Tally,
    sm: sessionmaker[Session],
    cel: dict[str, CelCall],
    records: dict[str, Recorded],
    orders_written: Collection[str],
) -> Tally:
    """Fill ``tally_`` from Asterisk's view, the records and the work orders the agents wrote."""
    ids = sorted(set(cel) | set(orders_written))
    answers, orders = _counts(sm, ids) if ids else ({}, {})
    for call in cel.values():
        rec = records.get(call.call_id)
        tally_.calls += 1
        if call.answered:
            tally_.answered += 1
            tally_.fallback += call.via_fallback
        elif call.callback:
            tally_.callbacks += 1
        elif rec is not None and rec.outcome in ("abandoned", "ivr_hangup"):
            tally_.abandoned += 1
        else:
            tally_.lost += 1
        if not call.callback and not is_complete(call, rec):
            tally_.records_missing += 1
        if answers.get(call.call_id, 0) > 1:
            tally_.records_duplicated += 1
            tally_.duplicates.append(_history(sm, call.call_id))
    for call_id in orders_written:
        count = orders.get(call_id, 0)
        tally_.records_missing += count == 0
        tally_.records_duplicated += max(0, count - 1)
        if count > 1:
            tally_.duplicates.append(f"{call_id}: {count} work orders")
    return tally_
