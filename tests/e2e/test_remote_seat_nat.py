"""A remote seat: the agent's browser sits behind NAT on a network that lets UDP out only to the TURN server.

Real parts: two network namespaces on this machine (the seat's router with iptables MASQUERADE, the agent's
machine with Debian's Chromium in it), the sandbox Asterisk and the project's coturn on the centre's side of
the NAT, the centre handing out ICE servers with a short-lived TURN REST credential. Without ICE servers the
call connects in SIP but no audio flows; with them the media is relayed through coturn both ways.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, async_playwright

from agent_desktop.phone_api import PhoneDirectory, install_phone_directory
from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from hotline.turn.config import TurnConfig
from hotline.turn.credentials import IceServers
from hotline.turn.process import TurnServer
from tests.conftest import free_port
from tests.e2e.agent_page import Steps, answer, create_browser_agent, sign_in_and_register
from tests.e2e.conftest import CHROMIUM_FLAGS
from tests.e2e.nat_seat import NatSeat, nat_seat, tools_missing
from tests.e2e.netns_bridge import NamespaceBridge
from tests.e2e.remote_seat import (
    asterisk_rtp_counts,
    chromium_in_namespace,
    ice_report,
    pjsip_channelstats,
    wait_ice,
)
from tests.integration.calls import CallDriver
from tests.integration.conftest import sandbox_settings

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(240)]

CALLER = "13800138000"


@pytest.fixture
def seat() -> Iterator[NatSeat]:
    """The NATed seat; its namespaces and rules are gone after the test, passed or not."""
    missing = tools_missing()
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: run scripts/setup-system.sh")
    with nat_seat() as created:
        yield created


@pytest.fixture
def turn(seat: NatSeat, tmp_path: Path) -> Iterator[TurnServer]:
    """coturn on the centre's outside address, allowed to relay to the Asterisk host there only."""
    base = 50000 + (os.getpid() % 300) * 20
    config = TurnConfig(
        name="seat",
        listen_address=seat.host_address,
        port=free_port(),
        relay_min_port=base,
        relay_max_port=base + 19,
        allowed_peers=(seat.host_address,),
    )
    server = TurnServer(config=config, state_dir=tmp_path)
    server.up()
    try:
        yield server
    finally:
        server.down()


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path, turn: TurnServer) -> Settings:
    """The browser centre's settings with the seat's coturn as the centre's (external) TURN server."""
    c = sandbox.config
    stun, turn_urls = turn.config.urls()
    return sandbox_settings(
        sandbox,
        tmp_path,
        asterisk_http_port=c.http_port,
        agent_extensions=",".join(c.extensions),
        wrapup_seconds=3.0,
        ring_timeout_seconds=15.0,
        stun_urls=",".join(stun),
        turn_urls=",".join(turn_urls),
        turn_secret=turn.secret(),
    )


@pytest.fixture
async def remote_page(
    chromium: Path, seat: NatSeat, centre: Centre, sandbox: AsteriskSandbox, tmp_path: Path, artifacts: Path
) -> AsyncIterator[Page]:
    """A tab of Chromium running in the agent's namespace, reaching the centre through the NAT."""
    bridge = NamespaceBridge(netns=seat.agent, outside=seat.host_address)
    await bridge.add(urlsplit(centre.url).port or 80)
    await bridge.add(sandbox.config.http_port)
    lines: list[str] = []
    try:
        async with async_playwright() as pw:
            context = await pw.chromium.launch_persistent_context(
                str(tmp_path / "chromium-profile"),
                executable_path=str(chromium_in_namespace(chromium, seat.agent, tmp_path)),
                headless=True,
                args=CHROMIUM_FLAGS,
                viewport={"width": 1100, "height": 1000},
            )
            try:
                tab = context.pages[0] if context.pages else await context.new_page()
                tab.on("console", lambda msg: lines.append(f"{msg.type}: {msg.text}"))
                yield tab
            finally:
                await context.close()
    finally:
        await bridge.close()
        (artifacts / "console.log").write_text("\n".join(lines) + "\n")


async def answered_call(page: Page, centre: Centre, driver: CallDriver, steps: Steps) -> tuple[str, str]:
    """Sign in on the remote page, place a citizen call and answer it; (caller channel, agent channel)."""
    await create_browser_agent(centre)
    await sign_in_and_register(page, centre, steps)
    call = await driver.call(CALLER, keys="3")
    return call.local_channel, await answer(page, driver, call.call_id, steps)


async def wait_audio_growing(page: Page, timeout: float = 30.0) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two reports in which received and sent audio bytes are non-zero and then larger."""
    deadline = time.monotonic() + timeout
    first: dict[str, Any] | None = None
    while True:
        report = await ice_report(page)
        if first is None and report["bytesReceived"] > 0 and report["bytesSent"] > 0:
            first = report
        elif first is not None and (
            report["bytesReceived"] > first["bytesReceived"] and report["bytesSent"] > first["bytesSent"]
        ):
            return first, report
        if time.monotonic() > deadline:
            raise AssertionError(f"audio is not flowing both ways: {report}")
        await asyncio.sleep(0.5)


async def keep(page: Page, artifacts: Path, seat: NatSeat, **record: object) -> None:
    """The measured facts, the page's call timeline and the router's rule counters, with the screenshots."""
    record["timeline"] = await page.evaluate("window.__hotline_timeline")
    (artifacts / "media.json").write_text(json.dumps(record, indent=2, ensure_ascii=False))
    (artifacts / "iptables.txt").write_text(seat.rules())


async def test_given_nated_agent_with_udp_only_to_turn_when_phone_has_no_ice_servers_then_no_audio_flows(
    centre: Centre,
    driver: CallDriver,
    sandbox: AsteriskSandbox,
    seat: NatSeat,
    turn: TurnServer,
    remote_page: Page,
    artifacts: Path,
) -> None:
    seat.allow_udp_only_to(turn.config.listen_address, turn.config.port)
    directory = PhoneDirectory.from_settings(centre.settings, secrets=centre.sip_secrets)
    install_phone_directory(centre.http, dataclasses.replace(directory, ice=IceServers()))
    steps = Steps(remote_page, artifacts)
    caller, agent_channel = await answered_call(remote_page, centre, driver, steps)
    try:
        last = await wait_ice(remote_page, {"disconnected", "failed"}, timeout=100.0)
        stats = await pjsip_channelstats(sandbox)
    finally:
        await driver.hang_up(caller)
    await keep(
        remote_page, artifacts, seat, last_report=last, channelstats=stats, agent_channel=agent_channel
    )
    assert "connected" not in last["seen"], last
    assert asterisk_rtp_counts(stats, agent_channel) == (0, 0), stats
    assert last["bytesReceived"] == 0, last
    assert last["bytesSent"] == 0, last
    assert all(c["type"] != "relay" for c in last["localCandidates"]), last
    assert dropped_udp(seat) > 0, seat.rules()


def dropped_udp(seat: NatSeat) -> int:
    """Packets the seat's network dropped (UDP not to the TURN server)."""
    for line in seat.rules().splitlines():
        if line.startswith("-A FORWARD") and line.endswith("-j DROP"):
            return int(line.split(" -c ")[1].split()[0])
    return 0


async def test_given_nated_agent_with_udp_only_to_turn_when_phone_gets_turn_credential_then_audio_both_ways(
    centre: Centre,
    driver: CallDriver,
    sandbox: AsteriskSandbox,
    seat: NatSeat,
    turn: TurnServer,
    remote_page: Page,
    artifacts: Path,
) -> None:
    seat.allow_udp_only_to(turn.config.listen_address, turn.config.port)
    install_phone_directory(
        centre.http, PhoneDirectory.from_settings(centre.settings, secrets=centre.sip_secrets)
    )
    steps = Steps(remote_page, artifacts)
    caller, agent_channel = await answered_call(remote_page, centre, driver, steps)
    try:
        connected = await wait_ice(remote_page, {"connected", "completed"}, timeout=60.0)
        first, later = await wait_audio_growing(remote_page)
        stats = await pjsip_channelstats(sandbox)
        await steps.shot("talking-through-turn")
    finally:
        await driver.hang_up(caller)
    await keep(
        remote_page, artifacts, seat, connected=connected, first=first, later=later, channelstats=stats
    )
    assert later["local"]["type"] == "relay", later
    assert later["local"]["address"] == turn.config.listen_address, later
    assert later["remote"]["address"] == seat.host_address, later
    received, sent = asterisk_rtp_counts(stats, agent_channel)
    assert received > 0, stats
    assert sent > 0, stats
