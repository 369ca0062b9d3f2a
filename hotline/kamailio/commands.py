"""``hotline asterisk ... --nodes N`` and ``hotline kamailio up|down|status|render``."""

from __future__ import annotations

import dataclasses
import json

from hotline.kamailio.errors import KamailioError
from hotline.kamailio.process import KamailioSandbox
from hotline.kamailio.settings import KamailioSettings, kamailio_for_nodes
from hotline.sandbox.cluster import SandboxCluster, node_configs
from hotline.sandbox.config import SandboxConfig
from hotline.settings import Settings

__all__ = ["cluster_node_configs", "cmd_asterisk_nodes", "cmd_kamailio"]


def cluster_node_configs(base: SandboxConfig, nodes: int, kamailio: KamailioSettings) -> list[SandboxConfig]:
    """The sandbox nodes of ``--nodes N``, each identifying the configured Kamailio."""
    base = dataclasses.replace(
        base,
        kamailio_host=kamailio.bind_address,
        kamailio_sip_port=kamailio.sip_port,
        kamailio_transport=kamailio.node_transport,
    )
    return node_configs(base, nodes)


def cmd_asterisk_nodes(settings: Settings, base: SandboxConfig, action: str, nodes: int) -> int:
    """``hotline asterisk up|down|status|render --nodes N``: N sandbox nodes from the one root."""
    from hotline.sandbox.provision import ensure_root
    from ivr.prompts import ensure_default_prompts

    root = ensure_root(settings.cache_dir)
    configs = cluster_node_configs(base, nodes, KamailioSettings())
    cluster = SandboxCluster(root=root, configs=configs, state_dir=settings.state_dir)
    if action == "up":
        ensure_default_prompts(cluster.nodes[0].sounds_dir)
        cluster.up()
    elif action == "down":
        cluster.down()
    elif action == "render":
        for box in cluster.nodes:
            print(box.render())
        return 0
    print(json.dumps(cluster.status(), default=str))
    return 0


def cmd_kamailio(settings: Settings, base: SandboxConfig, action: str, nodes: int) -> int:
    """``hotline kamailio up|down|status|render --nodes N``: the SIP front over N nodes."""
    kamailio = KamailioSettings()
    origin = f"http://{settings.http_host}:{settings.http_port}"
    config = kamailio_for_nodes(kamailio, cluster_node_configs(base, nodes, kamailio), app_origin=origin)
    box = KamailioSandbox(config=config, state_dir=settings.state_dir)
    try:
        if action == "up":
            box.up()
        elif action == "down":
            box.down()
        elif action == "render":
            box.check()
            print(box.conf_file)
            return 0
    except KamailioError as exc:
        print(json.dumps({"error": exc.error_id, "message": str(exc), **exc.details}, default=str))
        return 1
    print(json.dumps(box.status(), default=str))
    return 0
