"""FastAGI route ``ivr``: runs the live flow pack on a call and hands the caller on.

Each call takes the live ``LivePack`` once, at its start, and keeps it to the end: a publish or a
rollback only affects the next call. The pack, the admin switches and the caller's attributes are read
together (``ivr.call_start``: one transaction, one worker-thread hop). The interpreter decides;
``ActionPlayer`` does the talking; ``handover`` sets the dialplan route. Whatever goes wrong (a crash,
a timeout, a caller who hangs up, the database down), the dialplan still has a way to a person: without
``HOTLINE_ROUTE`` it uses the static fallback queue.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hotline.bus import EventBus
from hotline.fastagi.server import AgiHangup, AgiSession
from ivr import handover
from ivr.call_start import CallStart, CallStarts
from ivr.callers import CallerDirectory
from ivr.catalog import FlowCatalog, LivePack
from ivr.flow import CallContext, ChineseCalendar, Finish, FlowRun, SurveyResult
from ivr.lines import entry_flow
from ivr.player import ActionPlayer, HostPath, identity_path
from ivr.speech import SpeechEngine

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class IvrDeps:
    """What the IVR routes need from the centre; ``starts`` (what a call reads as it enters the IVR) and
    ``directory`` (the dry run's caller lookup) may be replaced while running."""

    bus: EventBus
    catalog: FlowCatalog
    starts: CallStarts
    directory: CallerDirectory
    clock: Callable[[], datetime]
    calendar: ChineseCalendar
    speech: SpeechEngine | None = None
    host_path: HostPath = identity_path
    max_wait_s: float | None = None
    overall_timeout_s: float = 600.0
    order_status: handover.StatusAnswer | None = None

    def player(self, session: AgiSession) -> ActionPlayer:
        """A prompt player for one call."""
        return ActionPlayer(session, speech=self.speech, host_path=self.host_path, max_wait_s=self.max_wait_s)


@dataclass
class _Result:
    pack: LivePack
    run: FlowRun
    plan: handover.Handover
    keys: str


class FlowRoute:
    """The FastAGI handler of inbound calls, publishing what happens on the bus."""

    def __init__(self, deps: IvrDeps) -> None:
        self.deps = deps

    async def __call__(self, session: AgiSession) -> None:
        """Run the live flow for one call and set the dialplan variables that route it."""
        bus, call_id = self.deps.bus, session.uniqueid
        bus.publish(
            "call.ivr_started",
            {
                "call_id": call_id,
                "caller": session.caller_id,
                "channel": session.channel,
                "dialed": session.headers.get("agi_extension", ""),
                "at": time.time(),
            },
        )
        try:
            result = await asyncio.wait_for(self._run(session), self.deps.overall_timeout_s)
        except AgiHangup:
            bus.publish("call.ivr_hangup", {"call_id": call_id, "at": time.time()})
            return
        except Exception:
            log.exception("IVR failed for %s; the dialplan falls back to a person", call_id)
            bus.publish("call.ivr_failed", {"call_id": call_id, "at": time.time()})
            return
        self._finished(session, result)

    def _context(self, session: AgiSession, start: CallStart, now: datetime) -> CallContext:
        speech = self.deps.speech is not None and self.deps.speech.available
        return CallContext(
            caller=session.caller_id,
            now=now,
            calendar=self.deps.calendar,
            attributes=start.attributes,
            flags=start.flags(),
            speech_available=speech,
        )

    async def _run(self, session: AgiSession) -> _Result:
        now = self.deps.clock()
        start = await self.deps.starts.read(session.caller_id, call_id=session.uniqueid, now=now)
        pack = start.pack
        entry = entry_flow(pack.main, *session.args[:2])
        run = FlowRun(entry, pack.flows, self._context(session, start, now))
        player = self.deps.player(session)
        action = run.start()
        while not isinstance(action, Finish):
            action = run.feed(await player.perform(action))
        if isinstance(action.outcome, SurveyResult):
            self._survey(session.uniqueid, action.outcome, pack.label)
        plan = await handover.plan(
            action.outcome,
            pack=pack,
            tags=tuple(run.tags),
            player=player,
            session=session,
            order_status=self.deps.order_status,
        )
        keys = "".join(player.keys)
        await handover.apply(session, plan, keys=keys, flow_version=pack.label)
        return _Result(pack, run, plan, keys)

    def _survey(self, call_id: str, result: SurveyResult, label: str) -> None:
        self.deps.bus.publish(
            "call.survey",
            {
                "call_id": call_id,
                "score": result.score,
                "key": result.key,
                "flow_version": label,
                "at": time.time(),
            },
        )

    def _finished(self, session: AgiSession, result: _Result) -> None:
        run = result.run
        self.deps.bus.publish(
            "call.ivr_finished",
            {
                "call_id": session.uniqueid,
                "queue": result.plan.queue,
                "keys": result.keys,
                "reason": result.plan.route,
                "flow_version": result.pack.label,
                "tags": list(result.plan.tags),
                "path": [f"{step.flow_id}/{step.node_id}" for step in run.path],
                "errors": list(run.errors),
                "at": time.time(),
            },
        )
