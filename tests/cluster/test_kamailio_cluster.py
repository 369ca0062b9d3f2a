"""Kamailio in front of two sandbox Asterisk nodes, with SIPp (not written here) as carrier and phone.

The node-stopping tests restart the node they stop, so the tests may run in any order.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.cluster import SandboxCluster
from tests.cluster.calls import place_calls, wait_flags
from tests.cluster.sipp import sipp_argv, sipp_log, start_sipp
from tests.cluster.ws_phone import give_password
from tests.conftest import free_port

pytestmark = [pytest.mark.cluster, pytest.mark.asterisk]


def node_uri(cluster: SandboxCluster, index: int) -> str:
    """The dispatcher URI of the cluster's node ``index``."""
    return f"sip:127.0.0.1:{cluster.nodes[index].config.sip_port}"


def test_dispatcher_probes_both_nodes_up(kamailio: KamailioSandbox, cluster: SandboxCluster) -> None:
    for index in range(2):
        assert wait_flags(kamailio, node_uri(cluster, index), "AP") == "AP"
    assert set(kamailio.dispatcher_nodes()) == {node_uri(cluster, 0), node_uri(cluster, 1)}


def test_calls_through_kamailio_land_on_both_nodes_in_the_dialplan(
    kamailio: KamailioSandbox, cluster: SandboxCluster, tmp_path: Path
) -> None:
    for index in range(2):
        wait_flags(kamailio, node_uri(cluster, index), "AP")
    landing = place_calls(kamailio, cluster, tmp_path, calls=4)
    assert landing.returncode == 0, landing.log
    assert landing.nodes == set(cluster.names), landing.channels
    for name, channels in landing.channels.items():
        assert {c.context for c in channels} <= {"hotline-inbound", "hotline-wait"}, channels
        assert all(c.uniqueid.startswith(f"{name}-") for c in channels), channels


def test_call_to_a_name_instead_of_a_number_is_refused_at_the_front(
    kamailio: KamailioSandbox, cluster: SandboxCluster, tmp_path: Path
) -> None:
    target = f"127.0.0.1:{kamailio.config.sip_port}"
    caller = start_sipp(sipp_argv("caller.xml", target, service="fallback", timeout_s=20), tmp_path)
    assert caller.wait(timeout=30) != 0
    assert "SIP/2.0 404" in sipp_log(tmp_path)


def test_stopped_node_is_probed_down_and_new_calls_land_on_the_survivor(
    kamailio: KamailioSandbox, cluster: SandboxCluster, tmp_path: Path
) -> None:
    survivor, dead = cluster.nodes
    wait_flags(kamailio, node_uri(cluster, 1), "AP")
    dead.down()
    try:
        assert wait_flags(kamailio, node_uri(cluster, 1), "I").startswith("I")
        assert kamailio.dispatcher_nodes()[node_uri(cluster, 0)].startswith("A")
        landing = place_calls(kamailio, cluster, tmp_path, calls=4)
    finally:
        dead.up()
    assert landing.returncode == 0, landing.log
    assert landing.nodes == {survivor.config.instance}, landing.channels
    assert wait_flags(kamailio, node_uri(cluster, 1), "A").startswith("A")


def test_calls_fail_over_to_the_next_node_and_count_failures_before_the_probes_notice(
    kamailio: KamailioSandbox, cluster: SandboxCluster, tmp_path: Path
) -> None:
    survivor, dead = cluster.nodes
    threshold = kamailio.config.probing_threshold
    assert threshold > 1
    wait_flags(kamailio, node_uri(cluster, 1), "AP")
    kamailio.rpc("dispatcher.ping_active", "0")
    dead.down()
    try:
        assert kamailio.dispatcher_nodes()[node_uri(cluster, 1)].startswith("A")
        first = place_calls(kamailio, cluster, tmp_path / "first", calls=2)
        after_one_failure = kamailio.dispatcher_nodes()[node_uri(cluster, 1)]
        rest = place_calls(kamailio, cluster, tmp_path / "rest", calls=2 * threshold)
        marked = kamailio.dispatcher_nodes()[node_uri(cluster, 1)]
    finally:
        kamailio.rpc("dispatcher.ping_active", "1")
        dead.up()
    for landing in (first, rest):
        assert landing.returncode == 0, landing.log
        assert landing.nodes == {survivor.config.instance}, landing.channels
    # Round robin sends every second call to the dead node first: one failure keeps it in the set
    # (trying), the threshold's worth takes it out.
    assert not after_one_failure.startswith("I"), after_one_failure
    assert marked.startswith("I"), marked
    assert wait_flags(kamailio, node_uri(cluster, 1), "A").startswith("A")


def test_phone_registered_at_kamailio_is_reached_from_each_node(
    kamailio: KamailioSandbox, cluster: SandboxCluster, tmp_path: Path
) -> None:
    target = f"127.0.0.1:{kamailio.config.sip_port}"
    phone_port = free_port()
    phone = start_sipp(
        sipp_argv("answer.xml", target, service="2001", calls=2, limit=2, port=phone_port), tmp_path / "phone"
    )
    auth = ("2001", give_password(kamailio, "2001"))
    register = start_sipp(
        sipp_argv("register.xml", target, service="2001", keys={"contact_port": str(phone_port)}, auth=auth),
        tmp_path / "register",
    )
    try:
        assert register.wait(timeout=30) == 0, sipp_log(tmp_path / "register")
        assert f"sip:2001@127.0.0.1:{phone_port}" in kamailio.rpc("ul.lookup", "location", "s:2001")
        for box in cluster.nodes:
            box.cli(f"channel originate PJSIP/kamailio/sip:2001@{target} application Wait 1")
        assert phone.wait(timeout=30) == 0, sipp_log(tmp_path / "phone")
    finally:
        if phone.poll() is None:
            phone.kill()
            phone.wait()


def test_call_load_algorithm_counts_each_nodes_calls_up_and_down(
    kamailio: KamailioSandbox, cluster: SandboxCluster, tmp_path: Path
) -> None:
    config = dataclasses.replace(kamailio.config, name=f"{kamailio.config.name}-load", algorithm="call_load")
    loaded = KamailioSandbox(config=config, state_dir=kamailio.state.parent.parent)
    peak: dict[str, int] = {}

    def watch() -> None:
        for uri, load in loaded.dispatcher_loads().items():
            peak[uri] = max(peak.get(uri, 0), load)

    kamailio.down()
    try:
        loaded.up()
        for index in range(2):
            wait_flags(loaded, node_uri(cluster, index), "AP")
        landing = place_calls(loaded, cluster, tmp_path, calls=4, watch=watch)
        after = loaded.dispatcher_loads()
    finally:
        loaded.down()
        kamailio.up()
    assert landing.returncode == 0, landing.log
    assert landing.nodes == set(cluster.names), landing.channels
    assert set(peak) == {node_uri(cluster, 0), node_uri(cluster, 1)}
    assert all(load >= 1 for load in peak.values()), peak
    assert set(after.values()) == {0}, after


def test_rendered_config_passes_kamailio_own_check(kamailio: KamailioSandbox) -> None:
    kamailio.check()
