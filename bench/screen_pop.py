"""Screen-pop latency at scale: from a queued call's AMI event entering the centre to the offer frame.

The real centre (composition root, ACD, desktop websocket over uvicorn) runs in this process against an
AMI stand-in that answers every action and, on cue, writes one ``UserEvent: HotlineQueued`` per call on
the wire, as the dialplan does. A second process holds one desktop websocket (``websockets`` library)
per logged-in agent and notes when each offer frame arrives. Both use ``CLOCK_MONOTONIC``, which is
shared by every process on Linux, so each latency is the client's receive time minus the moment the
call's event was written to the centre's AMI socket. Every agent gets exactly one offer.

The same run measures a baseline: round trips of a plain websocket echo on one socket, idle centre.

    python -m bench.screen_pop              # 2,000 agents and calls
    python -m bench.screen_pop --quick      # a handful, to check that it works
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.server import ServerConnection, serve

from acd.events import AgentLoggedIn, AgentReady
from agent_desktop.auth import Role
from hotline.app import Centre
from hotline.db.models import Agent
from hotline.settings import Settings

AMI_SECRET = "bench-secret"
QUEUE = "general"
CONNECT_CONCURRENCY = 200


class AmiStandIn:
    """An AMI peer: answers every action with success and writes queued-call events when told."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._sessions: list[asyncio.Task[Any]] = []
        self.port = 0

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        task = asyncio.current_task()
        if task is not None:
            self._sessions.append(task)
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                raw = await reader.readuntil(b"\r\n\r\n")
                writer.write(_reply(raw.decode()).encode())

    def push_queued(self, call_id: str, caller: str) -> float:
        """Write one ``HotlineQueued`` event to the centre; the monotonic time it was written."""
        event = (
            f"Event: UserEvent\r\nPrivilege: user,all\r\nChannel: Local/12345@hotline-inbound-{call_id};2\r\n"
            f"CallerIDNum: {caller}\r\nUniqueid: {call_id}\r\nUserEvent: HotlineQueued\r\n"
            f"Queue: {QUEUE}\r\nPriority: 0\r\nKeys: 1\r\nFlowVersion: bench\r\n\r\n"
        ).encode()
        at = time.monotonic()
        self._writers[-1].write(event)
        return at

    async def close(self) -> None:
        """Close every connection and stop listening."""
        for writer in self._writers:
            writer.close()
        await asyncio.gather(*self._sessions, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def _reply(raw: str) -> str:
    fields = dict(line.split(": ", 1) for line in raw.split("\r\n") if ": " in line)
    action, action_id = fields.get("Action", "").lower(), fields.get("ActionID", "")
    head = f"Response: Success\r\nActionID: {action_id}\r\n"
    if action == "coreshowchannels":
        return (
            f"{head}EventList: start\r\n\r\nEvent: CoreShowChannelsComplete\r\nActionID: {action_id}\r\n"
            "EventList: Complete\r\nListItems: 0\r\n\r\n"
        )
    if action == "login":
        return f"{head}Message: Authentication accepted\r\n\r\n"
    return head + "\r\n"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def _echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


async def _logged_in_centre(tmp: Path, agents: list[str]) -> tuple[Centre, AmiStandIn]:
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
    )
    centre = Centre(settings=settings, ami_secret=AMI_SECRET)
    await asyncio.to_thread(_configure_agents, centre, agents)
    await centre.start()
    for agent_id in agents:
        centre.acd.submit(AgentLoggedIn(agent_id=agent_id, contact=f"PJSIP/{agent_id}", skills={QUEUE: 1}))
        centre.acd.submit(AgentReady(agent_id=agent_id))
    return centre, ami


def _configure_agents(centre: Centre, agents: list[str]) -> None:
    now = datetime.now(UTC)
    with centre.sessions() as session:
        session.add_all(
            Agent(agent_id=a, name=a, contact=f"PJSIP/{a}", skills={QUEUE: 1}, role="agent", created_at=now)
            for a in agents
        )
        session.commit()


async def _clients(centre: Centre, agents: list[str], echo_url: str, args: argparse.Namespace) -> Any:
    job = {
        "ws": centre.url.replace("http", "ws", 1) + "ws/v1",
        "tokens": [centre.desktop.tokens.issue(a, Role.AGENT) for a in agents],
        "echo": echo_url,
        "samples": args.baseline_samples,
        "timeout": args.timeout,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.screen_pop",
        "--worker",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(job).encode() + b"\n")
    await proc.stdin.drain()
    proc.stdin.close()
    return proc


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """One measurement; the JSON summary."""
    agents = [f"b{i:05d}" for i in range(args.sockets)]
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        centre, ami = await _logged_in_centre(Path(tmp), agents)
        echo = await serve(_echo, "127.0.0.1", 0)
        try:
            echo_url = f"ws://127.0.0.1:{echo.sockets[0].getsockname()[1]}"
            proc = await _clients(centre, agents, echo_url, args)
            assert proc.stdout is not None
            ready = json.loads(await proc.stdout.readline())
            pushed = await _push_calls(ami, args)
            result = json.loads(await proc.stdout.read() or b"{}")
            await proc.wait()
        finally:
            echo.close()
            await echo.wait_closed()
            await centre.stop()
            await ami.close()
    return _summary(args, ready, pushed, result)


async def _push_calls(ami: AmiStandIn, args: argparse.Namespace) -> dict[str, float]:
    pushed: dict[str, float] = {}
    gap = 1.0 / args.rate if args.rate > 0 else 0.0
    for i in range(args.sockets):
        call_id = f"bench-{i:05d}"
        pushed[call_id] = ami.push_queued(call_id, f"1380000{i:04d}")
        if gap:
            await asyncio.sleep(gap)
    return pushed


def _summary(
    args: argparse.Namespace, ready: dict[str, Any], pushed: dict[str, float], result: dict[str, Any]
) -> dict[str, Any]:
    received: list[list[Any]] = result.get("offers", [])
    latencies = [(at - pushed[call_id]) * 1e3 for call_id, at in received if call_id in pushed]
    distinct_calls = {call_id for call_id, _ in received}
    baseline = ready["echo_rtt_ms"]
    return {
        "sockets": args.sockets,
        "connected": ready["connected"],
        "offers_received": len(latencies),
        "distinct_calls": len(distinct_calls),
        "arrival": "burst" if args.rate <= 0 else f"{args.rate:g}/s",
        "p50_ms": round(percentile(latencies, 0.5), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None,
        "max_ms": round(max(latencies), 2) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies), 2) if latencies else None,
        "baseline": "websocket echo round trip, one socket, idle centre",
        "baseline_p50_ms": round(percentile(baseline, 0.5), 3),
        "baseline_p99_ms": round(percentile(baseline, 0.99), 3),
        "cpus": os.cpu_count(),
    }


class _Desk:
    """One agent's desktop connection in the client process."""

    def __init__(
        self, url: str, token: str, offers: dict[str, list[Any]], done: asyncio.Event, expected: int
    ) -> None:
        self.url = url
        self.token = token
        self.offers = offers
        self.done = done
        self.expected = expected
        self.hello = asyncio.Event()

    async def run(self) -> None:
        async with websockets.connect(self.url, max_size=2**20, ping_interval=None) as ws:
            await ws.send(json.dumps({"v": 1, "type": "auth", "token": self.token}))
            await ws.recv()
            self.hello.set()
            async for raw in ws:
                at = time.monotonic()
                if isinstance(raw, str) and '"type": "offer"' in raw and self.token not in self.offers:
                    self.offers[self.token] = [json.loads(raw)["call"]["call_id"], at]
                    if len(self.offers) == self.expected:
                        self.done.set()


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
    """The client process: connect every desktop, report readiness, collect one offer per agent."""
    offers: dict[str, list[Any]] = {}
    done = asyncio.Event()
    desks = [_Desk(job["ws"], token, offers, done, len(job["tokens"])) for token in job["tokens"]]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    tasks: list[asyncio.Task[None]] = []

    async def open_one(desk: _Desk) -> None:
        async with gate:
            tasks.append(asyncio.create_task(desk.run()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(desk.hello.wait(), 30.0)

    await asyncio.gather(*(open_one(d) for d in desks))
    rtts = await _echo_rtts(job["echo"], job["samples"])
    connected = sum(d.hello.is_set() for d in desks)
    print(json.dumps({"connected": connected, "echo_rtt_ms": rtts}), flush=True)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), job["timeout"])
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps({"offers": list(offers.values())}), flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sockets", type=int, default=2000, help="agents, desktops and calls")
    parser.add_argument("--rate", type=float, default=0.0, help="calls per second (0: all at once)")
    parser.add_argument("--baseline-samples", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for every offer")
    parser.add_argument("--quick", action="store_true", help="20 sockets, 50 baseline samples")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.sockets, args.baseline_samples, args.timeout = 20, 50, 30.0
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
