"""The sign-language guest's cluster layout: two Asterisk nodes whose agents' phones register at Kamailio,
Kamailio (its websocket open to the citizen page's origin, a small guest limit), and a centre over both
nodes that hands out Kamailio's websocket as the browser phones' address. Also a SIP client speaking over
Kamailio's websocket from a chosen loopback address (127.0.0.1 is the trusted network here, any other
loopback address is "the internet").
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import websockets
from pydantic import SecretStr

from hotline.app import Centre, ensure_admin
from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.cluster import SandboxCluster
from hotline.settings import Settings
from tests.cluster.conftest import build_cluster, build_kamailio, cluster_settings
from tests.cluster.ws_phone import SIP_SUBPROTOCOL, first_line
from tests.conftest import free_port
from tests.integration.conftest import WORKING_MORNING
from tests.integration.sip_register import digest

GUEST_INVITES_PER_WINDOW = 8
SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


@pytest.fixture(scope="module")
def page_port() -> int:
    """The centre's HTTP port, known before Kamailio is told which web origin may open a websocket."""
    return free_port()


@pytest.fixture(scope="module")
def guest_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SandboxCluster, int]]:
    """Two nodes dialling agents' phones through Kamailio (aor contact at Kamailio); Kamailio's SIP port."""
    port = free_port()
    state = tmp_path_factory.mktemp("guest-cluster")
    built = build_cluster(state, port, instance=f"guest-{os.getpid()}")
    configs = [dataclasses.replace(b.config, phones_at_kamailio=True) for b in built.nodes]
    nodes = SandboxCluster(root=built.nodes[0].root, configs=configs, state_dir=state)
    nodes.up()
    try:
        yield nodes, port
    finally:
        nodes.down()


@pytest.fixture(scope="module")
def guest_kamailio(
    tmp_path_factory: pytest.TempPathFactory, guest_cluster: tuple[SandboxCluster, int], page_port: int
) -> Iterator[KamailioSandbox]:
    """Kamailio in front of both nodes; browsers of the centre's pages may open its websocket."""
    nodes, port = guest_cluster
    state = Path(tmp_path_factory.mktemp("guest-kamailio"))
    config = dataclasses.replace(
        build_kamailio(nodes, state, port, name=f"guest-{os.getpid()}").config,
        ws_origins=(f"http://127.0.0.1:{page_port}",),
        guest_invites_per_window=GUEST_INVITES_PER_WINDOW,
    )
    config = dataclasses.replace(config, rpc_port=free_port())  # the phones' passwords come over it
    box = KamailioSandbox(config=config, state_dir=state)
    box.up()
    try:
        yield box
    finally:
        box.down()


def ws_url(kamailio: KamailioSandbox) -> str:
    """Kamailio's websocket, as the centre hands it out."""
    return f"ws://{kamailio.config.bind_address}:{kamailio.config.ws_port}"


@pytest.fixture
async def guest_centre(
    guest_cluster: tuple[SandboxCluster, int], guest_kamailio: KamailioSandbox, page_port: int, tmp_path: Path
) -> AsyncIterator[Centre]:
    """A centre over both nodes whose browser phones (agents' and guests') use Kamailio's websocket."""
    nodes, _ = guest_cluster
    settings: Settings = cluster_settings(
        nodes, tmp_path, sip_ws_url=ws_url(guest_kamailio), agent_extensions="1001"
    ).model_copy(
        update={
            "http_port": page_port,
            "wrapup_seconds": 3.0,
            "ring_timeout_seconds": 15.0,
            # Kamailio checks REGISTERs against the agents' phone passwords the centre pushes to it
            "kamailio_rpc_urls": guest_kamailio.config.rpc_url,
            "kamailio_rpc_token": SecretStr(guest_kamailio.config.rpc_token),
        }
    )
    c = Centre(
        settings=settings, ami_secret=settings.ami_secret.get_secret_value(), clock=lambda: WORKING_MORNING
    )
    ensure_admin(c.sessions, settings)
    await c.start()
    try:
        yield c
    finally:
        await c.stop()


class WsSip:
    """One SIP over websocket connection to Kamailio from ``source`` (a loopback address)."""

    def __init__(self, url: str, source: str) -> None:
        self.url, self.source, self.host = url, source, url.split("//", 1)[1].split(":")[0]
        self.alias = f"{secrets.token_hex(6)}.invalid"
        self._socket: websockets.ClientConnection | None = None
        self.call: tuple[str, str, int, str] | None = None
        """The answered call: user, Call-ID, the INVITE's CSeq number, the 200 OK."""

    async def __aenter__(self) -> WsSip:
        self._socket = await websockets.connect(
            self.url,
            subprotocols=[SIP_SUBPROTOCOL],  # type: ignore[list-item]
            local_addr=(self.source, 0),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._socket is not None:
            await self._socket.close()

    async def _final(self) -> str:
        assert self._socket is not None
        while True:
            text = str(await asyncio.wait_for(self._socket.recv(), 10))
            line = first_line(text)
            if line.startswith("SIP/2.0 ") and int(line.split(" ")[1]) >= 200:
                return text

    def _request(
        self, method: str, user: str, target: str, cseq: int, call_id: str, auth: str = "", dialog: str = ""
    ) -> str:
        uri = f"sip:{target}@{self.host}" if target else f"sip:{self.host}"
        to = f"<sip:{user}@{self.host}>" if method == "REGISTER" else f"<{uri}>"
        body = SDP if method == "INVITE" else ""
        routes: list[str] = []
        if dialog:  # within the dialog of this 2xx: its contact, its record-route reversed, its To tag
            uri = _header(dialog, "contact")[0].split("<", 1)[1].split(">", 1)[0]
            routes = [f"Route: {r}" for r in reversed(_header(dialog, "record-route"))]
            to = _header(dialog, "to")[0]
        lines = [
            f"{method} {uri} SIP/2.0",
            f"Via: SIP/2.0/WS {self.alias};branch=z9hG4bK{secrets.token_hex(8)}",
            *routes,
            "Max-Forwards: 70",
            f"From: <sip:{user}@{self.host}>;tag={call_id[:8]}",
            f"To: {to}",
            f"Call-ID: {call_id}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:{user}@{self.alias};transport=ws>",
        ]
        if auth:
            lines.append(f"Authorization: {auth}")
        if body:
            lines.append("Content-Type: application/sdp")
        return "\r\n".join([*lines, f"Content-Length: {len(body)}", "", body])

    async def status(self, method: str, user: str, target: str = "", password: str = "") -> list[int]:
        """The final statuses of ``method`` from ``user`` to ``target``: the first, and when it was a
        challenge and ``password`` is given, the retry's (same Call-ID). An answered INVITE is
        acknowledged and stays up until :meth:`hang_up`."""
        assert self._socket is not None
        call_id, statuses = secrets.token_hex(12), []
        auth = ""
        for cseq in (1, 2):
            await self._socket.send(self._request(method, user, target, cseq, call_id, auth))
            reply = await self._final()
            statuses.append(int(first_line(reply).split(" ")[1]))
            if statuses[-1] == 200 and method == "INVITE":
                self.call = (user, call_id, cseq, reply)
                await self._socket.send(self._request("ACK", user, target, cseq, call_id, dialog=reply))
            if statuses[-1] != 401 or not password or auth:
                return statuses
            auth = digest(reply, method=method, uri=f"sip:{target}@{self.host}", user=user, password=password)
        return statuses

    async def hang_up(self) -> int:
        """End the answered call (BYE through Kamailio's record-route); the BYE's final status."""
        assert self._socket is not None
        assert self.call is not None
        user, call_id, cseq, answer = self.call
        self.call = None
        await self._socket.send(self._request("BYE", user, "", cseq + 1, call_id, dialog=answer))
        return int(first_line(await self._final()).split(" ")[1])


def _header(message: str, name: str) -> list[str]:
    """The values of header ``name`` in ``message`` (one per line; comma-separated ones split)."""
    head = message.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
    values = [line.split(":", 1)[1].strip() for line in head if line.split(":", 1)[0].strip().lower() == name]
    return [v.strip() for value in values for v in value.split(",")] if name == "record-route" else values
