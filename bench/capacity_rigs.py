"""The setups the capacity benchmark loads: Asterisk sandbox nodes with our centre in front of them.

- ``PbxNodes`` starts N sandbox nodes (one root, own ports and state) and keeps one AMI link to each for
  placing calls and following them (:class:`bench.capacity_ledger.Ledger`).
- ``CentreRig`` runs the centre as its own process (``python -m hotline.cli run``, external Asterisk,
  ``HOTLINE_AMI_NODES`` over the nodes, SQLite, no wrap-up), signs in simulated agents over REST and
  places citizen calls into 12345 (IVR, one key) alternately on the nodes.
- ``KeyPresser`` presses the menu key once the menu starts: the IVR's first ``STREAM FILE`` (our flow,
  over FastAGI) or the ``Background()`` of the plain-dialplan menu (``[hotline-bench-ivr]``).
- ``paced`` places calls one by one at a rate (the setups whose calls are originated over AMI).

Plain app_queue is :mod:`bench.capacity_app_queue`, calls through Kamailio :mod:`bench.capacity_kamailio`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

from bench.capacity_ledger import Ledger, apply_records
from hotline.ami.client import AmiClient, AmiEvent
from hotline.ami.messages import AmiError
from hotline.citizens import CitizenDialer
from hotline.sandbox.cluster import SandboxCluster, node_configs
from hotline.sandbox.config import SandboxConfig
from hotline.sandbox.process import pids_with_arg

KEY = "0"
RING_S = 0.1


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def free_udp_and_tcp_port() -> int:
    """A loopback port free for TCP and UDP (SIP listeners take both)."""
    while True:
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def agent_contact(index: int, talk_s: float) -> str:
    """Dial string of a simulated agent phone that answers after RING_S and talks ``talk_s``."""
    return f"Local/{9000 + index}*{talk_s:g}*{RING_S:g}@hotline-sim-agent"


STARTUP_S = 180.0
"""How long the centre may take to start and log in to Asterisk (its imports alone took 25 s on a
machine busy with other work)."""


class PbxNodes:
    """N sandbox Asterisk nodes with one AMI link each."""

    def __init__(
        self, *, root: Path, state: Path, count: int, kamailio_port: int = 0, trunks_file: Path | None = None
    ) -> None:
        """``kamailio_port``: a Kamailio front's SIP port the nodes trust; ``trunks_file``: their trunks."""
        base = SandboxConfig(
            instance=f"cap{os.getpid()}",
            ami_port=free_port(),
            ami_username="hotline",
            ami_secret=secrets.token_urlsafe(16),
            fastagi_host="127.0.0.1",
            fastagi_port=free_port(),
            sip_port=free_udp_and_tcp_port(),
            http_port=free_port(),
            extensions=("1001",),
            trunks_file=trunks_file,
            kamailio_sip_port=kamailio_port or 5080,
        )
        configs = node_configs(base, count, port=lambda _kind, _k, _base: free_udp_and_tcp_port())
        self.cluster = SandboxCluster(root=root, configs=configs, state_dir=state)
        self.base = base
        self.ledger = Ledger()
        self.links: list[AmiClient] = []

    async def up(self) -> None:
        """Start the nodes and connect to each."""
        await asyncio.to_thread(self.cluster.up)
        for box in self.cluster.nodes:
            c = box.config
            link = AmiClient(
                host="127.0.0.1",
                port=c.ami_port,
                username=c.ami_username,
                secret=c.ami_secret,
                ping_timeout=15.0,
            )
            self.ledger.install(link)
            link.on_connected(functools.partial(only_needed_events, link))
            await link.start()
            self.links.append(link)

    async def reconcile(self, prefix: str) -> None:
        """Ask each node which channels are up; calls of ``prefix`` that are not have ended."""
        live: set[str] = set()
        for link in self.links:
            try:
                listed = await link.send_action_list(
                    {"Action": "CoreShowChannels"}, complete_event="CoreShowChannelsComplete", timeout=30
                )
            except AmiError:
                return
            live.update(e.get("Uniqueid", "") for e in listed)
        self.ledger.reconcile(prefix, live)

    async def down(self) -> None:
        """Disconnect and stop every node."""
        for link in self.links:
            await link.close()
        await asyncio.to_thread(self.cluster.down)

    def ami_nodes(self) -> str:
        """``HOTLINE_AMI_NODES`` for these nodes."""
        return ",".join(f"{b.config.instance}=127.0.0.1:{b.config.ami_port}" for b in self.cluster.nodes)

    def pids(self) -> list[int]:
        """The Asterisk processes (and their ``unshare`` parents)."""
        return [pid for box in self.cluster.nodes for pid in pids_with_arg(box.conf_file)]


class KeyPresser:
    """Presses the menu key once the menu starts, as DTMF the inbound channel receives.

    Our IVR starts with the flow's first ``STREAM FILE`` (FastAGI); the plain-dialplan menu with the
    ``Newexten`` of its ``Background()``. The citizen dialer's ``PlayDTMF`` on the citizen half makes
    Asterisk sleep the tone's duration in the AMI session's thread, so one link carries fewer than ten key
    presses a second; ``Receive: true`` on the inbound channel queues the same DTMF frame without that
    sleep.
    """

    def __init__(self, keys: str, *, delay_s: float = 0.3) -> None:
        self._keys = keys
        self._delay_s = delay_s
        self._waiting: set[str] = set()

    def expect(self, call_id: str) -> None:
        """The call ``call_id`` (the Uniqueid of the channel running the menu) will press the keys."""
        self._waiting.add(call_id)

    def install(self, link: AmiClient) -> None:
        """Watch ``link``'s menu starts."""
        link.on_event("AGIExecStart", functools.partial(self.on_agi_exec, link))
        link.on_event("Newexten", functools.partial(self.on_newexten, link))

    async def on_agi_exec(self, link: AmiClient, event: AmiEvent) -> None:
        """On the call's first ``STREAM FILE``: press the keys."""
        if event.get("Command", "").upper().startswith("STREAM FILE"):
            await self._press(link, event)

    async def on_newexten(self, link: AmiClient, event: AmiEvent) -> None:
        """On the call's first ``Background()``: press the keys."""
        if event.get("Application", "").lower() == "background":  # Asterisk names it "BackGround"
            await self._press(link, event)

    async def _press(self, link: AmiClient, event: AmiEvent) -> None:
        call_id = event.get("Uniqueid", "")
        if call_id not in self._waiting:
            return
        self._waiting.discard(call_id)
        await asyncio.sleep(self._delay_s)
        for digit in self._keys:
            with contextlib.suppress(AmiError):
                await link.send_action(
                    {
                        "Action": "PlayDTMF",
                        "Channel": event.get("Channel", ""),
                        "Digit": digit,
                        "Duration": "120",
                        "Receive": "true",
                    }
                )


Dial = Callable[[str, int, float], Coroutine[Any, Any, None]]


async def paced(dial: Dial, prefix: str, calls: int, cps: float, patience_s: float) -> tuple[int, float]:
    """Call ``dial(caller, index, patience_s)`` ``calls`` times at ``cps``; how many were placed and the
    achieved arrival rate."""
    tasks: list[asyncio.Task[None]] = []
    t0 = time.monotonic()
    for i in range(calls):
        delay = t0 + i / cps - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(dial(f"{prefix}{i:05d}", i, patience_s)))
    spread = time.monotonic() - t0
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for failure in {repr(r) for r in results if isinstance(r, BaseException)}:
        print(json.dumps({"dial_failed": failure}), file=sys.stderr)
    achieved = (calls - 1) / spread if calls > 1 and spread > 0 else cps
    return sum(1 for r in results if not isinstance(r, BaseException)), achieved


class CentreRig:
    """Our centre over the nodes, as its own process."""

    def __init__(self, nodes: PbxNodes, state: Path) -> None:
        self.nodes = nodes
        self._state = state
        self._password = secrets.token_urlsafe(12)
        self._port = free_port()
        self._proc: asyncio.subprocess.Process | None = None
        self._dialers: list[CitizenDialer] = []
        self._admin = ""
        self._keys = KeyPresser(KEY)
        self.url = f"http://127.0.0.1:{self._port}"

    def _env(self) -> dict[str, str]:
        c = self.nodes.base
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
        env.update(
            HOTLINE_STATE_DIR=str(self._state / "centre"),
            HOTLINE_HTTP_PORT=str(self._port),
            HOTLINE_ASTERISK_MODE="external",
            HOTLINE_AMI_PORT=str(c.ami_port),
            HOTLINE_AMI_SECRET=c.ami_secret,
            HOTLINE_FASTAGI_PORT=str(c.fastagi_port),
            HOTLINE_WRAPUP_SECONDS="0",
            HOTLINE_RING_TIMEOUT_SECONDS="10",
            HOTLINE_ADMIN_PASSWORD=self._password,
        )
        if len(self.nodes.cluster.nodes) > 1:
            env["HOTLINE_AMI_NODES"] = self.nodes.ami_nodes()
        return env

    async def start(self, agents: int, talk_s: float) -> None:
        """Start the centre, wait until it speaks to Asterisk, sign in ``agents`` available agents."""
        with (self._state / "centre.log").open("ab") as log:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "hotline.cli",
                "run",
                "--no-sandbox",
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            await self._wait_up(http)
            self._admin = await sign_in(http, "admin", self._password)
            sem = asyncio.Semaphore(4)
            await asyncio.gather(*(self._agent(http, sem, i, talk_s) for i in range(agents)))
        self._dialers = [CitizenDialer(link) for link in self.nodes.links]
        for link in self.nodes.links:
            self._keys.install(link)

    async def _wait_up(self, http: httpx.AsyncClient) -> None:
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.returncode is not None:
                raise RuntimeError(f"the centre exited ({self._proc.returncode}); see centre.log")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/healthz")).json().get("telephony") == "up":
                    return
            await asyncio.sleep(0.3)
        raise RuntimeError(f"the centre did not connect to Asterisk within {STARTUP_S:g} s")

    async def _agent(
        self, http: httpx.AsyncClient, sem: asyncio.Semaphore, index: int, talk_s: float
    ) -> None:
        async with sem:
            agent_id, password = f"cap{index:04d}", secrets.token_urlsafe(12)
            body = {
                "name": agent_id,
                "contact": agent_contact(index, talk_s),
                "password": password,
                "skills": {"general": 1},
            }
            resp = await http.put(f"/api/agents/{agent_id}", json=body, headers=bearer(self._admin))
            resp.raise_for_status()
            token = await sign_in(http, agent_id, password)
            resp = await http.post("/api/me/status", json={"status": "available"}, headers=bearer(token))
            resp.raise_for_status()

    def parts(self) -> dict[str, list[int]]:
        """The processes measured, by part: the Asterisk nodes and the centre."""
        return {"asterisk": self.nodes.pids(), "centre": [self._proc.pid] if self._proc is not None else []}

    async def place(self, prefix: str, calls: int, cps: float, patience_s: float) -> tuple[int, float]:
        """Place a step's citizen calls at ``cps``; how many were placed and the achieved rate."""
        return await paced(self.dial, prefix, calls, cps, patience_s)

    async def dial(self, caller: str, index: int, patience_s: float) -> None:
        """Place one citizen call (pressing the one key), on node ``index`` mod N."""
        dialer = self._dialers[index % len(self._dialers)]
        call = await dialer.dial(caller=caller, patience_s=patience_s)
        self._keys.expect(call.call_id)
        self.nodes.ledger.place(caller, call.local_id)

    async def settle(self, prefix: str) -> None:
        """Read the centre's records of the calls of ``prefix`` into the ledger."""
        calls = self.nodes.ledger.of(prefix)
        async with httpx.AsyncClient(base_url=self.url, timeout=60) as http:
            records: list[dict[str, Any]] = []
            for _ in range(20):
                resp = await http.get(
                    "/api/calls",
                    params={"caller_prefix": prefix, "limit": 10000},
                    headers=bearer(self._admin),
                )
                resp.raise_for_status()
                records = resp.json()
                if sum(1 for r in records if r.get("ended_at")) >= len(calls):
                    break
                await asyncio.sleep(0.5)
        apply_records(calls, records)

    async def stop(self) -> None:
        """Stop the centre process."""
        if self._proc is None or self._proc.returncode is not None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self._proc.wait(), 20)
        except TimeoutError:
            self._proc.kill()
            await self._proc.wait()


NEEDED_EVENTS = (
    "Event: Newchannel",
    "Event: Hangup[[:space:]]",
    "Event: QueueCallerJoin",
    "Event: AgentConnect",
    "Event: QueueCallerAbandon",
    "Event: AGIExecStart.*Command: STREAM FILE",
    "Event: Newexten.*Application: Back[Gg]round",
)


async def only_needed_events(link: AmiClient) -> None:
    """Spare the load generator (one Python process) every event it does not follow: at 20 calls a
    second the full stream delays its own actions (PlayDTMF) past their timeout."""
    await link.send_action({"Action": "Events", "EventMask": "call,agent,agi,dialplan"})
    for pattern in NEEDED_EVENTS:
        await link.send_action({"Action": "Filter", "Operation": "Add", "Filter": pattern})


async def sign_in(http: httpx.AsyncClient, user_id: str, password: str) -> str:
    """A session token."""
    resp = await http.post("/api/sessions", json={"user_id": user_id, "password": password})
    resp.raise_for_status()
    token: str = resp.json()["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of ``token``."""
    return {"Authorization": f"Bearer {token}"}
