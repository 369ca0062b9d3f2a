"""``hotline simulate``: real calls into the running centre, answered by simulated agents.

Calls are originated as Local channels into the inbound context, as a carrier trunk would deliver them;
menu keys are sent with AMI ``PlayDTMF`` once the IVR is listening. Agents sign in over the REST API,
follow their websocket like a desktop, and their phones are Local channels that answer and hang up after
a talk time. Three kinds of simulated agent:

- answering agents end their wrap-up early and go available again;
- ring-no-answer agents (the first ``no_answer_agents``) never pick up: the centre re-routes the call and
  pauses them ("no answer"); they stay paused, like a seat that walked away;
- pausing agents (the next ``pausing_agents``) answer, and after every ``pause_every``-th call take a
  pause with a reason from ``pause_reasons`` (in turn) for ``pause_s`` seconds before going available,
  through the same REST status API the desktop uses.

The summary is read back from the centre itself (hotline.simulate_summary): its call records and
its supervisor websocket, which the run follows from before the first call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import websockets

from hotline.ami.client import AmiClient, AmiError
from hotline.citizens import CitizenDialer
from hotline.simulate_summary import FINAL_OUTCOMES, Activity, summarise

log = logging.getLogger(__name__)

FrameHandler = Callable[[Any, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SimulationPlan:
    """What to simulate; see the module docstring for the kinds of agent."""

    calls: int = 20
    agents: int = 3
    talk_s: float = 3.0
    ring_s: float = 0.3
    wrapup_s: float = 0.5
    patience_s: float = 300.0
    patience_cycle: Sequence[float] = ()
    interval_s: float = 0.2
    keys: Sequence[str] = ("0", "3", "")
    timeout_s: float = 600.0
    no_answer_agents: int = 0
    pausing_agents: int = 0
    pause_s: float = 10.0
    pause_every: int = 3
    pause_reasons: Sequence[str] = ("小休", "就餐")
    skills: Sequence[str] = ("general", "enterprise")

    def __post_init__(self) -> None:
        if min(self.calls, self.agents, self.no_answer_agents, self.pausing_agents) < 0:
            raise ValueError("calls and agent counts must not be negative")
        if self.no_answer_agents + self.pausing_agents > self.agents:
            raise ValueError(
                f"{self.no_answer_agents} no-answer + {self.pausing_agents} pausing agents "
                f"do not fit in {self.agents} agents"
            )
        if self.pausing_agents and (self.pause_every < 1 or self.pause_s < 0 or not self.pause_reasons):
            raise ValueError("pausing agents need pause_every >= 1, pause_s >= 0 and a pause reason")
        if not self.skills:
            raise ValueError("simulated agents need at least one skill")
        if any(p <= 0 for p in (self.patience_s, *self.patience_cycle)):
            raise ValueError("a caller's patience must be positive")

    def patience_of(self, index: int) -> float:
        """How long call number ``index`` waits before hanging up: ``patience_cycle`` in turn (patient and
        impatient callers mixed), else ``patience_s``."""
        if not self.patience_cycle:
            return self.patience_s
        return self.patience_cycle[index % len(self.patience_cycle)]

    def kind(self, index: int) -> str:
        """``no_answer``, ``pausing`` or ``answering`` for agent number ``index``."""
        if index < self.no_answer_agents:
            return "no_answer"
        if index < self.no_answer_agents + self.pausing_agents:
            return "pausing"
        return "answering"


@dataclass
class _Agent:
    agent_id: str
    kind: str
    token: str = ""
    calls_done: int = 0
    pauses: int = 0


class Simulation:
    """Drives one simulation against a running centre."""

    def __init__(self, *, plan: SimulationPlan, base_url: str, ami: AmiClient, admin_password: str) -> None:
        self._plan = plan
        self._base_url = base_url.rstrip("/")
        self._run_id = f"{secrets.randbelow(10_000):04d}"
        self._dialer = CitizenDialer(ami)
        self._admin_password = admin_password
        self._tasks: list[asyncio.Task[None]] = []
        self._agents: list[_Agent] = []
        self.activity = Activity()
        self.offered = 0

    @property
    def caller_prefix(self) -> str:
        """Caller numbers of this run start with it (so its records can be told apart)."""
        return f"1390{self._run_id}"

    async def execute(self) -> dict[str, Any]:
        """Run the simulation and return the summary."""
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=self._base_url, timeout=10.0) as http:
            admin = await _sign_in(http, "admin", self._admin_password)
            try:
                await self._follow(admin, self._supervise)
                await self._start_agents(http, admin)
                await self._place_calls()
                records = await self._wait_for_outcomes(http, admin, started)
                acd = await _get(http, admin, "/api/acd")
            finally:
                await self._stop_following()
                for agent in self._agents:
                    await _set_status_quietly(http, agent.token, "logged_out")
        queue_skills = {q["queue"]: q["skill"] for q in acd.get("queues", [])}
        return summarise(
            records,
            self.offered,
            time.monotonic() - started,
            activity=self.activity,
            queue_skills=queue_skills,
            agent_skills={a.agent_id: self._plan.skills for a in self._agents},
        )

    async def _follow(self, token: str, on_frame: FrameHandler) -> None:
        """Open a desktop websocket and hand every frame to ``on_frame`` until cancelled."""
        ready = asyncio.Event()

        async def loop() -> None:
            ws_url = self._base_url.replace("http", "ws", 1) + "/ws/v1"
            async with websockets.connect(ws_url) as ws:
                await ws.send(json.dumps({"v": 1, "type": "auth", "token": token}))
                ready.set()
                async for raw in ws:
                    await on_frame(ws, json.loads(raw))

        self._tasks.append(asyncio.create_task(loop()))
        await asyncio.wait_for(ready.wait(), 10)

    async def _stop_following(self) -> None:
        for task in self._tasks:
            task.cancel()
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                log.warning("a desktop connection ended early: %r", result)

    async def _supervise(self, ws: Any, frame: dict[str, Any]) -> None:
        self.activity.see(frame)

    async def _start_agents(self, http: httpx.AsyncClient, admin: str) -> None:
        plan = self._plan
        for i in range(plan.agents):
            agent = _Agent(agent_id=f"sim{self._run_id}{i:02d}", kind=plan.kind(i))
            talk = -1 if agent.kind == "no_answer" else plan.talk_s
            password = secrets.token_urlsafe(12)
            body = {
                "name": f"模拟坐席{i}",
                "contact": f"Local/{9000 + i}*{talk:g}*{plan.ring_s:g}@hotline-sim-agent",
                "role": "agent",
                "password": password,
                "skills": dict.fromkeys(plan.skills, 1),
            }
            await _put(http, admin, f"/api/agents/{agent.agent_id}", body)
            agent.token = await _sign_in(http, agent.agent_id, password)
            self.activity.agents.add(agent.agent_id)
            self._agents.append(agent)

            async def desk(ws: Any, frame: dict[str, Any], agent: _Agent = agent) -> None:
                await self._desk_frame(http, agent, ws, frame)

            await self._follow(agent.token, desk)
            await _post(http, agent.token, "/api/me/status", {"status": "available"})

    async def _desk_frame(
        self, http: httpx.AsyncClient, agent: _Agent, ws: Any, frame: dict[str, Any]
    ) -> None:
        """What a seat does on its own desktop: after a call, wrap up briefly, sometimes pause."""
        data = frame.get("data") or {}
        if not (
            frame.get("type") == "agent_changed"
            and data.get("state") == "wrap_up"
            and data.get("status") == "available"
        ):
            return
        plan = self._plan
        agent.calls_done += 1
        if agent.kind == "pausing" and agent.calls_done % plan.pause_every == 0:
            reason = plan.pause_reasons[agent.pauses % len(plan.pause_reasons)]
            agent.pauses += 1
            try:
                await _post(http, agent.token, "/api/me/status", {"status": "paused", "reason": reason})
                await asyncio.sleep(plan.pause_s)
                await _post(http, agent.token, "/api/me/status", {"status": "available"})
            except httpx.HTTPStatusError as exc:
                log.warning("%s could not pause (%s): %s", agent.agent_id, reason, exc.response.text)
                await _set_status_quietly(http, agent.token, "available")
            return
        await asyncio.sleep(plan.wrapup_s)
        await ws.send(json.dumps({"v": 1, "type": "status", "status": "available"}))

    async def _place_calls(self) -> None:
        plan = self._plan
        for i in range(plan.calls):
            keys = plan.keys[i % len(plan.keys)] if plan.keys else ""
            try:
                await self._dialer.dial(
                    caller=f"{self.caller_prefix}{i:03d}",
                    keys=keys,
                    patience_s=plan.patience_of(i),
                    caller_name=f"市民{i}",
                )
                self.offered += 1
            except AmiError as exc:
                log.warning("call %d could not be placed: %s", i, exc)
            await asyncio.sleep(plan.interval_s)

    async def _wait_for_outcomes(self, http: httpx.AsyncClient, admin: str, started: float) -> list[Any]:
        records: list[Any] = []
        while time.monotonic() - started < self._plan.timeout_s:
            params = {"caller_prefix": self.caller_prefix, "limit": 10000}
            records = await _get(http, admin, "/api/calls", params)
            done = [r for r in records if r.get("ended_at") and r.get("outcome") in FINAL_OUTCOMES]
            if len(done) >= self.offered:
                break
            await asyncio.sleep(0.5)
        return records


async def _sign_in(http: httpx.AsyncClient, user_id: str, password: str) -> str:
    resp = await http.post("/api/sessions", json={"user_id": user_id, "password": password})
    resp.raise_for_status()
    token: str = resp.json()["token"]
    return token


async def _get(
    http: httpx.AsyncClient, token: str, path: str, params: Mapping[str, Any] | None = None
) -> Any:
    resp = await http.get(path, params=dict(params or {}), headers={"Authorization": f"Bearer {token}"})
    resp.raise_for_status()
    return resp.json()


async def _post(http: httpx.AsyncClient, token: str, path: str, body: Mapping[str, Any]) -> Any:
    resp = await http.post(path, json=dict(body), headers={"Authorization": f"Bearer {token}"})
    resp.raise_for_status()
    return resp.json()


async def _put(http: httpx.AsyncClient, token: str, path: str, body: Mapping[str, Any]) -> Any:
    resp = await http.put(path, json=dict(body), headers={"Authorization": f"Bearer {token}"})
    resp.raise_for_status()
    return resp.json()


async def _set_status_quietly(http: httpx.AsyncClient, token: str, status: str) -> None:
    """Best effort at the end of a run: a refusal is logged, not raised."""
    try:
        await _post(http, token, "/api/me/status", {"status": status})
    except httpx.HTTPError as exc:
        log.warning("status %s not applied: %s", status, exc)
