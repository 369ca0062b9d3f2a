"""Swapping an engine's queue configuration while calls wait (an admin's change, acd.queue_live).

The new routing is built, and so checked, before anything changes. Waiting calls keep ``entered_at``
(their place in line) and ``queue_since`` (what overflow and maximum wait count from); their tier and
due time are worked out again under the new steps, so a call never sits in a (queue, tier) bucket the
new routing does not read. A call of a queue that is gone moves to ``general`` (or the first queue),
keeping its place. Surge groups stay open, under the new ``surge_skills``. Arrival and handle-time
figures of the queues that remain are kept. Every queue is then matched, as on a Tick.
"""

from __future__ import annotations

from collections.abc import Sequence

from acd.core import Run
from acd.errors import StaleState
from acd.model import Call, CallState, QueueConfig
from acd.overflow import Routing
from acd.strategies import make_strategy
from acd.timers import Timers

RECONFIGURED = "reconfigured"
"""Reason of the CallChanged reported for a waiting call whose tier, due time or queue changed."""


class LiveQueues(Timers):
    """The engine half that takes a new queue configuration."""

    def swap_queues(self, queues: Sequence[QueueConfig], now: float) -> Run:
        """Use ``queues`` from now on; the run to match, report and schedule (AcdEngine.reconfigure)."""
        routing = Routing(queues)
        strategies = {q.name: make_strategy(q.strategy) for q in queues}
        if self.routing.surge:
            routing.set_surge(True, (), ())
        gone = set(self.queues).difference(routing.queues)
        self.queues, self.routing, self.strategies = dict(routing.queues), routing, strategies
        self.stats = {name: self.stats.get(name) or self.new_stats() for name in self.queues}
        run = Run(now)
        run.dirty.update(dict.fromkeys(self.queues))
        run.touched.update(dict.fromkeys(self.queues))
        fallback = "general" if "general" in self.queues else next(iter(self.queues))
        for call in list(self.store.iter_calls()):
            try:
                self.retier(call, fallback if call.queue in gone else None, run)
            except StaleState:
                continue  # another node sharing the store wrote it meanwhile; it re-tiers it too
        return run

    def retier(self, call: Call, move_to: str | None, run: Run) -> None:
        """Put ``call`` under the current routing: into ``move_to`` (its queue is gone) and at the tier
        its wait has reached; written only when something changed."""
        if move_to is not None:
            call.queue, call.queue_since = move_to, run.now
        if call.state is not CallState.WAITING:
            if move_to is not None:
                self.store.put_call(call)
            return
        tier = self.routing.tier_of(call, run.now)
        if move_to is None and tier == call.tier and self.routing.next_due(call) == call.due_at:
            return
        call.tier = tier
        self.set_call(call, CallState.WAITING, RECONFIGURED, run, tier_changed=True)
