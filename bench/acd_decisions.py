"""How long one ACD decision takes at contact-centre scale, per state store.

A decision is one ``engine.handle(AgentReady(...))`` that yields an offer, with (by default) 2,000
logged-in agents and 10,000 waiting calls across 50 queues (each agent has two skills at levels 1-3,
each queue a bullseye step to a neighbouring skill). After each timed decision the offer is failed
(untimed), which requeues the call in its place and pauses the agent, so every decision sees the same
sizes. Prints one JSON object per store, one line each:

    store, agents, waiting_calls, decision_us_p50, decision_us_p99, assignments_per_s, baseline_us_p50,
    round_trips_per_decision

``baseline_us_p50`` times a trivial same-process loop (100 dict lookups), so runs on noisy machines
compare as ratios. ``assignments_per_s`` is decisions per second of decision time.
``round_trips_per_decision`` counts what the Redis client sends (one send, a command or a pipeline,
is one round trip) over ``COUNTED`` more decisions after the timed ones, so counting costs the
timed ones nothing; it is 0 for the in-process store.

    .venv/bin/python bench/acd_decisions.py [--quick] [--stores memory,redis] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import secrets
import statistics
import time
from collections.abc import Callable
from unittest import mock

from redis.connection import AbstractConnection

from acd.commands import OfferCall
from acd.engine import AcdEngine
from acd.events import AgentLoggedIn, AgentReady, CallQueued, OfferFailed
from acd.model import AcdPolicy, OverflowStep, QueueConfig
from acd.store import AcdStore, MemoryStore

DEFAULT_REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
COUNTED = 100
SEND = AbstractConnection.send_packed_command
"""What the Redis client calls once per round trip (one command, or one pipeline)."""


def queues_for(count: int) -> list[QueueConfig]:
    """``count`` queues, each widening to the next queue's skill after a minute."""
    return [
        QueueConfig(
            f"q{n}",
            f"s{n}",
            wrapup_seconds=10.0,
            overflow=(OverflowStep(60.0, skills=(f"s{(n + 1) % count}",)),),
        )
        for n in range(count)
    ]


def populate(engine: AcdEngine, *, agents: int, calls: int, queues: int) -> None:
    """Log agents in (paused) and queue the calls through the engine itself."""
    for n in range(agents):
        skills = {f"s{n % queues}": 1 + n % 3, f"s{(n * 7 + 3) % queues}": 1 + (n // 3) % 3}
        engine.handle(AgentLoggedIn(f"a{n}", f"PJSIP/a{n}", skills), 0.0)
    for n in range(calls):
        engine.handle(CallQueued(f"c{n}", f"q{n % queues}", "13800000000", f"ch{n}", n % 3), 1.0 + n * 1e-4)


def percentile(samples: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def baseline_us() -> float:
    """p50 of 100 dict lookups, in microseconds."""
    table = {f"k{n}": n for n in range(1000)}
    keys = [f"k{n * 7 % 1000}" for n in range(100)]
    samples = []
    for _ in range(2000):
        t0 = time.perf_counter_ns()
        for key in keys:
            table.get(key)
        samples.append((time.perf_counter_ns() - t0) / 1e3)
    return statistics.median(samples)


def measure(
    store: AcdStore, name: str, *, agents: int, calls: int, queues: int, decisions: int
) -> dict[str, object]:
    """Populate ``store``, then time ``decisions`` ready-agent decisions."""
    engine = AcdEngine(queues=queues_for(queues), store=store, policy=AcdPolicy(pause_reasons=()))
    populate(engine, agents=agents, calls=calls, queues=queues)
    waiting = sum(store.count_waiting(f"q{n}") for n in range(queues))
    gc.collect()
    gc.freeze()
    samples: list[float] = []
    now = 10.0
    for i in range(decisions):
        now += 1e-3
        samples.append(decide(engine, f"a{i % agents}", now, time.perf_counter_ns) / 1e3)
    sent = 0
    with mock.patch.object(
        AbstractConnection, "send_packed_command", autospec=True, side_effect=SEND
    ) as send:
        for i in range(decisions, decisions + COUNTED):
            now += 1e-3
            sent += decide(engine, f"a{i % agents}", now, lambda: send.call_count)
    gc.unfreeze()
    return {
        "store": name,
        "agents": agents,
        "waiting_calls": waiting,
        "decision_us_p50": round(percentile(samples, 0.5), 1),
        "decision_us_p99": round(percentile(samples, 0.99), 1),
        "assignments_per_s": round(len(samples) / (sum(samples) / 1e6), 1),
        "baseline_us_p50": round(baseline_us(), 3),
        "round_trips_per_decision": round(sent / COUNTED, 2),
    }


def decide(engine: AcdEngine, agent_id: str, now: float, gauge: Callable[[], int]) -> int:
    """One decision (``agent_id`` becomes ready and is offered a call), then its offer fails (which
    requeues the call and pauses the agent); returns how much ``gauge`` grew over the decision only."""
    before = gauge()
    commands = engine.handle(AgentReady(agent_id), now)
    grown = gauge() - before
    offer = next(c for c in commands if isinstance(c, OfferCall))
    engine.handle(OfferFailed(offer.call_id, agent_id, "bench"), now)
    return grown


def redis_store(url: str) -> tuple[AcdStore, Callable[[], None]]:
    """A RedisStore under a fresh prefix, and how to clean it up."""
    from acd.store_redis import RedisStore

    store = RedisStore.from_url(url, prefix=f"bench:acd:{secrets.token_hex(6)}")

    def cleanup() -> None:
        store.clear()
        store.r.close()

    return store, cleanup


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark for each requested store."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check that it runs")
    parser.add_argument("--stores", default="memory,redis")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--decisions", type=int, default=3000)
    args = parser.parse_args(argv)
    if args.quick:
        args.agents, args.calls, args.queues, args.decisions = 40, 200, 5, 50
    for name in args.stores.split(","):
        cleanup: Callable[[], None] = lambda: None  # noqa: E731
        store: AcdStore = MemoryStore()
        if name == "redis":
            store, cleanup = redis_store(args.redis_url)
        try:
            sizes = {
                "agents": args.agents,
                "calls": args.calls,
                "queues": args.queues,
                "decisions": args.decisions,
            }
            print(json.dumps(measure(store, name, **sizes)), flush=True)
        finally:
            cleanup()


if __name__ == "__main__":
    main()
