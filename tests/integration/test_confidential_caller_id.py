"""A confidential caller's number never reaches the agent's phone: through the real Asterisk, the agent leg
the ACD originates carries the masked number as its caller ID (AMI Newchannel of the leg), while an ordinary
caller's number is shown in full; the screen-pop is masked too and the call record is marked confidential."""

from __future__ import annotations

import json
import secrets

import pytest

from hotline.app import Centre
from hotline.db import repository as repo
from tests.integration.attended import wait_bridged, wait_state
from tests.integration.calls import CallDriver, channel_starting, eventually, user_event
from tests.integration.desktop import DesktopClient, frame_of
from tests.integration.seats import seat

pytestmark = pytest.mark.asterisk

CONFIDENTIAL = "13800000091"
ORDINARY = "13800000092"
FALLBACK_PHONE = "Local/7393*1*0.2@hotline-sim-agent"


async def queue_directly(driver: CallDriver, caller: str, *, tags: str) -> str:
    """A caller put straight into the hold loop of queue ``general`` with IVR ``tags`` (as the IVR hands
    a call over); returns the call id (the waiting channel's uniqueid)."""
    local_id = f"conf-{secrets.token_hex(6)}"
    await driver.ami.originate(
        channel="Local/s@hotline-wait/n",
        context="hotline-sim-citizen",
        exten="s",
        priority=1,
        caller_id=f'"市民" <{caller}>',
        variables={
            "__HOTLINE_QUEUE": "general",
            "__HOTLINE_PRIORITY": "0",
            "__HOTLINE_TAGS": tags,
            "__HOTLINE_KEYS": "0",
            "__HOTLINE_PATIENCE": "60",
        },
        channel_id=local_id,
        other_channel_id=f"{local_id}-in",
        timeout_ms=60000,
    )
    return f"{local_id}-in"


def _phone_side(channel: str, leg: str) -> bool:
    """The agent's phone: the ``;2`` half of the simulated phone's Local channel (a real phone is a PJSIP
    channel of its own); the ``;1`` half is the leg inside Asterisk that is bridged to the caller."""
    return channel.startswith(leg) and channel.endswith(";2")


def _recorded_confidential(centre: Centre, call_id: str) -> bool:
    row = repo.get_call(centre.sessions, call_id=call_id)
    return row is not None and row.confidential


@pytest.mark.parametrize(
    ("caller", "tags", "shown"),
    [(CONFIDENTIAL, "work_order,confidential", "138****0091"), (ORDINARY, "work_order", ORDINARY)],
)
async def test_agent_leg_caller_id_is_masked_for_a_confidential_caller(
    centre: Centre, driver: CallDriver, caller: str, tags: str, shown: str
) -> None:
    agent_id = "7391" if caller == CONFIDENTIAL else "7392"
    desk = await seat(centre, agent_id, {"general": 1}, talk_s=1)
    try:
        call_id = await queue_directly(driver, caller, tags=tags)
        await driver.wait_event(user_event("HotlineQueued", call_id), timeout=20)
        _, offer = await desk.wait_frame(frame_of("offer"), timeout=15)
        leg = f"Local/{agent_id}*"
        known = await driver.wait_event(
            lambda e: (
                e.get("Channel", "").startswith(leg) and e.get("CallerIDNum", "<unknown>") != "<unknown>"
            ),
            timeout=15,
        )
        await driver.wait_event(channel_starting(leg, "Hangup"), timeout=20)

        assert known.event.get("CallerIDNum") == shown
        assert offer["call"]["caller"] == shown
        phone_side = [s.event for s in driver.events if _phone_side(s.event.get("Channel", ""), leg)]
        showing = [e.name for e in phone_side if any(caller in str(v) for v in e.values())]
        assert bool(showing) is (shown == caller), showing
        await desk.wait_frame(frame_of("agent_changed", state="wrap_up"), timeout=20)
        frames = json.dumps([f for _, f in desk.frames], ensure_ascii=False)
        assert (caller in frames) is (shown == caller), "no frame to the agent carries the full number"
        history = await desk.http.get(f"/api/calls/{call_id}/caller-history", headers=desk.auth)
        assert history.status_code == 200
        assert caller not in history.text
        if shown != caller:
            await eventually(lambda: _recorded_confidential(centre, call_id))
        await driver.hang_up(call_id)
    finally:
        await desk.close()


async def test_fallback_queue_phones_get_a_confidential_callers_number_masked(driver: CallDriver) -> None:
    await driver.ami.send_action(
        {"Action": "DBPut", "Family": "hotline/contact", "Key": "1003", "Val": FALLBACK_PHONE}
    )
    try:
        call_id = await queue_directly(driver, CONFIDENTIAL, tags="confidential")
        fallback = await driver.wait_event(user_event("HotlineFallback", call_id), timeout=30)
        assert fallback.event.get("CallerIDNum") == CONFIDENTIAL, "the service is told the real number"
        await driver.wait_event(
            lambda e: e.name == "AgentConnect" and e.get("Uniqueid") == call_id, timeout=20
        )
        phone = "Local/7393*"
        seen = [s.event for s in driver.events if _phone_side(s.event.get("Channel", ""), phone)]
        assert seen
        assert [e.name for e in seen if any(CONFIDENTIAL in str(v) for v in e.values())] == []
        assert any(e.get("CallerIDNum") == "138****0091" for e in seen)
        await driver.hang_up(call_id)
    finally:
        await driver.ami.send_action({"Action": "DBDel", "Family": "hotline/contact", "Key": "1003"})


async def test_attended_transfer_of_a_confidential_caller_never_shows_the_number_to_the_second_agent(
    centre: Centre, driver: CallDriver
) -> None:
    first = await seat(centre, "7394", {"general": 1})
    second: DesktopClient | None = None
    try:
        call_id = await queue_directly(driver, CONFIDENTIAL, tags="confidential")
        await first.wait_frame(frame_of("agent_changed", state="on_call"), timeout=20)
        await wait_bridged(driver, call_id, "Local/7394*")
        second = await seat(centre, "7395", {"enterprise": 1})
        consult = await first.http.post(
            "/api/me/call/consult", json={"queue": "enterprise"}, headers=first.auth
        )
        assert consult.status_code == 200, consult.text
        _, offer = await second.wait_frame(frame_of("offer"), timeout=15)
        await wait_state(second, "on_call")
        done = await first.http.post("/api/me/call/consult/complete", headers=first.auth)
        assert done.status_code == 200, done.text
        await wait_bridged(driver, call_id, "Local/s@hotline-consult-wait")

        assert offer["call"]["caller"] == "138****0091"
        seen = [s.event for s in driver.events if _phone_side(s.event.get("Channel", ""), "Local/7395*")]
        assert seen
        assert [e.name for e in seen if any(CONFIDENTIAL in str(v) for v in e.values())] == []
        assert CONFIDENTIAL not in json.dumps([f for _, f in second.frames], ensure_ascii=False)
        await driver.hang_up(call_id)
    finally:
        await first.close()
        if second is not None:
            await second.close()


async def test_consulting_an_outside_number_for_a_confidential_caller_shows_it_only_the_masked_number(
    centre: Centre, driver: CallDriver
) -> None:
    desk = await seat(centre, "7396", {"general": 1})
    try:
        call_id = await queue_directly(driver, CONFIDENTIAL, tags="confidential")
        await desk.wait_frame(frame_of("agent_changed", state="on_call"), timeout=20)
        await wait_bridged(driver, call_id, "Local/7396*")
        consult = await desk.http.post(
            "/api/me/call/consult", json={"directory_id": "housing"}, headers=desk.auth
        )
        assert consult.status_code == 200, consult.text
        department = "Local/83000101*"
        await driver.wait_event(channel_starting(department, "Newstate"), timeout=15)
        await desk.http.post("/api/me/call/consult/cancel", headers=desk.auth)
        seen = [s.event for s in driver.events if _phone_side(s.event.get("Channel", ""), department)]
        assert seen
        assert [e.name for e in seen if any(CONFIDENTIAL in str(v) for v in e.values())] == []
        await driver.hang_up(call_id)
    finally:
        await desk.close()


async def test_blind_transfer_of_a_confidential_caller_to_a_department_shows_only_the_masked_number(
    centre: Centre, driver: CallDriver
) -> None:
    desk = await seat(centre, "7397", {"general": 1})
    try:
        call_id = await queue_directly(driver, CONFIDENTIAL, tags="confidential")
        await desk.wait_frame(frame_of("agent_changed", state="on_call"), timeout=20)
        await wait_bridged(driver, call_id, "Local/7397*")
        moved = await desk.http.post(
            "/api/me/call/transfer", json={"directory_id": "housing"}, headers=desk.auth
        )
        assert moved.status_code == 200, moved.text
        department = "Local/83000101*"
        await wait_bridged(driver, call_id, department)
        seen = [s.event for s in driver.events if _phone_side(s.event.get("Channel", ""), department)]
        assert seen
        assert [e.name for e in seen if any(CONFIDENTIAL in str(v) for v in e.values())] == []
        assert any(e.get("CallerIDNum") == "138****0091" for e in seen)
        await driver.hang_up(call_id)
    finally:
        await desk.close()
