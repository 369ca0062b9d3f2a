"""Erlang C against the textbook closed form, and position / estimated wait from the engine."""

from __future__ import annotations

import math

import pytest

from acd.commands import AnnouncePosition
from acd.engine import AcdEngine
from acd.erlang import QueueStats, erlang_c, mean_wait, service_level, wait_at_position
from acd.errors import IllegalTransition, UnknownQueue
from acd.events import AgentLoggedIn, AgentReady, CallFinished, CallQueued, OfferAnswered, PositionQuery
from acd.model import AcdPolicy, QueueConfig
from acd.store import MemoryStore


def closed_form(n: int, a: float) -> float:
    """Erlang C as usually printed: (a^n/n! * n/(n-a)) / (sum_{k<n} a^k/k! + a^n/n! * n/(n-a))."""
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


@pytest.mark.parametrize(("n", "a"), [(1, 0.5), (2, 1.0), (10, 8.0), (50, 45.0), (120, 100.0)])
def test_erlang_c_matches_the_closed_form(n: int, a: float) -> None:
    assert erlang_c(n, a) == pytest.approx(closed_form(n, a), rel=1e-9)


def test_erlang_edges_and_derived_figures() -> None:
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert (erlang_c(0, 1.0), erlang_c(3, 3.0), erlang_c(3, 0.0)) == (1.0, 1.0, 0.0)
    assert mean_wait(2, 1.0, 60.0) == pytest.approx(1 / 3 * 60.0 / 1.0)
    assert math.isinf(mean_wait(2, 2.0, 60.0))
    assert service_level(10, 8.0, 180.0, 20.0) == pytest.approx(
        1 - closed_form(10, 8.0) * math.exp(-2.0 * 20.0 / 180.0)
    )
    assert service_level(1, 2.0, 60.0, 20.0) == 0.0
    assert wait_at_position(3, 2, 100.0) == 150.0
    assert wait_at_position(3, 0, 100.0) == 300.0


def test_queue_stats_window_and_handle_times() -> None:
    stats = QueueStats(window_s=100.0, default_handle_s=180.0)
    assert stats.aht_s() == 180.0
    for t in (0.0, 50.0, 120.0, 130.0):
        stats.arrived(t)
    assert stats.arrival_rate(140.0) == pytest.approx(3 / 100.0)
    stats.handled(100.0)
    stats.handled(200.0)
    assert stats.aht_s() == 150.0


def test_position_and_ewt_follow_handle_times_and_staffing() -> None:
    engine = AcdEngine(
        queues=[QueueConfig("q", "s", wrapup_seconds=20.0)],
        store=MemoryStore(),
        policy=AcdPolicy(default_handle_s=60.0),
    )
    engine.handle(AgentLoggedIn("a1", "p1", {"s": 1}), 0.0)
    engine.handle(AgentLoggedIn("a2", "p2", {"s": 1}), 0.0)
    engine.handle(AgentReady("a1"), 0.0)
    engine.handle(CallQueued("first", "q", "1", "ch"), 1.0)
    engine.handle(OfferAnswered("first", "a1"), 2.0)
    engine.handle(CallFinished("first"), 102.0)
    for n in range(3):
        engine.handle(CallQueued(f"c{n}", "q", "1", f"ch{n}"), 110.0 + n)
    assert engine.position("c0") == (1, 1 * 120.0 / 2)
    assert engine.handle(PositionQuery("c2"), 115.0) == [AnnouncePosition("c2", "ch2", "q", 3, 180.0)]
    estimate = engine.queue_estimate("q", 115.0)
    assert (estimate["staffed"], estimate["aht_s"]) == (2.0, 120.0)
    assert estimate["offered_load"] == pytest.approx(4 / 900.0 * 120.0)
    assert estimate["p_wait"] == pytest.approx(erlang_c(2, estimate["offered_load"]))
    with pytest.raises(UnknownQueue):
        engine.queue_estimate("nowhere", 0.0)


def test_position_of_a_call_not_waiting_is_refused() -> None:
    engine = AcdEngine(queues=[QueueConfig("q", "s")], store=MemoryStore())
    engine.handle(AgentLoggedIn("a1", "p1", {"s": 1}), 0.0)
    engine.handle(AgentReady("a1"), 0.0)
    engine.handle(CallQueued("c1", "q", "1", "ch"), 1.0)
    with pytest.raises(IllegalTransition):
        engine.position("c1")
