"""Fault scenarios on the real parts, shared by the fault tests (tests/faults) and ``bench/faults.py``.

Every scenario starts app nodes as processes against an Asterisk sandbox, seats agents at their desks
(tests.faults.seats), places real citizen calls (the ``hotline simulate`` dialer: Local channels into the
inbound context, key 0 for a person) before, during and after one fault, then reads what became of
each call from Asterisk's own event log and the centre's database (tests.faults.ledger). The fault
ends by itself or is repaired by the scenario the way an operator would (restart what died); nothing
is done to the centre: it has to recover by itself. ``recovery_s`` is the time from the end of the
fault until the centre reports telephony up again; it is None when a call placed after that was not
answered (the centre reports healthy but does not route).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from hotline.ami.client import AmiClient, AmiError
from hotline.citizens import CitizenDialer
from hotline.db.engine import make_engine, session_factory
from hotline.sandbox.instance import AsteriskSandbox
from tests.faults.ledger import Tally, asterisk_view, tally, wait_calls_ended, wait_records_settled
from tests.faults.node import ADMIN_PASSWORD, AppNode, node_env, until
from tests.faults.seats import Seats
from tests.integration.ami_proxy import AmiProxy

log = logging.getLogger(__name__)

AGENTS = ("1001", "1002", "1003")
"""The sandbox's extensions: the static fallback queue rings the same agents."""

PATIENCE_S = 60.0
"""How long a caller waits before hanging up: well past any wait a working centre (or its fallback queue,
after a stale heartbeat) needs, and shorter than the dialplan's maximum wait, so that a caller the centre
forgot ends as an abandon rather than racing the fallback."""


class ScenarioFailed(AssertionError):
    """The centre did not do what the scenario requires before the calls are even counted."""


@dataclass
class Rig:
    """What the scenarios run on: an Asterisk sandbox, a working directory, a database."""

    sandbox: AsteriskSandbox
    workdir: Path
    database_url: str = ""
    talk_s: float = 2.0
    nodes: list[AppNode] = field(default_factory=list)

    def db_url(self) -> str:
        """The centre's database: the one given, else SQLite in the working directory."""
        return self.database_url or f"sqlite:///{self.workdir / 'faults.db'}"

    def node(self, name: str, **extra: str) -> AppNode:
        """A new app node of this rig (not started)."""
        env = node_env(self.sandbox, self.workdir / name, database_url=self.db_url(), **extra)
        node = AppNode(name=f"{name}-{secrets.token_hex(2)}", env=env, log_dir=self.workdir / "logs")
        self.nodes.append(node)
        return node

    def stop_all(self) -> None:
        """Stop every node this rig started."""
        for node in self.nodes:
            node.stop()


class Burst:
    """Citizen calls from a driver with its own AMI connection to Asterisk."""

    def __init__(self, sandbox: AsteriskSandbox) -> None:
        c = sandbox.config
        self.ami = AmiClient(host="127.0.0.1", port=c.ami_port, username=c.ami_username, secret=c.ami_secret)
        self.dialer = CitizenDialer(self.ami)
        self.prefix = f"1391{secrets.randbelow(10_000):04d}"
        self.placed_at: dict[str, float] = {}
        """Each call placed (in order): the wall-clock time Asterisk accepted its Originate."""

    @property
    def call_ids(self) -> list[str]:
        """The calls placed, in order."""
        return list(self.placed_at)

    async def start(self) -> None:
        """Connect to AMI."""
        await self.ami.start()

    async def close(self) -> None:
        """Disconnect."""
        await self.ami.close()

    async def place(self, count: int, interval_s: float = 0.7) -> None:
        """Place ``count`` calls (key 0, patient callers); a call Asterisk cannot take is not counted."""
        for _ in range(count):
            await until(lambda: self.ami.connected, 30.0)
            caller = f"{self.prefix}{len(self.call_ids):03d}"
            try:
                call = await self.dialer.dial(caller=caller, keys="0", patience_s=PATIENCE_S)
                self.placed_at[call.call_id] = time.time()
            except AmiError as exc:
                log.warning("call from %s not placed: %s", caller, exc)
            await asyncio.sleep(interval_s)


Fault = Callable[[Rig, list[AppNode], Seats], Awaitable[float | None]]


@dataclass(frozen=True)
class Plan:
    """Calls placed before, during and after the fault."""

    before: int = 2
    during: int = 3
    after: int = 2
    interval_s: float = 0.7


async def run_scenario(
    name: str, rig: Rig, nodes: Sequence[AppNode], fault: Fault, plan: Plan = Plan()
) -> Tally:
    """Seat the agents on ``nodes`` (started and healthy), run the calls around ``fault``, count."""
    seats = Seats([n.url for n in nodes], AGENTS, talk_s=rig.talk_s)
    burst = Burst(rig.sandbox)
    result = Tally(scenario=name)
    try:
        await seats.start()
        await seats.wait_ready()
        await burst.start()
        await burst.place(plan.before, plan.interval_s)
        during = asyncio.create_task(burst.place(plan.during, plan.interval_s))
        result.recovery_s = await fault(rig, list(nodes), seats)
        await during
        after_from = len(burst.call_ids)
        await burst.place(plan.after, plan.interval_s)
        await wait_calls_ended(rig.sandbox, burst.placed_at, timeout=150.0)
        await _wait_orders(seats, timeout=30.0)
    finally:
        await seats.close()
        await burst.close()
    engine = make_engine(rig.db_url())
    try:
        sm = session_factory(engine)
        cel = asterisk_view(rig.sandbox, burst.call_ids)
        records = await wait_records_settled(sm, cel, timeout=40.0)
        result = tally(result, sm, cel, records, seats.orders_written)
    finally:
        engine.dispose()
    if not all(cel[c].answered for c in burst.call_ids[after_from:] if c in cel):
        result.recovery_s = None
    return result


async def _wait_orders(seats: Seats, timeout: float) -> None:
    await until(lambda: seats.orders_wanted <= set(seats.orders_written), timeout)


async def started(*nodes: AppNode) -> list[AppNode]:
    """Start ``nodes`` one after another, each healthy with telephony up before the next starts (nodes
    started at the same moment on one new database race each other: see the fault suite's notes)."""
    for node in nodes:
        node.start()
        await node.wait_healthy()
    return list(nodes)


async def asterisk_unreachable_at_start(rig: Rig) -> Tally:
    """The centre starts while Asterisk is down: pages, sign-in and work orders are served at once and
    ``/healthz`` says telephony is down; when Asterisk comes up the centre connects and takes calls."""
    await asyncio.to_thread(rig.sandbox.down)
    node = rig.node("cold")
    try:
        try:
            node.start()
            await node.wait_healthy(telephony=False)
            await _served_without_telephony(node)
        finally:
            await asyncio.to_thread(rig.sandbox.up)
        up = time.monotonic()
        await node.wait_healthy(telephony=True)
        recovery = time.monotonic() - up

        async def no_fault(rig: Rig, nodes: list[AppNode], seats: Seats) -> float:
            return recovery

        return await run_scenario("asterisk_unreachable_at_start", rig, [node], no_fault)
    finally:
        rig.stop_all()


async def _served_without_telephony(node: AppNode) -> None:
    health = await node.health()
    if health is None or health.get("telephony") != "down":
        raise ScenarioFailed(f"/healthz does not say telephony is down: {health}")
    async with httpx.AsyncClient(base_url=node.url, timeout=5.0) as http:
        page = await http.get("/")
        session = await http.post("/api/sessions", json={"user_id": "admin", "password": ADMIN_PASSWORD})
        order = await http.post(
            "/api/work-orders",
            json={"caller": {}, "category": "consult", "matter": "咨询", "content": "无电话时受理"},
            headers={"Authorization": f"Bearer {session.json().get('token', '')}"},
        )
    if (page.status_code, session.status_code, order.status_code) != (200, 200, 201):
        raise ScenarioFailed(f"not served without Asterisk: page {page}, sign-in {session}, order {order}")


class CuttableAmiProxy(AmiProxy):
    """The AMI relay, also refusing new connections while ``down`` (the link is cut, not just reset)."""

    down = False

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self.down:
            client_w.close()
            return
        await super()._accept(client_r, client_w)


async def ami_link_cut(rig: Rig, outage_s: float = 10.0) -> Tally:
    """The AMI link between the centre and Asterisk is cut for ``outage_s`` seconds mid-burst."""
    proxy = CuttableAmiProxy(rig.sandbox.config.ami_port, drop=lambda headers: False)
    await proxy.start()

    async def cut(rig: Rig, nodes: list[AppNode], seats: Seats) -> float:
        proxy.down = True
        await proxy.cut()
        await asyncio.sleep(outage_s)
        proxy.down = False
        return await nodes[0].wait_healthy()

    try:
        nodes = await started(rig.node("linked", ami_port=str(proxy.port)))
        return await run_scenario("ami_link_cut_10s", rig, nodes, cut)
    finally:
        rig.stop_all()
        await proxy.close()


async def app_killed(rig: Rig, down_s: float = 3.0) -> Tally:
    """The app process is SIGKILLed mid-burst and started again ``down_s`` seconds later."""

    async def kill(rig: Rig, nodes: list[AppNode], seats: Seats) -> float:
        nodes[0].kill()
        await asyncio.sleep(down_s)
        nodes[0].start()
        return await nodes[0].wait_healthy()

    try:
        return await run_scenario("app_sigkill_restart", rig, await started(rig.node("killed")), kill)
    finally:
        rig.stop_all()


async def asterisk_restarted(rig: Rig) -> Tally:
    """Asterisk restarts mid-burst (calls up at that moment end with it)."""

    async def restart(rig: Rig, nodes: list[AppNode], seats: Seats) -> float:
        await asyncio.to_thread(rig.sandbox.down)
        await asyncio.to_thread(rig.sandbox.up)
        return await nodes[0].wait_healthy()

    try:
        return await run_scenario("asterisk_restart", rig, await started(rig.node("pbx")), restart)
    finally:
        rig.stop_all()


async def browser_offline(rig: Rig, offline_s: float = 8.0) -> Tally:
    """An agent's browser loses the network for ``offline_s`` seconds while calls come in."""

    async def offline(rig: Rig, nodes: list[AppNode], seats: Seats) -> float:
        await asyncio.wait_for(seats.seats[0].on_call.wait(), 30.0)
        started_at = time.monotonic()
        await seats.go_offline(AGENTS[0], offline_s)
        await seats.seats[0].ready.wait()
        return time.monotonic() - started_at - offline_s

    try:
        return await run_scenario("agent_browser_offline", rig, await started(rig.node("desk")), offline)
    finally:
        rig.stop_all()
