"""Erlang C (M/M/N) waiting estimates, plus the recent arrivals and handle times that feed them.

With ``n`` agents, offered load ``a = arrival rate x mean handle time`` (in Erlangs) and ``a < n``:

- the probability that a new caller waits is Erlang C, computed from Erlang B by the stable
  recurrence ``B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1))``, ``C = n B / (n - a (1 - B))``;
- the mean wait of a new caller is ``C x aht / (n - a)``;
- a caller already at 1-based position ``p`` in line waits on average ``p x aht / n``: with all
  ``n`` agents busy, departures come at rate ``n / aht`` (memoryless), and ``p`` of them are needed.
"""

from __future__ import annotations

import math
from collections import deque


def erlang_c(n: int, a: float) -> float:
    """Probability that a new caller has to wait (1.0 when the load is at or above capacity)."""
    if n <= 0 or a >= n:
        return 1.0
    if a <= 0:
        return 0.0
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return n * b / (n - a * (1 - b))


def mean_wait(n: int, a: float, aht_s: float) -> float:
    """Mean wait of a new caller in seconds (``inf`` when the load is at or above capacity)."""
    if n <= 0 or a >= n:
        return math.inf
    return erlang_c(n, a) * aht_s / (n - a)


def service_level(n: int, a: float, aht_s: float, target_s: float) -> float:
    """Share of callers answered within ``target_s``."""
    if n <= 0 or a >= n:
        return 0.0
    return 1.0 - erlang_c(n, a) * math.exp(-(n - a) * target_s / aht_s)


def wait_at_position(position: int, n: int, aht_s: float) -> float:
    """Expected wait of the caller at 1-based ``position`` with ``n`` agents serving (at least one)."""
    return position * aht_s / max(n, 1)


class QueueStats:
    """Recent arrivals and handle times (talk + wrap-up) of one queue, kept by the engine in memory."""

    def __init__(self, *, window_s: float, default_handle_s: float, keep: int = 200) -> None:
        self.window_s = window_s
        self.default_handle_s = default_handle_s
        self.arrivals: deque[float] = deque()
        self.handle_times: deque[float] = deque(maxlen=keep)

    def arrived(self, now: float) -> None:
        """Count one arrival at ``now``."""
        self.arrivals.append(now)
        self._trim(now)

    def handled(self, seconds: float) -> None:
        """Record one finished call's handle time."""
        self.handle_times.append(max(seconds, 0.0))

    def aht_s(self) -> float:
        """Mean handle time of the recent calls (the default before any)."""
        if not self.handle_times:
            return self.default_handle_s
        return sum(self.handle_times) / len(self.handle_times)

    def arrival_rate(self, now: float) -> float:
        """Arrivals per second over the window."""
        self._trim(now)
        return len(self.arrivals) / self.window_s

    def _trim(self, now: float) -> None:
        while self.arrivals and self.arrivals[0] < now - self.window_s:
            self.arrivals.popleft()
