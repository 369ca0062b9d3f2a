"""Where the sandbox Kamailio listens and how it probes the nodes (``HOTLINE_KAMAILIO_*`` variables)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline.kamailio.config import DEFAULT_CONF_SRC, DispatchNode, KamailioConfig
from hotline.kamailio.errors import KamailioError
from hotline.sandbox.config import SandboxConfig
from hotline.trunks import TrunksConfigError, TrunksSettings, trunk_plan

__all__ = ["KamailioSettings", "kamailio_for_nodes"]


class KamailioSettings(BaseSettings):
    """The Kamailio front of the sandbox; the probe interval is short so that a dead node drops quickly."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_KAMAILIO_", extra="ignore")

    name: str = "kamailio"
    bind_address: str = "127.0.0.1"
    sip_port: int = 5080
    ws_port: int = 5066
    rpc_address: str = "127.0.0.1"
    rpc_port: int = 5068
    rpc_allowed_net: str = "127.0.0.1/32"
    """Who may send JSON-RPC (the app nodes pushing the phones' passwords; never the phones' network)."""
    rpc_token: SecretStr = SecretStr("")
    """The bearer token JSON-RPC requests must carry (the app nodes have it as ``HOTLINE_KAMAILIO_RPC_TOKEN``
    too); empty: the source address alone decides (the sandbox's loopback)."""
    sip_realm: str = "hotline"
    algorithm: Literal["round_robin", "call_load", "hash_callid"] = "round_robin"
    ping_interval_s: int = 2
    reply_timeout_ms: int = 2000
    trusted_net: str = "127.0.0.0/8"
    ws_origins: str = ""
    node_transport: Literal["udp", "tcp"] = "udp"
    """SIP between Kamailio and the Asterisk nodes; the nodes' Kamailio endpoint uses the same."""
    guest_invites_per_window: int = 20
    """Sign-language guests' INVITEs (and WebSocket handshakes) per source address and window."""
    guest_window_s: int = 60
    conf_src: Path | None = None
    """The Kamailio templates (``kamailio_conf/``); set where the package is installed without them."""


def kamailio_for_nodes(
    settings: KamailioSettings, nodes: Sequence[SandboxConfig], *, app_origin: str
) -> KamailioConfig:
    """The Kamailio config dispatching to ``nodes`` (each node's SIP transport, its name as duid);
    browsers may open a WebSocket from ``HOTLINE_KAMAILIO_WS_ORIGINS`` (comma-separated), by default
    from ``app_origin`` (the agent page). Carrier trunks come from ``HOTLINE_TRUNKS_FILE`` (or the
    shipped example)."""
    origins = tuple(o.strip() for o in settings.ws_origins.split(",") if o.strip()) or (app_origin,)
    try:
        trunks = trunk_plan(TrunksSettings()).trunks
    except TrunksConfigError as exc:
        raise KamailioError("kamailio_bad_trunks", str(exc), **exc.details) from exc
    return KamailioConfig(
        name=settings.name,
        bind_address=settings.bind_address,
        sip_port=settings.sip_port,
        ws_port=settings.ws_port,
        rpc_address=settings.rpc_address,
        rpc_port=settings.rpc_port,
        rpc_allowed_net=settings.rpc_allowed_net,
        rpc_token=settings.rpc_token.get_secret_value(),
        sip_realm=settings.sip_realm,
        nodes=tuple(DispatchNode(c.instance, c.bind_address, c.sip_port) for c in nodes),
        algorithm=settings.algorithm,
        ping_interval_s=settings.ping_interval_s,
        reply_timeout_ms=settings.reply_timeout_ms,
        trusted_net=settings.trusted_net,
        ws_origins=origins,
        trunks=trunks,
        node_transport=settings.node_transport,
        guest_invites_per_window=settings.guest_invites_per_window,
        guest_window_s=settings.guest_window_s,
        conf_src=settings.conf_src or DEFAULT_CONF_SRC,
    )
