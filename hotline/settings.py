"""Typed settings for every hotline process, read from ``HOTLINE_*`` environment variables.

The defaults are the embedded centre: SQLite under the state directory, the in-process ACD store
and the local Asterisk sandbox. Point ``HOTLINE_DATABASE_URL``, ``HOTLINE_REDIS_URL`` and the
``HOTLINE_AMI_*`` / ``HOTLINE_ASTERISK_MODE=external`` settings elsewhere to scale out.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_state_dir() -> Path:
    """Where the embedded centre keeps its database, recordings and logs."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "hotline"


def default_cache_dir() -> Path:
    """Where the Asterisk sandbox root (a debootstrap chroot) is cached, outside any checkout."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hotline"


class Settings(BaseSettings):
    """Everything a hotline process needs to know about its surroundings."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    state_dir: Path = Field(default_factory=default_state_dir)
    cache_dir: Path = Field(default_factory=default_cache_dir)
    database_url: str = ""
    redis_url: str = ""
    redis_prefix: str = "hotline:acd"
    relay_secret: SecretStr = SecretStr("")

    http_host: str = "127.0.0.1"
    http_port: int = 8080
    forwarded_allow_ips: str = "127.0.0.1"
    """Proxies whose X-Forwarded-For/-Proto the app trusts (a TLS reverse proxy, docker/tls/nginx.conf)."""
    http_header_timeout_s: float = Field(default=10.0, gt=0)
    """Seconds an HTTP connection may take to send a request's line and headers (from connecting, or
    from a kept-alive request's first byte); then it is closed (hotline/http_deadline.py)."""

    asterisk_mode: Literal["sandbox", "external"] = "sandbox"
    asterisk_instance: str = "default"
    asterisk_conf_src: Path | None = None
    asterisk_etc_root: Path = Path("/etc/hotline")
    asterisk_modules_dir: str = "/usr/lib/x86_64-linux-gnu/asterisk/modules"
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_username: str = "hotline"
    ami_secret: SecretStr = SecretStr("")
    ami_nodes: str = ""
    """Several Asterisk nodes, ``name=host:port`` comma-separated (one AMI link each, same user and
    secret; name them as their ``systemname``); empty: the one node at ``ami_host``:``ami_port``."""
    ami_only_handled_events: bool = True
    """Ask each Asterisk node for only the events the centre handles (AMI name filters); off: the whole
    stream, as a debugging aid."""
    node_failure_seconds: float = 30.0
    """How long a node's AMI link may stay down before its calls are settled as ``node_failure``."""
    node_failure_callbacks: bool = False
    """Whether waiting callers of a failed node whose number can be dialled get a callback entry."""
    admin_password: SecretStr = SecretStr("")
    fastagi_host: str = "127.0.0.1"
    fastagi_port: int = 4573
    fastagi_allowed_peers: str = ""
    sip_port: int = 5060
    agent_extensions: str = "1001-1020"
    asterisk_bind_address: str = "127.0.0.1"
    asterisk_http_port: int = 8088
    rtp_start: int = 10000
    rtp_end: int = 19999
    """The Asterisk node's media ports (rtp.conf): about half as many calls up as ports."""
    ami_permit: str = "127.0.0.1/255.255.255.255"
    sip_ws_url: str = ""
    sip_owner_check_seconds: float = 10.0
    kamailio_rpc_urls: str = ""
    """Where agents' phones register at Kamailio fronts: their JSON-RPC URLs, comma-separated
    (``http://<rpc_address>:<rpc_port>/RPC``); the app keeps the phones' passwords there
    (hotline.kamailio.phone_passwords). Empty: phones register at Asterisk only."""
    kamailio_rpc_token: SecretStr = SecretStr("")
    """The bearer token of the fronts' JSON-RPC (the same ``HOTLINE_KAMAILIO_RPC_TOKEN`` they are given)."""
    stun_urls: str = ""
    """STUN URLs for browser phones, comma-separated (added to the TURN server's own)."""
    turn_urls: str = ""
    """An external TURN server's URLs, comma-separated (``turn:host:3478?transport=udp,...``); empty: the
    sandbox coturn of ``hotline turn up``, if set up."""
    turn_secret: SecretStr = SecretStr("")
    """The external TURN server's ``static-auth-secret`` (REST credentials)."""
    turn_credential_ttl_seconds: int = 12 * 3600
    """How long the TURN credential handed out with the browser phone stays valid."""

    wrapup_seconds: float = 15.0
    queues_file: Path | None = None
    external_dial: str = "Local/{number}*600*0.5@hotline-sim-agent"
    transferred_priority: int = 5
    ring_timeout_seconds: float = 20.0
    chat_limit: int = 3
    """How many chats an agent handles at once (an agent on any chat is offered no call; acd.chats)."""
    chat_offer_timeout_seconds: float = 30.0
    """How long a chat offer waits for the agent's accept before it goes to someone else."""
    sign_video_wait_seconds: float = Field(default=180.0, gt=0)
    """How long a sign-language video call waits for a signing agent before the citizen's page offers text
    chat or a callback instead (hotline.guest_service)."""
    guest_credential_seconds: float = Field(default=300.0, gt=0, le=3600)
    """How long a guest credential of the sign-language page is valid before its call starts."""
    ivr_digit_timeout_seconds: float = 5.0
    deadline_check_minutes: float = 10.0
    """How often the deadline checker (tickets.checker) runs its pass; 0 turns it off."""
    vosk_model_path: str = ""
    """A Kaldi model directory for vosk speech menus (e.g. the official vosk-model-cn-0.22, unpacked)."""
    speech_engine: str = ""
    """Speech menus: ``whisper`` (Whisper base from PyPI), ``vosk`` (``vosk_model_path``) or ``off``;
    empty: vosk when a vosk model directory is set, else whisper (ivr.speech_engines)."""
    transcribe_workers: int = -1
    """Threads transcribing recordings on this node, one core each; -1: one per core, 0: none (queue only)."""
    transcribe_sweep_seconds: float = 60.0
    """How often saved recordings without a transcript are looked for and queued (recordings.jobs)."""
    cel_file: Path | None = None
    """Asterisk's channel event log (JSON lines, asterisk_conf/cel_custom.conf), read to record calls
    handled while no app process ran; in sandbox mode it defaults to the instance's own log."""

    recordings_dir: Path | None = None
    """The recordings root (``HOTLINE_RECORDINGS_DIR``); empty: ``recordings`` in the state directory.
    The recordings table holds paths relative to it."""
    recordings_spools: str = ""
    """Where this app reads each Asterisk node's monitor spool (MixMonitor writes there, the app moves
    finished files into the root): ``node=/path`` comma-separated, or one path for every node (a shared
    mount); empty: the sandbox instance's own spool in sandbox mode."""
    recording_notice: bool = True
    """Whether callers hear the recording notice (prompt ``recording_notice``) before a person answers."""

    revisit_dialing: bool = True
    """Whether this node calls citizens back for revisits (回访) by itself (tickets.revisit_dialer)."""
    revisit_max_attempts: int = 3
    revisit_retry_minutes: float = 120.0
    revisit_calling_hours: str = "09:00-20:00"
    """Local hours (Asia/Shanghai) in which citizens are called for revisits, any day of the week."""
    revisit_concurrency: int = 2
    """Revisit calls under way at once over all app nodes."""

    def resolved_database_url(self) -> str:
        """The configured database URL, or SQLite in the state directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.state_dir / 'hotline.db'}"

    def fastagi_peers(self) -> list[str]:
        """Who may open FastAGI sessions: loopback, the Asterisk host (``ami_host``) and the
        comma-separated addresses, networks or host names of ``HOTLINE_FASTAGI_ALLOWED_PEERS``."""
        extra = [part.strip() for part in self.fastagi_allowed_peers.split(",") if part.strip()]
        nodes = [host for _, host, _ in self.ami_node_list()]
        return ["127.0.0.0/8", "::1", self.ami_host, *nodes, *extra]

    def ami_node_list(self) -> list[tuple[str, str, int]]:
        """``HOTLINE_AMI_NODES`` as (name, host, port); ValueError naming the part that is wrong."""
        nodes: list[tuple[str, str, int]] = []
        for part in (p.strip() for p in self.ami_nodes.split(",")):
            if not part:
                continue
            name, _, address = part.partition("=")
            host, _, port = address.rpartition(":")
            if not name.strip() or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"HOTLINE_AMI_NODES: {part!r} is not name=host:port")
            nodes.append((name.strip(), host, int(port)))
        if len({name for name, _, _ in nodes}) != len(nodes):
            raise ValueError("HOTLINE_AMI_NODES: node names must differ")
        return nodes

    def extension_list(self) -> list[str]:
        """Agent extensions from a spec such as ``1001-1020,2001``."""
        out: list[str] = []
        for part in self.agent_extensions.split(","):
            part = part.strip()
            if not part:
                continue
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                out.extend(str(n) for n in range(lo, hi + 1))
            else:
                out.append(part)
        return out
