"""Agent-selection strategies, registered by name.

A strategy chooses among the agents that could take a queue's head call right now. The store hands
them over lazily, longest idle first, so a strategy that only needs the first one (``longest_idle``)
costs O(1); one that compares all (``fewest_calls``) costs O(ready agents), which is small exactly
when calls are waiting. Candidates may come from several tiers (bullseye overflow, surge groups),
so an agent may lack the queue's own skill: its level for it is then 0. Add a strategy with
:func:`register_strategy`; a factory is called once per
queue, so a strategy may keep per-queue memory (e.g. a round-robin cursor).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from acd.errors import UnknownStrategy
from acd.model import Agent, QueueConfig


class Strategy(Protocol):
    """Picks the agent for a queue's next call."""

    def pick(self, candidates: Iterator[Agent], queue: QueueConfig) -> Agent | None:
        """Choose from ``candidates`` (ready agents with the queue's skill, longest idle first)."""
        ...


StrategyFactory = Callable[[], Strategy]


class LongestIdle:
    """The agent idle the longest (mod_callcenter's ``longest-idle-agent``)."""

    def pick(self, candidates: Iterator[Agent], queue: QueueConfig) -> Agent | None:
        """The first candidate."""
        return next(candidates, None)


class FewestCalls:
    """The agent who handled the fewest calls; the longest idle among equals."""

    def pick(self, candidates: Iterator[Agent], queue: QueueConfig) -> Agent | None:
        """The candidate with the smallest ``calls_handled`` (first one on ties)."""
        best: Agent | None = None
        for agent in candidates:
            if best is None or agent.calls_handled < best.calls_handled:
                best = agent
        return best


class LeastTalkTime:
    """The agent with the least talk time since login; the longest idle among equals."""

    def pick(self, candidates: Iterator[Agent], queue: QueueConfig) -> Agent | None:
        """The candidate with the smallest ``talk_s`` (first one on ties)."""
        best: Agent | None = None
        for agent in candidates:
            if best is None or agent.talk_s < best.talk_s:
                best = agent
        return best


class SkillLevelFirst:
    """The agent best at the queue's skill; the longest idle among equals."""

    def pick(self, candidates: Iterator[Agent], queue: QueueConfig) -> Agent | None:
        """The candidate with the highest level of ``queue.skill`` (first one on ties)."""
        best: Agent | None = None
        best_level = -1
        for agent in candidates:
            level = agent.skills.get(queue.skill, 0)
            if level > best_level:
                best, best_level = agent, level
        return best


class RoundRobin:
    """Agents in turn by id: the next id after the one picked last time, wrapping around."""

    def __init__(self) -> None:
        self.last: str | None = None

    def pick(self, candidates: Iterator[Agent], queue: QueueConfig) -> Agent | None:
        """The candidate whose id follows the last pick's, else the smallest id."""
        after: Agent | None = None
        first: Agent | None = None
        for agent in candidates:
            if first is None or agent.agent_id < first.agent_id:
                first = agent
            later = self.last is not None and agent.agent_id > self.last
            if later and (after is None or agent.agent_id < after.agent_id):
                after = agent
        chosen = after or first
        if chosen is not None:
            self.last = chosen.agent_id
        return chosen


_REGISTRY: dict[str, StrategyFactory] = {
    "longest_idle": LongestIdle,
    "fewest_calls": FewestCalls,
    "least_talk_time": LeastTalkTime,
    "skill_level_first": SkillLevelFirst,
    "round_robin": RoundRobin,
}


def register_strategy(name: str, factory: StrategyFactory) -> None:
    """Make ``name`` usable in :class:`acd.model.QueueConfig`."""
    _REGISTRY[name] = factory


def strategy_names() -> list[str]:
    """Registered strategy names."""
    return sorted(_REGISTRY)


def make_strategy(name: str) -> Strategy:
    """A new strategy instance; raises UnknownStrategy for an unregistered name."""
    factory = _REGISTRY.get(name)
    if factory is None:
        raise UnknownStrategy(f"no strategy named {name!r}", strategy=name, known=strategy_names())
    return factory()
