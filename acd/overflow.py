"""Who may take a queue's call, and when that widens (bullseye overflow, surge mode, maximum wait).

A queue has tiers: tier 0 is its own skill at its ``min_level``; tier k is overflow step k (which
applies once the call has waited ``after_s`` in the queue). A call at tier j may go to an agent
qualifying for any tier 0..j, or for an open surge group of its queue. Tiers only widen, so a call
never loses an agent it could already have had. Stores index WAITING calls per (queue, tier), which
lets matching find, for a given agent, the first call of each queue it qualifies for without a scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from acd.errors import InvalidConfig, UnknownQueue
from acd.model import CONSULT_TAG, DIALABLE, Agent, Call, MaxWait, QueueConfig

VIDEO_TAG = "video"
"""The tag of a video call (the sign-language page): it stays with its queue's own skill, never widens."""


@dataclass(frozen=True, slots=True)
class Tier:
    """Agents with any of ``skills`` at ``min_level`` or above."""

    skills: tuple[str, ...]
    min_level: int
    after_s: float

    def admits(self, agent: Agent) -> bool:
        """True when ``agent`` qualifies for this tier."""
        return any(agent.skills.get(skill, 0) >= self.min_level for skill in self.skills)


class Routing:
    """Tiers of every queue plus the surge groups currently open; pure, no I/O."""

    def __init__(self, queues: Sequence[QueueConfig]) -> None:
        self.queues: dict[str, QueueConfig] = {q.name: q for q in queues}
        self.tiers: dict[str, tuple[Tier, ...]] = {q.name: _tiers(q) for q in queues}
        self.surge: dict[str, tuple[str, ...]] = {}
        self._by_skill: dict[str, list[tuple[str, int, int]]] = {}
        self._base: dict[str, list[QueueConfig]] = {}
        for queue in queues:
            _check(queue, self.queues)
            self._base.setdefault(queue.skill, []).append(queue)
            for k, tier in enumerate(self.tiers[queue.name]):
                for skill in tier.skills:
                    self._by_skill.setdefault(skill, []).append((queue.name, k, tier.min_level))

    def tier_count(self, queue: str) -> int:
        """How many tiers ``queue`` has (1 + its overflow steps)."""
        return len(self.tiers[queue])

    def tier_for(self, queue: str, since: float, now: float) -> int:
        """The tier at ``now`` of a call in ``queue`` since ``since`` (same arithmetic as next_due)."""
        return sum(1 for tier in self.tiers[queue][1:] if since + tier.after_s <= now)

    def tier_of(self, call: Call, now: float) -> int:
        """The tier of ``call`` at ``now``: a video call stays at tier 0 (its queue's own skill), however
        long it waits, since only that skill can take a video call (sign language)."""
        return 0 if VIDEO_TAG in call.tags else self.tier_for(call.queue, call.since, now)

    def max_wait_of(self, call: Call) -> MaxWait | None:
        """The maximum-wait exit that applies to ``call``, if any. None for a callback entry, for an
        agent's consultation (tag ``consult``: an agent waits, not a citizen), and for a callback exit
        when the caller's number cannot be dialled back (withheld, or not plain digits): such a caller
        keeps their place in line instead of being promised a callback nobody can make."""
        max_wait = self.queues[call.queue].max_wait
        if max_wait is None or call.callback is not None or CONSULT_TAG in call.tags:
            return None
        if max_wait.kind == "callback" and not DIALABLE.fullmatch(call.caller):
            return None
        return max_wait

    def max_wait_reached(self, call: Call, now: float) -> bool:
        """True when ``call`` has reached the maximum wait that applies to it (max_wait_of) at ``now``."""
        max_wait = self.max_wait_of(call)
        return max_wait is not None and call.since + max_wait.after_s <= now

    def next_due(self, call: Call) -> float | None:
        """When the call's next overflow step or maximum wait falls due (None: never)."""
        tiers = self.tiers[call.queue]
        steps = () if VIDEO_TAG in call.tags else tiers[call.tier + 1 :]
        times = [call.since + t.after_s for t in steps]
        max_wait = self.max_wait_of(call)
        if max_wait is not None:
            times.append(call.since + max_wait.after_s)
        return min(times) if times else None

    def sources(self, queue: str, tier: int) -> list[tuple[str, int]]:
        """(skill, min_level) pairs whose ready agents may take a call of ``queue`` at ``tier``."""
        best: dict[str, int] = {}
        for t in self.tiers[queue][: tier + 1]:
            for skill in t.skills:
                best[skill] = min(best.get(skill, t.min_level), t.min_level)
        for skill in self.surge.get(queue, ()):
            best[skill] = 1
        return sorted(best.items())

    def entry_tiers(self, agent: Agent) -> dict[str, int]:
        """For each queue the agent may serve, the lowest tier at which it qualifies."""
        lowest: dict[str, int] = {}
        for skill, level in agent.skills.items():
            for queue, k, min_level in self._by_skill.get(skill, ()):
                if level >= min_level and k < lowest.get(queue, k + 1):
                    lowest[queue] = k
        for queue, skills in self.surge.items():
            if any(agent.skills.get(s, 0) >= 1 for s in skills):
                lowest[queue] = 0
        return lowest

    def base_queues(self, skills: Iterable[str]) -> list[QueueConfig]:
        """Queues whose own skill is among ``skills`` (their ready counts depend on these agents)."""
        return [q for skill in skills for q in self._base.get(skill, ())]

    def set_surge(self, on: bool, queues: Sequence[str], skills: Sequence[str]) -> list[str]:
        """Open or close surge groups; returns the queues whose eligible agents changed."""
        names = list(queues) or list(self.queues)
        for name in names:
            if name not in self.queues:
                raise UnknownQueue(f"no queue {name}", queue=name)
        changed: list[str] = []
        for name in names:
            before = self.surge.get(name, ())
            if not on:
                after: tuple[str, ...] = ()
            else:
                wanted = tuple(skills) or self.queues[name].surge_skills
                after = tuple(sorted({*before, *wanted}))
            if after != before:
                changed.append(name)
            if after:
                self.surge[name] = after
            else:
                self.surge.pop(name, None)
        return changed


def _tiers(queue: QueueConfig) -> tuple[Tier, ...]:
    tiers = [Tier((queue.skill,), queue.min_level, 0.0)]
    for step in queue.overflow:
        tiers.append(Tier(step.skills or (queue.skill,), step.min_level, step.after_s))
    return tuple(tiers)


def _check(queue: QueueConfig, queues: dict[str, QueueConfig]) -> None:
    afters = [step.after_s for step in queue.overflow]
    if any(a <= 0 for a in afters) or afters != sorted(set(afters)):
        raise InvalidConfig(
            f"overflow steps of {queue.name} must come after increasing positive waits",
            queue=queue.name,
            after_s=afters,
        )
    exit_ = queue.max_wait
    if exit_ is None:
        return
    if exit_.after_s <= 0:
        raise InvalidConfig(f"max wait of {queue.name} must be positive", queue=queue.name)
    if exit_.kind == "queue" and (exit_.target not in queues or exit_.target == queue.name):
        raise InvalidConfig(
            f"max wait of {queue.name} exits to unknown queue {exit_.target!r}",
            queue=queue.name,
            target=exit_.target,
        )
