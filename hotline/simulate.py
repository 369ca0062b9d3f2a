"""``hotline simulate``: real calls into the running centre, answered by simulated agents.

Calls are originated as Local channels into the inbound context, as a carrier trunk would deliver them;
menu keys are sent with AMI ``PlayDTMF`` once the IVR is listening. Agents sign in over the REST API,
follow their websocket like a desktop, and their phones are Local channels that answer and hang up after
a talk time. The summary is read back from the centre's own call records.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from hotline.ami.client import AmiClient, AmiError
from hotline.citizens import CitizenDialer

log = logging.getLogger(__name__)

FINAL_OUTCOMES = ("answered", "abandoned", "ivr_hangup", "fallback")


@dataclass(frozen=True, slots=True)
class SimulationPlan:
    """What to simulate."""

    calls: int = 20
    agents: int = 3
    talk_s: float = 3.0
    ring_s: float = 0.3
    wrapup_s: float = 0.5
    patience_s: float = 300.0
    interval_s: float = 0.2
    keys: Sequence[str] = ("0", "3", "")
    timeout_s: float = 600.0
    no_answer_agents: int = 0


@dataclass
class _Run:
    plan: SimulationPlan
    base_url: str
    run_id: str = field(default_factory=lambda: f"{secrets.randbelow(10_000):04d}")
    offered: int = 0

    @property
    def caller_prefix(self) -> str:
        return f"1390{self.run_id}"


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile, None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[rank], 3)


def summarise(records: Sequence[Mapping[str, Any]], offered: int, elapsed_s: float) -> dict[str, Any]:
    """The JSON summary from the centre's call records of this run."""
    answered = [r for r in records if r.get("answered_at")]
    abandoned = [r for r in records if not r.get("answered_at") and r.get("outcome") in FINAL_OUTCOMES]
    waits = [float(r["wait_seconds"]) for r in answered if r.get("wait_seconds") is not None]
    talks = [float(r["talk_seconds"]) for r in answered if r.get("talk_seconds") is not None]
    return {
        "calls_offered": offered,
        "answered": len(answered),
        "abandoned": len(abandoned),
        "lost": offered - len(answered) - len(abandoned),
        "wait_s": {
            "p50": percentile(waits, 50),
            "p90": percentile(waits, 90),
            "p99": percentile(waits, 99),
            "max": max(waits) if waits else None,
        },
        "talk_s_mean": round(statistics.fmean(talks), 3) if talks else None,
        "elapsed_s": round(elapsed_s, 3),
    }


class Simulation:
    """Drives one simulation against a running centre."""

    def __init__(self, *, plan: SimulationPlan, base_url: str, ami: AmiClient, admin_password: str) -> None:
        self._run = _Run(plan=plan, base_url=base_url.rstrip("/"))
        self._dialer = CitizenDialer(ami)
        self._admin_password = admin_password
        self._agent_tasks: list[asyncio.Task[None]] = []

    async def execute(self) -> dict[str, Any]:
        """Run the simulation and return the summary."""
        run = self._run
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=run.base_url, timeout=10.0) as http:
            admin = await _sign_in(http, "admin", self._admin_password)
            tokens = await self._start_agents(http, admin)
            try:
                await self._place_calls()
                records = await self._wait_for_outcomes(http, admin, started)
            finally:
                for token in tokens:
                    await _post(http, token, "/api/me/status", {"status": "logged_out"})
                for task in self._agent_tasks:
                    task.cancel()
                await asyncio.gather(*self._agent_tasks, return_exceptions=True)
        return summarise(records, run.offered, time.monotonic() - started)

    async def _start_agents(self, http: httpx.AsyncClient, admin: str) -> list[str]:
        run, plan = self._run, self._run.plan
        tokens = []
        for i in range(plan.agents):
            agent_id = f"sim{run.run_id}{i:02d}"
            talk = -1 if i < plan.no_answer_agents else plan.talk_s
            contact = f"Local/{9000 + i}*{talk:g}*{plan.ring_s:g}@hotline-sim-agent"
            password = secrets.token_urlsafe(12)
            await _put(
                http,
                admin,
                f"/api/agents/{agent_id}",
                {
                    "name": f"模拟坐席{i}",
                    "contact": contact,
                    "role": "agent",
                    "password": password,
                    "skills": {"general": 1, "enterprise": 1},
                },
            )
            token = await _sign_in(http, agent_id, password)
            ready = asyncio.Event()
            self._agent_tasks.append(asyncio.create_task(self._agent_loop(token, ready)))
            await asyncio.wait_for(ready.wait(), 10)
            await _post(http, token, "/api/me/status", {"status": "available"})
            tokens.append(token)
        return tokens

    async def _agent_loop(self, token: str, ready: asyncio.Event) -> None:
        """Follow the desktop websocket; finish wrap-up early like a real agent would."""
        ws_url = self._run.base_url.replace("http", "ws", 1) + f"/ws/v1?token={token}"
        async with websockets.connect(ws_url) as ws:
            ready.set()
            async for raw in ws:
                frame = json.loads(raw)
                if (
                    frame.get("type") == "agent_changed"
                    and frame["data"].get("state") == "wrap_up"
                    and frame["data"].get("status") == "available"
                ):
                    await asyncio.sleep(self._run.plan.wrapup_s)
                    await ws.send(json.dumps({"v": 1, "type": "status", "status": "available"}))

    async def _place_calls(self) -> None:
        run, plan = self._run, self._run.plan
        for i in range(plan.calls):
            keys = plan.keys[i % len(plan.keys)] if plan.keys else ""
            try:
                await self._dialer.dial(
                    caller=f"{run.caller_prefix}{i:03d}",
                    keys=keys,
                    patience_s=plan.patience_s,
                    caller_name=f"市民{i}",
                )
                run.offered += 1
            except AmiError as exc:
                log.warning("call %d could not be placed: %s", i, exc)
            await asyncio.sleep(plan.interval_s)

    async def _wait_for_outcomes(self, http: httpx.AsyncClient, admin: str, started: float) -> list[Any]:
        run = self._run
        expected = run.offered
        records: list[Any] = []
        while time.monotonic() - started < run.plan.timeout_s:
            resp = await http.get(
                "/api/calls",
                params={"caller_prefix": run.caller_prefix, "limit": 10000},
                headers={"Authorization": f"Bearer {admin}"},
            )
            resp.raise_for_status()
            records = resp.json()
            done = [r for r in records if r.get("ended_at") and r.get("outcome") in FINAL_OUTCOMES]
            if len(done) >= expected:
                break
            await asyncio.sleep(0.5)
        return records


async def _sign_in(http: httpx.AsyncClient, user_id: str, password: str) -> str:
    resp = await http.post("/api/sessions", json={"user_id": user_id, "password": password})
    resp.raise_for_status()
    token: str = resp.json()["token"]
    return token


async def _post(http: httpx.AsyncClient, token: str, path: str, body: Mapping[str, Any]) -> Any:
    resp = await http.post(path, json=dict(body), headers={"Authorization": f"Bearer {token}"})
    resp.raise_for_status()
    return resp.json()


async def _put(http: httpx.AsyncClient, token: str, path: str, body: Mapping[str, Any]) -> Any:
    resp = await http.put(path, json=dict(body), headers={"Authorization": f"Bearer {token}"})
    resp.raise_for_status()
    return resp.json()
