"""What one sandbox instance is: its name, ports, credentials, agent extensions and dialplan timings."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from acd.queue_config import default_queue_configs, load_queues_file
from hotline.sandbox.dtls import DtlsFiles
from hotline.sandbox.errors import SandboxError
from hotline.sandbox.render import agent_blocks
from hotline.settings import Settings
from hotline.trunks import TrunksConfigError, TrunksSettings, load_trunks_file
from hotline.trunks_render import lines_dialplan, pjsip_trunk_blocks

__all__ = ["DEFAULT_CONF_SRC", "SandboxConfig", "instance_state_dir", "persistent_secret"]

DEFAULT_CONF_SRC = Path(__file__).resolve().parent.parent.parent / "asterisk_conf"
INSTANCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
TOKEN = re.compile(r"[A-Za-z0-9_.+/=-]+")
PERMIT = re.compile(r"[0-9A-Fa-f.:]+/[0-9A-Fa-f.:]+")


def instance_state_dir(state_dir: Path, instance: str) -> Path:
    """Where the host keeps an instance's pid file, console log and generated secret."""
    return state_dir / "asterisk" / instance


def persistent_secret(path: Path) -> str:
    """The secret stored at ``path``, generated (mode 0600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(24) + "\n")
    return path.read_text().strip()


def _checked_trunks_file(settings: Settings) -> Path | None:
    """``HOTLINE_TRUNKS_FILE``, once its lines are known to name only the centre's queues."""
    path = TrunksSettings().trunks_file
    wrapup = settings.wrapup_seconds
    try:
        queues = (
            load_queues_file(settings.queues_file, default_wrapup_s=wrapup)
            if settings.queues_file is not None
            else default_queue_configs(default_wrapup_s=wrapup)
        )
        load_trunks_file(path).check_queues({q.name for q in queues}, source=str(path or "trunks"))
    except TrunksConfigError as exc:
        raise SandboxError("conf_bad_trunks", str(exc), **exc.details) from exc
    return path


@dataclass(frozen=True, kw_only=True)
class SandboxConfig:
    """One Asterisk instance; values here end up in the rendered config."""

    instance: str
    ami_port: int
    ami_username: str
    ami_secret: str
    fastagi_host: str
    fastagi_port: int
    sip_port: int
    http_port: int = 8088
    bind_address: str = "127.0.0.1"
    ami_permit: str = "127.0.0.1/255.255.255.255"
    extensions: tuple[str, ...]
    conf_src: Path = DEFAULT_CONF_SRC
    heartbeat_stale_s: int = 15
    max_wait_s: int = 600
    hold_slice_s: int = 5
    hold_options_every: int = 6
    hold_position_every: int = 6
    ring_timeout_s: int = 20
    kamailio_host: str = "127.0.0.1"
    kamailio_sip_port: int = 5080
    kamailio_transport: str = "udp"
    phones_at_kamailio: bool = False
    """Agents' phones register at the Kamailio front, so the node dials them through it (aor contact)."""
    trunks_file: Path | None = None
    rtp_start: int = 10000
    rtp_end: int = 19999
    """The UDP ports of the node's media (RTP and RTCP: two per stream without rtcp-mux). A call from a
    trunk holds one stream, an answered call with a browser agent two: 1,000 ports carried 500 calls up
    in the capacity bench, the 501st was refused with 488."""

    def __post_init__(self) -> None:
        if not INSTANCE_NAME.fullmatch(self.instance):
            raise SandboxError("sandbox_bad_config", "invalid instance name", field="instance")
        for name in ("ami_username", "ami_secret", "fastagi_host"):
            if not TOKEN.fullmatch(getattr(self, name)):
                raise SandboxError(
                    "sandbox_bad_config", f"{name} is empty or has unsafe characters", field=name
                )
        for name in ("ami_port", "fastagi_port", "sip_port", "http_port", "kamailio_sip_port"):
            if not 0 < getattr(self, name) < 65536:
                raise SandboxError("sandbox_bad_config", f"{name} is not a port", field=name)
        for name in ("bind_address", "kamailio_host"):
            try:
                ipaddress.ip_address(getattr(self, name))
            except ValueError:
                raise SandboxError("sandbox_bad_config", f"{name} is not an IP address", field=name) from None
        if self.kamailio_transport not in ("udp", "tcp"):
            raise SandboxError(
                "sandbox_bad_config", "kamailio_transport is udp or tcp", field="kamailio_transport"
            )
        if not PERMIT.fullmatch(self.ami_permit):
            raise SandboxError("sandbox_bad_config", "ami_permit is not ADDRESS/MASK", field="ami_permit")
        self._check_rtp_ports()

    def _check_rtp_ports(self) -> None:
        if not 1024 <= self.rtp_start < self.rtp_end < 65536 or self.rtp_start % 2:
            raise SandboxError(
                "sandbox_bad_config", "the RTP ports are an even start below an end, 1024-65535", field="rtp"
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxConfig:
        """The instance the settings describe; an empty AMI secret is generated once and kept."""
        secret = settings.ami_secret.get_secret_value()
        if not secret:
            where = instance_state_dir(settings.state_dir, settings.asterisk_instance) / "ami-secret"
            secret = persistent_secret(where)
        return cls(
            instance=settings.asterisk_instance,
            ami_port=settings.ami_port,
            ami_username=settings.ami_username,
            ami_secret=secret,
            fastagi_host=settings.fastagi_host,
            fastagi_port=settings.fastagi_port,
            sip_port=settings.sip_port,
            http_port=settings.asterisk_http_port,
            bind_address=settings.asterisk_bind_address,
            ami_permit=settings.ami_permit,
            extensions=tuple(settings.extension_list()),
            ring_timeout_s=max(1, round(settings.ring_timeout_seconds)),
            trunks_file=_checked_trunks_file(settings),
            rtp_start=settings.rtp_start,
            rtp_end=settings.rtp_end,
        )

    def values(self, *, instance_dir: str, modules_dir: str, dtls: DtlsFiles | None = None) -> dict[str, str]:
        """Every placeholder value for the templates (paths as seen inside the chroot).

        ``dtls`` names the WebRTC endpoints' certificate; without it Asterisk generates one itself.
        """
        plain = {
            "INSTANCE": self.instance,
            "INSTANCE_DIR": instance_dir,
            "MODULES_DIR": modules_dir,
            "AMI_PORT": str(self.ami_port),
            "AMI_USERNAME": self.ami_username,
            "AMI_SECRET": self.ami_secret,
            "FASTAGI_HOST": self.fastagi_host,
            "FASTAGI_PORT": str(self.fastagi_port),
            "SIP_PORT": str(self.sip_port),
            "HTTP_PORT": str(self.http_port),
            "BIND_ADDRESS": self.bind_address,
            "AMI_PERMIT": self.ami_permit,
            "HEARTBEAT_STALE_SECONDS": str(self.heartbeat_stale_s),
            "MAX_WAIT_SECONDS": str(self.max_wait_s),
            "HOLD_SLICE_SECONDS": str(self.hold_slice_s),
            "RTP_START": str(self.rtp_start),
            "RTP_END": str(self.rtp_end),
            "HOLD_OPTIONS_EVERY": str(max(1, self.hold_options_every)),
            "HOLD_POSITION_EVERY": str(max(1, self.hold_position_every)),
            "RING_TIMEOUT_SECONDS": str(self.ring_timeout_s),
            "KAMAILIO_HOST": self.kamailio_host,
            "KAMAILIO_SIP_PORT": str(self.kamailio_sip_port),
            "KAMAILIO_TRANSPORT": self.kamailio_transport,
        }
        return (
            plain | agent_blocks(self.extensions, dtls=dtls, phones_at=self.phones_at()) | self.trunk_blocks()
        )

    def phones_at(self) -> str:
        """Where agents' phones register (``host:port``, escaped transport parameter), or "" for here."""
        if not self.phones_at_kamailio:
            return ""
        transport = "" if self.kamailio_transport == "udp" else f"\\;transport={self.kamailio_transport}"
        return f"{self.kamailio_host}:{self.kamailio_sip_port}{transport}"

    def trunk_blocks(self) -> dict[str, str]:
        """``PJSIP_TRUNKS`` and ``LINES_DIALPLAN`` from the trunks file (the shipped example without one)."""
        try:
            plan = load_trunks_file(self.trunks_file)
        except TrunksConfigError as exc:
            raise SandboxError("conf_bad_trunks", str(exc), **exc.details) from exc
        return {"PJSIP_TRUNKS": pjsip_trunk_blocks(plan), "LINES_DIALPLAN": lines_dialplan(plan)}
