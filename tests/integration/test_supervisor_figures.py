"""Live figures over the desktop websocket: a supervisor's desktop sees a call wait and then be answered;
an agent's desktop never gets the figures."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.app import Centre
from tests.integration.calls import CallDriver
from tests.integration.desktop import Frame
from tests.integration.supervision import add_user, set_queues, signed_in

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(120)]


def _general(frame: Frame) -> dict[str, Any]:
    queues: list[dict[str, Any]] = frame["data"]["queues"]
    return next(q for q in queues if q["queue"] == "general")


def _figures(check: Any) -> Any:
    return lambda f: f.get("type") == "queue_figures" and check(f)


async def test_given_a_supervisors_desktop_when_a_call_waits_and_is_answered_then_the_figures_follow(
    centre: Centre, driver: CallDriver
) -> None:
    await add_user(
        centre, "ag1", role="agent", contact="Local/7001*60*0.2@hotline-sim-agent", skills={"general": 1}
    )
    await add_user(centre, "sup1", role="supervisor", contact="", skills={})
    await set_queues(centre, "sup1", ["general"])
    agent = await signed_in(centre, "ag1", connect=True)
    sup = await signed_in(centre, "sup1", connect=True)
    try:
        await agent.status("paused", reason="小休")
        await sup.wait_frame(_figures(lambda f: _general(f)["paused"] == {"小休": 1}))
        call = await driver.call("13800138000", keys="0")
        await sup.wait_frame(_figures(lambda f: _general(f)["waiting"] == 1), timeout=30)
        resp = await sup.http.post(
            "/api/supervisor/agents/ag1/actions", json={"action": "ready", "reason": "排队"}, headers=sup.auth
        )
        assert resp.status_code == 200, resp.text
        _, answered = await sup.wait_frame(
            _figures(lambda f: _general(f)["on_call"] == 1 and _general(f)["waiting"] == 0), timeout=30
        )
        (ag1,) = (a for a in answered["data"]["agents"] if a["agent_id"] == "ag1")
        assert ag1["state"] == "on_call"
        assert ag1["call"]["call_id"] == call.call_id
        assert ag1["call"]["caller"] == "13800138000"
        assert not [f for _, f in agent.frames if f.get("type") == "queue_figures"]
        assert sup.violations == []
    finally:
        await agent.close()
        await sup.close()
