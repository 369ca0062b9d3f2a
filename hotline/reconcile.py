"""Call records the service could not write itself, reconciled from Asterisk's channel event log.

While no app process runs (killed, restarting, deploying), Asterisk keeps taking calls: the dialplan
sends callers to the static fallback queue and people answer them there, but nobody hears the AMI
events that would have recorded them. Asterisk's CEL file (hotline.cel) has them all. At start, and
then every few seconds, the reconciler reads what is new in it and, for every citizen call that has
ended, completes the call record when it is missing or unfinished:

- no record at all: it is created (caller, channel, start) from the CEL;
- a person answered (bridged with the caller) but the record does not say so: ``answered``, with the
  answer time and wait (the queue becomes the fallback queue when the call went there);
- nobody answered and the record has no outcome: ``abandoned``;
- the end, and the talk time of an answered call, when they are missing.

Each call is reconciled at most once across every app node and restart (``add_call_event_once`` with
the ``reconciled`` key writes the event and the changes in one transaction). A call that ended less than
``grace_s`` ago is left to the live recorder first, a call whose caller booked a callback or left a
message is left to the ACD and the message route, and complete records are never touched. A write
that fails (database restarting) is tried again at the next pass.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hotline.cel import FALLBACK_QUEUE, CelCall, CelCalls, CelReader
from hotline.db import repository as repo
from hotline.db.errors import RepositoryError
from hotline.db.models import Call

log = logging.getLogger(__name__)

ONCE_KEY = "reconciled"
WINDOW_S = 2 * 86400.0
"""At start, the log is read from this long ago on (calls of an outage longer than that stay unrecorded)."""
FINAL = ("answered", "abandoned", "ivr_hangup")


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the call record already holds, as far as reconciling cares."""

    outcome: str | None
    ended_at: datetime | None
    talk_seconds: float | None
    queue: str | None


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def recorded_calls(sm: sessionmaker[Session], call_ids: Collection[str]) -> dict[str, Recorded]:
    """The records of those of ``call_ids`` that exist."""
    if not call_ids:
        return {}
    query = select(Call.call_id, Call.outcome, Call.ended_at, Call.talk_seconds, Call.queue).where(
        Call.call_id.in_(list(call_ids))
    )
    with sm() as s:
        return {row[0]: Recorded(*row[1:]) for row in s.execute(query)}


def is_complete(call: CelCall, rec: Recorded | None) -> bool:
    """Whether the record already tells what Asterisk did (nothing to reconcile)."""
    if rec is None or rec.ended_at is None:
        return False
    if rec.outcome in FINAL:
        return not (call.answered and rec.outcome != "answered")
    return rec.outcome == "fallback" and not call.answered


def changes_for(call: CelCall, rec: Recorded | None) -> repo.CallUpdate:
    """What the record of ``call`` lacks, from the CEL (only fields the record does not hold yet)."""
    assert call.ended_at is not None
    update = repo.CallUpdate(ended_at=_at(call.ended_at))
    if call.answered_at is not None:
        if rec is None or rec.outcome != "answered":
            update["outcome"] = "answered"
            update["answered_at"] = _at(call.answered_at)
            update["wait_seconds"] = max(0.0, call.answered_at - call.started_at)
        if rec is None or rec.talk_seconds is None:
            update["talk_seconds"] = max(0.0, call.ended_at - call.answered_at)
    elif rec is None or rec.outcome is None:
        update["outcome"] = "abandoned"
        update["wait_seconds"] = max(0.0, call.ended_at - call.started_at)
    if call.via_fallback and (rec is None or rec.queue is None):
        update["queue"] = FALLBACK_QUEUE
    return update


def reconcile_call(sm: sessionmaker[Session], call: CelCall, rec: Recorded | None) -> bool:
    """Complete the record of one ended call; whether this call wrote anything."""
    assert call.ended_at is not None
    if rec is None:
        repo.record_call_started(
            sm,
            call_id=call.call_id,
            caller=call.caller,
            channel=call.channel,
            dialed=call.dialed,
            at=_at(call.started_at),
        )
    detail = {"source": "asterisk_cel", "answered": call.answered, "fallback": call.via_fallback}
    return repo.add_call_event_once(
        sm,
        call_id=call.call_id,
        once_key=ONCE_KEY,
        kind=ONCE_KEY,
        at=_at(call.ended_at),
        detail=detail,
        call=changes_for(call, rec),
    )


class Reconciler:
    """Follows one CEL file and completes the records of ended calls (see the module docstring)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        cel_file: Path,
        grace_s: float = 10.0,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sm = sessions
        self._calls = CelCalls()
        self._reader = CelReader(cel_file, self._calls, since=clock() - window_s)
        self._grace_s = grace_s
        self._clock = clock
        self._pending: list[CelCall] = []
        self.reconciled = 0

    def pass_once(self) -> int:
        """Read what is new and reconcile every call ended more than ``grace_s`` ago; how many were."""
        self._reader.read()
        self._pending.extend(self._calls.pop_ended())
        horizon = self._clock() - self._grace_s
        due = [c for c in self._pending if (c.ended_at or 0.0) <= horizon]
        self._pending = [c for c in self._pending if (c.ended_at or 0.0) > horizon]
        if not due:
            return 0
        try:
            done = self._reconcile(due)
        except SQLAlchemyError as exc:
            log.warning("reconciling %d calls postponed: %s", len(due), exc)
            self._pending = due + self._pending
            return 0
        self.reconciled += done
        return done

    def _reconcile(self, due: list[CelCall]) -> int:
        records = recorded_calls(self._sm, [c.call_id for c in due])
        done = 0
        for call in due:
            rec = records.get(call.call_id)
            if call.callback or call.message or is_complete(call, rec):
                continue
            try:
                if reconcile_call(self._sm, call, rec):
                    done += 1
                    log.info("call %s recorded from Asterisk's event log", call.call_id)
            except RepositoryError as exc:
                log.error("call %s could not be reconciled: %s", call.call_id, exc)
        return done

    async def run(self, interval_s: float = 5.0) -> None:
        """Reconcile now and then every ``interval_s`` seconds, forever."""
        while True:
            try:
                await asyncio.to_thread(self.pass_once)
            except OSError as exc:
                log.warning("Asterisk's event log is unreadable: %s", exc)
            await asyncio.sleep(interval_s)
