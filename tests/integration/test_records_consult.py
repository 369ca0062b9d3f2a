"""Records of an attended transfer to a queue through the real Asterisk: the consultation leg that waits
in the ACD is recorded as a consultation, not as a citizen's call; the citizen's call shows the
consultation and the transfer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.app import Centre
from hotline.db import repository as repo
from tests.integration.attended import wait_bridged, wait_state
from tests.integration.calls import CallDriver, eventually
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient, frame_of
from tests.integration.seats import connected_call, seat

pytestmark = pytest.mark.asterisk

CITIZEN = "13800000071"


def _ended(centre: Centre, call_id: str) -> repo.CallRow | None:
    row = repo.get_call(centre.sessions, call_id=call_id)
    return row if row is not None and row.ended_at is not None else None


async def test_given_attended_transfer_to_a_queue_then_consultation_leg_is_no_citizen_call(
    centre: Centre, driver: CallDriver
) -> None:
    first = await seat(centre, "7371", {"general": 1})
    try:
        call_id = await connected_call(driver, first, CITIZEN)
        enterprise = await seat(centre, "7372", {"enterprise": 1})
        try:
            resp = await first.http.post(
                "/api/me/call/consult", json={"queue": "enterprise"}, headers=first.auth
            )
            assert resp.status_code == 200, resp.text
            _, offer = await enterprise.wait_frame(frame_of("offer"), timeout=15)
            stand_in = offer["call"]["call_id"]
            assert stand_in != call_id
            await wait_state(enterprise, "on_call")
            done = await first.http.post("/api/me/call/consult/complete", headers=first.auth)
            assert done.status_code == 200, done.text
            await wait_bridged(driver, call_id, "Local/s@hotline-consult-wait")
            await driver.hang_up(call_id)
            await eventually(lambda: _ended(centre, stand_in), timeout=15)
            await eventually(lambda: _ended(centre, call_id), timeout=15)
            await centre.recorder.drained()
        finally:
            await enterprise.close()
    finally:
        await first.close()

    sessions = centre.sessions
    consultation = repo.get_call(sessions, call_id=stand_in)
    assert consultation is not None
    assert (consultation.kind, consultation.queue, consultation.agent_id, consultation.outcome) == (
        "consult",
        "enterprise",
        "7372",
        "answered",
    )
    assert [c.call_id for c in repo.list_calls(sessions)] == [call_id]
    assert [c.call_id for c in repo.list_calls(sessions, kind="consult")] == [stand_in]
    citizen = repo.get_call(sessions, call_id=call_id)
    assert citizen is not None
    assert (citizen.kind, citizen.caller, citizen.agent_id, citizen.outcome) == (
        "citizen",
        CITIZEN,
        "7371",
        "answered",
    )
    day = timedelta(days=1)
    history = repo.calls_from_caller(
        sessions, caller=CITIZEN, since=citizen.entered_ivr_at - day, before=citizen.entered_ivr_at + day
    )
    assert [c.call_id for c in history] == [call_id]

    steps = [
        (e.kind, e.detail.get("phase") or e.detail.get("kind"))
        for e in repo.call_events(sessions, call_id=call_id)
    ]
    assert ("consult", "started") in steps
    assert ("consult", "completed") in steps
    assert ("transferred", "attended") in steps

    admin = DesktopClient(centre.url)
    try:
        await admin.sign_in("admin", ADMIN_PASSWORD)
        listed = await admin.http.get("/api/calls", headers=admin.auth)
        audited = await admin.http.get("/api/calls", params={"kind": "consult"}, headers=admin.auth)
    finally:
        await admin.close()
    assert [(c["call_id"], c["kind"]) for c in listed.json()] == [(call_id, "citizen")]
    assert [(c["call_id"], c["kind"], c["agent_id"]) for c in audited.json()] == [
        (stand_in, "consult", "7372")
    ]
