"""Matching waiting calls with ready agents.

Invariant kept by every ``handle``: when it returns, no WAITING call could go to an AVAILABLE + IDLE
agent (by the tiers its wait has reached, see acd.overflow). Since that held before the event, only
two things need looking at:

- a queue where a call became WAITING or reached a wider tier ("dirty"): while one of its calls has
  a qualified ready agent, the queue's strategy picks among those agents, and the agent takes the
  call that waited longest (then highest priority) among the calls it qualifies for in every queue;
- an agent that became ready: no other ready agent qualified for the calls it may take (invariant),
  so there is nothing for a strategy to choose; the agent takes the longest-waiting call it
  qualifies for, across queues.

Within a queue, the call taken is the first in offer order (priority, then ``entered_at``) among
those the agent qualifies for, so FIFO holds within a priority class and tier.

Every offer goes through ``store.claim_best``, which picks the agent's call among the heads of the
(queue, tier) buckets it qualifies for and flips call and agent in one atomic step, only if the agent
is still free. With several engines on one shared store a strategy's pick can be taken meanwhile:
the engine then reads again and moves on, at most ``MAX_LOST_CLAIMS`` times per event (each loss
means another engine made progress on the same agents).

An agent that becomes ready in a run with nothing else to apply or match (the engine checks: no
queue to serve, no timer due) is written and offered its call in one store step
(``store.put_agent_and_claim``, one round trip on Redis): the outcome of writing it and then
serving it as above, with nothing able to come in between.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from acd.commands import OfferCall, OfferCallback
from acd.core import AgentWas, EngineBase, Run, agent_was, change_agent
from acd.machine import AgentTrigger, next_agent
from acd.model import Agent, AgentState, AgentStatus, Call, QueueConfig
from acd.store import Claim, copy_agent

MAX_LOST_CLAIMS = 16


class Matcher(EngineBase):
    """The matching half of the engine."""

    def match(self, run: Run) -> None:
        """Serve dirty queues, then agents that became ready."""
        for name in list(run.dirty):
            self._serve_queue(self.queues[name], run)
        for agent in list(run.ready.values()):
            self._serve_agent(agent, run)

    def _serve_queue(self, queue: QueueConfig, run: Run) -> None:
        tiers = self.routing.tier_count(queue.name)
        while run.lost < MAX_LOST_CLAIMS:
            heads = self.store.head_calls([(queue.name, t) for t in range(tiers)])
            waiting = sorted((c for c in heads if c is not None), key=lambda c: c.order_key)
            for head in waiting:
                agent = self.strategies[queue.name].pick(self._candidates(queue.name, head.tier), queue)
                if agent is not None:
                    if not self._offer(agent, run):
                        run.lost += 1
                    break
            else:
                return

    def _serve_agent(self, agent: Agent, run: Run) -> None:
        if agent.ready:
            self._offer(agent, run)

    def set_ready_and_offer(self, agent: Agent, run: Run) -> None:
        """Make ``agent`` AVAILABLE + IDLE, write it and claim its call, in one store step
        (``store.put_agent_and_claim``), which also reads the counters of the queues this changes.

        The same writes and commands as ``set_agent`` followed by ``match`` serving this one agent;
        only for a run where nothing else is applied or matched (the caller checks), so nothing
        comes in between. ``run`` is changed only after the store step, so a refused write
        (StaleState) leaves it as it was.
        """
        was = change_agent(agent, AgentStatus.AVAILABLE, AgentState.IDLE)
        next_agent(agent.status, agent.state, AgentTrigger.OFFER, agent_id=agent.agent_id)
        buckets = self._buckets(agent)
        bases = [q.name for q in self.routing.base_queues(agent.skills)]
        others = {q for q, _ in buckets}.difference(bases)
        written = copy_agent(agent)  # MemoryStore's claim flips the object it stores to OFFERED
        claim, counts = self.store.put_agent_and_claim(
            written, buckets, self.count_items(bases), self.count_items(others)
        )
        self.report_agent(agent, was, run)
        run.ready.pop(agent.agent_id, None)  # served here: this claim is its one offer of the run
        self._report_claim(claim, agent_was(agent), run)
        run.counts.update(counts)

    def _buckets(self, agent: Agent) -> list[tuple[str, int]]:
        """The (queue, tier) buckets whose calls ``agent`` qualifies for."""
        entry = self.routing.entry_tiers(agent)
        return [(q, t) for q, low in entry.items() for t in range(low, self.routing.tier_count(q))]

    def _candidates(self, queue: str, tier: int) -> Iterator[Agent]:
        """Ready agents qualifying for ``tier`` of ``queue`` (or an open surge group), longest idle first."""
        sources = self.routing.sources(queue, tier)
        if len(sources) == 1:
            found = self.store.ready_agents(*sources[0])
        else:
            readers = (self.store.ready_agents(s, m) for s, m in sources)
            found = _unique(heapq.merge(*readers, key=lambda a: a.idle_key))
        # The record is read after the index: another engine may have claimed the agent in between.
        return (agent for agent in found if agent.ready)

    def _offer(self, agent: Agent, run: Run) -> bool:
        """Claim for ``agent`` the longest-waiting call it qualifies for (store.claim_best) and report it;
        False only when the agent was no longer free."""
        if not agent.ready:
            return False
        next_agent(agent.status, agent.state, AgentTrigger.OFFER, agent_id=agent.agent_id)
        was = agent_was(agent)
        claim = self.store.claim_best(agent.agent_id, self._buckets(agent))
        return self._report_claim(claim, was, run) or claim.lost == "none"

    def _report_claim(self, claim: Claim, was: AgentWas, run: Run) -> bool:
        """Report a won claim (offer command, agent and call changes); False when it was lost."""
        if not claim or claim.call is None or claim.agent is None:
            return False
        run.commands.append(self._offer_command(claim.call, claim.agent, run.now))
        self.report_agent(claim.agent, was, run)
        self.report_call(claim.call, "offered", run, was_waiting=True, tier_changed=False)
        return True

    def _offer_to(self, call: Call, agent_id: str, run: Run) -> bool:
        """Offer ``call`` (just made WAITING) to one named agent if that agent is ready; False otherwise
        (the call then waits in its queue like any other)."""
        agent = self.store.get_agent(agent_id)
        if agent is None or not agent.ready:
            return False
        was = agent_was(agent)
        return self._report_claim(self.store.claim_offer(call.call_id, agent_id), was, run)

    @staticmethod
    def _offer_command(call: Call, agent: Agent, now: float) -> OfferCall | OfferCallback:
        waited = now - call.entered_at
        if call.callback is not None:
            return OfferCallback(
                call_id=call.call_id,
                agent_id=agent.agent_id,
                contact=agent.contact,
                queue=call.queue,
                number=call.callback,
                waited_s=waited,
                attrs=dict(call.attrs),
            )
        return OfferCall(
            call_id=call.call_id,
            agent_id=agent.agent_id,
            contact=agent.contact,
            queue=call.queue,
            caller=call.caller,
            channel=call.channel,
            waited_s=waited,
            attrs=dict(call.attrs),
        )


def _unique(agents: Iterator[Agent]) -> Iterator[Agent]:
    seen: set[str] = set()
    for agent in agents:
        if agent.agent_id not in seen:
            seen.add(agent.agent_id)
            yield agent
