"""Agents at their desks through a fault: the REST API and the desktop websocket, as the agent page uses them.

Each seat signs in, opens its websocket (first frame ``auth``), goes available, and goes available again
after every wrap-up. For every call it answers through the ACD it writes one work order (POST
``/api/work-orders`` with the call id), retrying until the centre takes it. When its node goes away
(killed, restarting) it signs in again and reconnects, as the page does on reload, on the next node in
its list. Phones are simulated (``hotline-sim-agent``): they answer after 0.2 s and talk ``talk_s``.
The agent ids are the sandbox's extensions, so the static fallback queue rings the same people.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from tests.faults.node import ADMIN_PASSWORD

log = logging.getLogger(__name__)

RETRY_S = 0.5


@dataclass
class Seat:
    """One agent's desk."""

    agent_id: str
    password: str
    urls: Sequence[str]
    offline: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    on_call: asyncio.Event = field(default_factory=asyncio.Event)
    ws: Any = None
    turn: int = 0

    @property
    def url(self) -> str:
        """The node this seat uses now."""
        return self.urls[self.turn % len(self.urls)]


class Seats:
    """Every seat of a run, and the work orders they wrote."""

    def __init__(self, urls: Sequence[str], agents: Sequence[str], *, talk_s: float = 2.0) -> None:
        self._urls = list(urls)
        self._talk_s = talk_s
        self.seats = [Seat(a, f"pw-{a}-faults", self._urls, turn=i) for i, a in enumerate(agents)]
        self.orders_wanted: set[str] = set()
        self.orders_written: dict[str, str] = {}
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Create the agents (as admin) and start every desk."""
        async with httpx.AsyncClient(base_url=self._urls[0], timeout=10.0) as http:
            admin = await _sign_in(http, "admin", ADMIN_PASSWORD)
            for seat in self.seats:
                body = {
                    "name": f"坐席{seat.agent_id}",
                    "contact": f"Local/{seat.agent_id}*{self._talk_s:g}*0.2@hotline-sim-agent",
                    "role": "agent",
                    "password": seat.password,
                    "skills": {"general": 1, "enterprise": 1},
                }
                resp = await http.put(f"/api/agents/{seat.agent_id}", json=body, headers=_auth(admin))
                resp.raise_for_status()
        self._tasks = [asyncio.create_task(self._desk(seat)) for seat in self.seats]

    async def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until every seat has been available once."""
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in self.seats)), timeout)

    async def close(self) -> None:
        """Stop every desk (the agents stay signed in; the centre is stopped after)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def go_offline(self, agent_id: str, for_s: float) -> None:
        """The agent's browser loses the network for ``for_s`` seconds (the websocket drops)."""
        seat = next(s for s in self.seats if s.agent_id == agent_id)
        seat.offline.set()
        seat.ready.clear()
        if seat.ws is not None:
            with contextlib.suppress(Exception):
                await seat.ws.close()
        await asyncio.sleep(for_s)
        seat.offline.clear()

    async def _desk(self, seat: Seat) -> None:
        while True:
            try:
                if not seat.offline.is_set():
                    await self._session(seat)
            except (OSError, httpx.HTTPError, websockets.WebSocketException, ValueError) as exc:
                log.info("desk %s lost its centre (%r); signing in again", seat.agent_id, exc)
                seat.turn += 1
            await asyncio.sleep(RETRY_S)

    async def _session(self, seat: Seat) -> None:
        async with httpx.AsyncClient(base_url=seat.url, timeout=5.0) as http:
            token = await _sign_in(http, seat.agent_id, seat.password)
            ws_url = seat.url.replace("http", "ws", 1) + "/ws/v1"
            async with websockets.connect(ws_url, open_timeout=5) as ws:
                seat.ws = ws
                await ws.send(json.dumps({"v": 1, "type": "auth", "token": token}))
                await _post(http, token, "/api/me/status", {"status": "available"})
                seat.ready.set()
                async for raw in ws:
                    if seat.offline.is_set():
                        return
                    await self._frame(seat, token, ws, json.loads(raw))

    async def _frame(self, seat: Seat, token: str, ws: Any, frame: dict[str, Any]) -> None:
        if frame.get("type") != "agent_changed":
            return
        data = frame.get("data") or {}
        if data.get("agent_id") == seat.agent_id:
            (seat.on_call.set if data.get("state") == "on_call" else seat.on_call.clear)()
        if data.get("state") == "on_call" and data.get("call_id"):
            self._want_order(seat, str(data["call_id"]), token)
        elif data.get("state") == "wrap_up" and data.get("status") == "available":
            await asyncio.sleep(0.3)
            await ws.send(json.dumps({"v": 1, "type": "status", "status": "available"}))

    def _want_order(self, seat: Seat, call_id: str, token: str) -> None:
        if call_id in self.orders_wanted:
            return
        self.orders_wanted.add(call_id)
        self._tasks.append(asyncio.create_task(self._write_order(seat, call_id, token)))

    async def _write_order(self, seat: Seat, call_id: str, token: str) -> None:
        """Write the call's work order; retried while the centre cannot take it (down, restarting),
        signing in again when the token no longer works (a restarted node forgot it). Every attempt sends
        the same request key, so an attempt whose answer was lost (the node died after storing the order)
        is answered with that order when retried on another node, not written twice."""
        body = {
            "request_key": uuid.uuid4().hex,
            "call_id": call_id,
            "caller": {"name": "市民"},
            "category": "consult",
            "matter": "故障演练咨询",
            "content": f"来电 {call_id} 咨询办事流程",
        }
        while call_id not in self.orders_written:
            try:
                async with httpx.AsyncClient(base_url=seat.url, timeout=5.0) as http:
                    resp = await http.post("/api/work-orders", json=body, headers=_auth(token))
                    if resp.status_code == 401:
                        token = await _sign_in(http, seat.agent_id, seat.password)
                        continue
                    resp.raise_for_status()
                    self.orders_written[call_id] = str(resp.json().get("number", ""))
            except (httpx.TransportError, httpx.HTTPStatusError) as exc:
                log.info("work order for %s not written yet (%r)", call_id, exc)
                await asyncio.sleep(RETRY_S)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _sign_in(http: httpx.AsyncClient, user_id: str, password: str) -> str:
    resp = await http.post("/api/sessions", json={"user_id": user_id, "password": password})
    resp.raise_for_status()
    token: str = resp.json()["token"]
    return token


async def _post(http: httpx.AsyncClient, token: str, path: str, body: dict[str, Any]) -> None:
    resp = await http.post(path, json=body, headers=_auth(token))
    resp.raise_for_status()
