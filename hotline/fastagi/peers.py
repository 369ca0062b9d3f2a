"""Which network peers may open FastAGI sessions: the Asterisk nodes, nobody else.

A FastAGI session can do what the dialplan does (the ``message`` route creates work orders), so the
server refuses connections from any address not in its allow list at accept, before reading a byte.
Entries are addresses, networks (``10.0.0.0/24``) or host names, which are resolved when the server
starts (every address a name resolves to is allowed). IPv4 peers seen as IPv4-mapped IPv6 addresses
match their IPv4 entries.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Iterable, Sequence

__all__ = ["LOOPBACK", "PeerFilter"]

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.0/8", "::1")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(entry: str) -> Network | None:
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None


class PeerFilter:
    """The allowed FastAGI peers."""

    def __init__(self, networks: Iterable[Network]) -> None:
        self.networks = tuple(networks)

    @classmethod
    async def resolve(cls, entries: Sequence[str]) -> PeerFilter:
        """The filter for ``entries``; a host name that does not resolve is logged and left out."""
        networks: list[Network] = []
        loop = asyncio.get_running_loop()
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            network = _network(entry)
            if network is not None:
                networks.append(network)
                continue
            try:
                infos = await loop.getaddrinfo(entry, None, type=socket.SOCK_STREAM)
            except OSError as exc:
                log.error("FastAGI: allowed peer %r does not resolve (%s); left out", entry, exc)
                continue
            networks.extend(ipaddress.ip_network(str(info[4][0])) for info in infos)
        return cls(networks)

    def allows(self, peer: object) -> bool:
        """Whether the socket peer (``peername``: a tuple whose first item is the address) may connect."""
        if not isinstance(peer, tuple) or not peer:
            return False
        try:
            address = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)
