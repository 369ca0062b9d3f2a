"""Department users on the running centre: the centre admin makes department admins, a department admin
manages plain users of its subtree only, never a centre account nor another admin; a disabled user can no
longer sign in and their open session ends."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from sqlalchemy import delete

from hotline.app import Centre
from tests.integration.dept_portal import (
    CITY,
    DISTRICT,
    OTHER_CITY,
    OTHER_STREET,
    STREET,
    admin,
    dept_user,
    password,
    save_user,
)
from tests.integration.desktop import DesktopClient
from tests.integration.supervision import add_user
from tickets.department_models import DepartmentNode

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(120)]


async def test_the_centre_admin_sees_the_seeded_tree(centre: Centre) -> None:
    boss = await admin(centre)
    try:
        tree = {
            d["code"]: d for d in (await boss.http.get("/api/dept/departments", headers=boss.auth)).json()
        }
        assert tree[CITY]["level"] == {"value": "city", "label": "市级"}
        assert tree[DISTRICT]["parent_code"] == CITY
        assert tree[STREET]["parent_code"] == DISTRICT
        assert tree[STREET]["level"]["label"] == "街道（社区）"
    finally:
        await boss.close()


async def test_a_department_admin_manages_only_plain_users_below_it(centre: Centre) -> None:
    await add_user(centre, "ag1", role="agent", contact="", skills={"general": 1})
    gusu = await dept_user(centre, "gusu_admin", DISTRICT, is_dept_admin=True)
    city = await dept_user(centre, "city_admin", CITY, is_dept_admin=True)
    other = await dept_user(centre, "env1", OTHER_CITY)
    try:
        made = await save_user(gusu, "street1", STREET)
        assert made.status_code == 200, made.text
        assert made.json() | {"created_at": None} == {
            "user_id": "street1",
            "name": "用户street1",
            "department": STREET,
            "department_name": "姑苏区平江街道",
            "is_dept_admin": False,
            "active": True,
            "created_by": "gusu_admin",
            "created_at": None,
        }
        refusals = [
            (await save_user(gusu, "x1", CITY), 403, "department_not_managed"),
            (await save_user(gusu, "x2", OTHER_STREET), 403, "department_not_managed"),
            (await save_user(gusu, "x3", STREET, is_dept_admin=True), 403, "admin_only_by_centre"),
            (await save_user(gusu, "ag1", STREET), 409, "user_not_department"),
            (await save_user(gusu, "city_admin", STREET), 404, "department_user_not_found"),
            (await save_user(city, "gusu_admin", DISTRICT), 403, "admin_only_by_centre"),
            (await save_user(other, "x4", OTHER_CITY), 403, "forbidden"),
        ]
        for resp, status, error_id in refusals:
            assert (resp.status_code, resp.json()["error_id"]) == (status, error_id), resp.text
        listed = (await gusu.http.get("/api/dept/users", headers=gusu.auth)).json()
        assert sorted(u["user_id"] for u in listed) == ["gusu_admin", "street1"]
        seen = (await city.http.get("/api/dept/users", headers=city.auth)).json()
        assert sorted(u["user_id"] for u in seen) == ["city_admin", "gusu_admin", "street1"]
        codes = {d["code"] for d in (await gusu.http.get("/api/dept/departments", headers=gusu.auth)).json()}
        assert STREET in codes
        assert CITY not in codes
    finally:
        for client in (gusu, city, other):
            await client.close()


async def test_given_a_disabled_user_then_sign_in_and_the_open_session_fail(centre: Centre) -> None:
    gusu = await dept_user(centre, "gusu_admin", DISTRICT, is_dept_admin=True)
    await save_user(gusu, "street1", STREET)
    street = DesktopClient(centre.url)
    await street.sign_in("street1", password("street1"))
    try:
        assert (await street.http.get("/api/dept/me", headers=street.auth)).status_code == 200
        done = await gusu.http.post("/api/dept/users/street1/disable", headers=gusu.auth)
        assert done.status_code == 200, done.text
        assert done.json()["active"] is False
        assert (await street.http.get("/api/dept/me", headers=street.auth)).status_code == 401
        again = await street.http.post(
            "/api/sessions", json={"user_id": "street1", "password": password("street1")}
        )
        assert again.status_code == 401
        self_off = await gusu.http.post("/api/dept/users/gusu_admin/disable", headers=gusu.auth)
        assert self_off.status_code == 409
        back = await save_user(gusu, "street1", STREET)
        assert back.json()["active"] is True
        await street.sign_in("street1", password("street1"))
        me = (await street.http.get("/api/dept/me", headers=street.auth)).json()
        assert me["department"]["code"] == STREET
        assert [d["code"] for d in me["subtree"]] == [STREET]
    finally:
        await gusu.close()
        await street.close()


async def test_a_department_user_reaches_nothing_of_the_centre_but_the_portal(centre: Centre) -> None:
    street = await dept_user(centre, "street1", STREET)
    try:
        for method, path, body in (
            ("GET", "/api/me", None),
            ("POST", "/api/me/status", {"status": "available"}),
            ("GET", "/api/work-orders", None),
            ("GET", "/api/knowledge?q=停水", None),
            ("GET", "/api/agents", None),
        ):
            resp = await street.http.request(method, path, json=body, headers=street.auth)
            assert resp.status_code == 403, (path, resp.text)
            assert resp.json()["error_id"] == "department_portal_only"
        async with websockets.connect(centre.url.replace("http", "ws", 1) + "ws/v1") as ws:
            await ws.send(json.dumps({"v": 1, "type": "auth", "token": street.token}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4401
        assert (await street.http.get("/api/dept/me", headers=street.auth)).status_code == 200
        assert (await street.http.delete("/api/sessions", headers=street.auth)).status_code == 204
    finally:
        await street.close()


async def test_given_a_tree_node_missing_from_the_table_then_the_portal_adds_it_on_first_use(
    centre: Centre,
) -> None:
    def drop_street() -> None:
        with centre.sessions.begin() as s:
            s.execute(delete(DepartmentNode).where(DepartmentNode.code == "cgj_sip_xietang"))

    await asyncio.to_thread(drop_street)
    boss = await admin(centre)
    try:
        codes = {d["code"] for d in (await boss.http.get("/api/dept/departments", headers=boss.auth)).json()}
        assert "cgj_sip_xietang" in codes
    finally:
        await boss.close()
