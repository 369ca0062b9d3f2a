"""Queues changed live through the admin API (admin/queues_api.py, acd/queue_live.py).

Two centres share one database, one Redis and the session's Asterisk. A change saved on node A is
applied by A at once and by B on hearing it over Redis (B's engine holds the new steps); callers already
waiting keep their place: the first goes to the general seat freed on B, the second to the one on A,
which the old configuration never would have done (whichever node's ACD takes each decision). The API refuses
agents and supervisors, bad configurations, changes made on an old version, and records each change
with its diff.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from admin.audit import list_changes
from hotline.app import Centre
from hotline.bus import Subscription
from tests.integration import two_centres as shared
from tests.integration.calls import CallDriver, channel_starting, eventually, user_event
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient

pytestmark = [pytest.mark.asterisk, pytest.mark.redis, pytest.mark.timeout(180)]

ROUTES = (
    ("GET", "/api/admin/queues", None),
    ("GET", "/api/admin/queues/versions", None),
    ("GET", "/api/admin/queues/versions/1", None),
    ("GET", "/api/admin/queues/diff?a=1&b=1", None),
    ("PUT", "/api/admin/queues", {"base_version": 1, "yaml": "x"}),
    ("POST", "/api/admin/queues/rollback", {"version": 1, "base_version": 1}),
)


two_centres = shared.two_centres


async def _admin(centre: Centre) -> DesktopClient:
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    return admin


async def _queues(admin: DesktopClient) -> dict[str, Any]:
    resp = await admin.http.get("/api/admin/queues", headers=admin.auth)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def _with_enterprise(current: dict[str, Any], overflow: list[dict[str, Any]]) -> list[dict[str, Any]]:
    queues = [dict(q) for q in current["queues"]]
    for queue in queues:
        if queue["name"] == "enterprise":
            queue["overflow"] = overflow
    return queues


async def _put(admin: DesktopClient, body: dict[str, Any]) -> httpx.Response:
    return await admin.http.put("/api/admin/queues", json=body, headers=admin.auth)


async def _offers(sub: Subscription) -> list[tuple[str, str]]:
    """The offers this node's ACD decided since the last look (agent.offer is published where decided)."""
    seen = []
    while sub.pending:
        event = await sub.get()
        seen.append((str(event.data["call_id"]), str(event.data["agent_id"])))
    return seen


async def _seat(admin: DesktopClient, url: str, agent_id: str) -> DesktopClient:
    phone = f"Local/{agent_id}*60*0.5@hotline-sim-agent"
    await admin.put_agent(
        agent_id, name="坐席", contact=phone, skills={"general": 1}, password=f"pw-{agent_id}"
    )
    desk = DesktopClient(url)
    await desk.sign_in(agent_id, f"pw-{agent_id}")
    await desk.status("paused", reason="小休")
    return desk


async def test_given_waiting_callers_when_the_line_opens_to_general_seats_then_both_nodes_route_by_it(
    two_centres: tuple[Centre, Centre], driver: CallDriver
) -> None:
    a, b = two_centres
    admin = await _admin(a)
    current = await _queues(admin)
    closed = await _put(
        admin,
        {"base_version": current["version"], "queues": _with_enterprise(current, []), "note": "专席不溢出"},
    )
    assert closed.status_code == 200, closed.text
    on_b = await _seat(admin, b.url, "7811")
    on_a = await _seat(admin, a.url, "7812")
    first = await driver.call("13800138011", keys="3")
    await driver.wait_event(user_event("HotlineQueued", first.call_id), timeout=20)
    second = await driver.call("13800138012", keys="3")
    await driver.wait_event(user_event("HotlineQueued", second.call_id), timeout=20)

    opened = await _put(
        admin,
        {
            "base_version": closed.json()["version"],
            "queues": _with_enterprise(closed.json(), [{"after_s": 1, "skills": ["general"]}]),
            "note": "专席 1 秒后溢出到综合坐席",
        },
    )
    assert opened.status_code == 200, opened.text
    version = opened.json()["version"]
    assert a.queue_live.applied == version
    assert await eventually(lambda: b.queue_live.applied == version, timeout=10)
    assert b.acd.engine.queues["enterprise"].overflow[0].skills == ("general",)

    # Either node's ACD may take a decision (the seat becoming free on B, or the 1 s overflow timer on A):
    # both decide by the new configuration, and every offer is seen on the node that made it.
    decided = {"a": a.bus.subscribe("agent.offer"), "b": b.bus.subscribe("agent.offer")}  # this node's only
    await on_b.status("available")
    await driver.wait_event(channel_starting("Local/7811*"), timeout=15)
    offers = await _offers(decided["a"]) + await _offers(decided["b"])
    assert offers == [(first.call_id, "7811")], "the first caller kept its place and went to a general seat"
    await on_a.status("available")
    await driver.wait_event(channel_starting("Local/7812*"), timeout=15)
    offers = await _offers(decided["a"]) + await _offers(decided["b"])
    assert offers == [(second.call_id, "7812")], "the second caller to the other general seat"
    for call in (first, second):
        await driver.dialer.hang_up(call)
    for client in (admin, on_a, on_b):
        await client.close()


async def test_given_the_admin_api_then_others_are_refused_bad_input_explained_and_every_change_audited(
    centre: Centre,
) -> None:
    admin = await _admin(centre)
    await admin.put_agent("7821", name="坐席", contact="", skills={"general": 1}, password="pw-7821")
    await admin.put_agent("7822", name="班长", contact="", skills={}, password="pw-7822", role="supervisor")
    for user in ("7821", "7822"):
        other = DesktopClient(centre.url)
        await other.sign_in(user, f"pw-{user}")
        for method, path, body in ROUTES:
            resp = await other.http.request(method, path, json=body, headers=other.auth)
            assert resp.status_code == 403, (user, method, path, resp.text)
            assert resp.json()["error_id"] == "forbidden"
        await other.close()

    v1 = await _queues(admin)
    assert (v1["version"], v1["applied_here"]) == (1, 1)
    bad = _with_enterprise(v1, [{"after_s": 30, "skills": ["general"]}, {"after_s": 10, "skills": ["surge"]}])
    resp = await _put(admin, {"base_version": 1, "queues": bad})
    assert resp.status_code == 422, resp.text
    assert resp.json()["error_id"] == "invalid_queue_config"
    resp = await _put(
        admin,
        {"base_version": 1, "yaml": "schema_version: 1\nqueues:\n  - name: general\n    skil: general\n"},
    )
    assert resp.status_code == 422
    assert {e["line"] for e in resp.json()["details"]["errors"]} >= {4}
    assert ["queues", 0, "skil"] in [e["loc"] for e in resp.json()["details"]["errors"]]
    assert (await _put(admin, {"base_version": 1, "queues": v1["queues"], "yaml": "x"})).status_code == 422

    slower = [dict(q, wrapup_seconds=30) if q["name"] == "general" else q for q in v1["queues"]]
    resp = await _put(admin, {"base_version": 1, "queues": slower, "note": "延长整理"})
    assert resp.status_code == 200, resp.text
    assert centre.acd.engine.queues["general"].wrapup_seconds == 30
    late = await _put(admin, {"base_version": 1, "queues": v1["queues"]})
    assert (late.status_code, late.json()["details"]) == (409, {"expected": 1, "current": 2})
    back = await admin.http.post(
        "/api/admin/queues/rollback", json={"version": 1, "base_version": 2}, headers=admin.auth
    )
    assert back.status_code == 200, back.text
    assert (back.json()["version"], back.json()["based_on"]) == (3, 1)
    assert centre.acd.engine.queues["general"].wrapup_seconds == 1.0
    diff = (await admin.http.get("/api/admin/queues/diff?a=1&b=2", headers=admin.auth)).json()["diff"]
    assert "-  wrapup_seconds: 1\n+  wrapup_seconds: 30\n" in diff

    changes = await asyncio.to_thread(list_changes, centre.sessions, area="queue")
    assert [(c.action, c.user_id) for c in changes] == [("rollback", "admin"), ("update", "admin")]
    assert "+  wrapup_seconds: 30" in changes[1].diff
    assert "-  wrapup_seconds: 30" in changes[0].diff
    assert "延长整理" in changes[1].summary
    await admin.close()
