"""Waiting callers hear their place in line and estimated wait, on the real Asterisk sandbox.

What the caller heard is taken from Asterisk itself: the ``Newexten`` event of the hold loop's
``Background()`` carries the prompt files it executed, and the time until the loop's next step shows
that they really played (a missing file returns at once).
"""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Callable

import pytest

from hotline.ami.client import AmiEvent
from hotline.app import Centre
from hotline.db import repository as repo
from hotline.sandbox.instance import AsteriskSandbox
from ivr.position_route import announce_value
from ivr.position_speech import announcement
from tests.integration.calls import CallDriver, eventually, user_event
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient, frame_of

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(150)]


def stamp(event: AmiEvent) -> float:
    """When Asterisk raised ``event`` (``timestampevents = yes``)."""
    return float(event.get("Timestamp", "0"))


def step(call_id: str, after: float = 0.0, application: str | None = None) -> Callable[[AmiEvent], bool]:
    """Matcher for a dialplan step of ``call_id`` raised after Asterisk time ``after``."""
    return lambda e: (
        e.name == "Newexten"
        and e.get("Uniqueid") == call_id
        and stamp(e) > after
        and (application is None or e.get("Application", "").lower() == application.lower())
    )


def announced(call_id: str, after: float = 0.0) -> Callable[[AmiEvent], bool]:
    """Matcher for the hold loop starting a place-in-line announcement on ``call_id``."""
    return lambda e: step(call_id, after, "Background")(e) and e.get("AppData", "").startswith("hotline/pos_")


def playing_time(sandbox: AsteriskSandbox, app_data: str) -> float:
    """Seconds of audio in the files a ``Background()`` argument names."""
    total = 0.0
    for name in app_data.split("&"):
        with wave.open(str(sandbox.sounds_dir / "zh" / f"{name}.wav"), "rb") as audio:
            total += audio.getnframes() / audio.getframerate()
    return total


async def test_given_two_callers_without_agent_then_place_two_heard_key_1_books_callback_first_bridged(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox
) -> None:
    positions = centre.bus.subscribe("call.position")
    first = await driver.call("13200132101", keys="0")
    first_entry = (await driver.wait_event(announced(first.call_id), timeout=30)).event
    assert first_entry["AppData"].startswith("hotline/pos_next&"), "nobody is ahead of the first caller"
    played = (await driver.wait_event(step(first.call_id, stamp(first_entry)), timeout=15)).event
    first_length = playing_time(sandbox, first_entry["AppData"])
    assert stamp(played) - stamp(first_entry) > 0.8 * first_length > 2.0, "the announcement really played"

    second = await driver.call("13200132102", keys="0")
    second_entry = (await driver.wait_event(announced(second.call_id), timeout=30)).event
    heard = second_entry["AppData"]
    assert heard.startswith("hotline/pos_ahead&hotline/num_1&hotline/pos_callers&"), heard
    assert heard == announce_value(announcement(*centre.acd.engine.position(second.call_id)))
    published: dict[str, set[int]] = {}
    while second.call_id not in published:
        event = await asyncio.wait_for(positions.get(), 5.0)
        published.setdefault(event.data["call_id"], set()).add(event.data["position"])
    assert published == {first.call_id: {1}, second.call_id: {2}}, "call.position reached the wallboard"

    await driver.ami.send_action(
        {"Action": "PlayDTMF", "Channel": second.local_channel, "Digit": "1", "Duration": "150"}
    )
    pressed = await driver.wait_event(
        lambda e: step(second.call_id, stamp(second_entry))(e) and e.get("Exten") == "1", timeout=10
    )
    assert stamp(pressed.event) - stamp(second_entry) < playing_time(sandbox, heard), (
        "key 1 cut the announcement short"
    )
    await driver.wait_event(user_event("HotlineCallbackRequested", second.call_id), timeout=10)
    await driver.wait_event(lambda e: e.name == "Hangup" and e.get("Uniqueid") == second.call_id, timeout=20)
    assert centre.acd.engine.store.get_call(second.call_id) is not None, "the callback keeps the place"

    desk = await signed_in_agent(centre)
    try:
        again = (await driver.wait_event(announced(first.call_id, stamp(played)), timeout=40)).event
        await desk.status("available")
        bridged = await driver.wait_event(
            lambda e: e.name == "BridgeEnter" and e.get("Uniqueid") == first.call_id, timeout=20
        )
        assert stamp(bridged.event) - stamp(again) < playing_time(sandbox, again["AppData"]), (
            "the agent's Bridge() picked the caller out of the announcement"
        )
        _, offer = await desk.wait_frame(frame_of("offer"), timeout=5)
        assert offer["call"]["caller"] == "13200132101"
        await desk.wait_frame(frame_of("agent_changed", state="on_call"), timeout=15)
    finally:
        await desk.close()

    def answered() -> object:
        row = repo.get_call(centre.sessions, call_id=first.call_id)
        return row if row is not None and row.outcome == "answered" else None

    await eventually(answered, timeout=15)


async def signed_in_agent(centre: Centre) -> DesktopClient:
    """Agent 7601 (phone rings 0.2 s, talks 2 s) signed in with a desktop open, not yet available."""
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.put_agent(
        "7601",
        name="赵六",
        contact="Local/7601*2*0.2@hotline-sim-agent",
        skills={"general": 1},
        password="secret-7601",
    )
    await admin.close()
    desk = DesktopClient(centre.url)
    await desk.sign_in("7601", "secret-7601")
    await desk.connect()
    await desk.wait_frame(frame_of("hello"))
    return desk


async def test_given_fastagi_down_when_announcement_is_due_then_loop_goes_on_with_music(
    centre: Centre, driver: CallDriver
) -> None:
    call = await driver.call("13200132103", keys="0")
    entry = (await driver.wait_event(announced(call.call_id), timeout=30)).event
    await centre.fastagi.close()
    asked = (await driver.wait_event(step(call.call_id, stamp(entry), "AGI"), timeout=40)).event
    music = (await driver.wait_event(step(call.call_id, stamp(asked), "WaitExten"), timeout=15)).event
    assert stamp(music) - stamp(asked) < 6.0, "a failed announcement costs at most the hold options' time"
    between = [
        seen.event
        for seen in driver.events
        if step(call.call_id, stamp(asked))(seen.event) and stamp(seen.event) < stamp(music)
    ]
    assert [e.get("Application", "").lower() for e in between] == ["gotoif", "gotoif", "background"]
    assert between[-1].get("AppData") == "hotline/hold_options"
    await driver.dialer.hang_up(call)
