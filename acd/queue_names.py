"""The names of the queues the ACD decides for, read afresh at each use.

The IVR (flows may name only known queues) and call control (transfers to a queue) were given a copy of
the names when the centre started, so a queue an admin added in the console was unknown to them until a
restart although the ACD already took its callers. This view follows the engine's configuration as the
console changes it (AcdEngine.reconfigure replaces ``queues``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set
from typing import Protocol


class HasQueues(Protocol):
    """What the view reads: the engine's queues by name."""

    @property
    def queues(self) -> Mapping[str, object]: ...


class QueueNames(Set[str]):
    """A live, read-only set of queue names."""

    def __init__(self, engine: HasQueues) -> None:
        self._engine = engine

    def __contains__(self, name: object) -> bool:
        return name in self._engine.queues

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._engine.queues))

    def __len__(self) -> int:
        return len(self._engine.queues)
