"""Opening hours per queue on the real centre and Asterisk: a caller the flow sends to the enterprise
line while it is closed (the centre's clock: a Wednesday at 10:00) waits in general; once its hours
include the morning, the next caller waits in enterprise. Agents and supervisors get 403; each change
is in the admin change log."""

from __future__ import annotations

import asyncio

import pytest

from admin.audit import list_changes
from hotline.app import Centre
from tests.integration.calls import CallDriver, eventually, user_event
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(120)]


def _queue_of(centre: Centre, call_id: str) -> str | None:
    call = centre.acd.engine.store.get_call(call_id)
    return None if call is None else call.queue


async def test_given_a_closed_special_line_when_a_caller_asks_for_it_then_general_takes_the_caller(
    centre: Centre, driver: CallDriver
) -> None:
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.put_agent("7851", name="坐席", contact="", skills={"general": 1}, password="pw-7851")
    agent = DesktopClient(centre.url)
    await agent.sign_in("7851", "pw-7851")
    for method in ("GET", "PUT", "DELETE"):
        path = "/api/admin/hours" if method == "GET" else "/api/admin/hours/enterprise"
        body = {"days": "working", "start": "14:00", "end": "17:00"}
        resp = await agent.http.request(method, path, json=body, headers=agent.auth)
        assert resp.status_code == 403, (method, resp.text)

    afternoon = {"days": "working", "start": "14:00", "end": "17:00"}
    resp = await admin.http.put("/api/admin/hours/enterprise", json=afternoon, headers=admin.auth)
    assert resp.status_code == 200, resp.text
    bad = await admin.http.put(
        "/api/admin/hours/general", json={**afternoon, "end": "25:00"}, headers=admin.auth
    )
    assert bad.status_code == 422
    closed = await admin.http.put("/api/admin/hours/general", json=afternoon, headers=admin.auth)
    assert (closed.status_code, closed.json()["error_id"]) == (422, "queue_always_open")
    first = await driver.call("13800138051", keys="3")
    await driver.wait_event(user_event("HotlineQueued", first.call_id), timeout=20)
    assert await eventually(lambda: _queue_of(centre, first.call_id) == "general", timeout=10)

    morning = {"days": "working", "start": "08:00", "end": "12:00"}
    resp = await admin.http.put("/api/admin/hours/enterprise", json=morning, headers=admin.auth)
    assert resp.status_code == 200, resp.text
    second = await driver.call("13800138052", keys="3")
    await driver.wait_event(user_event("HotlineQueued", second.call_id), timeout=20)
    assert await eventually(lambda: _queue_of(centre, second.call_id) == "enterprise", timeout=10)

    changes = await asyncio.to_thread(list_changes, centre.sessions, area="hours")
    assert [(c.action, c.object_id) for c in changes] == [("update", "enterprise"), ("update", "enterprise")]
    assert '-  "start": "14:00"' in changes[0].diff
    for call in (first, second):
        await driver.dialer.hang_up(call)
    await agent.close()
    await admin.close()
