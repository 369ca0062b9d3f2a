"""Flow versions on live calls: a publish reaches the next call only, a rollback restores; the survey."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hotline.app import Centre
from hotline.db import repository as repo
from tests.integration.calls import CallDriver, eventually, user_event
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient, frame_of
from tests.integration.ivr_calls import ScriptedDialer
from tests.integration.ivr_support import call_row, clock, ivr_centre, queued, where

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(90)]
__all__ = ["clock", "ivr_centre"]

SOCIAL_SECURITY_QUEUE = """  social_security_queue:
    label: 12333 社会保障专席
    type: queue
    queue: social_security
    skills: [social_security]
"""
SOCIAL_SECURITY_TRANSFER = """  social_security_queue:
    label: 转接 12333 社会保障热线
    type: transfer
    number: "12333"
"""
PRESS_2_THEN_1 = [("main_menu", "2"), ("special_menu", "1")]


@pytest.fixture
async def admin(ivr_centre: Centre) -> AsyncIterator[DesktopClient]:
    """The admin, signed in."""
    client = DesktopClient(ivr_centre.url)
    await client.sign_in("admin", ADMIN_PASSWORD)
    yield client
    await client.close()


async def _draft_with_transfer(admin: DesktopClient) -> int:
    created = await admin.http.post("/api/ivr/flows", json={"note": "12333 by transfer"}, headers=admin.auth)
    assert created.status_code == 201, created.text
    body = created.json()
    assert SOCIAL_SECURITY_QUEUE in body["source"]
    source = body["source"].replace(SOCIAL_SECURITY_QUEUE, SOCIAL_SECURITY_TRANSFER)
    edited = await admin.http.put(
        f"/api/ivr/flows/{body['version']}", json={"source": source}, headers=admin.auth
    )
    assert edited.status_code == 200, edited.text
    return int(body["version"])


async def test_given_call_in_progress_when_new_version_is_published_then_only_the_next_call_runs_it(
    ivr_centre: Centre, driver: CallDriver, admin: DesktopClient
) -> None:
    version = await _draft_with_transfer(admin)
    dialer = ScriptedDialer(driver.ami)
    before = await dialer.dial("13300000001", list(PRESS_2_THEN_1))
    await driver.wait_event(lambda e: e.name == "AGIExecStart" and e.get("Uniqueid") == before.call_id)
    published = await admin.http.post(f"/api/ivr/flows/{version}/publish", headers=admin.auth)
    assert published.status_code == 200, published.text
    assert published.json()["live"] is True
    after = await dialer.dial("13300000002", list(PRESS_2_THEN_1))

    assert where(await queued(driver, before)) == ("social_security", "0", "")
    transfer = await driver.wait_event(user_event("HotlineTransfer", after.call_id), timeout=30)
    assert transfer.event.get("Number") == "12333"
    await driver.wait_event(
        lambda e: e.get("UserEvent") == "HotlineTrunkAnswered" and e.get("Number") == "12333"
    )
    assert (await call_row(ivr_centre, before.call_id)).ivr_flow_version == "12345:1"
    assert (await call_row(ivr_centre, after.call_id)).ivr_flow_version == f"12345:{version}"

    diff = await admin.http.get(f"/api/ivr/flows/1/diff/{version}", headers=admin.auth)
    assert "+    type: transfer" in diff.json()["diff"]
    rolled = await admin.http.post("/api/ivr/rollback", json={}, headers=admin.auth)
    assert rolled.json()["version"] == 1
    again = await dialer.dial("13300000003", list(PRESS_2_THEN_1))
    assert where(await queued(driver, again)) == ("social_security", "0", "")
    assert (await call_row(ivr_centre, again.call_id)).ivr_flow_version == "12345:1"
    for call in (before, after, again):
        await dialer.hang_up(call)


async def test_given_agent_hangs_up_when_caller_presses_2_in_survey_then_score_4_is_stored(
    ivr_centre: Centre, driver: CallDriver, admin: DesktopClient
) -> None:
    await admin.put_agent(
        "7001",
        name="张三",
        contact="Local/7001*1*0.3@hotline-sim-agent",
        skills={"general": 1},
        password="pw-7001",
    )
    desk = DesktopClient(ivr_centre.url)
    await desk.sign_in("7001", "pw-7001")
    await desk.connect()
    try:
        await desk.wait_frame(frame_of("hello"))
        await desk.status("available")
        dialer = ScriptedDialer(driver.ami)
        call = await dialer.dial("13200000001", [("welcome", "0"), ("survey", "2")])
        await driver.wait_event(user_event("HotlineAfterCall", call.call_id), timeout=30)

        def surveyed() -> repo.CallRow | None:
            row = repo.get_call(ivr_centre.sessions, call_id=call.call_id)
            return row if row is not None and row.survey_score is not None else None

        row = await eventually(surveyed, timeout=20)
        assert isinstance(row, repo.CallRow)
        assert (row.survey_score, row.agent_id, row.ivr_flow_version) == (4, "7001", "12345:1")
        kinds = [e.kind for e in repo.call_events(ivr_centre.sessions, call_id=call.call_id)]
        assert kinds.index("survey") > kinds.index("connected")
        await asyncio.sleep(0)
        await dialer.hang_up(call)
    finally:
        await desk.close()
