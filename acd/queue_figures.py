"""What the engine tells about its queues without deciding anything: a caller's place and estimated
wait, a queue's Erlang C figures, and the snapshot desktops and wallboards resync from."""

from __future__ import annotations

from acd.core import EngineBase
from acd.erlang import erlang_c, mean_wait, wait_at_position
from acd.errors import IllegalTransition, UnknownQueue
from acd.views import agent_view, call_view, queue_view


class QueueFigures(EngineBase):
    """Read-only figures of the engine's queues, calls and agents."""

    def position(self, call_id: str) -> tuple[int, float]:
        """(1-based place in line, estimated wait in seconds) of a WAITING call.

        The estimate is the M/M/N wait of the caller at that place: position x mean handle time /
        logged-in agents of the queue's skill (see acd.erlang).
        """
        call = self.call(call_id)
        place = self.store.position(call)
        if place < 0:
            raise IllegalTransition(
                f"call {call_id} is not waiting", kind="call", call_id=call_id, state=str(call.state)
            )
        queue = self.queues[call.queue]
        staffed = self.store.count_staffed(queue.skill)
        return place + 1, wait_at_position(place + 1, staffed, self.stats[queue.name].aht_s())

    def queue_estimate(self, queue: str, now: float) -> dict[str, float]:
        """Erlang C figures of ``queue`` for a new caller, from recent arrivals and handle times."""
        if queue not in self.queues:
            raise UnknownQueue(f"no queue {queue}", queue=queue)
        stats = self.stats[queue]
        aht = stats.aht_s()
        load = stats.arrival_rate(now) * aht
        staffed = self.store.count_staffed(self.queues[queue].skill)
        return {
            "staffed": float(staffed),
            "aht_s": aht,
            "offered_load": load,
            "p_wait": erlang_c(staffed, load),
            "ewt_s": mean_wait(staffed, load, aht),
        }

    def snapshot(self) -> dict[str, object]:
        """Agents, live calls and queue counters, JSON-able, for desktops and wallboards to resync."""
        queues = list(self.queues.values())
        counts = self.store.queue_counts([(q.name, q.skill, q.min_level) for q in queues])
        return {
            "agents": [agent_view(a) for a in sorted(self.store.iter_agents(), key=lambda a: a.agent_id)],
            "calls": [call_view(c) for c in sorted(self.store.iter_calls(), key=lambda c: c.call_id)],
            "queues": [
                queue_view(q, w, r, self.routing.surge.get(q.name, ()))
                for q, (w, r) in zip(queues, counts, strict=True)
            ],
        }
