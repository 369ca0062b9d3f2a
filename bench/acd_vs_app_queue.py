"""Agent-free-to-ring and ASA: the hotline ACD against Asterisk's own app_queue, side by side in one run.

Both runs use one Asterisk sandbox, the same simulated agents (Local channels that answer after RING seconds
and talk TALK seconds), the same burst of calls and no wrap-up. "Free to ring" is, per agent, the time from
its previous leg hanging up to its phone ringing with the next waiting call (AMI Hangup -> Newchannel, both
seen on one AMI connection). Prints one JSON object; ``ratio`` = app_queue p50 / ours p50.

    .venv/bin/python bench/acd_vs_app_queue.py [--calls 30] [--agents 3] [--talk 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from hotline.ami.client import AmiClient, AmiEvent
from hotline.app import Centre, ensure_admin
from hotline.citizens import CitizenDialer
from hotline.sandbox.instance import AsteriskSandbox, SandboxConfig
from hotline.sandbox.provision import ensure_root
from hotline.settings import Settings
from ivr.prompts import ensure_default_prompts

ADMIN_PASSWORD = secrets.token_urlsafe(12)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RingClock:
    """Per-agent free (leg hangup) and ring (new leg) times, from one AMI connection."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self._prefixes = prefixes
        self.gaps_ms: list[float] = []
        self._freed_at: dict[str, float] = {}
        self.rings: dict[str, int] = defaultdict(int)

    def _agent(self, channel: str) -> str | None:
        if not channel.endswith(";1"):
            return None
        return next((a for a, p in self._prefixes.items() if channel.startswith(p)), None)

    def on_event(self, event: AmiEvent) -> None:
        """Record rings and hangups of agent legs."""
        agent = self._agent(event.get("Channel", ""))
        if agent is None:
            return
        now = time.monotonic()
        if event.name == "Newchannel":
            self.rings[agent] += 1
            freed = self._freed_at.pop(agent, None)
            if freed is not None:
                self.gaps_ms.append((now - freed) * 1000)
        elif event.name == "Hangup":
            self._freed_at[agent] = now


def p50(values: list[float]) -> float | None:
    """Median rounded to 0.1, None when empty."""
    return round(statistics.median(values), 1) if values else None


def contact(ext: int, talk: float) -> str:
    """Dial string of a simulated agent phone."""
    return f"Local/{ext}*{talk:g}*0.1@hotline-sim-agent"


async def wait_until(check: Any, timeout: float) -> None:
    """Poll ``check`` until true or the timeout passes."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout * 10) + 1):
        if check() or time.monotonic() >= deadline:
            return
        await asyncio.sleep(0.1)


async def run_ours(box: AsteriskSandbox, state: Path, calls: int, agents: int, talk: float) -> dict[str, Any]:
    """Our ACD: agents sign in over REST; calls enter through 12345 and the IVR (key 0)."""
    c = box.config
    settings = Settings(
        state_dir=state,
        database_url=f"sqlite:///{state / 'bench.db'}",
        http_port=free_port(),
        asterisk_mode="external",
        ami_port=c.ami_port,
        ami_secret=c.ami_secret,
        fastagi_port=c.fastagi_port,
        wrapup_seconds=0.0,
        ring_timeout_seconds=10.0,
        admin_password=ADMIN_PASSWORD,
    )
    centre = Centre(settings=settings, ami_secret=c.ami_secret)
    ensure_admin(centre.sessions, settings)
    await centre.start()
    observer = AmiClient(host="127.0.0.1", port=c.ami_port, username=c.ami_username, secret=c.ami_secret)
    clock = RingClock({f"a{i}": f"Local/{9500 + i}*" for i in range(agents)})
    observer.on_event("Newchannel", clock.on_event)
    observer.on_event("Hangup", clock.on_event)
    await observer.start()
    try:
        async with httpx.AsyncClient(base_url=centre.url, timeout=10) as http:
            admin = (
                await http.post("/api/sessions", json={"user_id": "admin", "password": ADMIN_PASSWORD})
            ).json()
            for i in range(agents):
                hdr = {"Authorization": f"Bearer {admin['token']}"}
                await http.put(
                    f"/api/agents/b{i}",
                    headers=hdr,
                    json={
                        "name": f"b{i}",
                        "contact": contact(9500 + i, talk),
                        "password": "bench-pass",
                        "skills": {"general": 1},
                    },
                )
                tok = (
                    await http.post("/api/sessions", json={"user_id": f"b{i}", "password": "bench-pass"})
                ).json()
                await http.post(
                    "/api/me/status",
                    json={"status": "available"},
                    headers={"Authorization": f"Bearer {tok['token']}"},
                )
        dialer = CitizenDialer(observer)
        for n in range(calls):
            await dialer.dial(caller=f"1380000{n:04d}", keys="0", patience_s=600)
        await wait_until(
            lambda: sum(clock.rings.values()) >= calls and not centre.acd.legs, calls * talk + 60
        )
        await asyncio.sleep(talk + 1)
        from hotline.db import repository as repo

        waits = [r.wait_seconds for r in repo.list_calls(centre.sessions) if r.wait_seconds is not None]
        return {
            "gaps": clock.gaps_ms,
            "asa": statistics.fmean(waits) if waits else None,
            "answered": len(waits),
        }
    finally:
        await observer.close()
        await centre.stop()


async def run_app_queue(box: AsteriskSandbox, calls: int, agents: int, talk: float) -> dict[str, Any]:
    """Asterisk's app_queue: the same agents as static members of queue hotline-bench."""
    c = box.config
    ami = AmiClient(host="127.0.0.1", port=c.ami_port, username=c.ami_username, secret=c.ami_secret)
    clock = RingClock({f"q{i}": f"Local/{9600 + i}*" for i in range(agents)})
    holds: list[float] = []
    ami.on_event("Newchannel", clock.on_event)
    ami.on_event("Hangup", clock.on_event)
    ami.on_event(
        "AgentConnect",
        lambda e: (
            holds.append(float(e.get("HoldTime", "0") or 0)) if e.get("Queue") == "hotline-bench" else None
        ),
    )
    await ami.start()
    members = [contact(9600 + i, talk) for i in range(agents)]
    try:
        for member in members:
            await ami.send_action({"Action": "QueueAdd", "Queue": "hotline-bench", "Interface": member})
        for n in range(calls):
            await ami.originate(
                channel="Local/8000*600*0@hotline-sim-agent/n",
                application="Queue",
                data="hotline-bench,t",
                caller_id=f"<1390000{n:04d}>",
            )
        await wait_until(lambda: len(holds) >= calls, calls * talk * 3 + 60)
        await asyncio.sleep(talk + 1)
        return {
            "gaps": clock.gaps_ms,
            "asa": statistics.fmean(holds) if holds else None,
            "answered": len(holds),
        }
    finally:
        for member in members:
            await ami.send_action({"Action": "QueueRemove", "Queue": "hotline-bench", "Interface": member})
        await ami.close()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    """Run both phases on one sandbox and build the JSON result."""
    root = ensure_root(Settings().cache_dir)
    ensure_default_prompts(root / "usr" / "share" / "asterisk" / "sounds")
    with tempfile.TemporaryDirectory() as tmp:
        config = SandboxConfig(
            instance=f"bench-{os.getpid()}",
            ami_port=free_port(),
            ami_username="hotline",
            ami_secret=secrets.token_urlsafe(16),
            fastagi_host="127.0.0.1",
            fastagi_port=free_port(),
            sip_port=free_port(),
            http_port=free_port(),
            extensions=("1001",),
        )
        box = AsteriskSandbox(root=root, config=config, state_dir=Path(tmp))
        box.up()
        try:
            ours = await run_ours(box, Path(tmp), args.calls, args.agents, args.talk)
            theirs = await run_app_queue(box, args.calls, args.agents, args.talk)
        finally:
            box.destroy()
    ours_p50, theirs_p50 = p50(ours["gaps"]), p50(theirs["gaps"])
    return {
        "calls": args.calls,
        "agents": args.agents,
        "talk_s": args.talk,
        "ours_free_to_ring_ms_p50": ours_p50,
        "app_queue_free_to_ring_ms_p50": theirs_p50,
        "ratio": round(theirs_p50 / ours_p50, 1) if ours_p50 and theirs_p50 else None,
        "ours_asa_s": round(ours["asa"], 3) if ours["asa"] is not None else None,
        "app_queue_asa_s": round(theirs["asa"], 3) if theirs["asa"] is not None else None,
        "ours_answered": ours["answered"],
        "app_queue_answered": theirs["answered"],
        "samples": {"ours": len(ours["gaps"]), "app_queue": len(theirs["gaps"])},
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--agents", type=int, default=3)
    parser.add_argument("--talk", type=float, default=1.0)
    print(json.dumps(asyncio.run(main_async(parser.parse_args()))))


if __name__ == "__main__":
    main()
