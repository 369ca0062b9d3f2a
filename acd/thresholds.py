"""Per-queue thresholds that turn a supervisor's figure amber or red.

Two kinds of figure: for ``waiting``, ``longest_wait_s`` and ``abandon_rate`` a higher value is worse (amber
from ``amber`` on, red from ``red`` on, so ``amber <= red``); for ``service_level`` (15 s 应答及时率) a lower
value is worse (amber below ``amber``, red below ``red``, so ``amber >= red``). Rates are fractions (0..1).
The defaults follow GB/T 33358 (answer within 15 s, 80 % service level) and common 12345 practice; a queue
of ``acd/queues.yaml`` may set any of them in its ``thresholds`` block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["higher_is_worse", "lower_is_worse"]


@dataclass(frozen=True, slots=True)
class Band:
    """The values from which a figure is amber and red."""

    amber: float
    red: float


@dataclass(frozen=True, slots=True)
class QueueThresholds:
    """The thresholds of one queue's figures."""

    waiting: Band = field(default_factory=lambda: Band(3.0, 10.0))
    longest_wait_s: Band = field(default_factory=lambda: Band(15.0, 60.0))
    service_level: Band = field(default_factory=lambda: Band(0.8, 0.6))
    abandon_rate: Band = field(default_factory=lambda: Band(0.05, 0.1))


DIRECTIONS: dict[str, Direction] = {
    "waiting": "higher_is_worse",
    "longest_wait_s": "higher_is_worse",
    "service_level": "lower_is_worse",
    "abandon_rate": "higher_is_worse",
}
"""Which way each thresholded figure gets worse."""


def band_problem(figure: str, band: Band) -> str | None:
    """Why ``band`` does not fit ``figure`` (amber and red swapped, a rate above 1), or None."""
    if band.amber < 0 or band.red < 0:
        return "thresholds cannot be negative"
    if figure in ("service_level", "abandon_rate") and max(band.amber, band.red) > 1:
        return "a rate is a fraction between 0 and 1"
    if DIRECTIONS[figure] == "higher_is_worse" and band.amber > band.red:
        return "amber must not be above red (a higher value is worse)"
    if DIRECTIONS[figure] == "lower_is_worse" and band.amber < band.red:
        return "amber must not be below red (a lower value is worse)"
    return None


def thresholds_public(thresholds: QueueThresholds) -> dict[str, dict[str, float | str]]:
    """The JSON view of ``thresholds``: per figure ``amber``, ``red`` and ``direction``."""
    return {
        name: {"amber": band.amber, "red": band.red, "direction": DIRECTIONS[name]}
        for name, band in (
            ("waiting", thresholds.waiting),
            ("longest_wait_s", thresholds.longest_wait_s),
            ("service_level", thresholds.service_level),
            ("abandon_rate", thresholds.abandon_rate),
        )
    }
