"""Wallboard latency: from an ACD state change to the supervisor frame (``queue_figures``) that shows it.

The real centre (composition root, ACD, wallboard, desktop websocket over uvicorn) runs in this process
against the AMI stand-in of bench.screen_pop. It signs in ``--agents`` agents (they start paused,
reason "login") and queues ``--waiting`` calls through ``HotlineQueued`` events on the AMI wire; the
supervisors sign in over HTTP (``POST /api/sessions``, real passwords and tokens). A second process holds
one desktop websocket per supervisor and notes when each frame arrives.

Then ``--changes`` ACD state changes are made at ``--rate`` per second: four in five pause one more agent
with reason 就餐 (an ``AgentPaused`` submitted to the ACD), one in five queues one more call (an AMI event
written to the centre's socket). A change is seen on a supervisor's socket by the first frame showing that
agent with that reason, or the queue with that many waiting calls. Both processes use
``CLOCK_MONOTONIC``, shared by every process on Linux, so each latency is the client's receive time
minus the moment of the change. ``p50_ms`` / ``p99_ms`` are over every (change, supervisor) pair.

The baseline, in the same run: round trips of a plain websocket echo on one socket (``baseline_ms``: the
median) while the centre is loaded but idle.

    python -m bench.wallboard               # 2,000 agents, 500 waiting calls, 20 supervisors
    python -m bench.wallboard --quick       # a handful, to check that it works
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
import websockets
from websockets.asyncio.server import ServerConnection, serve

from acd.events import AgentLoggedIn, AgentPaused
from agent_desktop.passwords import Passwords
from bench.screen_pop import AMI_SECRET, QUEUE, AmiStandIn, free_port, percentile
from hotline.app import Centre
from hotline.db.models import Agent
from hotline.settings import Settings

NEW_REASON = "就餐"
SUPERVISOR_PASSWORD = "bench-supervisor-pw"
SETTLE_S = 6.0
"""Default wait after the supervisors connected: the complete sets their joining brings are sent by then."""


async def _echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


def _configure(centre: Centre, agents: list[str], supervisors: list[str]) -> None:
    now, digest = datetime.now(UTC), Passwords().hash(SUPERVISOR_PASSWORD)
    with centre.sessions() as session:
        session.add_all(
            Agent(agent_id=a, name=a, contact=f"PJSIP/{a}", skills={QUEUE: 1}, role="agent", created_at=now)
            for a in agents
        )
        session.add_all(
            Agent(
                agent_id=s,
                name=s,
                contact="",
                skills={},
                role="supervisor",
                password_hash=digest,
                created_at=now,
            )
            for s in supervisors
        )
        session.commit()


async def _loaded_centre(tmp: Path, args: argparse.Namespace) -> tuple[Centre, AmiStandIn, list[str]]:
    ami = AmiStandIn()
    await ami.start()
    settings = Settings(
        state_dir=tmp,
        database_url=f"sqlite:///{tmp / 'bench.db'}",
        http_port=free_port(),
        asterisk_mode="external",
        ami_port=ami.port,
        ami_secret=AMI_SECRET,
        fastagi_port=free_port(),
        ring_timeout_seconds=600.0,
        redis_url=args.redis,
        redis_prefix=args.redis_prefix,
    )
    centre = Centre(settings=settings, ami_secret=AMI_SECRET)
    agents = [f"b{i:05d}" for i in range(args.agents)]
    supervisors = [f"sup{i:03d}" for i in range(args.supervisors)]
    await asyncio.to_thread(_configure, centre, agents, supervisors)
    await centre.start()
    for agent_id in agents:
        centre.acd.submit(AgentLoggedIn(agent_id=agent_id, contact=f"PJSIP/{agent_id}", skills={QUEUE: 1}))
    for i in range(args.waiting):
        ami.push_queued(f"wait-{i:05d}", f"1390000{i:04d}")
    await _until(lambda: centre.acd.engine.store.count_waiting(QUEUE) >= args.waiting, 60.0)
    return centre, ami, await _sign_in(centre.url, supervisors)


async def _until(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the centre did not reach the starting state")
        await asyncio.sleep(0.05)


async def _sign_in(url: str, supervisors: list[str]) -> list[str]:
    tokens = []
    async with httpx.AsyncClient(base_url=url) as http:
        for user_id in supervisors:
            resp = await http.post(
                "/api/sessions", json={"user_id": user_id, "password": SUPERVISOR_PASSWORD}
            )
            resp.raise_for_status()
            tokens.append(resp.json()["token"])
    return tokens


async def _forget(url: str, prefix: str) -> None:
    """Delete this run's keys from Redis."""
    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        for i in range(0, len(keys), 1000):
            await client.delete(*keys[i : i + 1000])
    finally:
        await client.aclose()


def _plan(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The changes in order: ("agent", agent_id) or ("call", expected waiting count)."""
    plan: list[tuple[str, str]] = []
    agent_n, waiting = 0, args.waiting
    for i in range(args.changes):
        if i % 5 == 4:
            waiting += 1
            plan.append(("call", str(waiting)))
        else:
            plan.append(("agent", f"b{agent_n:05d}"))
            agent_n += 1
    return plan


async def _make_changes(
    centre: Centre, ami: AmiStandIn, plan: list[tuple[str, str]], rate: float
) -> list[float]:
    made = []
    for i, (kind, what) in enumerate(plan):
        if kind == "agent":
            made.append(time.monotonic())
            centre.acd.submit(AgentPaused(agent_id=what, reason=NEW_REASON))
        else:
            made.append(ami.push_queued(f"bench-{i:05d}", f"1380000{i:04d}"))
        await asyncio.sleep(1.0 / rate)
    return made


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """One measurement; the JSON summary."""
    plan = _plan(args)
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        centre, ami, tokens = await _loaded_centre(Path(tmp), args)
        echo = await serve(_echo, "127.0.0.1", 0)
        try:
            job = {
                "ws": centre.url.replace("http", "ws", 1) + "ws/v1",
                "tokens": tokens,
                "echo": f"ws://127.0.0.1:{echo.sockets[0].getsockname()[1]}",
                "samples": args.baseline_samples,
                "plan": plan,
                "timeout": args.timeout,
            }
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.wallboard", "--worker", stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert proc.stdin is not None
            assert proc.stdout is not None
            proc.stdin.write(json.dumps(job).encode() + b"\n")
            await proc.stdin.drain()
            proc.stdin.close()
            ready = json.loads(await proc.stdout.readline())
            await asyncio.sleep(args.settle)
            made = await _make_changes(centre, ami, plan, args.rate)
            result = json.loads(await proc.stdout.read() or b"{}")
            await proc.wait()
        finally:
            echo.close()
            await echo.wait_closed()
            await centre.stop()
            await ami.close()
            if args.redis:
                await _forget(args.redis, args.redis_prefix)
    return _summary(args, ready, made, result)


def _summary(
    args: argparse.Namespace, ready: dict[str, Any], made: list[float], result: dict[str, Any]
) -> dict[str, Any]:
    seen: list[list[float | None]] = result.get("seen", [])
    latencies = [(at - made[i]) * 1e3 for row in seen for i, at in enumerate(row) if at is not None]
    missed = sum(1 for row in seen for at in row if at is None)
    baseline = ready["echo_rtt_ms"]
    return {
        "agents": args.agents,
        "store": "redis" if args.redis else "memory",
        "supervisors": ready["connected"],
        "waiting_calls": args.waiting,
        "changes": len(made),
        "rate_per_s": args.rate,
        "observations": len(latencies),
        "missed": missed,
        "p50_ms": round(percentile(latencies, 0.5), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None,
        "max_ms": round(max(latencies), 2) if latencies else None,
        "baseline_ms": round(percentile(baseline, 0.5), 3),
        "baseline_p99_ms": round(percentile(baseline, 0.99), 3),
        "baseline": "websocket echo round trip, one socket, loaded idle centre",
        "frames_per_socket": result.get("frames_per_socket"),
        "cpus": os.cpu_count(),
    }


class _Watch:
    """What one supervisor's socket has seen of the planned changes."""

    def __init__(self, plan: list[tuple[str, str]]) -> None:
        self.agent_index = {what: i for i, (kind, what) in enumerate(plan) if kind == "agent"}
        self.call_index = {int(what): i for i, (kind, what) in enumerate(plan) if kind == "call"}
        self.seen: list[float | None] = [None] * len(plan)
        self.most_waiting = min(self.call_index, default=1) - 1
        self.frames = 0

    @property
    def complete(self) -> bool:
        return all(at is not None for at in self.seen)

    def frame(self, data: dict[str, Any], at: float) -> None:
        self.frames += 1
        for agent in data["agents"]:
            i = self.agent_index.get(agent["agent_id"])
            if i is not None and agent["pause_reason"] == NEW_REASON and self.seen[i] is None:
                self.seen[i] = at
        waiting = next((q["waiting"] for q in data["queues"] if q["queue"] == QUEUE), 0)
        while waiting > self.most_waiting:
            self.most_waiting += 1
            i = self.call_index.get(self.most_waiting)
            if i is not None and self.seen[i] is None:
                self.seen[i] = at


async def _supervise(url: str, token: str, watch: _Watch, hello: asyncio.Event, done: asyncio.Event) -> None:
    async with websockets.connect(url, max_size=2**20, ping_interval=None) as ws:
        await ws.send(json.dumps({"v": 1, "type": "auth", "token": token}))
        await ws.recv()
        hello.set()
        async for raw in ws:
            at = time.monotonic()
            if isinstance(raw, str) and '"type": "queue_figures"' in raw:
                watch.frame(json.loads(raw)["data"], at)
                if watch.complete:
                    done.set()


async def _echo_rtts(url: str, samples: int) -> list[float]:
    rtts: list[float] = []
    async with websockets.connect(url, ping_interval=None) as ws:
        for _ in range(samples):
            started = time.monotonic()
            await ws.send("x" * 200)
            await ws.recv()
            rtts.append((time.monotonic() - started) * 1e3)
    return rtts


async def worker(job: dict[str, Any]) -> None:
    """The client process: connect every supervisor, report readiness, note when each change is seen."""
    plan = [tuple(p) for p in job["plan"]]
    watches = [_Watch(plan) for _ in job["tokens"]]
    hellos = [asyncio.Event() for _ in watches]
    dones = [asyncio.Event() for _ in watches]
    tasks = [
        asyncio.create_task(_supervise(job["ws"], token, w, h, d))
        for token, w, h, d in zip(job["tokens"], watches, hellos, dones, strict=True)
    ]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(h.wait() for h in hellos)), 30.0)
    rtts = await _echo_rtts(job["echo"], job["samples"])
    print(json.dumps({"connected": sum(h.is_set() for h in hellos), "echo_rtt_ms": rtts}), flush=True)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(d.wait() for d in dones)), job["timeout"])
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    frames = [w.frames for w in watches]
    print(
        json.dumps({"seen": [w.seen for w in watches], "frames_per_socket": max(frames, default=0)}),
        flush=True,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--agents", type=int, default=2000, help="signed-in agents")
    parser.add_argument("--waiting", type=int, default=500, help="calls waiting before the changes")
    parser.add_argument("--supervisors", type=int, default=20, help="supervisor desktops")
    parser.add_argument("--changes", type=int, default=300, help="ACD state changes to time")
    parser.add_argument("--rate", type=float, default=20.0, help="changes per second")
    parser.add_argument("--baseline-samples", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for every change")
    parser.add_argument(
        "--settle", type=float, default=SETTLE_S, help="seconds between connecting and changing"
    )
    parser.add_argument(
        "--quick", action="store_true", help="40 agents, 10 calls, 3 supervisors, 20 changes, 1 s settle"
    )
    parser.add_argument("--redis", default="", help="ACD state in this Redis URL (default: in memory)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.redis_prefix = f"hotline-bench-wallboard-{os.getpid()}:acd"
    if args.quick:
        args.agents, args.waiting, args.supervisors, args.changes = 40, 10, 3, 20
        args.baseline_samples, args.timeout, args.settle = 50, 30.0, 1.0
    if args.changes * 4 // 5 + 1 > args.agents:
        parser.error("--changes pauses four agents in five changes: give more --agents")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON object."""
    args = parse_args(argv)
    if args.worker:
        asyncio.run(worker(json.loads(sys.stdin.readline())))
        return 0
    logging.basicConfig(level=logging.ERROR)
    print(json.dumps(asyncio.run(run(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
