"""FastAGI sessions only from the Asterisk nodes: other peers are refused at accept, over real sockets.

The client socket binds a second loopback address (127.0.0.2) to play a host that is not an Asterisk node.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import pytest

from hotline.fastagi.peers import PeerFilter
from hotline.fastagi.server import AgiSession, FastAgiServer
from hotline.settings import Settings

pytestmark = pytest.mark.timeout(15)

HEADER = (
    "agi_network: yes\nagi_network_script: message\nagi_request: agi://127.0.0.1/message\n"
    "agi_channel: PJSIP/trunk-00000001\nagi_uniqueid: 1763000000.7\nagi_callerid: 13800138000\n\n"
)


class Served:
    """Channels whose sessions reached the route handler."""

    def __init__(self) -> None:
        self.channels: list[str] = []

    async def __call__(self, session: AgiSession) -> None:
        self.channels.append(session.channel)


@pytest.fixture
async def served() -> AsyncIterator[tuple[FastAgiServer, Served]]:
    handler = Served()
    server = FastAgiServer(host="127.0.0.1", port=0, allowed_peers=("127.0.0.1", "::1"))
    server.add_route("message", handler)
    await server.start()
    try:
        yield server, handler
    finally:
        await server.close()


async def session_from(source: str, port: int) -> bytes:
    """Open a FastAGI session from ``source``, send the header; what the server sends until it closes."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    try:
        writer.write(HEADER.encode())
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 5.0)
    except ConnectionResetError:
        return b""
    finally:
        writer.close()


async def test_given_a_peer_outside_the_allow_list_when_it_connects_then_refused_and_logged(
    served: tuple[FastAgiServer, Served], caplog: pytest.LogCaptureFixture
) -> None:
    server, handler = served
    with caplog.at_level(logging.WARNING, logger="hotline.fastagi.server"):
        assert await session_from("127.0.0.2", server.port) == b""
    assert handler.channels == []
    assert any("127.0.0.2" in r.getMessage() and "refused" in r.getMessage() for r in caplog.records)


async def test_given_an_allowed_peer_when_it_connects_then_served(
    served: tuple[FastAgiServer, Served],
) -> None:
    server, handler = served
    await session_from("127.0.0.1", server.port)
    assert handler.channels == ["PJSIP/trunk-00000001"]


async def test_allow_list_takes_networks_names_and_mapped_addresses() -> None:
    peers = await PeerFilter.resolve(["10.1.0.0/16", "localhost", "", "no-such-host.invalid"])
    assert peers.allows(("10.1.2.3", 4573))
    assert peers.allows(("127.0.0.1", 1))
    assert peers.allows(("::ffff:10.1.9.9", 1, 0, 0))
    assert not peers.allows(("10.2.0.1", 1))
    assert not peers.allows(None)
    assert not peers.allows(("not-an-address", 1))


def test_default_peers_are_loopback_and_the_asterisk_host() -> None:
    settings = Settings(ami_host="asterisk", fastagi_allowed_peers="10.0.0.5, 10.9.0.0/16")
    assert settings.fastagi_peers() == ["127.0.0.0/8", "::1", "asterisk", "10.0.0.5", "10.9.0.0/16"]
