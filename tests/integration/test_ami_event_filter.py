"""``only_handled_events`` on the real Asterisk: the session receives the events a callback was
registered for by name (also ones registered after login), of a name registered with ``where`` only
those with that header value, and none of the rest, while action responses (a ``CoreShowChannels``
list) still arrive whole."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from hotline.ami.client import AmiClient, AmiEvent
from hotline.sandbox.instance import AsteriskSandbox

pytestmark = pytest.mark.timeout(60)


def client(sandbox: AsteriskSandbox, *, only_handled: bool) -> AmiClient:
    c = sandbox.config
    return AmiClient(
        host="127.0.0.1",
        port=c.ami_port,
        username=c.ami_username,
        secret=c.ami_secret,
        only_handled_events=only_handled,
    )


@pytest.fixture
async def pair(sandbox: AsteriskSandbox) -> AsyncIterator[tuple[AmiClient, AmiClient]]:
    filtered, everything = client(sandbox, only_handled=True), client(sandbox, only_handled=False)
    for link in (filtered, everything):
        await link.start()
    try:
        yield filtered, everything
    finally:
        for link in (filtered, everything):
            await link.close()


async def one_local_call(link: AmiClient, channel_id: str, *, talk_s: int = 1) -> None:
    await link.originate(
        channel=f"Local/1001*{talk_s}*0@hotline-sim-agent/n",
        application="Wait",
        data=str(talk_s),
        channel_id=channel_id,
    )


async def test_filtered_session_gets_only_the_named_events(pair: tuple[AmiClient, AmiClient]) -> None:
    filtered, everything = pair
    seen: dict[str, list[str]] = {"filtered": [], "everything": []}
    hung_up = asyncio.Event()

    def on_hangup(event: AmiEvent) -> None:
        if event.get("Uniqueid", "").startswith(tag):
            hung_up.set()

    tag = f"flt-{secrets.token_hex(4)}"
    filtered.on_event("*", lambda e: seen["filtered"].append(e.name))
    everything.on_event("*", lambda e: seen["everything"].append(e.name))
    filtered.on_event("Newchannel", lambda e: None)
    talk = lambda e: seen["talk"].append(e.get("Variable", ""))  # noqa: E731
    seen["talk"] = []
    filtered.on_event("VarSet", talk, where=("Variable", "TALK"))
    filtered.on_event("Hangup", on_hangup)  # registered after login: asked for then
    await asyncio.sleep(0.5)  # the filters are in place; what came before them does not count
    for names in seen.values():
        names.clear()
    await one_local_call(everything, f"{tag}-a")
    await asyncio.wait_for(hung_up.wait(), 20)
    await asyncio.sleep(0.5)

    assert {"Newchannel", "Hangup", "VarSet"} <= set(seen["filtered"])
    assert set(seen["filtered"]) <= {"Newchannel", "Hangup", "VarSet"}, set(seen["filtered"])
    assert set(seen["talk"]) == {"TALK"}  # the dialplan also sets RING: not sent
    assert len(set(seen["everything"]) - {"Newchannel", "Hangup", "VarSet"}) >= 3, set(seen["everything"])
    await one_local_call(everything, f"{tag}-b", talk_s=5)
    await asyncio.sleep(0.5)
    listing = await filtered.send_action_list(
        {"Action": "CoreShowChannels"}, complete_event="CoreShowChannelsComplete"
    )
    whole = await everything.send_action_list(
        {"Action": "CoreShowChannels"}, complete_event="CoreShowChannelsComplete"
    )
    assert any(e.get("Uniqueid", "").startswith(f"{tag}-b") for e in whole), whole
    assert any(e.get("Uniqueid", "").startswith(f"{tag}-b") for e in listing), listing
