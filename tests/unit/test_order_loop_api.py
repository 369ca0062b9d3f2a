"""The centre's order-loop routes (tickets/loop_api.py) and 并单 suggestions at intake, in a small app
on a real SQLite database with real tokens; the department steps are taken through ``OrderLoop``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker

from acd.engine import AcdEngine
from acd.model import QueueConfig
from acd.service import AcdService
from acd.store import MemoryStore
from agent_desktop.auth import Role, TokenStore
from agent_desktop.errors import DesktopError
from agent_desktop.hub import DesktopHub
from hotline.ami.client import AmiClient
from hotline.bus import EventBus
from hotline.db.engine import make_engine, migrate, session_factory
from tests.unit.desktop_http import site
from tickets import api as tickets_api
from tickets import loop_api
from tickets.loop import OrderLoop

pytestmark = pytest.mark.timeout(60)


@dataclass(frozen=True)
class _Desktop:
    sessions: sessionmaker[Session]
    tokens: TokenStore
    acd: AcdService


def _acd() -> AcdService:
    bus = EventBus()
    engine = AcdEngine(queues=[QueueConfig("general", "general", wrapup_seconds=30.0)], store=MemoryStore())
    unconnected = AmiClient(host="127.0.0.1", port=9, username="hotline", secret="unused")
    return AcdService(engine=engine, ami=unconnected, bus=bus, notifier=DesktopHub(bus), ring_timeout_s=15.0)


def _app(desktop: _Desktop) -> FastAPI:
    app = FastAPI()
    app.state.desktop = desktop
    app.include_router(tickets_api.router)
    app.include_router(loop_api.router)

    @app.exception_handler(DesktopError)
    async def desktop_error(_: Request, exc: DesktopError) -> JSONResponse:
        body = {"error_id": exc.error_id, "message": str(exc), "details": exc.details}
        return JSONResponse(status_code=exc.status_code, content=body)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        body = {"error_id": "invalid_request", "message": "bad request", "details": {}}
        return JSONResponse(status_code=422, content=body)

    return app


def _department_role() -> Role:
    """The department role, whether or not ``Role`` lists it yet (tokens carry any role value)."""
    try:
        return Role("department")
    except ValueError:
        return cast(Role, "department")


OTHER_ROLE = cast(Role, "qa")
"""A role that is not the centre's (a future one): the work-order routes refuse it themselves."""
REFUSED_IDS = {"forbidden", "department_portal_only"}
"""403 error ids a department user may get: the routes' own, or the portal-only gate before them."""


@dataclass
class World:
    """A client, the loop the departments act through, and one bearer header per user."""

    client: httpx.AsyncClient
    loop: OrderLoop
    headers: dict[str, dict[str, str]]

    async def post(self, user: str, path: str, body: object = None) -> httpx.Response:
        """POST as ``user``."""
        return await self.client.post(path, json={} if body is None else body, headers=self.headers[user])

    async def get(self, user: str, path: str, **params: Any) -> httpx.Response:
        """GET as ``user``."""
        return await self.client.get(path, params=params, headers=self.headers[user])

    async def create(self, user: str = "1001", **changes: object) -> dict[str, Any]:
        """A new complaint, as the create route answers."""
        response = await self.post(user, "/api/work-orders", complaint(**changes))
        assert response.status_code == 201, response.text
        return cast(dict[str, Any], response.json())

    async def dispatched(self, user: str = "1001", **changes: object) -> str:
        """A complaint created by ``user`` and dispatched to 生态环境局."""
        number = str((await self.create(user, **changes))["number"])
        body = {"departments": {"main": "sthjj"}}
        assert (await self.post(user, f"/api/work-orders/{number}/dispatch", body)).status_code == 200
        return number


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Agents 1001 and 1002, a supervisor, an admin and a department user on a migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'loop.db'}"
    migrate(url)
    engine = make_engine(url)
    tokens = TokenStore()
    users = {"1001": Role.AGENT, "1002": Role.AGENT, "sup": Role.SUPERVISOR, "admin": Role.ADMIN}
    users["dept"], users["qa"] = _department_role(), OTHER_ROLE
    headers = {u: {"Authorization": f"Bearer {tokens.issue(u, r)}"} for u, r in users.items()}
    sessions = session_factory(engine)
    app = _app(_Desktop(sessions=sessions, tokens=tokens, acd=_acd()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
        yield World(client=client, loop=OrderLoop(sessions), headers=headers)
    engine.dispose()


def complaint(**changes: object) -> dict[str, object]:
    """A complete complaint from 13800138000 about 幸福路8号."""
    body: dict[str, object] = {
        "caller": {"name": "王女士", "number": "13800138000"},
        "category": "complaint",
        "matter": "环境污染",
        "matter_code": "environment.pollution",
        "content": "楼下餐馆油烟扰民，晚上排风机噪音很大",
        "elements": {"who": "楼下餐馆", "when": "每晚", "where": "幸福路8号", "what": "油烟", "how": "直排"},
        "address": "幸福路8号",
    }
    return body | changes


def events(body: dict[str, Any]) -> list[str]:
    """The history events of an order as the API shows it."""
    return [h["event"] for h in body["history"]]


async def test_given_returned_order_then_centre_redispatches_approves_extension_revisits_reopens_and_closes(
    world: World,
) -> None:
    number = await world.dispatched()
    world.loop.return_order(number, department="sthjj", reason="应由城管局办理", actor="d1")
    path = f"/api/work-orders/{number}"
    redispatched = await world.post("1001", f"{path}/redispatch", {"departments": {"main": "cgj"}})
    assert redispatched.status_code == 200, redispatched.text
    assert redispatched.json()["departments"][0]["code"] == "cgj"
    world.loop.sign(number, department="cgj", actor="d2")
    asked = world.loop.request_extension(
        number, department="cgj", working_days=2, reason="需检测", actor="d2"
    )
    assert (await world.post("1001", f"{path}/extensions/{asked.id}/approve")).status_code == 403
    approved = await world.post("sup", f"{path}/extensions/{asked.id}/approve", {"note": "同意"})
    assert approved.json()["status"] == {"value": "approved", "label": "已同意"}
    listed = (await world.get("1001", f"{path}/extensions")).json()
    assert [(x["id"], x["decided_by"]) for x in listed] == [(asked.id, "sup")]
    world.loop.reply(number, department="cgj", text="已整改", actor="d2")
    unhappy = {"reached": True, "solved": False, "satisfaction": "dissatisfied", "note": "仍有油烟"}
    evaluated = await world.post("1001", f"{path}/revisit", unhappy)
    assert evaluated.json()["status"]["value"] == "evaluated"
    assert (await world.post("1001", f"{path}/reopen", {"reason": "不满意"})).status_code == 403
    reopened = await world.post("sup", f"{path}/reopen", {"reason": "群众不满意，重办"})
    assert reopened.json()["status"]["value"] == "dispatched"
    world.loop.sign(number, department="cgj", actor="d2")
    world.loop.reply(number, department="cgj", text="已彻底整改", actor="d2")
    await world.post("1001", f"{path}/revisit", {"reached": True, "solved": True})
    closed = await world.post("1001", f"{path}/close", {"note": "群众未评价"})
    assert closed.json()["status"]["value"] == "closed"
    history = (await world.get("1001", f"{path}/history")).json()
    assert [h["event"] for h in history] == [
        "created", "dispatch", "return", "redispatch", "sign", "request_extension", "approve_extension",
        "reply", "call_back", "evaluate", "redo", "sign", "reply", "call_back", "close",
    ]  # fmt: skip
    assert history[9]["detail"] == {
        "reached": True, "via": "manual", "note": "仍有油烟", "solved": False, "satisfaction": "dissatisfied",
    }  # fmt: skip


async def test_given_satisfied_manual_revisit_then_the_order_closes(world: World) -> None:
    number = await world.dispatched()
    world.loop.sign(number, department="sthjj", actor="d1")
    world.loop.reply(number, department="sthjj", text="已整改", actor="d1")
    body = {"reached": True, "solved": True, "satisfaction": "basically_satisfied"}
    row = (await world.post("1001", f"/api/work-orders/{number}/revisit", body)).json()
    assert row["status"]["value"] == "closed"
    assert events(row)[-3:] == ["call_back", "evaluate", "close"]


async def test_loop_refusals_keep_their_error_id_and_status(world: World) -> None:
    number = await world.dispatched()
    path = f"/api/work-orders/{number}"
    early = await world.post("1001", f"{path}/revisit", {"reached": True, "satisfaction": "satisfied"})
    assert (early.status_code, early.json()["error_id"]) == (409, "illegal_transition")
    missing = await world.post("sup", f"{path}/extensions/99/refuse")
    assert (missing.status_code, missing.json()["error_id"]) == (404, "extension_not_found")
    unknown = await world.post("1001", f"{path}/redispatch", {"departments": {"main": "nowhere"}})
    assert (unknown.status_code, unknown.json()["error_id"]) == (422, "unknown_department")
    absent = await world.post("sup", "/api/work-orders/12345-20261123-999999/close")
    assert (absent.status_code, absent.json()["error_id"]) == (404, "work_order_not_found")


ROUTES = [
    ("post", "redispatch", {"departments": {"main": "cgj"}}),
    ("get", "extensions", None),
    ("post", "extensions/1/approve", {}),
    ("post", "extensions/1/refuse", {}),
    ("post", "revisit", {"reached": False}),
    ("post", "close", {}),
    ("post", "reopen", {"reason": "重办"}),
    ("post", "merge", {"others": ["12345-20261123-000009"]}),
    ("get", "history", None),
    ("get", "merged", None),
    ("get", "duplicates", None),
]


@pytest.mark.parametrize(("method", "tail", "body"), ROUTES)
async def test_department_users_get_403_and_strangers_401_on_every_centre_route(
    world: World, method: str, tail: str, body: object
) -> None:
    number = await world.dispatched()
    path = f"/api/work-orders/{number}/{tail}"
    if method == "post":
        as_dept, as_qa = await world.post("dept", path, body), await world.post("qa", path, body)
        anonymous = await world.client.post(path, json=body)
    else:
        as_dept, as_qa = await world.get("dept", path), await world.get("qa", path)
        anonymous = await world.client.get(path)
    assert as_dept.status_code == 403
    assert as_dept.json()["error_id"] in REFUSED_IDS
    assert (as_qa.status_code, as_qa.json()["error_id"]) == (403, "forbidden")
    assert anonymous.status_code == 401


async def test_agents_act_only_on_orders_they_may_see(world: World) -> None:
    number = await world.dispatched("1001", caller={"name": "李先生", "number": "13900139000"})
    hidden = await world.get("1002", f"/api/work-orders/{number}/history")
    assert (hidden.status_code, hidden.json()["error_id"]) == (404, "work_order_not_found")
    assert (await world.post("1002", f"/api/work-orders/{number}/close")).status_code == 404
    assert (await world.get("sup", f"/api/work-orders/{number}/history")).status_code == 200


HOSTILE = [
    ("revisit", {"reached": False, "satisfaction": "satisfied"}),
    ("revisit", {"reached": True, "satisfaction": "ecstatic"}),
    ("revisit", {"reached": "maybe"}),
    ("revisit", {"reached": True, "note": "n" * 501}),
    ("revisit", {"reached": True, "note": "a\x00b"}),
    ("revisit", {"reached": True, "via": "phone"}),
    ("close", {"note": ["not", "text"]}),
    ("reopen", {"reason": ""}),
    ("reopen", {}),
    ("merge", {"others": []}),
    ("merge", {"others": ["not-a-number"]}),
    ("merge", {"others": ["12345-20261123-000001"] * 21}),
    ("redispatch", {"departments": {"main": "Bad Code"}}),
    ("redispatch", {"departments": {"main": "cgj", "assist": ["x" * 40]}}),
    ("extensions/0/approve", {}),
    ("extensions/99999999999/approve", {}),
    ("extensions/1/approve", {"note": "n" * 501}),
]


@pytest.mark.parametrize(("tail", "body"), HOSTILE)
async def test_hostile_payloads_get_422_invalid_request_and_change_nothing(
    world: World, tail: str, body: object
) -> None:
    number = await world.dispatched()
    response = await world.post("sup", f"/api/work-orders/{number}/{tail}", body)
    assert (response.status_code, response.json()["error_id"]) == (422, "invalid_request")
    assert events((await world.get("sup", f"/api/work-orders/{number}")).json()) == ["created", "dispatch"]


async def test_merge_links_orders_and_lists_every_citizen_to_revisit(world: World) -> None:
    main = await world.dispatched()
    other = (await world.create("1001", caller={"name": "赵女士", "number": "13700137000"}))["number"]
    merged = await world.post("sup", f"/api/work-orders/{main}/merge", {"others": [other]})
    assert merged.status_code == 200, merged.text
    assert events(merged.json())[-1] == "merge_in"
    shown = (await world.get("sup", f"/api/work-orders/{other}")).json()
    assert (shown["status"]["value"], shown["linked_numbers"]) == ("merged", [main])
    targets = (await world.get("sup", f"/api/work-orders/{main}/merged")).json()
    assert [(t["number"], t["caller_number"], t["merged_into"]) for t in targets] == [
        (main, "13800138000", None),
        (other, "13700137000", main),
    ]
    again = await world.post("sup", f"/api/work-orders/{main}/merge", {"others": [other]})
    assert (again.status_code, again.json()["error_id"]) == (409, "illegal_transition")


async def test_new_order_lists_likely_duplicates_by_caller_and_by_address(world: World) -> None:
    first = (await world.create("1001"))["number"]
    neighbour = (
        await world.create(
            "1002", caller={"name": "张先生", "number": "13600136000"}, content="餐馆油烟扰民，排风机噪音"
        )
    )["number"]
    await world.create("1002", caller={"name": "钱先生", "number": "13500135000"}, content="小区门口路灯不亮")
    await world.create("1001", address="建设路1号", caller={"name": "孙女士", "number": "13400134000"})
    created = await world.create("1001", content="楼下饭店油烟很大，排风机噪音吵得睡不着")
    found = {d["number"]: d["reasons"] for d in created["duplicates"]}
    assert found == {first: ["same_caller", "same_address"]}, "agent 1001 does not see 1002's other callers"
    everything = (await world.get("sup", f"/api/work-orders/{created['number']}/duplicates")).json()
    assert {d["number"]: d["reasons"] for d in everything} == {
        first: ["same_caller", "same_address"],
        neighbour: ["same_address"],
    }
    assert all(0 < d["similarity"] <= 1 for d in everything)
    narrow = await world.get("sup", f"/api/work-orders/{created['number']}/duplicates", days=1, limit=1)
    assert [d["number"] for d in narrow.json()] == [first]
    assert (await world.get("sup", f"/api/work-orders/{first}/duplicates", days=0)).status_code == 422


async def test_while_typing_the_preview_lists_the_same_duplicates_the_reader_may_see(world: World) -> None:
    first = (await world.create("1001"))["number"]
    neighbour = (
        await world.create(
            "1002", caller={"name": "张先生", "number": "13600136000"}, content="餐馆油烟扰民，排风机噪音"
        )
    )["number"]
    await world.create("1002", caller={"name": "钱先生", "number": "13500135000"}, content="小区门口路灯不亮")
    typed = {
        "caller_number": "13800138000",
        "address": "幸福路8号",
        "category": "complaint",
        "content": "楼下饭店油烟很大，排风机噪音吵得睡不着",
    }
    preview = "/api/work-orders/duplicates/preview"
    mine = (await world.post("1001", preview, typed)).json()
    assert {d["number"]: d["reasons"] for d in mine} == {first: ["same_caller", "same_address"]}
    everything = (await world.post("sup", preview, typed)).json()
    assert {d["number"]: d["reasons"] for d in everything} == {
        first: ["same_caller", "same_address"],
        neighbour: ["same_address"],
    }
    by_place = (await world.post("sup", preview, typed | {"caller_number": "13300133000"})).json()
    assert {d["number"]: d["reasons"] for d in by_place} == {
        first: ["same_address"],
        neighbour: ["same_address"],
    }
    assert (await world.post("sup", preview, typed | {"limit": 1})).json()[0]["number"] == first
    assert (await world.post("sup", preview, {"category": "complaint"})).json() == []
    for hostile in (
        typed | {"content": "油烟\x00"},
        typed | {"caller_number": "<script>"},
        typed | {"address": "路" * 201},
        typed | {"category": "nonsense"},
        typed | {"extra": 1},
        typed | {"days": 0},
        {"content": "油烟"},
    ):
        refused = await world.post("sup", preview, hostile)
        assert (refused.status_code, refused.json()["error_id"]) == (422, "invalid_request"), hostile
    as_dept, as_qa = await world.post("dept", preview, typed), await world.post("qa", preview, typed)
    assert (as_dept.status_code, as_qa.status_code) == (403, 403)
    assert (await world.client.post(preview, json=typed)).status_code == 401


async def test_the_application_serves_the_centre_routes(tmp_path: Path) -> None:
    async with site(tmp_path) as app:
        path = "/api/work-orders/12345-20261123-999999/history"
        missing = await app.client.get(path, headers=app.bearer())
        assert (missing.status_code, missing.json()["error_id"]) == (404, "work_order_not_found")
        denied = await app.client.get(path, headers=app.bearer("d1", _department_role()))
        assert denied.status_code == 403
        preview, typed = "/api/work-orders/duplicates/preview", {"category": "complaint", "content": "油烟"}
        assert (await app.client.post(preview, json=typed, headers=app.bearer())).status_code == 200
        huge = typed | {"content": "油烟" * 20_000}
        too_big = await app.client.post(preview, json=huge, headers=app.bearer())
        assert too_big.status_code == 413, "the preview's body is limited to 32 KiB"


@pytest.mark.parametrize("user", ["dept", "qa"])
async def test_other_roles_get_403_on_the_intake_routes_too(world: World, user: str) -> None:
    number = await world.dispatched()
    refused = [
        await world.post(user, "/api/work-orders", complaint()),
        await world.get(user, "/api/work-orders"),
        await world.get(user, f"/api/work-orders/{number}"),
        await world.client.patch(f"/api/work-orders/{number}", json={}, headers=world.headers[user]),
        await world.post(user, f"/api/work-orders/{number}/dispatch", {"departments": {"main": "cgj"}}),
        await world.get(user, "/api/work-orders/suggest-department", text="油烟"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    expected = REFUSED_IDS if user == "dept" else {"forbidden"}
    assert {r.json()["error_id"] for r in refused} <= expected
    assert (await world.get("1001", "/api/work-orders/suggest-department", text="油烟")).status_code == 200
