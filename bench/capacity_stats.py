"""Pure parts of the capacity benchmark: percentiles, process CPU from /proc, the rate search."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) by linear interpolation between closest ranks; None when empty."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is not within 0..100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def stat_ticks(stat_text: str) -> int:
    """utime + stime (clock ticks) from the text of ``/proc/<pid>/stat``."""
    fields = stat_text.rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])


def cpu_pct(ticks: int, seconds: float, hz: int = CLOCK_TICKS) -> float:
    """CPU used over ``seconds`` of wall time, one fully busy core = 100."""
    if seconds <= 0:
        return 0.0
    return round(ticks / hz / seconds * 100, 1)


def read_ticks(pids: Iterable[int]) -> dict[int, int]:
    """Current CPU ticks of each pid still running."""
    out: dict[int, int] = {}
    for pid in pids:
        try:
            out[pid] = stat_ticks(Path(f"/proc/{pid}/stat").read_text())
        except (OSError, IndexError, ValueError):
            continue
    return out


class CpuMeter:
    """CPU of a set of processes between ``start()`` and ``stop()``."""

    def __init__(self, pids: Iterable[int]) -> None:
        self._pids = list(pids)
        self._before: dict[int, int] = {}
        self._t0 = 0.0
        self.used_s = 0.0
        """CPU seconds used between ``start()`` and ``stop()``."""

    def start(self) -> None:
        """Take the first reading."""
        self._before = read_ticks(self._pids)
        self._t0 = time.monotonic()

    def stop(self) -> float:
        """CPU percent since ``start()`` (a process that ended meanwhile counts for nothing)."""
        after = read_ticks(self._pids)
        used = sum(after[pid] - self._before[pid] for pid in after if pid in self._before)
        self.used_s = used / CLOCK_TICKS
        return cpu_pct(used, time.monotonic() - self._t0)


@dataclass(frozen=True, slots=True)
class StepResult:
    """One arrival rate held for a while, and what became of its calls."""

    setup: str
    calls: int
    cps: float
    concurrent_peak: int
    answered: int
    lost: int
    asa_s_p50: float | None
    asa_s_p99: float | None
    cpu_pct: float
    abandoned: int = 0
    call_s_p50: float | None = None
    cpu_ms_per_call: dict[str, float] = field(default_factory=dict)
    """CPU milliseconds per placed call of each part measured (asterisk, centre, kamailio)."""

    def report(self) -> dict[str, Any]:
        """The benchmark's line for this step: exactly the published keys."""
        out = asdict(self)
        for extra in ("abandoned", "call_s_p50", "cpu_ms_per_call"):
            del out[extra]
        return out


def passed(step: StepResult, asa_p99_limit_s: float) -> bool:
    """Whether the centre carried this rate: nothing lost, nobody gave up waiting, ASA p99 bounded."""
    if step.lost or step.abandoned or step.answered < step.calls:
        return False
    return step.asa_s_p99 is not None and step.asa_s_p99 <= asa_p99_limit_s


def search_outcome(steps: Sequence[StepResult], asa_p99_limit_s: float) -> StepResult | None:
    """The highest rate carried before the first step that was not (rates are tried rising)."""
    best: StepResult | None = None
    for step in steps:
        if not passed(step, asa_p99_limit_s):
            break
        best = step
    return best


def agents_for(cps: float, talk_s: float, ring_s: float, margin: float = 1.25) -> int:
    """Simulated agents that keep up with ``cps`` arrivals of ``talk_s`` calls (Erlang load + margin)."""
    return max(1, math.ceil(cps * (talk_s + ring_s + 0.5) * margin))


def rounded(value: float | None, digits: int = 3) -> float | None:
    """``value`` rounded, None stays None."""
    return None if value is None else round(value, digits)
