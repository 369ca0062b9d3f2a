"""Calls from a carrier trunk, placed by SIPp (not written here) from the carrier's address over SIP and
RTP through Kamailio to the two nodes: keys pressed as RFC 4733 events reach the IVR menu, an old
hotline number lands on its line's queue and the agent's screen-pop names the line, a trunk's calls
beyond its limit and calls from an address that is no trunk are refused.

The centre and its nodes are the package's (``trunks.yaml`` here: carrier_a on 127.0.0.2, two calls).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.app import Centre
from hotline.db import repository as repo
from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.cluster import SandboxCluster
from tests.cluster.dtmf_pcap import write_dtmf_pcap
from tests.cluster.sipp import sipp_argv, sipp_log, start_sipp
from tests.integration.calls import eventually
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient, frame_of

pytestmark = [pytest.mark.cluster, pytest.mark.asterisk, pytest.mark.timeout(300)]


CARRIER = "127.0.0.2"
TRUNK_CHANNEL = "PJSIP/trunk-carrier_a-"
AGENT_PHONE = "Local/7102*2*0.5@hotline-sim-agent"


def _dialed(centre: Centre, call_id: str) -> tuple[str, str | None] | None:
    """The call record's dialled number and queue."""
    row = repo.get_call(centre.sessions, call_id=call_id)
    return None if row is None else (row.dialed, row.queue)


def trunk_channels(cluster: SandboxCluster) -> dict[str, list[str]]:
    """Each running node's channels on the carrier_a trunk endpoint, with their context."""
    found: dict[str, list[str]] = {}
    for box in cluster.nodes:
        if box.is_running():
            lines = box.cli("core show channels concise").splitlines()
            found[box.config.instance] = [ln for ln in lines if ln.startswith(TRUNK_CHANNEL)]
    return found


def wait_landed(cluster: SandboxCluster, prefix: str, timeout_s: float = 30.0) -> int:
    """Wait until a node has a channel whose name starts with ``prefix``; how many there are then."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = sum(
            line.startswith(prefix)
            for box in cluster.nodes
            if box.is_running()
            for line in box.cli("core show channels concise").splitlines()
        )
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def wait_trunk_calls(cluster: SandboxCluster, count: int, timeout_s: float = 30.0) -> int:
    """Wait until the nodes have ``count`` calls on the trunk; the number then."""
    deadline = time.monotonic() + timeout_s
    while True:
        up = sum(len(v) for v in trunk_channels(cluster).values())
        if up >= count or time.monotonic() > deadline:
            return up
        time.sleep(0.2)


def carrier_call(
    kamailio: KamailioSandbox | str,
    workdir: Path,
    number: str,
    *,
    scenario: str = "caller.xml",
    calls: int = 1,
    hold_ms: int = 2000,
    local_ip: str = CARRIER,
) -> subprocess.Popen[bytes]:
    """SIPp placing ``calls`` concurrent calls to ``number`` at Kamailio (or host:port) from ``local_ip``."""
    target = (
        kamailio
        if isinstance(kamailio, str)
        else f"{kamailio.config.bind_address}:{kamailio.config.sip_port}"
    )
    argv = sipp_argv(
        scenario,
        target,
        service=number,
        calls=calls,
        limit=calls,
        hold_ms=hold_ms,
        local_ip=local_ip,
        timeout_s=40,
    )
    return start_sipp(argv, workdir)


@pytest.fixture
async def agent(centre: Centre) -> AsyncIterator[DesktopClient]:
    """Agent 7102 for the general, social-security and women-children queues, signed in, available."""
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.put_agent(
        "7102",
        name="王五",
        contact=AGENT_PHONE,
        skills={"general": 1, "social_security": 1, "women_children": 1},
        password="secret-7102",
    )
    await admin.close()
    desk = DesktopClient(centre.url)
    await desk.sign_in("7102", "secret-7102")
    await desk.connect()
    await desk.wait_frame(frame_of("hello"))
    await desk.status("available")
    yield desk
    await desk.close()


async def test_key_pressed_as_rfc4733_event_on_the_trunk_reaches_the_menu_and_the_screen_pop(
    kamailio: KamailioSandbox, agent: DesktopClient, tmp_path: Path
) -> None:
    write_dtmf_pcap(tmp_path / "dtmf.pcap", [(2.0, "0"), (6.0, "0")])
    caller = carrier_call(kamailio, tmp_path, "12345", scenario="caller_keys.xml", hold_ms=15000)
    _, offer = await agent.wait_frame(frame_of("offer"), timeout=60)
    call = offer["call"]
    assert call["queue"] == "general", call
    assert call["ivr"]["keys"] == "0", call
    assert call["ivr"]["line"] == "12345 政务服务便民热线", call
    assert call["ivr"]["dialled"] == "12345", call
    assert caller.wait(timeout=60) == 0, sipp_log(tmp_path)


async def test_old_number_entering_the_department_menu_reaches_its_queue_with_one_key(
    kamailio: KamailioSandbox, agent: DesktopClient, tmp_path: Path
) -> None:
    write_dtmf_pcap(tmp_path / "dtmf.pcap", [(2.0, "2"), (6.0, "2")])
    caller = carrier_call(kamailio, tmp_path, "12338", scenario="caller_keys.xml", hold_ms=15000)
    _, offer = await agent.wait_frame(frame_of("offer"), timeout=60)
    call = offer["call"]
    assert call["queue"] == "women_children", call
    assert call["ivr"]["keys"] == "2", call
    assert call["ivr"]["line"] == "12338 妇女儿童维权", call
    assert caller.wait(timeout=60) == 0, sipp_log(tmp_path)


async def test_old_number_lands_on_its_lines_queue_and_the_screen_pop_names_the_line(
    kamailio: KamailioSandbox, centre: Centre, agent: DesktopClient, tmp_path: Path
) -> None:
    caller = carrier_call(kamailio, tmp_path, "12333", hold_ms=6000)
    _, offer = await agent.wait_frame(frame_of("offer"), timeout=60)
    call = offer["call"]
    assert call["queue"] == "social_security", call
    assert call["ivr"]["line"] == "12333 社会保障", call
    assert call["ivr"]["dialled"] == "12333", call
    assert call["ivr"]["keys"] == "", call
    assert caller.wait(timeout=60) == 0, sipp_log(tmp_path)
    assert await eventually(
        lambda: _dialed(centre, call["call_id"]) == ("12333", "social_security"), timeout=20
    )


def test_calls_beyond_the_trunks_limit_are_refused_and_the_limit_frees_after_hang_up(
    kamailio: KamailioSandbox, cluster: SandboxCluster, tmp_path: Path
) -> None:
    held = carrier_call(kamailio, tmp_path / "held", "12315", calls=2, hold_ms=8000)
    try:
        assert wait_trunk_calls(cluster, 2) == 2, sipp_log(tmp_path / "held")
        extra = carrier_call(kamailio, tmp_path / "extra", "12315")
        assert extra.wait(timeout=60) != 0
        assert "SIP/2.0 503 Trunk Busy" in sipp_log(tmp_path / "extra")
    finally:
        assert held.wait(timeout=60) == 0, sipp_log(tmp_path / "held")
    again = carrier_call(kamailio, tmp_path / "again", "12315")
    assert again.wait(timeout=60) == 0, sipp_log(tmp_path / "again")


def test_carrier_reaching_a_node_directly_is_its_trunk_and_limited_there_too(
    cluster: SandboxCluster, tmp_path: Path
) -> None:
    node = f"127.0.0.1:{cluster.nodes[0].config.sip_port}"
    held = carrier_call(node, tmp_path / "held", "12315", calls=2, hold_ms=8000)
    try:
        assert wait_trunk_calls(cluster, 2) == 2, sipp_log(tmp_path / "held")
        extra = carrier_call(node, tmp_path / "extra", "12315")
        assert extra.wait(timeout=60) != 0
        assert "SIP/2.0 503 Service Unavailable" in sipp_log(tmp_path / "extra")
    finally:
        assert held.wait(timeout=60) == 0, sipp_log(tmp_path / "held")


def test_trunk_calls_land_on_the_trunk_endpoint_in_the_inbound_dialplan(
    kamailio: KamailioSandbox, cluster: SandboxCluster, tmp_path: Path
) -> None:
    caller = carrier_call(kamailio, tmp_path, "12315", hold_ms=4000)
    assert wait_trunk_calls(cluster, 1) == 1, sipp_log(tmp_path)
    contexts = {ln.split("!")[1] for chans in trunk_channels(cluster).values() for ln in chans}
    assert contexts <= {"hotline-inbound", "hotline-wait", "hotline-lines"}, contexts
    assert caller.wait(timeout=60) == 0, sipp_log(tmp_path)


def test_trunk_header_from_outside_is_dropped_by_the_front(
    kamailio: KamailioSandbox, cluster: SandboxCluster, tmp_path: Path
) -> None:
    caller = carrier_call(
        kamailio, tmp_path, "12315", scenario="caller_claims_trunk.xml", local_ip="127.0.0.1"
    )
    assert wait_landed(cluster, "PJSIP/kamailio-") >= 1, sipp_log(tmp_path)
    assert not any(trunk_channels(cluster).values())
    assert caller.wait(timeout=60) == 0, sipp_log(tmp_path)


def test_call_from_an_address_that_is_no_trunk_is_refused_at_the_front(
    kamailio: KamailioSandbox, tmp_path: Path
) -> None:
    caller = carrier_call(kamailio, tmp_path, "12345", local_ip="127.0.0.3")
    assert caller.wait(timeout=60) != 0
    assert "SIP/2.0 403" in sipp_log(tmp_path)


def test_number_that_is_no_line_is_refused(kamailio: KamailioSandbox, tmp_path: Path) -> None:
    caller = carrier_call(kamailio, tmp_path, "12399")
    assert caller.wait(timeout=60) != 0
    assert "SIP/2.0 404" in sipp_log(tmp_path)
