"""Writes call and agent-state records from bus events, in order, without ever blocking the ACD.

One task drains a bus subscription and performs the writes in a worker thread: all the events queued
when it wakes (at most ``BATCH_EVENTS``) in one transaction, in the order they were published. When
that transaction fails, nothing of it is kept and its writes are performed again one by one, each in
its own transaction: a write that fails there (database restarting, lock timeout) is retried with
backoff, a refused one (unconfigured agent, naive time) is logged and skipped alone. Events are never
skipped, so no record is lost while the process lives.

Every app node runs a recorder on the one database, and each records only what its own node published.
Most call events come from one node's decision (the shared ACD store applies each change once), but
every node hears the same Asterisk events about the static fallback queue and publishes
``call.fallback``, ``call.fallback_answered`` and ``call.fallback_ended`` itself: those are recorded
with the event's topic as ``once_key``, so the first node's report is written and the others change
nothing, and any node left alive still records them. What depends on the order of two nodes' reports
(the ACD giving up a call it sends to the fallback queue) is written so that either order ends alike.

An agent's attended transfer to a queue or a colleague queues a stand-in for the agent (a Local
channel tagged ``consult``) in the ACD. Its record is marked ``kind = consult`` as soon as a marked
event about it arrives: a ``call.changed`` whose ``tags`` hold the consult tag, the screen-pop
(``agent.offer``, whose IVR attributes hold the tags), or a fallback report from the consultation's
Local channel. The consultation itself (started, completed, cancelled) is recorded on the citizen's
call from ``call.consult``.

Holds of the caller (``call.hold`` / ``call.unhold``, published once per hold by hotline.holds) become
the call events ``hold`` and ``unhold`` that quality inspection pairs up.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from acd.model import CONSULT_TAG, NODE_FAILURE
from hotline.bus import BusEvent, EventBus
from hotline.db import repository as repo
from hotline.db.access import WriteTo, writing
from hotline.db.call_statements import WRAP_ADD
from hotline.db.errors import RepositoryError
from hotline.handling import HandlingTracker
from privacy.masking import for_log, is_confidential

log = logging.getLogger(__name__)

Write = Callable[[WriteTo], object]
"""One write, given the sessionmaker (its own transaction) or the session of the batch's transaction."""

BATCH_EVENTS = 256
"""Events written in one transaction at most."""

_BATCH_FAILURES = (RepositoryError, SQLAlchemyError, KeyError, TypeError, ValueError)

FORGET_ANSWERS_AFTER_S = 12 * 3600.0
"""Answer times kept for talk-time arithmetic are dropped after this long (see Recorder._remember_answer)."""

CONSULT_CHANNEL_MARK = "@hotline-consult-wait-"
"""In the channel name of an agent's consultation leg (``Local/s@hotline-consult-wait-...``)."""


def _ts(value: Any) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)


def has_consult_tag(tags: object) -> bool:
    """Whether ``tags`` (comma-separated text or a list) hold the consult tag."""
    if isinstance(tags, str):
        items: list[str] = tags.split(",")
    elif isinstance(tags, (list, tuple)):
        items = [str(t) for t in tags]
    else:
        return False
    return CONSULT_TAG in (t.strip() for t in items)


class Recorder:
    """Persists ``call.*`` and ``agent.changed`` events (``agent.offer`` only marks consultations)."""

    def __init__(self, *, bus: EventBus, sessions: sessionmaker[Session]) -> None:
        self._sm = sessions
        self._sub = bus.subscribe("call.", "agent.changed", "agent.offer", maxsize=1_000_000)
        self._answered_at: dict[str, float] = {}
        self._handlings = HandlingTracker()
        self._idle = asyncio.Event()
        self._idle.set()

    async def run(self) -> None:
        """Drain the subscription forever."""
        while True:
            first = await self._sub.get()
            self._idle.clear()
            events = [first, *self._sub.ready(BATCH_EVENTS - 1)]
            await self._write([(event, self._planned(event)) for event in events])
            if not self._sub.pending:
                self._idle.set()

    def _planned(self, event: BusEvent) -> list[Write]:
        try:
            return self._writes_for(event)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("malformed %s event skipped: %r %s", event.topic, exc, for_log(event.data))
            return []

    async def _write(self, planned: list[tuple[BusEvent, list[Write]]]) -> None:
        """All writes in one transaction; if it fails, each again in its own (see the module rules)."""
        writes = [write for _, event_writes in planned for write in event_writes]
        if not writes:
            return
        try:
            await asyncio.to_thread(self._in_one_transaction, writes)
            return
        except _BATCH_FAILURES as exc:
            log.info("%d record writes not made together (%s); one by one", len(writes), for_log(exc))
        for event, event_writes in planned:
            for write in event_writes:
                await self._perform(write, event)

    def _in_one_transaction(self, writes: list[Write]) -> None:
        with writing(self._sm) as session:
            for write in writes:
                write(session)

    async def drained(self, timeout: float = 10.0) -> None:
        """Wait until every event published so far is written (tests, shutdown)."""
        await asyncio.sleep(0)
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def _perform(self, write: Write, event: BusEvent) -> None:
        delay = 0.05
        while True:
            try:
                await asyncio.to_thread(write, self._sm)
                return
            except (RepositoryError, IntegrityError, DataError, KeyError, TypeError, ValueError) as exc:
                log.error(
                    "record of %s refused, kept in the log only: %r %s",
                    event.topic,
                    for_log(exc),
                    for_log(event.data),
                )
                return
            except SQLAlchemyError as exc:
                log.warning("record of %s failed (%s); retrying in %.2fs", event.topic, for_log(exc), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _writes_for(self, event: BusEvent) -> list[Write]:
        d = event.data
        handler = _HANDLERS.get(event.topic)
        if handler is None:
            return []
        return handler(self, d)

    def _ivr_started(self, d: Mapping[str, Any]) -> list[Write]:
        return [
            lambda to: repo.record_call_started(
                to,
                call_id=d["call_id"],
                caller=d["caller"],
                channel=d["channel"],
                dialed=d["dialed"],
                at=_ts(d["at"]),
            ),
            self._event(d, "ivr_started"),
        ]

    def _ivr_finished(self, d: Mapping[str, Any]) -> list[Write]:
        return [
            lambda to: repo.update_call(
                to,
                call_id=d["call_id"],
                queue=d["queue"],
                ivr_keys=d["keys"],
                ivr_flow_version=d["flow_version"],
            ),
            *self._confidential(d["call_id"], d),
            self._event(d, "ivr_finished", {"reason": d["reason"]}),
        ]

    def _ivr_hangup(self, d: Mapping[str, Any]) -> list[Write]:
        return [
            lambda to: repo.update_call(
                to, call_id=d["call_id"], outcome="ivr_hangup", ended_at=_ts(d["at"])
            ),
            self._event(d, "ivr_hangup"),
        ]

    def _ivr_failed(self, d: Mapping[str, Any]) -> list[Write]:
        return [self._event(d, "ivr_failed")]

    def _fallback(self, d: Mapping[str, Any]) -> list[Write]:
        consult = CONSULT_CHANNEL_MARK in d["channel"]
        update = repo.CallUpdate(outcome="fallback", queue="hotline-fallback")
        if consult:
            update["kind"] = "consult"
        return [
            lambda to: repo.record_call_started(
                to,
                call_id=d["call_id"],
                caller=d["caller"],
                channel=d["channel"],
                dialed="" if consult else d.get("dialled") or "12345",
                at=_ts(d["at"]),
            ),
            self._once(d, "call.fallback", "fallback", {"reason": d["reason"]}, update),
        ]

    def _fallback_answered(self, d: Mapping[str, Any]) -> list[Write]:
        update = repo.CallUpdate(outcome="answered", answered_at=_ts(d["at"]), wait_seconds=d["waited_s"])
        detail = {"member": d["member"], "via": "fallback"}
        return [self._once(d, "call.fallback_answered", "answered", detail, update)]

    def _fallback_ended(self, d: Mapping[str, Any]) -> list[Write]:
        update = repo.CallUpdate(ended_at=_ts(d["at"]))
        return [self._once(d, "call.fallback_ended", "hangup", None, update)]

    def _once(
        self,
        d: Mapping[str, Any],
        once_key: str,
        kind: str,
        detail: Mapping[str, object] | None,
        update: repo.CallUpdate,
    ) -> Write:
        return functools.partial(
            repo.add_call_event_once,
            call_id=d["call_id"],
            once_key=once_key,
            kind=kind,
            at=_ts(d["at"]),
            detail=detail,
            call=update,
        )

    def _update(self, call_id: str, **fields: Any) -> Write:
        return functools.partial(repo.update_call, call_id=call_id, **fields)

    def _call_changed(self, d: Mapping[str, Any]) -> list[Write]:
        call_id, state, at = d["call_id"], d["state"], _ts(d["at"])
        detail = {"queue": d["queue"], "agent_id": d["agent_id"], "reason": d["reason"]}
        marks = [self._update(call_id, kind="consult")] if has_consult_tag(d.get("tags")) else []
        marks += self._confidential(call_id, d)
        if state == "waiting" and d["reason"] == "queued":
            write = self._update(call_id, queue=d["queue"], queued_at=at)
        elif state == "waiting":
            write = self._update(call_id, queue=d["queue"])
        elif state == "offered":
            write = self._update(call_id, offered_at=at, agent_id=d["agent_id"])
        elif state == "connected":
            self._remember_answer(call_id, float(d["at"]))
            write = self._update(
                call_id,
                answered_at=at,
                agent_id=d["agent_id"],
                outcome="answered",
                wait_seconds=d["waited_s"],
            )
        else:
            write = self._ended(d)
        return [*marks, write, self._event(d, state, detail)]

    def _remember_answer(self, call_id: str, at: float) -> None:
        """Keep the answer time for the talk time at the end. With several app nodes another node may
        apply the end (this node then never sees it, and the database works the talk time out from the
        recorded answer), so answers older than any talk are forgotten."""
        self._answered_at[call_id] = at
        if len(self._answered_at) % 256 == 0:
            horizon = at - FORGET_ANSWERS_AFTER_S
            for old in [c for c, when in self._answered_at.items() if when < horizon]:
                del self._answered_at[old]

    def _ended(self, d: Mapping[str, Any]) -> Write:
        """The end of a talk this node saw begin, or else the caller leaving the ACD (which the
        database settles against what other nodes recorded: answered earlier, gone to fallback)."""
        call_id, at = d["call_id"], _ts(d["at"])
        answered = self._answered_at.pop(call_id, None)
        if answered is not None:
            return self._update(call_id, ended_at=at, talk_seconds=max(0.0, float(d["at"]) - answered))
        return functools.partial(
            repo.record_call_abandoned,
            call_id=call_id,
            ended_at=at,
            wait_seconds=d["waited_s"],
            outcome=NODE_FAILURE if d["reason"] == NODE_FAILURE else "abandoned",
        )

    def _offer(self, d: Mapping[str, Any]) -> list[Write]:
        ivr = d.get("ivr")
        marks = self._confidential(d["call_id"], ivr)
        if isinstance(ivr, Mapping) and has_consult_tag(ivr.get("tags")):
            return [*marks, self._update(d["call_id"], kind="consult")]
        return marks

    def _confidential(self, call_id: str, attrs: object) -> list[Write]:
        """Mark the call record confidential when ``attrs`` (an event or IVR attributes) carry the tag."""
        return [self._update(call_id, confidential=True)] if is_confidential(attrs) else []

    def _consult(self, d: Mapping[str, Any]) -> list[Write]:
        detail = {"phase": d["phase"], "agent_id": d["agent_id"], "target": d["target"], "queue": d["queue"]}
        return [self._event(d, "consult", detail)]

    def _agent_changed(self, d: Mapping[str, Any]) -> list[Write]:
        ended = self._handlings.changed(str(d["agent_id"]), str(d["state"]), d["call_id"], float(d["at"]))
        wrap = [functools.partial(_add_wrap, call_id=ended[0], seconds=ended[1])] if ended is not None else []
        return [
            *wrap,
            lambda to: repo.log_agent_state(
                to,
                agent_id=d["agent_id"],
                at=_ts(d["at"]),
                status=d["status"],
                state=d["state"],
                pause_reason=d["pause_reason"],
                call_id=d["call_id"],
            ),
        ]

    def _survey(self, d: Mapping[str, Any]) -> list[Write]:
        detail = {"score": d["score"], "key": d["key"], "flow_version": d["flow_version"]}
        writes = [self._event(d, "survey", detail)]
        if d["score"] is not None:
            writes.insert(0, self._update(d["call_id"], survey_score=int(d["score"])))
        return writes

    def _message(self, d: Mapping[str, Any]) -> list[Write]:
        detail = {k: d[k] for k in ("path", "recorded", "status", "callback", "tags", "flow_version")}
        return [*self._confidential(d["call_id"], d), self._event(d, "message", detail)]

    def _transferred(self, d: Mapping[str, Any]) -> list[Write]:
        detail = {"kind": d["kind"], "target": d["target"], "from_queue": d["from_queue"]}
        return [self._event(d, "transferred", detail)]

    def _hold(self, d: Mapping[str, Any]) -> list[Write]:
        return [self._event(d, "hold", {"source": d["source"]})]

    def _unhold(self, d: Mapping[str, Any]) -> list[Write]:
        return [self._event(d, "unhold", {"source": d["source"]})]

    def _bridge_failed(self, d: Mapping[str, Any]) -> list[Write]:
        return [self._event(d, "bridge_failed", {"agent_id": d["agent_id"], "result": d["result"]})]

    def _event(self, d: Mapping[str, Any], kind: str, detail: Mapping[str, object] | None = None) -> Write:
        return lambda to: repo.add_call_event(
            to, call_id=d["call_id"], kind=kind, at=_ts(d["at"]), detail=detail
        )

    def close(self) -> None:
        """Stop listening to the bus."""
        self._sub.close()


def _add_wrap(to: WriteTo, *, call_id: str, seconds: float) -> None:
    """Add an ended handling's wrap-up seconds to the call's record (a call handled twice adds both)."""
    with writing(to) as s:
        s.execute(WRAP_ADD, {"target": call_id, "seconds": seconds})


_HANDLERS: dict[str, Callable[[Recorder, Mapping[str, Any]], list[Write]]] = {
    "call.ivr_started": Recorder._ivr_started,
    "call.ivr_finished": Recorder._ivr_finished,
    "call.ivr_hangup": Recorder._ivr_hangup,
    "call.ivr_failed": Recorder._ivr_failed,
    "call.fallback": Recorder._fallback,
    "call.fallback_answered": Recorder._fallback_answered,
    "call.fallback_ended": Recorder._fallback_ended,
    "call.changed": Recorder._call_changed,
    "call.transferred": Recorder._transferred,
    "call.consult": Recorder._consult,
    "call.bridge_failed": Recorder._bridge_failed,
    "call.hold": Recorder._hold,
    "call.unhold": Recorder._unhold,
    "call.survey": Recorder._survey,
    "call.message": Recorder._message,
    "agent.changed": Recorder._agent_changed,
    "agent.offer": Recorder._offer,
}
