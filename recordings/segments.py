"""What the live recording keeps about a running segment and the supervisors spying on it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Spy:
    """A supervisor's ChanSpy leg on a recorded call, its own ``r()`` recording and its modes."""

    spyer: str
    """The spy channel's uniqueid (the supervision session id)."""
    spool_name: str
    started: float
    """Wall-clock seconds when its recording started."""
    modes: list[tuple[float, str]] = field(default_factory=list)
    """(seconds since ``started``, mode) each time the mode changed, the first at 0."""
    ended: float | None = None

    def barge_stretches(self, until: float) -> list[tuple[float, float]]:
        """The stretches (seconds since ``started``) spent in barge mode, cut at ``until``."""
        end = min(until, self.ended) if self.ended is not None else until
        limit = max(0.0, end - self.started)
        bounds = [*self.modes, (limit, "")]
        return [
            (at, min(nxt, limit))
            for (at, mode), (nxt, _) in itertools.pairwise(bounds)
            if mode == "barge" and at < limit
        ]


@dataclass
class Segment:
    """One running MixMonitor on a citizen's channel."""

    call_id: str
    segment: int
    node: str
    started_at: datetime
    mixmonitor_id: str
    ids: dict[str, str]
    paths: dict[str, str]
    spies: list[Spy] = field(default_factory=list)
    ended: float | None = None
