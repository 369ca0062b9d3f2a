"""``hotline kamailio render`` for a Kamailio of our own (``HOTLINE_ASTERISK_MODE=external``, e.g. docker/).

The dispatcher list names the Asterisk nodes of ``HOTLINE_AMI_NODES`` (their ``systemname`` as duid), each
at its host's address and ``HOTLINE_SIP_PORT``; host names are resolved when rendering, since the
dispatcher takes addresses. The files go to ``<HOTLINE_ASTERISK_ETC_ROOT>/kamailio/<name>/etc``; Kamailio
itself is started by whoever runs it there (the docker image), so no ``kamailio -c`` check is made here.
"""

from __future__ import annotations

import dataclasses
import socket
import sys
from pathlib import Path

from hotline.kamailio.config import DispatchNode
from hotline.kamailio.errors import KamailioError
from hotline.kamailio.process import KamailioSandbox
from hotline.kamailio.settings import KamailioSettings, kamailio_for_nodes
from hotline.sandbox.config import SandboxConfig
from hotline.settings import Settings

__all__ = ["cmd_kamailio_external", "dispatch_nodes", "render_kamailio_external"]


def dispatch_nodes(settings: Settings) -> tuple[DispatchNode, ...]:
    """The nodes of ``HOTLINE_AMI_NODES`` as dispatcher destinations (host names resolved to addresses)."""
    try:
        nodes = settings.ami_node_list()
    except ValueError as exc:
        raise KamailioError("kamailio_bad_config", str(exc), field="ami_nodes") from None
    if not nodes:
        raise KamailioError("kamailio_bad_config", "HOTLINE_AMI_NODES names no node", field="ami_nodes")
    found = []
    for name, host, _ami_port in nodes:
        try:
            address = socket.gethostbyname(host)
        except OSError as exc:
            raise KamailioError("kamailio_bad_config", f"cannot resolve {host}: {exc}", node=name) from None
        found.append(DispatchNode(name, address, settings.sip_port))
    return tuple(found)


def render_kamailio_external(settings: Settings, base: SandboxConfig) -> Path:
    """Render the Kamailio config over ``HOTLINE_AMI_NODES``; the config file written."""
    kamailio = KamailioSettings()
    origin = f"http://{settings.http_host}:{settings.http_port}"
    config = kamailio_for_nodes(kamailio, [base], app_origin=origin)
    config = dataclasses.replace(config, nodes=dispatch_nodes(settings))
    box = KamailioSandbox(config=config, state_dir=settings.asterisk_etc_root)
    return box.render()


def cmd_kamailio_external(settings: Settings, base: SandboxConfig, action: str) -> int:
    """``hotline kamailio render`` in external mode; other actions are not ours to do."""
    if action != "render":
        print("HOTLINE_ASTERISK_MODE=external: this Kamailio is not ours to start or stop", file=sys.stderr)
        return 2
    try:
        print(render_kamailio_external(settings, base))
    except KamailioError as exc:
        print(f"hotline kamailio: {exc}", file=sys.stderr)
        return 1
    return 0
