"""Property: whatever the order and grouping of Asterisk's events, and wherever AMI reconnects, the ACD
never closes a live caller's call, never pauses an agent "no answer" whose phone was not rung, never
rings an agent for a caller whose hang-up it has been told, and keeps no leg or call for a channel that
is gone.

Programs of caller, agent and outage steps run against a simulated Asterisk (tests/unit/asterisk_sim.py)
over a real AMI socket. Events of consecutive steps may share one TCP write; after a reconnection, the
events of the next steps arrive right behind the end of the channel list, in the same write.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from acd.events import AgentReady
from acd.offer_outcomes import NO_ANSWER_PAUSE_REASON
from tests.unit.acd_core import AcdCore, start_core, stop_core
from tests.unit.ami_fake_server import FakeAmi
from tests.unit.asterisk_sim import SimAsterisk

AGENTS = ("1001", "1002")
KINDS = ("arrive", "arrive", "caller_hangup", "answer", "fail", "agent_hangup", "ready", "outage", "restore")

Step = tuple[str, int, bool]
"""(what happens, which caller/leg/agent by index, shares the previous step's TCP write)."""

programs = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(min_value=0, max_value=7), st.booleans()),
    min_size=1,
    max_size=30,
)


@dataclass
class Run:
    """One program against one core."""

    sim: SimAsterisk
    core: AcdCore
    pending: str = ""
    callers: int = 0
    restoring: bool = False
    lists_seen: int = field(default=0)

    async def flush(self) -> None:
        """Deliver the events gathered so far in one write (behind the channel list when reconnecting)."""
        if self.restoring:
            await self._reconnect()
            return
        events, self.pending = self.pending, ""
        await self.sim.deliver(events)
        await self._settle()

    async def _settle(self) -> None:
        if self.sim.down:
            await self.core.settle_tasks()
        else:
            await self.core.settle()

    async def step(self, kind: str, index: int, joined: bool) -> None:
        """Apply one step of the program."""
        if not joined or kind in ("ready", "outage", "restore"):
            await self.flush()
        sim = self.sim
        if kind == "arrive":
            self.callers += 1
            self.pending += sim.arrive(f"1700000000.{self.callers}")
        elif kind == "caller_hangup":
            callers = [c.call_id for c in sim.channels.values() if c.kind == "caller"]
            self.pending += sim.caller_hangs_up(callers[index % len(callers)]) if callers else ""
        elif kind == "answer":
            self.pending += sim.leg_answers(index)
        elif kind == "fail":
            self.pending += sim.leg_fails(index, response_first=joined)
        elif kind == "agent_hangup":
            self.pending += sim.agent_hangs_up(index)
        elif kind == "ready":
            self.core.service.submit_quietly(AgentReady(agent_id=AGENTS[index % len(AGENTS)]))
            await self._settle()
        elif kind == "outage" and not sim.down:
            sim.down = True
            await sim.stop()
        elif kind == "restore" and sim.down:
            sim.freeze_list()
            self.restoring = True

    async def _reconnect(self) -> None:
        self.restoring = False
        self.sim.after_list, self.pending = self.pending, ""
        self.sim.batch += 1
        lists = len(self.sim.frames_for("CoreShowChannels"))
        self.sim.down = False
        await self.sim.start()
        await FakeAmi.wait_until(lambda: len(self.sim.frames_for("CoreShowChannels")) > lists, within=15)
        await self.core.settle()

    async def finish(self) -> None:
        """Deliver what is left and make sure AMI is up again."""
        await self.flush()
        if self.sim.down:
            self.sim.freeze_list()
            self.restoring = True
            await self.flush()


def check(run: Run) -> None:
    """The four properties, on the state once everything is delivered and handled."""
    sim, core = run.sim, run.core
    live = {c.uniqueid for c in sim.channels.values()}
    closed_alive = set(core.ended()) & live & sim.queued_delivered
    assert not closed_alive, f"calls closed while their caller is still there: {closed_alive}"
    for agent_id in AGENTS:
        rung = sum(1 for o in sim.originated if o.contact == core.contacts[agent_id])
        no_answer = core.pause_reasons(agent_id).count(NO_ANSWER_PAUSE_REASON)
        assert no_answer <= rung, f"{agent_id} paused 'no answer' {no_answer} times, rung {rung} times"
    late = [o for o in sim.originated if o.batch >= sim.hangup_delivered.get(o.call_id, o.batch + 1)]
    assert not late, f"Originate after the caller's hang-up was delivered: {late}"
    stale_legs = set(core.service.legs) - live
    assert not stale_legs, f"legs kept for channels that are gone: {stale_legs}"
    stale_calls = {c.call_id for c in core.service.engine.store.iter_calls()} - live
    assert not stale_calls, f"calls kept for callers that are gone: {stale_calls}"


async def _run(program: list[Step]) -> None:
    sim = SimAsterisk()
    core = await start_core(server=sim)
    try:
        for agent_id in AGENTS:
            core.login(agent_id)
        run = Run(sim, core)
        for kind, index, joined in program:
            await run.step(kind, index, joined)
        await run.finish()
        check(run)
    finally:
        await stop_core(core)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs)
def test_any_ordering_of_events_and_reconnections_keeps_calls_agents_and_legs_true(
    program: list[Step],
) -> None:
    note(f"program: {program!r}")
    asyncio.run(_run(program))
