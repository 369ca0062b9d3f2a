"""The supervisor's centre settings and switches over HTTP, on the running centre with the real Asterisk
sandbox: thresholds and pause reasons served, surge mode switching the ACD's surge seats and the call
flow's flag together, the emergency notice spoken into its prompt, every change in the supervision log,
and agents refused."""

from __future__ import annotations

import asyncio

import pytest

from hotline.app import Centre
from ivr import prompts
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient
from tests.integration.supervision import add_user, set_queues, signed_in

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(120)]

NOTICE = "重要提示：今晚暴雨，如遇积水请拨打12345。"


async def _supervisor(centre: Centre, queues: list[str]) -> DesktopClient:
    await add_user(centre, "sup1", role="supervisor", contact="", skills={})
    await set_queues(centre, "sup1", queues)
    return await signed_in(centre, "sup1")


async def _admin(centre: Centre) -> DesktopClient:
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    return admin


async def test_given_an_agent_then_every_settings_and_switch_route_is_refused(centre: Centre) -> None:
    await add_user(centre, "ag1", role="agent", contact="", skills={"general": 1})
    agent = await signed_in(centre, "ag1")
    try:
        for method, path, body in [
            ("GET", "/api/supervisor/queue-settings", None),
            ("GET", "/api/supervisor/switches", None),
            ("PUT", "/api/supervisor/switches/surge", {"on": True}),
            ("PUT", "/api/supervisor/switches/emergency", {"on": True}),
        ]:
            resp = await agent.http.request(method, path, json=body, headers=agent.auth)
            assert resp.status_code == 403, (path, resp.text)
            assert resp.json()["error_id"] == "forbidden"
        assert not centre.acd.engine.routing.surge
    finally:
        await agent.close()


async def test_given_a_supervisor_then_thresholds_of_their_queues_and_the_pause_reasons_are_served(
    centre: Centre,
) -> None:
    sup = await _supervisor(centre, ["general", "surge"])
    try:
        resp = await sup.http.get("/api/supervisor/queue-settings", headers=sup.auth)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert [q["queue"] for q in body["queues"]] == ["general", "surge"]
        general = body["queues"][0]["thresholds"]
        assert general["waiting"] == {"amber": 5.0, "red": 15.0, "direction": "higher_is_worse"}
        assert general["service_level"]["direction"] == "lower_is_worse"
        assert body["pause_reasons"] == list(centre.acd.engine.policy.pause_reasons)
        assert (body["service_level_s"], body["timezone"]) == (15.0, "Asia/Shanghai")
    finally:
        await sup.close()


async def test_given_surge_switched_on_and_off_then_acd_and_flow_flag_follow_and_both_are_logged(
    centre: Centre,
) -> None:
    sup = await _supervisor(centre, ["general"])
    admin = await _admin(centre)
    try:
        before = (await sup.http.get("/api/supervisor/switches", headers=sup.auth)).json()
        assert before["surge"] == {"on": False, "acd": False, "ivr": False}

        on = await sup.http.put("/api/supervisor/switches/surge", json={"on": True}, headers=sup.auth)
        assert on.status_code == 200, on.text
        assert on.json()["surge"] == {"on": True, "acd": True, "ivr": True}
        flags = (await admin.http.get("/api/ivr/flags", headers=admin.auth)).json()
        assert flags["overrides"]["surge"] is True
        assert centre.acd.engine.routing.surge["general"] == ("surge",)

        off = await sup.http.put("/api/supervisor/switches/surge", json={"on": False}, headers=sup.auth)
        assert off.json()["surge"] == {"on": False, "acd": False, "ivr": False}
        flags = (await admin.http.get("/api/ivr/flags", headers=admin.auth)).json()
        assert flags["overrides"]["surge"] is False
        assert not centre.acd.engine.routing.surge

        log = (await sup.http.get("/api/supervisor/log", headers=sup.auth)).json()
        assert [(s["action"], s["agent_id"]) for s in log[:2]] == [("surge_off", ""), ("surge_on", "")]
    finally:
        await sup.close()
        await admin.close()


async def test_given_the_surge_flag_set_elsewhere_then_this_nodes_acd_follows_it_both_ways(
    centre: Centre,
) -> None:
    """Another app node's switch (or an admin's flag) changes only the database: the surge follower
    turns this node's surge seats to the flag, on and off."""
    assert not centre.acd.engine.routing.surge
    admin = await _admin(centre)
    try:
        for value in (True, False):
            resp = await admin.http.put("/api/ivr/flags/surge", json={"value": value}, headers=admin.auth)
            assert resp.status_code == 200, resp.text
            for _ in range(100):
                if bool(centre.acd.engine.routing.surge) is value:
                    break
                await asyncio.sleep(0.1)
            assert bool(centre.acd.engine.routing.surge) is value
            if value:
                assert centre.acd.engine.routing.surge["general"] == ("surge",)
    finally:
        await admin.close()


async def test_given_a_new_emergency_notice_then_it_is_spoken_switched_on_and_logged(centre: Centre) -> None:
    sup = await _supervisor(centre, ["general"])
    try:
        await restore_notice(sup)  # whatever an earlier centre on this sandbox left (e.g. the HTTP fuzz test)
        shipped = (await sup.http.get("/api/supervisor/switches", headers=sup.auth)).json()["emergency"]
        assert shipped["on"] is False
        assert shipped["text"].startswith("重要提示")
        wav = prompts.prompt_file(centre.ivr.sounds_dir, "emergency_notice")
        before = wav.stat().st_mtime_ns

        resp = await sup.http.put(
            "/api/supervisor/switches/emergency", json={"on": True, "text": NOTICE}, headers=sup.auth
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["emergency"] == {"on": True, "text": NOTICE}
        assert wav.stat().st_mtime_ns != before
        assert prompts.prompt_seconds(centre.ivr.sounds_dir, "emergency_notice") > 1.0
        assert centre.ivr.catalog.flags() == {"emergency_announcement": True}

        off = await sup.http.put("/api/supervisor/switches/emergency", json={"on": False}, headers=sup.auth)
        assert off.json()["emergency"] == {"on": False, "text": NOTICE}
        log = (await sup.http.get("/api/supervisor/log", headers=sup.auth)).json()
        assert [(s["action"], s["detail"]) for s in log[:2]] == [
            ("emergency_off", ""),
            ("emergency_on", NOTICE),
        ]

        back = {"on": False, "text": shipped["text"]}
        resp = await sup.http.put("/api/supervisor/switches/emergency", json=back, headers=sup.auth)
        assert resp.json()["emergency"] == back
        assert wav.with_name(".emergency_notice.stamp").exists(), "the generated prompt is not back"
    finally:
        await restore_notice(sup)
        await sup.close()


async def restore_notice(client: DesktopClient) -> None:
    """Put the shipped notice back (the sandbox's prompts are shared by every centre of the test run)."""
    shipped = prompts.default_prompt_texts()["emergency_notice"]
    body = {"on": False, "text": shipped}
    resp = await client.http.put("/api/supervisor/switches/emergency", json=body, headers=client.auth)
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize(
    "body",
    [
        {"on": True, "text": "提示\x00"},
        {"on": True, "text": ""},
        {"on": True, "text": "   "},
        {"on": "maybe"},
    ],
)
async def test_given_a_bad_emergency_request_then_422_with_the_error_body_and_nothing_changes(
    centre: Centre, body: dict[str, object]
) -> None:
    sup = await _supervisor(centre, ["general"])
    try:
        resp = await sup.http.put("/api/supervisor/switches/emergency", json=body, headers=sup.auth)
        assert resp.status_code == 422, resp.text
        assert set(resp.json()) == {"error_id", "message", "details"}
        assert centre.ivr.catalog.flags() == {}
    finally:
        await sup.close()
