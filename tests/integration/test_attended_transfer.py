"""Transfers to a named agent and attended (consultative) transfers through the real Asterisk."""

from __future__ import annotations

import pytest

from hotline.app import Centre
from tests.integration.attended import wait_bridged, wait_state
from tests.integration.calls import CallDriver, user_event
from tests.integration.desktop import frame_of
from tests.integration.seats import connected_call, seat

pytestmark = pytest.mark.asterisk


async def test_given_call_when_blind_transferred_to_named_agent_then_that_agent_not_longest_idle_gets_it(
    centre: Centre, driver: CallDriver
) -> None:
    first = await seat(centre, "7301", {"general": 1})
    call_id = await connected_call(driver, first, "13800000011")
    longest_idle = await seat(centre, "7302", {"general": 1})
    named = await seat(centre, "7303", {"enterprise": 1})
    try:
        refused = await first.http.post(
            "/api/me/call/transfer", json={"agent_id": "7301"}, headers=first.auth
        )
        assert (refused.status_code, refused.json()["error_id"]) == (400, "transfer_to_self")
        resp = await first.http.post("/api/me/call/transfer", json={"agent_id": "7303"}, headers=first.auth)
        assert resp.status_code == 200, resp.text
        queued = await driver.wait_event(
            lambda e: user_event("HotlineQueued", call_id)(e) and e.get("TargetAgent") == "7303"
        )
        assert queued.event.get("CallPriority") == "5"
        _, offer = await named.wait_frame(frame_of("offer"), timeout=15)
        assert offer["call"]["call_id"] == call_id
        await named.wait_frame(frame_of("agent_changed", state="on_call"), timeout=15)
        await first.wait_frame(frame_of("agent_changed", state="wrap_up"), timeout=10)
        assert not any(f.get("type") == "offer" for _, f in longest_idle.frames)
    finally:
        await longest_idle.close()
        await named.close()
        await first.close()


async def test_given_named_agent_busy_when_transfer_requested_then_409_and_call_stays(
    centre: Centre, driver: CallDriver
) -> None:
    first = await seat(centre, "7311", {"general": 1})
    busy = await seat(centre, "7312", {"enterprise": 1})
    try:
        await busy.status("paused", reason="小休")
        await connected_call(driver, first, "13800000012")
        resp = await first.http.post("/api/me/call/transfer", json={"agent_id": "7312"}, headers=first.auth)
        assert (resp.status_code, resp.json()["error_id"]) == (409, "agent_not_available")
        missing = await first.http.post(
            "/api/me/call/consult", json={"agent_id": "nobody"}, headers=first.auth
        )
        assert (missing.status_code, missing.json()["error_id"]) == (404, "unknown_agent")
        none = await first.http.post("/api/me/call/consult/complete", headers=first.auth)
        assert (none.status_code, none.json()["error_id"]) == (409, "no_consult")
        me = await first.http.get("/api/me", headers=first.auth)
        assert me.json()["agent"]["state"] == "on_call"
    finally:
        await busy.close()
        await first.close()


async def test_given_call_when_consulting_12315_and_completed_then_caller_joins_12315_and_agent_wraps_up(
    centre: Centre, driver: CallDriver
) -> None:
    first = await seat(centre, "7321", {"general": 1})
    try:
        call_id = await connected_call(driver, first, "13800000013")
        resp = await first.http.post(
            "/api/me/call/consult", json={"directory_id": "consumer"}, headers=first.auth
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["consulting"] == "number:12315"
        consult = await driver.wait_event(
            lambda e: e.name == "UserEvent" and e.get("UserEvent") == "HotlineConsult"
        )
        assert consult.event.get("Target", "").startswith("Local/12315*")
        department = await driver.wait_event(
            lambda e: e.name == "BridgeEnter" and e.get("Channel", "").startswith("Local/12315*"), timeout=15
        )
        # The department hangs up by itself: the agent is back with the caller, nothing to cancel.
        await driver.ami.send_action({"Action": "Hangup", "Channel": department.event.get("Channel", "")})
        await wait_bridged(driver, call_id, "Local/7321*")
        stale = await first.http.post("/api/me/call/consult/cancel", headers=first.auth)
        assert (stale.status_code, stale.json()["error_id"]) == (409, "no_consult")

        before = len(driver.events)
        resp = await first.http.post(
            "/api/me/call/consult", json={"directory_id": "consumer"}, headers=first.auth
        )
        assert resp.status_code == 200, resp.text
        await driver.wait_event(
            lambda e: (
                e.name == "BridgeEnter"
                and e.get("Channel", "").startswith("Local/12315*")
                and any(seen.event is e for seen in driver.events[before:])
            ),
            timeout=15,
        )
        done = await first.http.post("/api/me/call/consult/complete", headers=first.auth)
        assert done.status_code == 200, done.text
        transfer = await driver.wait_event(lambda e: e.name == "AttendedTransfer", timeout=15)
        assert transfer.event.get("Result") == "Success"
        await first.wait_frame(frame_of("agent_changed", state="wrap_up"), timeout=10)
        await wait_bridged(driver, call_id, "Local/12315*")
    finally:
        await first.close()


async def test_given_call_when_consulting_named_agent_then_cancel_returns_and_complete_hands_over(
    centre: Centre, driver: CallDriver
) -> None:
    first = await seat(centre, "7331", {"general": 1})
    colleague = await seat(centre, "7332", {"enterprise": 1})
    try:
        call_id = await connected_call(driver, first, "13800000014")
        resp = await first.http.post("/api/me/call/consult", json={"agent_id": "7332"}, headers=first.auth)
        assert resp.status_code == 200, resp.text
        again = await first.http.post("/api/me/call/consult", json={"queue": "general"}, headers=first.auth)
        assert (again.status_code, again.json()["error_id"]) == (409, "consult_in_progress")
        _, offer = await colleague.wait_frame(frame_of("offer"), timeout=15)
        assert offer["call"]["caller"].endswith("0014")
        assert "consult" in offer["call"]["ivr"]["tags"]
        await colleague.wait_frame(frame_of("agent_changed", state="on_call"), timeout=15)

        cancelled = await first.http.post("/api/me/call/consult/cancel", headers=first.auth)
        assert cancelled.status_code == 200, cancelled.text
        await colleague.wait_frame(frame_of("agent_changed", state="wrap_up"), timeout=15)
        await wait_bridged(driver, call_id, "Local/7331*")
        me = await first.http.get("/api/me", headers=first.auth)
        assert me.json()["agent"]["state"] == "on_call"
        await wait_state(colleague, "idle")

        before = len(driver.events)
        resp = await first.http.post("/api/me/call/consult", json={"agent_id": "7332"}, headers=first.auth)
        assert resp.status_code == 200, resp.text
        await driver.wait_event(
            lambda e: (
                e.name == "BridgeEnter"
                and e.get("Channel", "").startswith("Local/7332*")
                and any(seen.event is e for seen in driver.events[before:])
            ),
            timeout=15,
        )
        done = await first.http.post("/api/me/call/consult/complete", headers=first.auth)
        assert done.status_code == 200, done.text
        await first.wait_frame(frame_of("agent_changed", state="wrap_up"), timeout=10)
        await wait_bridged(driver, call_id, "Local/s@hotline-consult-wait")
        await wait_state(colleague, "on_call")
    finally:
        await colleague.close()
        await first.close()


async def test_given_call_when_consulting_a_queue_then_an_agent_of_that_queue_answers_and_takes_the_caller(
    centre: Centre, driver: CallDriver
) -> None:
    first = await seat(centre, "7351", {"general": 1})
    try:
        call_id = await connected_call(driver, first, "13800000016")
        enterprise = await seat(centre, "7352", {"enterprise": 1})
        try:
            resp = await first.http.post(
                "/api/me/call/consult", json={"queue": "enterprise"}, headers=first.auth
            )
            assert (resp.status_code, resp.json()["consulting"]) == (200, "queue:enterprise")
            _, offer = await enterprise.wait_frame(frame_of("offer"), timeout=15)
            assert offer["call"]["queue"] == "enterprise"
            assert offer["call"]["ivr"]["tags"] == "consult"
            await wait_state(enterprise, "on_call")
            done = await first.http.post("/api/me/call/consult/complete", headers=first.auth)
            assert done.status_code == 200, done.text
            await first.wait_frame(frame_of("agent_changed", state="wrap_up"), timeout=10)
            await wait_bridged(driver, call_id, "Local/s@hotline-consult-wait")
            await wait_state(enterprise, "on_call")
        finally:
            await enterprise.close()
    finally:
        await first.close()
