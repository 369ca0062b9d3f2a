"""Who may supervise what: agents get 403 on every supervisor route; supervisors listen in and act only
within their queues, steer only their own sessions; the queue mapping is admin-only. Actions on agents
reach the agent's desktop with the reason, the agent state records and the supervision log."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from hotline.app import Centre
from hotline.db import repository as repo
from hotline.sandbox.instance import AsteriskSandbox
from supervisor import api
from tests.integration.calls import CallDriver, eventually
from tests.integration.desktop import DesktopClient, frame_of
from tests.integration.supervision import (
    SUPERVISOR_HZ,
    add_user,
    set_queues,
    signed_in,
    supervised_call,
    tone_phone,
)

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(120)]

PATH_VALUES = {"agent_id": "ag1", "session_id": "spy-0123456789abcdef", "supervisor_id": "sup1"}
BODIES: dict[str, dict[str, Any]] = {
    "/api/supervisor/supervisors/{supervisor_id}/queues": {"queues": ["general"]},
    "/api/supervisor/agents/{agent_id}/listen": {"mode": "listen"},
    "/api/supervisor/sessions/{session_id}/mode": {"mode": "barge"},
    "/api/supervisor/agents/{agent_id}/actions": {"action": "pause", "reason": "培训"},
}


def _supervisor_routes() -> list[tuple[str, str]]:
    return [
        (method, route.path)
        for route in api.router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
    ]


async def test_given_an_agent_then_every_supervisor_route_answers_403(centre: Centre) -> None:
    await add_user(centre, "ag1", role="agent", contact=tone_phone(900), skills={"general": 1})
    agent = await signed_in(centre, "ag1")
    try:
        routes = _supervisor_routes()
        assert len(routes) >= 8
        for method, path in routes:
            url = path.format(**PATH_VALUES)
            resp = await agent.http.request(method, url, json=BODIES.get(path), headers=agent.auth)
            assert resp.status_code == 403, (method, path, resp.text)
            assert resp.json()["error_id"] == "forbidden"
    finally:
        await agent.close()


async def test_given_a_supervisor_then_the_queue_mapping_is_admin_only(centre: Centre) -> None:
    await add_user(centre, "sup1", role="supervisor", contact=tone_phone(SUPERVISOR_HZ), skills={})
    sup = await signed_in(centre, "sup1")
    try:
        resp = await sup.http.put(
            "/api/supervisor/supervisors/sup1/queues", json={"queues": ["general"]}, headers=sup.auth
        )
        assert resp.status_code == 403
        resp = await sup.http.get("/api/supervisor/queues", headers=sup.auth)
        assert resp.json()["queues"] == []
    finally:
        await sup.close()


@pytest.mark.parametrize(
    ("agent_skills", "error_id"),
    [
        ({"general": 1}, "agent_not_supervised"),
        ({"general": 1, "enterprise": 1}, "queue_not_supervised"),
    ],
)
async def test_given_a_call_outside_the_supervisors_queues_when_listening_then_403_and_no_phone_rings(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox, agent_skills: dict[str, int], error_id: str
) -> None:
    """The agent serves none of the supervisor's queues, or serves one but is on a call of another."""
    s = await supervised_call(centre, driver, sandbox, queues=["enterprise"], agent_skills=agent_skills)
    try:
        resp = await s.post("/api/supervisor/agents/ag1/listen", {"mode": "barge"})
        assert resp.status_code == 403, resp.text
        assert resp.json()["error_id"] == error_id
        assert not [
            e for e in driver.events if e.event.get("Channel", "").startswith(f"Local/{SUPERVISOR_HZ}@")
        ]
        if error_id == "agent_not_supervised":
            resp = await s.post("/api/supervisor/agents/ag1/actions", {"action": "log_out"})
            assert resp.status_code == 403, resp.text
            assert centre.acd.engine.store.get_agent("ag1").status == "available"  # type: ignore[union-attr]
        log = await s.supervisor.http.get("/api/supervisor/log", headers=s.supervisor.auth)
        assert log.json() == []
    finally:
        await s.close()


async def test_given_another_supervisors_session_then_it_cannot_be_steered(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox
) -> None:
    s = await supervised_call(centre, driver, sandbox, queues=["general"])
    await add_user(centre, "sup2", role="supervisor", contact=tone_phone(SUPERVISOR_HZ), skills={})
    await set_queues(centre, "sup2", ["general"])
    other = await signed_in(centre, "sup2")
    try:
        resp = await s.post("/api/supervisor/agents/ag1/listen", {"mode": "listen"})
        assert resp.status_code == 201, resp.text
        session_id = resp.json()["session_id"]
        await driver.wait_event(lambda e: e.name == "ChanSpyStart" and e.get("SpyerUniqueid") == session_id)
        base = f"/api/supervisor/sessions/{session_id}"
        for method, url, body in (
            ("GET", base, None),
            ("PUT", f"{base}/mode", {"mode": "barge"}),
            ("POST", f"{base}/take-over", None),
            ("DELETE", base, None),
        ):
            resp = await other.http.request(method, url, json=body, headers=other.auth)
            assert resp.status_code == 404, (method, url, resp.text)
        resp = await s.supervisor.http.get(base, headers=s.supervisor.auth)
        assert resp.status_code == 200
        assert resp.json()["mode"] == "listen"
    finally:
        await other.close()
        await s.close()


async def test_given_a_supervisor_when_acting_on_agents_then_the_agent_sees_who_and_why_and_it_is_recorded(
    centre: Centre,
) -> None:
    await add_user(centre, "ag1", role="agent", contact=tone_phone(900), skills={"general": 1})
    await add_user(centre, "ag2", role="agent", contact=tone_phone(900), skills={"enterprise": 1})
    await add_user(centre, "sup1", role="supervisor", contact=tone_phone(SUPERVISOR_HZ), skills={})
    await set_queues(centre, "sup1", ["general"])
    ag1 = await signed_in(centre, "ag1", connect=True)
    ag2 = await signed_in(centre, "ag2")
    sup = await signed_in(centre, "sup1")
    try:
        await ag1.status("available")
        await ag2.status("available")
        await _act(sup, "ag1", "pause", "培训", expect_status="paused")
        await ag1.wait_frame(frame_of("agent_supervisor_action", action="pause", reason="培训", by="sup1"))
        await ag1.wait_frame(frame_of("agent_changed", status="paused", pause_reason="培训"))
        await _act(sup, "ag1", "ready", "队列积压", expect_status="available")
        await ag1.wait_frame(frame_of("agent_supervisor_action", action="ready", reason="队列积压"))
        await _act(sup, "ag1", "log_out", "下班", expect_status="logged_out")
        await ag1.wait_frame(frame_of("agent_supervisor_action", action="log_out", reason="下班"))
        resp = await sup.http.post(
            "/api/supervisor/agents/ag2/actions", json={"action": "pause", "reason": "小休"}, headers=sup.auth
        )
        assert resp.status_code == 403
        legacy = await sup.http.post(
            "/api/agents/ag2/status", json={"status": "logged_out"}, headers=sup.auth
        )
        assert legacy.status_code == 403, legacy.text
        assert centre.acd.engine.store.get_agent("ag2").status == "available"  # type: ignore[union-attr]
        log = (await sup.http.get("/api/supervisor/log?agent_id=ag1", headers=sup.auth)).json()
        assert [(e["action"], e["detail"]) for e in log] == [
            ("log_out", "下班"),
            ("ready", "队列积压"),
            ("pause", "培训"),
        ]
        await eventually(
            lambda: any(
                r.pause_reason == "培训" and r.status == "paused"
                for r in repo.agent_state_history(centre.sessions, agent_id="ag1")
            )
        )
    finally:
        for desk in (ag1, ag2, sup):
            await desk.close()


async def test_given_a_pause_without_a_known_reason_then_422_and_the_agent_stays_available(
    centre: Centre,
) -> None:
    await add_user(centre, "ag1", role="agent", contact=tone_phone(900), skills={"general": 1})
    await add_user(centre, "sup1", role="supervisor", contact=tone_phone(SUPERVISOR_HZ), skills={})
    await set_queues(centre, "sup1", ["general"])
    agent = await signed_in(centre, "ag1")
    await agent.status("available")
    sup = await signed_in(centre, "sup1")
    try:
        for reason in (" ", "小休\x00", "a\nb"):
            resp = await sup.http.post(
                "/api/supervisor/agents/ag1/actions",
                json={"action": "pause", "reason": reason},
                headers=sup.auth,
            )
            assert resp.status_code == 422, reason
        resp = await sup.http.post(
            "/api/supervisor/agents/ag1/actions",
            json={"action": "pause", "reason": "没有这个原因"},
            headers=sup.auth,
        )
        assert resp.status_code == 422, resp.text
        assert centre.acd.engine.store.get_agent("ag1").status == "available"  # type: ignore[union-attr]
        assert (await sup.http.get("/api/supervisor/log", headers=sup.auth)).json() == []
    finally:
        await agent.close()
        await sup.close()


async def _act(sup: DesktopClient, agent_id: str, action: str, reason: str, *, expect_status: str) -> None:
    resp = await sup.http.post(
        f"/api/supervisor/agents/{agent_id}/actions",
        json={"action": action, "reason": reason},
        headers=sup.auth,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == expect_status


async def test_given_a_supervisor_without_a_configured_phone_then_their_browser_phone_rings_or_409(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox
) -> None:
    s = await supervised_call(centre, driver, sandbox, queues=["general"])
    await add_user(centre, "1002", role="supervisor", contact="", skills={})
    await add_user(centre, "sup9", role="supervisor", contact="", skills={})
    await set_queues(centre, "1002", ["general"])
    await set_queues(centre, "sup9", ["general"])
    browser, phoneless = await signed_in(centre, "1002"), await signed_in(centre, "sup9")
    try:
        resp = await phoneless.http.post(
            "/api/supervisor/agents/ag1/listen", json={"mode": "listen"}, headers=phoneless.auth
        )
        assert resp.status_code == 409
        assert resp.json()["error_id"] == "no_phone"
        resp = await browser.http.post(
            "/api/supervisor/agents/ag1/listen", json={"mode": "listen"}, headers=browser.auth
        )
        assert resp.status_code == 201, resp.text
        await driver.wait_event(lambda e: e.get("Channel", "").startswith("PJSIP/1002"))
    finally:
        await browser.close()
        await phoneless.close()
        await s.close()
