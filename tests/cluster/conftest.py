"""Fixtures of the cluster tests: two sandbox Asterisk nodes and a Kamailio front dispatching to them.

FastAGI points at a port nobody listens on, so inbound calls take the degraded path into the fallback
queue and stay up until the caller hangs up; no application is needed to see where calls land.
Trunks and lines come from ``trunks.yaml`` here: one carrier on 127.0.0.2 (SIPp binds there); phones and
test callers are trusted on 127.0.0.1 only, so another loopback address is neither trunk nor phone.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline.app import Centre, ensure_admin
from hotline.kamailio.config import DispatchNode, KamailioConfig
from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.cluster import SandboxCluster, node_configs
from hotline.sandbox.config import SandboxConfig
from hotline.sandbox.provision import ensure_root
from hotline.settings import Settings
from hotline.trunks import load_trunks_file
from ivr.prompts import ensure_default_prompts
from tests.conftest import REPO_ROOT, free_port
from tests.integration.calls import CallDriver
from tests.integration.conftest import ADMIN_PASSWORD, WORKING_MORNING

PING_INTERVAL_S = 1
AGENT_PAGE_ORIGIN = "http://127.0.0.1:8080"
TRUNKS_FILE = Path(__file__).resolve().parent / "trunks.yaml"


@pytest.fixture(scope="package")
def kamailio_port() -> int:
    """Kamailio's SIP port (UDP and TCP), known before the nodes render their identify section."""
    return free_port()


def build_cluster(
    state: Path, kamailio_port: int, *, instance: str, transport: str = "udp"
) -> SandboxCluster:
    """Two sandbox nodes, ``<instance>`` and ``<instance>-2``, on free ports (not started), speaking
    ``transport`` to the Kamailio front on ``kamailio_port``."""
    root = ensure_root(Settings().cache_dir)
    ensure_default_prompts(root / "usr" / "share" / "asterisk" / "sounds")
    base = SandboxConfig(
        instance=instance,
        ami_port=free_port(),
        ami_username="hotline",
        ami_secret="pytest-secret",
        fastagi_host="127.0.0.1",
        fastagi_port=free_port(),
        sip_port=free_port(),
        http_port=free_port(),
        extensions=("1001",),
        conf_src=REPO_ROOT / "asterisk_conf",
        max_wait_s=60,
        kamailio_sip_port=kamailio_port,
        kamailio_transport=transport,
        trunks_file=TRUNKS_FILE,
    )
    configs = node_configs(base, 2, port=lambda _kind, _k, _base: free_port())
    return SandboxCluster(root=root, configs=configs, state_dir=state)


def build_kamailio(
    cluster: SandboxCluster, state: Path, kamailio_port: int, *, name: str, transport: str = "udp"
) -> KamailioSandbox:
    """Kamailio dispatching to the cluster's nodes over ``transport``, probing every second (not started)."""
    config = KamailioConfig(
        name=name,
        sip_port=kamailio_port,
        ws_port=free_port(),
        rpc_port=free_port(),
        rpc_token=secrets.token_urlsafe(24),
        nodes=tuple(DispatchNode(b.config.instance, "127.0.0.1", b.config.sip_port) for b in cluster.nodes),
        ping_interval_s=PING_INTERVAL_S,
        reply_timeout_ms=1000,
        ws_origins=(AGENT_PAGE_ORIGIN,),
        trusted_net="127.0.0.1/32",
        trunks=load_trunks_file(TRUNKS_FILE).trunks,
        node_transport=transport,
    )
    return KamailioSandbox(config=config, state_dir=state)


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory, kamailio_port: int) -> Iterator[SandboxCluster]:
    """Two sandbox nodes, ``<instance>`` and ``<instance>-2``, on free ports."""
    state = tmp_path_factory.mktemp("cluster-state")
    nodes = build_cluster(state, kamailio_port, instance=f"cluster-{os.getpid()}")
    nodes.up()
    try:
        yield nodes
    finally:
        nodes.down()


@pytest.fixture(scope="package")
def kamailio(
    tmp_path_factory: pytest.TempPathFactory, cluster: SandboxCluster, kamailio_port: int
) -> Iterator[KamailioSandbox]:
    """Kamailio dispatching to both nodes, probing every second."""
    state = Path(tmp_path_factory.mktemp("kamailio-state"))
    box = build_kamailio(cluster, state, kamailio_port, name=f"pytest-{os.getpid()}")
    box.up()
    try:
        yield box
    finally:
        box.down()


def cluster_settings(cluster: SandboxCluster, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings of one centre over both nodes (FastAGI on the nodes' port), with its own SQLite
    database under ``tmp_path``; ``overrides`` are further settings."""
    base = cluster.nodes[0].config
    return Settings(
        state_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'hotline.db'}",
        http_port=free_port(),
        asterisk_mode="external",
        ami_nodes=",".join(f"{b.config.instance}=127.0.0.1:{b.config.ami_port}" for b in cluster.nodes),
        ami_username=base.ami_username,
        ami_secret=base.ami_secret,
        fastagi_port=base.fastagi_port,
        wrapup_seconds=1.0,
        ring_timeout_seconds=6.0,
        ivr_digit_timeout_seconds=2.0,
        admin_password=ADMIN_PASSWORD,
        **overrides,
    )


@pytest.fixture
def centre_settings(cluster: SandboxCluster, tmp_path: Path) -> Settings:
    """The centre's settings: a node is dead after 3 s without AMI."""
    return cluster_settings(cluster, tmp_path, node_failure_seconds=3.0)


@pytest.fixture
async def centre(centre_settings: Settings) -> AsyncIterator[Centre]:
    """One centre over both nodes, with ``centre_settings``."""
    secret = centre_settings.ami_secret.get_secret_value()
    c = Centre(settings=centre_settings, ami_secret=secret, clock=lambda: WORKING_MORNING)
    ensure_admin(c.sessions, centre_settings)
    await c.start()
    try:
        yield c
    finally:
        await c.stop()


@pytest.fixture
async def drivers(cluster: SandboxCluster) -> AsyncIterator[list[CallDriver]]:
    """One call driver per node."""
    out = [CallDriver(box.config) for box in cluster.nodes]
    for d in out:
        await d.start()
    yield out
    for d in out:
        await d.close()
