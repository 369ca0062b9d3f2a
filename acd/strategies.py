"""Agent-selection strategies, registered by name.

A strategy chooses among the agents that could take a queue's head call right now. The store hands
them over lazily, longest idle first, so a strategy that only needs the first one (``longest_idle``)
costs O(1); one that compares all (``fewest_calls``) costs O(ready agents), which is small exactly
when calls are waiting. Add a strategy with :func:`register_strategy`; a factory is called once per
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


_REGISTRY: dict[str, StrategyFactory] = {
    "longest_idle": LongestIdle,
    "fewest_calls": FewestCalls,
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
