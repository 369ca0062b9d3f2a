"""Every branch of the shipped 12345 flow pack, pressed through with DTMF on the real Asterisk.

Calls of one batch run at the same time; each checks where the call ended (queue, priority, tags,
skills) and what the call record says (flow version, keys).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from hotline.app import Centre
from hotline.db import repository as repo
from ivr import flow_store
from tests.integration.calls import CallDriver, eventually
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient
from tests.integration.ivr_calls import ScriptedCall, ScriptedDialer, Step
from tests.integration.ivr_support import (
    HOLIDAY_NIGHT,
    SetClock,
    call_row,
    clock,
    ivr_centre,
    queued,
    where,
)
from tests.tickets_contract import order
from tickets import repository as tickets_repo

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(150)]
__all__ = ["clock", "ivr_centre"]

ELDERLY = "13900000009"
Expect = tuple[str, str, str]

WORKING_HOURS: dict[str, tuple[list[Step], Expect, str]] = {
    "key_0_after_welcome": ([("main_menu", "0")], ("general", "0", ""), "0"),
    "key_3_during_welcome": ([("welcome", "3")], ("enterprise", "0", "business_environment"), "3"),
    "accessibility": ([("main_menu", "4")], ("accessibility", "0", ""), "4"),
    "social_security": ([("main_menu", "2"), ("special_menu", "1")], ("social_security", "0", ""), "21"),
    "women_children": ([("welcome", "2"), ("special_menu", "2")], ("women_children", "0", ""), "22"),
    "elderly_services": ([("main_menu", "2"), ("special_menu", "3")], ("elderly_services", "0", ""), "23"),
    "wage_arrears": ([("main_menu", "2"), ("special_menu", "4")], ("wage_arrears", "0", ""), "24"),
    "special_key_0": ([("main_menu", "2"), ("special_menu", "0")], ("general", "0", ""), "20"),
    "order_not_found": (
        [("main_menu", "1"), ("order_number", "12345678#")],
        ("general", "0", "work_order_query"),
        "112345678",
    ),
    "order_number_invalid_twice": (
        [("main_menu", "1"), ("order_number", "12#"), ("order_number", "34#")],
        ("general", "0", ""),
        "11234",
    ),
    "invalid_key_twice": ([("main_menu", "9"), ("main_menu", "9")], ("general", "0", ""), "99"),
    "silence": ([], ("general", "0", ""), ""),
}
REPEAT_MENU: dict[str, tuple[list[Step], Expect]] = {
    "repeat_order_status": ([("repeat_menu", "1")], ("general", "0", "work_order_query")),
    "repeat_previous_agent": ([("repeat_menu", "2")], ("general", "0", "repeat_caller")),
    "repeat_key_0": ([("repeat_menu", "0")], ("general", "0", "")),
}


async def _getvar(driver: CallDriver, channel: str, name: str) -> str:
    reply = await driver.ami.send_action({"Action": "Getvar", "Channel": channel, "Variable": name})
    return str(reply.get("Value", ""))


def _number(index: int) -> str:
    return f"1380000{index:04d}"


async def _dial_everyone(centre: Centre, dialer: ScriptedDialer, clock: SetClock) -> dict[str, ScriptedCall]:
    """Every working-hours branch, repeat callers with an open order and an elderly caller, at once."""
    flow_store.upsert_caller_profile(centre.sessions, number=ELDERLY, elderly=True, vip=False)
    repeat_callers = {f"1370000{i:04d}": name for i, name in enumerate(REPEAT_MENU)}
    for number in repeat_callers:
        repo.record_call_started(
            centre.sessions,
            call_id=f"earlier-{number}",
            caller=number,
            channel="",
            dialed="12345",
            at=clock.now - timedelta(days=1),
        )
        tickets_repo.create_work_order(
            centre.sessions,
            order=order(number=number, call_id=f"earlier-{number}"),
            created_by="7009",
            now=clock.now - timedelta(days=1),
        )
    calls: dict[str, ScriptedCall] = {}
    for index, (name, (steps, _, _)) in enumerate(WORKING_HOURS.items()):
        calls[name] = await dialer.dial(_number(index), steps)
    for number, name in repeat_callers.items():
        calls[name] = await dialer.dial(number, REPEAT_MENU[name][0])
    calls["elderly"] = await dialer.dial(ELDERLY)
    return calls


async def test_given_working_hours_when_callers_press_through_every_branch_then_each_reaches_its_queue(
    ivr_centre: Centre, driver: CallDriver, clock: SetClock
) -> None:
    dialer = ScriptedDialer(driver.ami)
    calls = await _dial_everyone(ivr_centre, dialer, clock)

    events = dict(
        zip(calls, await asyncio.gather(*(queued(driver, c, 90) for c in calls.values())), strict=True)
    )
    for name, (_, expect, keys) in WORKING_HOURS.items():
        assert where(events[name]) == expect, name
        row = await call_row(ivr_centre, calls[name].call_id)
        assert (row.ivr_flow_version, row.ivr_keys, row.queue) == ("12345:1", keys, expect[0]), name
    for name, (_, expect) in REPEAT_MENU.items():
        assert where(events[name]) == expect, name
        assert calls[name].prompts[1][1] == "repeat_menu", name
    assert where(events["elderly"]) == ("general", "10", "elderly")
    assert [p for _, p in calls["elderly"].prompts] == ["welcome"]
    assert events["key_3_during_welcome"].get("Skills") == "enterprise"
    assert events["accessibility"].get("Skills") == "sign_language"
    previous = await _getvar(
        driver, events["repeat_previous_agent"].get("Channel", ""), "HOTLINE_PREFERRED_AGENT"
    )
    assert previous == "7009"
    assert "work_order_not_found" in [p for _, p in calls["order_not_found"].prompts]
    assert [p for _, p in calls["silence"].prompts] == ["welcome", "main_menu"]
    assert [p for _, p in calls["invalid_key_twice"].prompts] == [
        "welcome",
        "main_menu",
        "invalid_input",
        "main_menu",
    ]
    for call in calls.values():
        await dialer.hang_up(call)


async def test_given_key_0_after_the_welcome_when_measured_then_caller_is_queued_within_10_seconds(
    ivr_centre: Centre, driver: CallDriver, record_property: Callable[[str, object], None]
) -> None:
    dialer = ScriptedDialer(driver.ami)
    call = await dialer.dial("13600000001", [("main_menu", "0")])
    answered = await driver.wait_event(
        lambda e: (
            e.name == "Newstate" and e.get("Uniqueid") == call.call_id and e.get("ChannelStateDesc") == "Up"
        )
    )
    queued_at = await driver.wait_event(
        lambda e: (
            e.name == "UserEvent"
            and e.get("UserEvent") == "HotlineQueued"
            and e.get("Uniqueid") == call.call_id
        )
    )
    seconds = queued_at.at - answered.at
    record_property("answer_to_queue_s", round(seconds, 2))
    print(f"answer -> queue by key 0 after the full welcome: {seconds:.2f} s")
    assert seconds < 10.0
    await dialer.hang_up(call)


async def test_given_holiday_night_when_callers_use_the_off_hours_menu_then_message_or_duty_person(
    ivr_centre: Centre, driver: CallDriver, clock: SetClock
) -> None:
    clock.now = HOLIDAY_NIGHT
    dialer = ScriptedDialer(driver.ami)
    message = await dialer.dial("13500000001", [("off_hours_menu", "1"), ("@Record", "#")])
    person = await dialer.dial("13500000002", [("off_hours_menu", "0")])
    invalid = await dialer.dial("13500000003", [("off_hours_menu", "7"), ("off_hours_menu", "7")])
    silent = await dialer.dial("13500000004")

    for call in (person, invalid, silent):
        assert where(await queued(driver, call, 60)) == ("general", "0", "out_of_hours")

    def message_event() -> repo.CallEventRow | None:
        rows = repo.call_events(ivr_centre.sessions, call_id=message.call_id)
        return next((r for r in rows if r.kind == "message"), None)

    event = await eventually(message_event, timeout=40)
    assert isinstance(event, repo.CallEventRow)
    assert event.detail["recorded"] is True
    assert event.detail["status"] == "DTMF"
    assert event.detail["callback"] is True
    assert event.detail["tags"] == ["out_of_hours"]
    assert str(event.detail["path"]).endswith(f"message-{message.call_id}.wav")
    row = await call_row(ivr_centre, message.call_id)
    assert (row.ivr_flow_version, row.ivr_keys, row.queue) == ("12345:1", "1", None)

    def message_order() -> list[object]:
        orders = tickets_repo.list_work_orders(ivr_centre.sessions, caller_number="13500000001")
        return [o for o in orders if o.call_id == message.call_id]

    orders = await eventually(message_order, timeout=10)
    assert isinstance(orders, list)
    assert "市民要求回拨" in orders[0].content, "the message became a work order with a callback"
    for call in (message, person, invalid, silent):
        await dialer.hang_up(call)


async def test_given_admin_switches_when_flags_are_on_then_notice_plays_and_surge_seats_answer(
    ivr_centre: Centre, driver: CallDriver
) -> None:
    admin = DesktopClient(ivr_centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    try:
        for flag in ("emergency_announcement", "surge"):
            resp = await admin.http.put(f"/api/ivr/flags/{flag}", json={"value": True}, headers=admin.auth)
            assert resp.status_code == 200, resp.text
        unknown = await admin.http.put("/api/ivr/flags/nope", json={"value": True}, headers=admin.auth)
        assert unknown.status_code == 404
    finally:
        await admin.close()
    dialer = ScriptedDialer(driver.ami)
    started = time.monotonic()
    call = await dialer.dial("13400000001", [("emergency_notice", "0")])
    assert where(await queued(driver, call)) == ("surge", "0", "surge")
    assert [p for _, p in call.prompts] == ["welcome", "emergency_notice"]
    assert time.monotonic() - started < 20
    await dialer.hang_up(call)
