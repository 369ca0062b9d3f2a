"""The department portal's API on the running centre: a department signs, hands down, the street replies
with an attachment; returns within the limit only; extensions; another department never sees the order;
other roles are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hotline.app import Centre
from tests.integration.dept_portal import (
    CALLER,
    CITY,
    DISTRICT,
    OTHER_CITY,
    OTHER_STREET,
    PNG,
    STREET,
    admin,
    dept_user,
    dispatched_order,
    office_file,
)
from tests.integration.supervision import add_user, signed_in
from tickets.dept_portal import Portal
from tickets.loop import OrderLoop
from tickets.vocab import BEIJING

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(120)]


async def test_given_an_order_when_signed_handed_down_and_replied_then_each_step_is_recorded(
    centre: Centre,
) -> None:
    city = await dept_user(centre, "city1", CITY)
    street = await dept_user(centre, "street1", STREET)
    number = await dispatched_order(centre, CITY)
    try:
        inbox = (await city.http.get("/api/dept/orders", headers=city.auth)).json()
        assert [o["number"] for o in inbox] == [number]
        assert inbox[0]["countdowns"]["sign"]["level"] in ("ok", "soon")
        assert (await street.http.get("/api/dept/orders", headers=street.auth)).json() == []

        signed = await city.http.post(f"/api/dept/orders/{number}/sign", headers=city.auth)
        assert signed.status_code == 200, signed.text
        assert signed.json()["order"]["status"]["value"] == "signed"
        assert STREET in [d["code"] for d in signed.json()["hand_down_to"]]

        down = await city.http.post(
            f"/api/dept/orders/{number}/hand-down", json={"to_department": STREET}, headers=city.auth
        )
        assert down.status_code == 200, down.text
        assert down.json()["main_department"] == STREET

        files = [
            ("files", ("现场照片.png", PNG, "image/png")),
            ("files", ("整改.docx", office_file("docx"), "x")),
        ]
        replied = await street.http.post(
            f"/api/dept/orders/{number}/reply",
            data={"text": "已清理占道摊位。"},
            files=files,
            headers=street.auth,
        )
        assert replied.status_code == 200, replied.text
        detail = replied.json()
        assert detail["order"]["status"]["value"] == "replied"
        events = [h["event"] for h in detail["order"]["history"]]
        assert events[-3:] == ["sign", "hand_down", "reply"]
        reply_entry = detail["order"]["history"][-1]
        assert reply_entry["actor"] == "street1"
        assert [a["name"] for a in reply_entry["detail"]["attachments"]] == ["现场照片.png", "整改.docx"]
        kinds = [(a["name"], a["content_type"], a["size"]) for a in detail["attachments"]]
        assert kinds[0] == ("现场照片.png", "image/png", len(PNG))
        assert kinds[1][1].endswith("wordprocessingml.document")

        got = await city.http.get(detail["attachments"][0]["url"], headers=city.auth)
        assert got.status_code == 200
        assert got.content == PNG
        assert got.headers["content-type"] == "image/png"
        assert "attachment" in got.headers["content-disposition"]
    finally:
        await city.close()
        await street.close()


async def test_given_another_department_then_the_order_is_never_shown_nor_acted_on(centre: Centre) -> None:
    city = await dept_user(centre, "city1", CITY)
    district = await dept_user(centre, "gusu1", DISTRICT)
    other = await dept_user(centre, "env1", OTHER_CITY)
    sibling = await dept_user(centre, "sip1", OTHER_STREET)
    number = await dispatched_order(centre, CITY)
    try:
        await city.http.post(f"/api/dept/orders/{number}/sign", headers=city.auth)
        await city.http.post(
            f"/api/dept/orders/{number}/hand-down", json={"to_department": STREET}, headers=city.auth
        )
        replied = await city.http.post(
            f"/api/dept/orders/{number}/reply",
            data={"text": "已处理"},
            files=[("files", ("a.png", PNG, "image/png"))],
            headers=city.auth,
        )
        attachment = replied.json()["attachments"][0]["url"]
        seen = (await district.http.get("/api/dept/orders", headers=district.auth)).json()
        assert [o["number"] for o in seen] == [number], "the street's district sees it"
        for outsider in (other, sibling):
            assert (await outsider.http.get("/api/dept/orders", headers=outsider.auth)).json() == []
            for method, path, body in (
                ("GET", f"/api/dept/orders/{number}", None),
                ("POST", f"/api/dept/orders/{number}/sign", None),
                ("POST", f"/api/dept/orders/{number}/return", {"reason": "不归我们管"}),
                ("POST", f"/api/dept/orders/{number}/extension", {"working_days": 3, "reason": "需要协调"}),
                ("POST", f"/api/dept/orders/{number}/hand-down", {"to_department": OTHER_STREET}),
                ("GET", attachment, None),
            ):
                resp = await outsider.http.request(method, path, json=body, headers=outsider.auth)
                assert resp.status_code == 404, (method, path, resp.text)
                assert resp.json()["error_id"] == "work_order_not_found"
                assert CALLER not in resp.text
            unknown = await outsider.http.get("/api/dept/orders/12345-20260101-999999", headers=outsider.auth)
            assert unknown.json() == resp.json() | {"message": unknown.json()["message"]}
    finally:
        for client in (city, district, other, sibling):
            await client.close()


async def test_given_a_department_when_handing_down_outside_its_subtree_then_refused(centre: Centre) -> None:
    city = await dept_user(centre, "city1", CITY)
    district = await dept_user(centre, "gusu1", DISTRICT)
    number = await dispatched_order(centre, CITY)
    try:
        down = {"to_department": DISTRICT}
        await city.http.post(f"/api/dept/orders/{number}/hand-down", json=down, headers=city.auth)
        for target in (OTHER_STREET, CITY, DISTRICT, "nosuchdept"):
            resp = await district.http.post(
                f"/api/dept/orders/{number}/hand-down", json={"to_department": target}, headers=district.auth
            )
            assert resp.status_code == 422, (target, resp.text)
            assert resp.json()["error_id"] == "not_below"
        detail = (await district.http.get(f"/api/dept/orders/{number}", headers=district.auth)).json()
        assert detail["main_department"] == DISTRICT
        assert [h["event"] for h in detail["order"]["history"]] == ["created", "dispatch", "hand_down"]
    finally:
        await city.close()
        await district.close()


async def test_given_the_return_limit_when_returning_then_only_in_time_is_accepted(centre: Centre) -> None:
    city = await dept_user(centre, "city1", CITY)
    fresh = await dispatched_order(centre, CITY)
    old = await dispatched_order(centre, CITY, at=datetime.now(UTC) - timedelta(days=15))
    try:
        ok = await city.http.post(
            f"/api/dept/orders/{fresh}/return", json={"reason": "应由区级处理"}, headers=city.auth
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["order"]["status"]["value"] == "returned"
        assert ok.json()["order"]["history"][-1]["detail"]["reason"] == "应由区级处理"
        late = await city.http.post(
            f"/api/dept/orders/{old}/return", json={"reason": "太晚了"}, headers=city.auth
        )
        assert late.status_code == 409
        assert late.json()["error_id"] == "return_limit_passed"
        blank = await city.http.post(
            f"/api/dept/orders/{fresh}/return", json={"reason": ""}, headers=city.auth
        )
        assert blank.status_code == 422
    finally:
        await city.close()


async def test_given_a_signed_order_when_asking_for_an_extension_then_it_waits_for_the_centre(
    centre: Centre,
) -> None:
    city = await dept_user(centre, "city1", CITY)
    number = await dispatched_order(centre, CITY)
    try:
        await city.http.post(f"/api/dept/orders/{number}/sign", headers=city.auth)
        asked = await city.http.post(
            f"/api/dept/orders/{number}/extension",
            json={"working_days": 3, "reason": "需要跨部门协调"},
            headers=city.auth,
        )
        assert asked.status_code == 201, asked.text
        assert asked.json()["status"] == "requested"
        detail = (await city.http.get(f"/api/dept/orders/{number}", headers=city.auth)).json()
        assert [(x["working_days"], x["status"]) for x in detail["extensions"]] == [(3, "requested")]
    finally:
        await city.close()


async def test_given_bad_uploads_then_413_415_and_the_order_is_unchanged(centre: Centre) -> None:
    city = await dept_user(centre, "city1", CITY)
    number = await dispatched_order(centre, CITY)
    try:
        url = f"/api/dept/orders/{number}/reply"
        unsigned = await city.http.post(
            url, data={"text": "x"}, files=[("files", ("a.png", PNG, "image/png"))], headers=city.auth
        )
        assert unsigned.status_code == 409, unsigned.text
        assert unsigned.json()["error_id"] == "illegal_transition"
        store = centre.http.state.attachments.root
        assert not store.exists() or not any(store.iterdir()), "nothing is stored for a refused reply"
        await city.http.post(f"/api/dept/orders/{number}/sign", headers=city.auth)
        big = PNG + bytes(10 * 1024 * 1024)
        both = [("files", ("ok.png", PNG, "image/png")), ("files", ("big.png", big, "image/png"))]
        too_big = await city.http.post(url, data={"text": "x"}, files=both, headers=city.auth)
        assert too_big.status_code == 413, too_big.text
        assert too_big.json()["error_id"] == "attachment_too_large"
        assert not store.exists() or not any(store.iterdir()), "no file of a refused reply is kept"
        fake = await city.http.post(
            url,
            data={"text": "x"},
            files=[("files", ("报告.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"))],
            headers=city.auth,
        )
        assert fake.status_code == 415, fake.text
        assert fake.json()["error_id"] == "attachment_type_not_allowed"
        assert fake.json()["details"]["name"] == "报告.pdf"
        detail = (await city.http.get(f"/api/dept/orders/{number}", headers=city.auth)).json()
        assert detail["order"]["status"]["value"] == "signed"
        assert detail["attachments"] == []
        xlsx = await city.http.post(
            url,
            data={"text": "见附件"},
            files=[("files", ("统计.xlsx", office_file("xlsx"), "application/octet-stream"))],
            headers=city.auth,
        )
        assert xlsx.status_code == 200, xlsx.text
        assert xlsx.json()["attachments"][0]["content_type"].endswith("spreadsheetml.sheet")
    finally:
        await city.close()


async def test_given_centre_roles_then_order_routes_answer_403(centre: Centre) -> None:
    await add_user(centre, "ag1", role="agent", contact="", skills={"general": 1})
    number = await dispatched_order(centre, CITY)
    agent = await signed_in(centre, "ag1")
    boss = await admin(centre)
    try:
        for client in (agent, boss):
            for path in ("/api/dept/orders", f"/api/dept/orders/{number}", "/api/dept/me"):
                resp = await client.http.get(path, headers=client.auth)
                assert resp.status_code == 403, resp.text
                assert resp.json()["error_id"] == "department_only"
        anonymous = await agent.http.post(f"/api/dept/orders/{number}/reply", data={"text": "x"})
        assert anonymous.status_code == 401
    finally:
        await agent.close()
        await boss.close()


async def test_given_a_fixed_clock_then_countdowns_turn_amber_then_red(centre: Centre) -> None:
    dispatched = datetime(2026, 9, 28, 10, 0, tzinfo=BEIJING)  # a Monday
    clock = [datetime(2026, 9, 28, 12, 0, tzinfo=BEIJING)]
    centre.http.state.dept_portal = Portal(
        tickets=centre.tickets,
        loop=OrderLoop(sessions=centre.sessions),
        store=centre.http.state.attachments,
        clock=lambda: clock[0],
    )
    city = await dept_user(centre, "city1", CITY)
    number = await dispatched_order(centre, CITY, at=dispatched, confidential=True)
    try:
        levels = []
        for now in (
            clock[0],
            datetime(2026, 9, 29, 12, 0, tzinfo=BEIJING),
            datetime(2026, 9, 30, 9, 0, tzinfo=BEIJING),
        ):
            clock[0] = now
            item = (await city.http.get("/api/dept/orders", headers=city.auth)).json()[0]
            levels.append(item["countdowns"]["sign"]["level"])
        assert levels == ["ok", "soon", "overdue"]
        assert item["countdowns"]["sign"]["working_days_left"] < 0
        assert item["countdowns"]["handle"]["level"] == "ok"
        detail = (await city.http.get(f"/api/dept/orders/{number}", headers=city.auth)).json()
        assert detail["order"]["caller"]["number"] == "138****8000", (
            "confidential callers reach departments masked"
        )
        assert detail["return_due"].startswith("2026-09-30T15:59:59")
    finally:
        await city.close()
