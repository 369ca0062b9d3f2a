"""What one Kamailio front is: its ports, the Asterisk nodes it dispatches to, probing and timers."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from hotline.kamailio.errors import KamailioError
from hotline.trunks import Trunk, TrunkPlan
from hotline.trunks_render import kamailio_trunk_route

__all__ = ["DEFAULT_CONF_SRC", "DispatchNode", "KamailioConfig"]

DEFAULT_CONF_SRC = Path(__file__).resolve().parent.parent.parent / "kamailio_conf"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
REALM = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,62}")
ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")
RPC_TOKEN = re.compile(r"[A-Za-z0-9_-]{24,128}")
ALGORITHMS = {"round_robin": 4, "call_load": 10, "hash_callid": 0}
NODE_TRANSPORTS = ("udp", "tcp")


@dataclass(frozen=True)
class DispatchNode:
    """One Asterisk node as the dispatcher sees it: its name (duid) and SIP address."""

    name: str
    host: str
    sip_port: int

    @property
    def uri(self) -> str:
        """The dispatcher destination URI."""
        return f"sip:{self.host}:{self.sip_port}"


@dataclass(frozen=True, kw_only=True)
class KamailioConfig:
    """One Kamailio instance; the values end up in ``kamailio_conf/`` when rendered.

    A node leaves the dispatcher set after ``probing_threshold`` failures in a row, failed OPTIONS
    probes (every ``ping_interval_s``) and failed calls (no reply within ``reply_timeout_ms``, 500, 503)
    alike, and comes back after ``inactive_threshold`` answered probes. One failure was enough before: a
    node busy enough to let a single INVITE go unanswered for 2 s was taken out while its probes passed.

    ``trusted_net`` is where requests that are not from an Asterisk node may come from (carriers and
    phones); in the sandbox it is loopback only. A phone registers with its extension's SIP password
    (digest, realm ``sip_realm``), which the app pushes over JSON-RPC (HTTP on ``rpc_address``:``rpc_port``,
    answered only from ``rpc_allowed_net``: the app nodes, never the phones, and, when ``rpc_token`` is
    set, only to requests bearing it: ``Authorization: Bearer <rpc_token>``). ``ws_origins``
    are the web origins (the agent page's) whose browsers may open a WebSocket; a client that sends no
    Origin (not a browser) is not refused for it. ``trunks`` are the carriers: their INVITEs are
    accepted from their addresses, tagged and limited to each trunk's concurrent calls.
    ``node_transport`` is how SIP goes between Kamailio and the nodes (dispatched calls, probes, calls
    from the nodes to phones): UDP, or TCP (large WebRTC SDPs are not fragmented, a node's death is seen
    as a closed connection); the nodes must listen and send the same way (``SandboxConfig``'s
    ``kamailio_transport``).
    Citizens' sign-language video calls (guest endpoints) are accepted from any address, at most
    ``guest_invites_per_window`` INVITEs (a call takes two: the challenged one and its retry) and as many
    WebSocket handshakes per source address every ``guest_window_s`` seconds.
    """

    name: str = "kamailio"
    bind_address: str = "127.0.0.1"
    sip_port: int = 5080
    ws_port: int = 5066
    rpc_address: str = "127.0.0.1"
    rpc_port: int = 5068
    rpc_allowed_net: str = "127.0.0.1/32"
    rpc_token: str = dataclasses.field(default="", repr=False)
    sip_realm: str = "hotline"
    nodes: tuple[DispatchNode, ...]
    algorithm: str = "round_robin"
    ping_interval_s: int = 10
    probing_threshold: int = 3
    inactive_threshold: int = 1
    reply_timeout_ms: int = 2000
    trusted_net: str = "127.0.0.0/8"
    ws_origins: tuple[str, ...] = ()
    children: int = 2
    trunks: tuple[Trunk, ...] = ()
    node_transport: str = "udp"
    guest_invites_per_window: int = 20
    guest_window_s: int = 60
    conf_src: Path = DEFAULT_CONF_SRC

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise KamailioError("kamailio_bad_config", "invalid instance name", field="name")
        for field in ("sip_port", "ws_port", "rpc_port"):
            if not 0 < getattr(self, field) < 65536:
                raise KamailioError("kamailio_bad_config", f"{field} is not a port", field=field)
        if not REALM.fullmatch(self.sip_realm):
            raise KamailioError("kamailio_bad_config", "invalid SIP realm", field="sip_realm")
        if self.algorithm not in ALGORITHMS:
            raise KamailioError("kamailio_bad_config", "unknown dispatcher algorithm", field="algorithm")
        if self.node_transport not in NODE_TRANSPORTS:
            raise KamailioError("kamailio_bad_config", "node transport is udp or tcp", field="node_transport")
        if self.guest_invites_per_window < 1 or self.guest_window_s < 1:
            raise KamailioError("kamailio_bad_config", "the guest limit must be positive", field="guest")
        self._check_rpc_token()
        for origin in self.ws_origins:
            if not ORIGIN.fullmatch(origin):
                raise KamailioError("kamailio_bad_config", "bad web origin", field="ws_origins", value=origin)
        self._check_addresses()

    def _check_rpc_token(self) -> None:
        if self.rpc_token and not RPC_TOKEN.fullmatch(self.rpc_token):
            raise KamailioError(
                "kamailio_bad_config", "the RPC token is 24-128 of A-Z a-z 0-9 - _", field="rpc_token"
            )

    def rpc_token_check(self) -> str:
        """route[RPC]'s refusal of a request without the token (none set: no such check)."""
        if not self.rpc_token:
            return ""
        return (
            f'\tif ($hdr(Authorization) != "Bearer {self.rpc_token}") {{\n'
            '\t\txlog("L_WARN", "JSON-RPC from $si without the app\'s token refused\\n");\n'
            '\t\txhttp_reply("401", "Unauthorized", "", "");\n'
            "\t\texit;\n"
            "\t}\n"
        )

    def _check_addresses(self) -> None:
        if not self.nodes:
            raise KamailioError("kamailio_bad_config", "no Asterisk node to dispatch to", field="nodes")
        try:
            ipaddress.ip_address(self.bind_address)
            ipaddress.ip_address(self.rpc_address)
            ipaddress.ip_network(self.trusted_net)
            ipaddress.ip_network(self.rpc_allowed_net)
            for node in self.nodes:
                ipaddress.ip_address(node.host)
        except ValueError as exc:
            raise KamailioError("kamailio_bad_config", f"bad address: {exc}", field="address") from None
        for node in self.nodes:
            if not NAME.fullmatch(node.name) or not 0 < node.sip_port < 65536:
                raise KamailioError("kamailio_bad_config", "bad node", field="nodes", node=node.name)

    @property
    def rpc_url(self) -> str:
        """Where the app sends its JSON-RPC (the phones' passwords, removing their contacts)."""
        return f"http://{self.rpc_address}:{self.rpc_port}/RPC"

    def node_uri(self, node: DispatchNode) -> str:
        """The dispatcher destination of ``node`` over the node transport."""
        return node.uri if self.node_transport == "udp" else f"{node.uri};transport={self.node_transport}"

    def dispatcher_list(self) -> str:
        """The dispatcher.list lines: set 1 holds every node, each with its name as duid. Over TCP each
        names the listening socket as the one to send from (``socket=``), so that with ``tcp_reuse_port``
        connections to the nodes leave from the SIP port the nodes identify this front by."""
        socket = "" if self.node_transport == "udp" else f";socket=tcp:{self.bind_address}:{self.sip_port}"
        return "\n".join(f"1 {self.node_uri(node)} 0 0 duid={node.name}{socket}" for node in self.nodes)

    def origin_condition(self) -> str:
        """The config condition that accepts the WebSocket handshake's Origin header."""
        allowed = ["$hdr(Origin) == $null", *(f'$hdr(Origin) == "{origin}"' for origin in self.ws_origins)]
        return " || ".join(allowed)

    def values(self, *, run_dir: str, etc_dir: str) -> dict[str, str]:
        """Every placeholder value for the templates."""
        return {
            "NAME": self.name,
            "BIND_ADDRESS": self.bind_address,
            "SIP_PORT": str(self.sip_port),
            "WS_PORT": str(self.ws_port),
            "RPC_ADDRESS": self.rpc_address,
            "RPC_PORT": str(self.rpc_port),
            "RPC_ALLOWED_NET": self.rpc_allowed_net,
            "RPC_TOKEN_CHECK": self.rpc_token_check(),
            "SIP_REALM": self.sip_realm,
            "RUN_DIR": run_dir,
            "ETC_DIR": etc_dir,
            "DS_ALGORITHM": str(ALGORITHMS[self.algorithm]),
            "DS_PING_INTERVAL": str(max(1, self.ping_interval_s)),
            "DS_PROBING_THRESHOLD": str(max(1, self.probing_threshold)),
            "DS_INACTIVE_THRESHOLD": str(max(1, self.inactive_threshold)),
            "REPLY_TIMEOUT_MS": str(self.reply_timeout_ms),
            "TRUSTED_NET": self.trusted_net,
            "CHILDREN": str(max(1, self.children)),
            "DISPATCHER_LIST": self.dispatcher_list(),
            "NODE_TRANSPORT": self.node_transport.upper(),
            "WS_ORIGIN_ALLOWED": self.origin_condition(),
            "TRUNK_ROUTE": kamailio_trunk_route(TrunkPlan(trunks=self.trunks, lines=())),
            "GUEST_INVITES_PER_WINDOW": str(self.guest_invites_per_window),
            "GUEST_WINDOW_S": str(self.guest_window_s),
            "GUEST_KEEP_S": str(2 * self.guest_window_s),
        }
