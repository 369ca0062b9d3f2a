"""The work-order routes in a small app on a real SQLite database, with real tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from tickets import repository as repo
from tickets.api import router

pytestmark = pytest.mark.timeout(60)


@dataclass(frozen=True)
class _Desktop:
    sessions: sessionmaker[Session]
    tokens: TokenStore
    acd: AcdService


def _acd() -> AcdService:
    """An ACD with queue ``general`` and no Asterisk (nothing is rung)."""
    bus = EventBus()
    engine = AcdEngine(queues=[QueueConfig("general", "general", wrapup_seconds=30.0)], store=MemoryStore())
    unconnected = AmiClient(host="127.0.0.1", port=9, username="hotline", secret="unused")
    return AcdService(engine=engine, ami=unconnected, bus=bus, notifier=DesktopHub(bus), ring_timeout_s=15.0)


def _app(desktop: _Desktop) -> FastAPI:
    app = FastAPI()
    app.state.desktop = desktop
    app.include_router(router)

    @app.exception_handler(DesktopError)
    async def desktop_error(_: Request, exc: DesktopError) -> JSONResponse:
        body = {"error_id": exc.error_id, "message": str(exc), "details": exc.details}
        return JSONResponse(status_code=exc.status_code, content=body)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        body = {"error_id": "invalid_request", "message": "bad request", "details": {"errors": errors}}
        return JSONResponse(status_code=422, content=body)

    return app


@dataclass
class World:
    """A client and one bearer header per user."""

    client: httpx.AsyncClient
    sessions: sessionmaker[Session]
    headers: dict[str, dict[str, str]]

    async def post(self, user: str, path: str, body: object) -> httpx.Response:
        """POST as ``user``."""
        return await self.client.post(path, json=body, headers=self.headers[user])

    async def patch(self, user: str, path: str, body: object) -> httpx.Response:
        """PATCH as ``user``."""
        return await self.client.patch(path, json=body, headers=self.headers[user])

    async def get(self, user: str, path: str, **params: Any) -> httpx.Response:
        """GET as ``user``."""
        return await self.client.get(path, params=params, headers=self.headers[user])


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Agents 1001 and 1002, a supervisor and an admin on a migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'api.db'}"
    migrate(url)
    engine = make_engine(url)
    tokens = TokenStore()
    users = {"1001": Role.AGENT, "1002": Role.AGENT, "sup": Role.SUPERVISOR, "admin": Role.ADMIN}
    headers = {u: {"Authorization": f"Bearer {tokens.issue(u, r)}"} for u, r in users.items()}
    sessions = session_factory(engine)
    transport = httpx.ASGITransport(app=_app(_Desktop(sessions=sessions, tokens=tokens, acd=_acd())))
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
        yield World(client=client, sessions=sessions, headers=headers)
    engine.dispose()


def complaint(**changes: object) -> dict[str, object]:
    """A complete complaint from a call."""
    body: dict[str, object] = {
        "call_id": "1732345678.42",
        "caller": {"name": "王女士", "number": "13800138000", "contact_preference": "sms_only"},
        "category": "complaint",
        "matter": "环境污染",
        "matter_code": "environment.pollution",
        "content": "楼下餐馆油烟扰民",
        "elements": {
            "who": "楼下餐馆",
            "when": "每晚",
            "where": "幸福路8号",
            "what": "油烟",
            "how": "排风直排",
        },
        "address": "幸福路8号",
    }
    return body | changes


async def test_given_agent_when_creating_from_a_call_then_order_is_stored_with_labels_and_history(
    world: World,
) -> None:
    created = await world.post("1001", "/api/work-orders", complaint())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["number"].startswith("12345-")
    assert body["status"] == {"value": "intake", "label": "已受理"}
    assert body["category"] == {"value": "complaint", "label": "投诉"}
    assert body["caller"]["contact_preference"]["label"] == "仅短信"
    assert (body["call_id"], body["created_by"]) == ("1732345678.42", "1001")
    assert [h["event"] for h in body["history"]] == ["created"]
    assert body.pop("duplicates") == []
    fetched = await world.get("1001", f"/api/work-orders/{body['number']}")
    assert fetched.json() == body


async def test_given_complaint_without_five_elements_then_422_with_error_id(world: World) -> None:
    response = await world.post("1001", "/api/work-orders", complaint(elements={"who": "某人"}))
    assert response.status_code == 422
    assert response.json()["error_id"] == "five_elements_missing"
    assert response.json()["details"]["missing"] == ["when", "where", "what", "how"]
    assert repo.list_work_orders(world.sessions) == []


@pytest.mark.parametrize(
    "hostile",
    [
        {"category": "gossip"},
        {"channel": "carrier_pigeon"},
        {"urgency": "extreme"},
        {"content": "x" * 4001},
        {"matter": ""},
        {"caller": {"name": "n" * 65}},
        {"caller": {"number": "1380013800<script>"}},
        {"elements": {"who": "w" * 501}},
        {"call_id": "../../etc/passwd"},
        {"linked_numbers": ["not-a-number"]},
        {"linked_numbers": ["12345-20261123-000001"] * 21},
        {"status": "closed"},
        {"answer_article_id": -1},
    ],
)
async def test_hostile_create_payloads_get_422_invalid_request(
    world: World, hostile: dict[str, object]
) -> None:
    response = await world.post("1001", "/api/work-orders", complaint(**hostile))
    assert response.status_code == 422
    assert response.json()["error_id"] == "invalid_request"


async def test_unauthenticated_requests_get_401(world: World) -> None:
    assert (await world.client.get("/api/work-orders")).status_code == 401
    bad = await world.client.get("/api/work-orders", headers={"Authorization": "Bearer nope"})
    assert bad.json()["error_id"] == "unauthenticated"


async def test_agents_see_their_own_orders_supervisors_see_all(world: World) -> None:
    mine = (await world.post("1001", "/api/work-orders", complaint())).json()["number"]
    theirs = (await world.post("1002", "/api/work-orders", complaint())).json()["number"]
    other = (
        await world.post("1002", "/api/work-orders", complaint(caller={"number": "13900000000"}))
    ).json()["number"]
    assert (await world.get("1002", f"/api/work-orders/{mine}")).status_code == 404
    assert (await world.get("1002", f"/api/work-orders/{mine}")).json()["error_id"] == "work_order_not_found"
    history = (await world.get("1002", "/api/work-orders", caller="13800138000")).json()
    assert [o["number"] for o in history] == [theirs], "another agent's orders only for one's own callers"
    everyone = (await world.get("sup", "/api/work-orders", caller="13800138000", status="intake")).json()
    assert [o["number"] for o in everyone] == [theirs, mine]
    assert [o["number"] for o in (await world.get("sup", "/api/work-orders")).json()] == [other, theirs, mine]
    assert (await world.get("sup", "/api/work-orders", status="weird")).status_code == 422
    assert (await world.get("sup", "/api/work-orders/12345-bogus")).status_code == 422


async def test_dispatch_sets_departments_and_deadlines_and_refuses_repeats(world: World) -> None:
    number = (await world.post("1001", "/api/work-orders", complaint())).json()["number"]
    path = f"/api/work-orders/{number}/dispatch"
    unknown = await world.post("1001", path, {"departments": {"main": "nowhere"}})
    assert (unknown.status_code, unknown.json()["error_id"]) == (422, "unknown_department")
    assert (await world.post("1002", path, {"departments": {"main": "sthjj"}})).status_code == 404
    done = await world.post("1001", path, {"departments": {"main": "sthjj", "assist": ["cgj"]}})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"]["value"] == "dispatched"
    assert [(d["code"], d["name"], d["role"]) for d in body["departments"]] == [
        ("sthjj", "市生态环境局", "main"),
        ("cgj", "市城市管理局", "assist"),
    ]
    assert body["sign_due"] < body["handle_due"] <= body["reply_due"]
    again = await world.post("sup", path, {"departments": {"main": "cgj"}})
    assert (again.status_code, again.json()["error_id"]) == (409, "illegal_transition")
    amend = await world.client.patch(
        f"/api/work-orders/{number}", json={"address": "x"}, headers=world.headers["1001"]
    )
    assert (amend.status_code, amend.json()["error_id"]) == (409, "not_amendable")


async def test_intake_order_can_be_amended_by_its_creator(world: World) -> None:
    number = (await world.post("1001", "/api/work-orders", complaint())).json()["number"]
    response = await world.patch("1001", f"/api/work-orders/{number}", {"urgency": "critical"})
    assert response.status_code == 200, response.text
    assert response.json()["urgency"] == {"value": "critical", "label": "特急"}
    assert [h["event"] for h in response.json()["history"]] == ["created", "amended"]


async def test_suggest_department_returns_scored_catalogue_matches(world: World) -> None:
    response = await world.get("1001", "/api/work-orders/suggest-department", text="家里停水两天了，水压也低")
    assert response.status_code == 200
    best = response.json()[0]
    assert (best["department"], best["department_name"], best["matter_code"]) == (
        "swjt",
        "市水务集团有限公司",
        "utility.water",
    )
    assert 0 < best["score"] < 1
    assert (await world.get("1001", "/api/work-orders/suggest-department", text="")).status_code == 422
    too_long = await world.get("1001", "/api/work-orders/suggest-department", text="停" * 2001)
    assert too_long.status_code == 422


async def test_direct_answer_closes_the_order_at_intake(world: World) -> None:
    consult = complaint(category="consult", elements={}, answered_directly=True, answer_article_id=1)
    body = (await world.post("1001", "/api/work-orders", consult)).json()
    assert (body["status"]["value"], body["answered_directly"]) == ("closed", True)
    bad_matter = await world.post("1001", "/api/work-orders", complaint(matter_code="no.such"))
    assert (bad_matter.status_code, bad_matter.json()["error_id"]) == (422, "unknown_matter")
