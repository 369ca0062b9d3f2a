"""Department routes of issue 11's notices on the running centre: a department's SMS numbers (centre admin
and department admins of the subtree only) and 督办 records in the portal (own and subtree only, one
acknowledgement), plus the notice job texting a department's numbers on dispatch."""

from __future__ import annotations

import asyncio

import pytest

from hotline.app import Centre
from tests.integration.dept_portal import (
    CITY,
    DISTRICT,
    OTHER_CITY,
    STREET,
    admin,
    dept_user,
    dispatched_order,
)
from tests.integration.dept_supervision import raise_record
from tickets.order_notices import order_notices
from tickets.sms import OutboxGateway

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(120)]


async def test_department_sms_numbers_are_kept_by_admins_of_the_subtree(centre: Centre) -> None:
    boss = await admin(centre)
    gusu = await dept_user(centre, "gusu_admin", DISTRICT, is_dept_admin=True)
    plain = await dept_user(centre, "street1", STREET)
    try:
        path = f"/api/dept/departments/{STREET}/sms-numbers"
        put = await gusu.http.put(path, json={"numbers": ["13900000001", " 13900000001"]}, headers=gusu.auth)
        assert put.status_code == 200, put.text
        assert put.json() == {"department": STREET, "numbers": ["13900000001"]}
        got = await boss.http.get(path, headers=boss.auth)
        assert got.json()["numbers"] == ["13900000001"]
        refusals = [
            (await gusu.http.get(f"/api/dept/departments/{CITY}/sms-numbers", headers=gusu.auth), 404),
            (await gusu.http.put(path, json={"numbers": ["0512-12345"]}, headers=gusu.auth), 422),
            (await plain.http.get(path, headers=plain.auth), 403),
            (await boss.http.get("/api/dept/departments/nowhere/sms-numbers", headers=boss.auth), 404),
        ]
        assert [r.status_code for r, _ in refusals] == [s for _, s in refusals], [r.text for r, _ in refusals]
        assert refusals[1][0].json()["error_id"] == "invalid_value"

        city = f"/api/dept/departments/{CITY}/sms-numbers"
        assert (
            await boss.http.put(city, json={"numbers": ["13900000002"]}, headers=boss.auth)
        ).status_code == 200
        number = await dispatched_order(centre, CITY)
        job = order_notices(centre.sessions)
        for _ in range(2):  # the centre's own job may run meanwhile: still one text
            await asyncio.to_thread(job.run_pass)
        texts = await asyncio.to_thread(OutboxGateway(centre.sessions).outbox, order_number=number)
        assert [(t.to, t.kind) for t in texts] == [("13900000002", "dispatched")]
        assert "138****8000" in texts[0].text
    finally:
        for c in (boss, gusu, plain):
            await c.close()


async def test_supervision_records_are_seen_and_acknowledged_within_the_subtree_only(centre: Centre) -> None:
    city = await dept_user(centre, "city1", CITY)
    street = await dept_user(centre, "street1", STREET)
    other = await dept_user(centre, "env1", OTHER_CITY)
    try:
        number = await dispatched_order(centre, CITY)
        mine = await raise_record(centre, number, department=CITY)
        below = await raise_record(
            centre, number, reason="repeat", level="escalated", department=STREET, escalate_to=DISTRICT
        )
        listed = (await city.http.get("/api/dept/supervision?open_only=true", headers=city.auth)).json()
        assert [r["id"] for r in listed] == [below, mine]
        assert listed[0]["reason_label"] == "重复诉求"
        assert listed[0]["level_label"] == "升级督办"
        seen = (await street.http.get("/api/dept/supervision", headers=street.auth)).json()
        assert [r["id"] for r in seen] == [below]
        assert (await other.http.get("/api/dept/supervision", headers=other.auth)).json() == []
        of_order = await city.http.get(f"/api/dept/orders/{number}/supervision", headers=city.auth)
        assert [r["id"] for r in of_order.json()] == [below, mine]
        hidden = await other.http.get(f"/api/dept/orders/{number}/supervision", headers=other.auth)
        assert (hidden.status_code, hidden.json()["error_id"]) == (404, "work_order_not_found")

        ack = f"/api/dept/supervision/{mine}/acknowledge"
        refused = await street.http.post(ack, headers=street.auth)
        assert (refused.status_code, refused.json()["error_id"]) == (404, "supervision_not_found")
        done = await city.http.post(ack, headers=city.auth)
        assert done.status_code == 200, done.text
        assert done.json()["acknowledged_by"] == "city1"
        again = await city.http.post(ack, headers=city.auth)
        assert (again.status_code, again.json()["error_id"]) == (409, "supervision_already_acknowledged")
        still_open = (await city.http.get("/api/dept/supervision?open_only=true", headers=city.auth)).json()
        assert [r["id"] for r in still_open] == [below]
    finally:
        for c in (city, street, other):
            await c.close()
