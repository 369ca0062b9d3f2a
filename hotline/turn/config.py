"""What one TURN server is: where it listens, its relay ports, realm, and which peers it may relay to.

Private and link-local ranges are denied as peers (a browser could otherwise reach the centre's internal
network through the relay) except the hosts listed as ``allowed_peers``: the Asterisk nodes' RTP addresses.
coturn denies loopback peers by itself.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from hotline.turn.errors import TurnError

__all__ = ["DEFAULT_CONF_SRC", "DENIED_PEER_RANGES", "TurnConfig"]

DEFAULT_CONF_SRC = Path(__file__).resolve().parent.parent.parent / "coturn_conf"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
REALM = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}")
DENIED_PEER_RANGES = (
    "0.0.0.0-0.255.255.255",
    "10.0.0.0-10.255.255.255",
    "100.64.0.0-100.127.255.255",
    "169.254.0.0-169.254.255.255",
    "172.16.0.0-172.31.255.255",
    "192.0.0.0-192.0.0.255",
    "192.168.0.0-192.168.255.255",
    "198.18.0.0-198.19.255.255",
    "240.0.0.0-255.255.255.255",
    "::-::ffff:ffff:ffff",
    "64:ff9b::-64:ff9b::ffff:ffff",
    "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
)


@dataclass(frozen=True, kw_only=True)
class TurnConfig:
    """One coturn instance; the values end up in ``coturn_conf/turnserver.conf`` when rendered."""

    name: str = "turn"
    listen_address: str = "127.0.0.1"
    port: int = 3478
    relay_min_port: int = 49160
    relay_max_port: int = 49359
    realm: str = "hotline.local"
    external_ip: str = ""
    allowed_peers: tuple[str, ...] = ()
    conf_src: Path = DEFAULT_CONF_SRC

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise TurnError("turn_bad_config", "invalid instance name", field="name")
        if not REALM.fullmatch(self.realm):
            raise TurnError("turn_bad_config", "invalid realm", field="realm")
        ports = (self.port, self.relay_min_port, self.relay_max_port)
        if not all(0 < p < 65536 for p in ports) or self.relay_min_port > self.relay_max_port:
            raise TurnError("turn_bad_config", "bad listening or relay ports", field="ports")
        if self.relay_min_port <= self.port <= self.relay_max_port:
            raise TurnError("turn_bad_config", "the listening port is inside the relay range", field="port")
        try:
            ipaddress.ip_address(self.listen_address)
            if self.external_ip:
                ipaddress.ip_address(self.external_ip)
            for peer in self.allowed_peers:
                for end in peer.split("-", 1):
                    ipaddress.ip_address(end)
        except ValueError as exc:
            raise TurnError("turn_bad_config", f"bad address: {exc}", field="address") from None

    @property
    def host(self) -> str:
        """The address browsers reach: the external address if set, else the listening one."""
        host = self.external_ip or self.listen_address
        return f"[{host}]" if ":" in host else host

    def urls(self) -> tuple[list[str], list[str]]:
        """The STUN and TURN URLs of this server (TURN over UDP and TCP)."""
        where = f"{self.host}:{self.port}"
        return [f"stun:{where}"], [f"turn:{where}?transport=udp", f"turn:{where}?transport=tcp"]

    def values(self, *, secret: str, state_dir: str) -> dict[str, str]:
        """Every placeholder value for the template; ``secret`` is the shared REST secret."""
        peers = [f"allowed-peer-ip={peer}" for peer in self.allowed_peers]
        peers += [f"denied-peer-ip={rng}" for rng in DENIED_PEER_RANGES]
        external = f"external-ip={self.external_ip}/{self.listen_address}" if self.external_ip else ""
        return {
            "NAME": self.name,
            "LISTEN_ADDRESS": self.listen_address,
            "PORT": str(self.port),
            "MIN_PORT": str(self.relay_min_port),
            "MAX_PORT": str(self.relay_max_port),
            "REALM": self.realm,
            "SECRET": secret,
            "STATE_DIR": state_dir,
            "EXTERNAL_IP": external,
            "PEER_RULES": "\n".join(peers),
        }
