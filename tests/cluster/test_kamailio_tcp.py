"""Kamailio and the two nodes speaking SIP over TCP (``HOTLINE_KAMAILIO_NODE_TRANSPORT=tcp``): probes,
carrier calls dispatched to both nodes and hung up through the front, and a node reaching a phone
registered at Kamailio. SIPp (not written here) stays on UDP towards Kamailio, as carriers and phones
may; only the leg between Kamailio and the nodes changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.cluster import SandboxCluster
from tests.cluster.calls import place_calls, wait_flags
from tests.cluster.conftest import build_cluster, build_kamailio
from tests.cluster.sipp import sipp_argv, sipp_log, start_sipp
from tests.cluster.ws_phone import give_password
from tests.conftest import free_port

pytestmark = [pytest.mark.cluster, pytest.mark.asterisk]


@pytest.fixture(scope="module")
def tcp_port() -> int:
    """The TCP front's SIP port."""
    return free_port()


@pytest.fixture(scope="module")
def tcp_cluster(tmp_path_factory: pytest.TempPathFactory, tcp_port: int) -> Iterator[SandboxCluster]:
    """Two nodes whose Kamailio endpoint speaks TCP."""
    state = tmp_path_factory.mktemp("tcp-cluster-state")
    nodes = build_cluster(state, tcp_port, instance=f"tcp-{os.getpid()}", transport="tcp")
    nodes.up()
    try:
        yield nodes
    finally:
        nodes.down()


@pytest.fixture(scope="module")
def tcp_kamailio(
    tmp_path_factory: pytest.TempPathFactory, tcp_cluster: SandboxCluster, tcp_port: int
) -> Iterator[KamailioSandbox]:
    """Kamailio dispatching to both nodes over TCP."""
    state = Path(tmp_path_factory.mktemp("tcp-kamailio-state"))
    box = build_kamailio(tcp_cluster, state, tcp_port, name=f"tcp-{os.getpid()}", transport="tcp")
    box.up()
    try:
        yield box
    finally:
        box.down()


def tcp_uri(cluster: SandboxCluster, index: int) -> str:
    """The dispatcher destination of node ``index`` over TCP."""
    return f"sip:127.0.0.1:{cluster.nodes[index].config.sip_port};transport=tcp"


def tcp_peers(kamailio: KamailioSandbox) -> str:
    """Kamailio's list of TCP connections (``core.tcp_list``)."""
    return kamailio.rpc("core.tcp_list")


def local_ports_towards(kamailio: KamailioSandbox, cluster: SandboxCluster) -> set[int]:
    """Kamailio's own ports on its TCP connections with the nodes (``src`` is the peer there)."""
    node_ports = {box.config.sip_port for box in cluster.nodes}
    found: set[int] = set()
    for block in tcp_peers(kamailio).split("}"):
        fields = dict(
            (key.strip(), value.strip())
            for key, _, value in (line.partition(":") for line in block.splitlines())
            if value
        )
        if fields.get("src_port", "").isdigit() and int(fields["src_port"]) in node_ports:
            found.add(int(fields["dst_port"]))
    return found


def test_nodes_are_probed_over_tcp_and_udp_is_not_used(
    tcp_kamailio: KamailioSandbox, tcp_cluster: SandboxCluster
) -> None:
    assert set(tcp_kamailio.dispatcher_nodes()) == {tcp_uri(tcp_cluster, 0), tcp_uri(tcp_cluster, 1)}
    for index in range(2):
        assert wait_flags(tcp_kamailio, tcp_uri(tcp_cluster, index), "AP") == "AP"
    assert local_ports_towards(tcp_kamailio, tcp_cluster) == {tcp_kamailio.config.sip_port}, tcp_peers(
        tcp_kamailio
    )
    tcp_kamailio.check()


def test_calls_land_on_both_nodes_and_end_through_the_front_over_tcp(
    tcp_kamailio: KamailioSandbox, tcp_cluster: SandboxCluster, tmp_path: Path
) -> None:
    for index in range(2):
        wait_flags(tcp_kamailio, tcp_uri(tcp_cluster, index), "AP")
    landing = place_calls(tcp_kamailio, tcp_cluster, tmp_path, calls=4)
    assert landing.returncode == 0, landing.log
    assert landing.nodes == set(tcp_cluster.names), landing.channels
    for name, channels in landing.channels.items():
        assert {c.context for c in channels} <= {"hotline-inbound", "hotline-wait"}, channels
        assert all(c.uniqueid.startswith(f"{name}-") for c in channels), channels


def test_phone_registered_at_kamailio_is_reached_from_each_node_over_tcp(
    tcp_kamailio: KamailioSandbox, tcp_cluster: SandboxCluster, tmp_path: Path
) -> None:
    target = f"127.0.0.1:{tcp_kamailio.config.sip_port}"
    phone_port = free_port()
    phone = start_sipp(
        sipp_argv("answer.xml", target, service="2101", calls=2, limit=2, port=phone_port), tmp_path / "phone"
    )
    auth = ("2101", give_password(tcp_kamailio, "2101"))
    register = start_sipp(
        sipp_argv("register.xml", target, service="2101", keys={"contact_port": str(phone_port)}, auth=auth),
        tmp_path / "register",
    )
    try:
        assert register.wait(timeout=30) == 0, sipp_log(tmp_path / "register")
        for box in tcp_cluster.nodes:
            box.cli("channel originate PJSIP/2101@kamailio application Wait 1")
        assert phone.wait(timeout=30) == 0, sipp_log(tmp_path / "phone")
        # The nodes called on the connections Kamailio opened from its SIP port (how it knows them).
        assert local_ports_towards(tcp_kamailio, tcp_cluster) == {tcp_kamailio.config.sip_port}
    finally:
        if phone.poll() is None:
            phone.kill()
            phone.wait()
