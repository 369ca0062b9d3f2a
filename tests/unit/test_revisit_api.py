"""The revisit routes (/api/revisits) in a small app on a real SQLite database, with real tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.auth import Role, TokenStore
from agent_desktop.errors import DesktopError, error_body
from hotline.db.engine import make_engine, migrate, session_factory
from privacy.models import ReadAudit
from tests.revisit_support import events, replied_order
from tests.unit.test_tickets_api import _acd
from tickets.revisit_api import router

pytestmark = pytest.mark.timeout(60)
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
"""14:00 in Beijing."""


@dataclass(frozen=True)
class _Desktop:
    sessions: sessionmaker[Session]
    tokens: TokenStore
    acd: object


def _app(desktop: _Desktop) -> FastAPI:
    app = FastAPI()
    app.state.desktop = desktop
    app.state.revisit_clock = lambda: NOW
    app.include_router(router)

    @app.exception_handler(DesktopError)
    async def desktop_error(_: Request, exc: DesktopError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content=error_body(exc.error_id, str(exc), exc.details)
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content=error_body("invalid_request", "bad request", {}))

    return app


@dataclass
class World:
    """A client, the database and one bearer header per user."""

    client: httpx.AsyncClient
    sessions: sessionmaker[Session]
    headers: dict[str, dict[str, str]]

    async def get(self, user: str, path: str) -> httpx.Response:
        """GET as ``user``."""
        return await self.client.get(path, headers=self.headers[user])

    async def post(self, user: str, path: str, body: object) -> httpx.Response:
        """POST as ``user``."""
        return await self.client.post(path, json=body, headers=self.headers[user])


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """An agent, a supervisor and a department user on a migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'api.db'}"
    migrate(url)
    engine = make_engine(url)
    tokens = TokenStore()
    users = {"1001": Role.AGENT, "sup": Role.SUPERVISOR, "dept": Role.DEPARTMENT}
    headers = {u: {"Authorization": f"Bearer {tokens.issue(u, r)}"} for u, r in users.items()}
    headers["nobody"] = {}
    sessions = session_factory(engine)
    transport = httpx.ASGITransport(app=_app(_Desktop(sessions=sessions, tokens=tokens, acd=_acd())))
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
        yield World(client=client, sessions=sessions, headers=headers)
    engine.dispose()


async def test_given_replied_orders_when_listed_then_numbers_masked_names_of_confidential_hidden_and_audited(
    world: World,
) -> None:
    at = NOW - timedelta(hours=4)
    plain = replied_order(world.sessions, "13800138000", at=at)
    secret = replied_order(world.sessions, "13900139000", at=at, confidential=True)
    listed = await world.get("1001", "/api/revisits")
    assert listed.status_code == 200, listed.text
    body = {item["citizen_order"]: item for item in listed.json()}
    assert set(body) == {plain, secret}
    assert (body[plain]["caller_number"], body[plain]["caller_name"]) == ("138****8000", "王女士")
    assert (body[secret]["caller_number"], body[secret]["caller_name"]) == ("139****9000", "保密")
    assert body[plain]["state"] == {"value": "pending", "label": "待回访"}
    assert (body[plain]["failed_attempts"], body[plain]["max_attempts"], body[plain]["automatic"]) == (
        0,
        3,
        True,
    )
    assert "13800138000" not in listed.text
    with world.sessions() as s:
        assert s.scalars(select(ReadAudit.action).where(ReadAudit.user_id == "1001")).all() == [
            "revisits.list"
        ]
    policy = await world.get("sup", "/api/revisits/policy")
    assert policy.json() == {"max_attempts": 3, "retry_minutes": 120.0, "calling_hours": "09:00-20:00"}


async def test_given_other_roles_when_asking_then_refused(world: World) -> None:
    assert (await world.get("nobody", "/api/revisits")).status_code == 401
    denied = await world.get("dept", "/api/revisits")
    assert denied.status_code == 403, "department users have their own portal"


async def test_given_manual_results_when_posted_then_checked_and_landed_on_the_order(world: World) -> None:
    number = replied_order(world.sessions, "13800138000", at=NOW - timedelta(hours=4))
    path = f"/api/revisits/{number}/manual"
    for bad in (
        {"citizen_order": number, "reached": False, "solved": True},
        {"citizen_order": number, "reached": True},
        {"citizen_order": number, "reached": True, "solved": True, "satisfaction": "happy"},
        {"citizen_order": "x", "reached": False},
        {"citizen_order": number, "reached": False, "extra": 1},
        {"citizen_order": number, "reached": False, "note": "a\x00b"},
    ):
        refused = await world.post("1001", path, bad)
        assert (refused.status_code, refused.json()["error_id"]) == (422, "invalid_request"), bad
    unknown = await world.post("1001", path, {"citizen_order": "12345-20261125-000099", "reached": False})
    assert (unknown.status_code, unknown.json()["error_id"]) == (404, "revisit_not_found")
    assert events(world.sessions, number)[-1] == "reply", "nothing written by a refusal"
    good = {
        "citizen_order": number,
        "reached": True,
        "solved": False,
        "satisfaction": "dissatisfied",
        "note": "仍有油烟",
    }
    done = await world.post("1001", path, good)
    assert done.status_code == 200, done.text
    attempt = done.json()["attempts"][0]
    assert (attempt["via"]["label"], attempt["outcome"]["label"], attempt["satisfaction"]["label"]) == (
        "人工",
        "已回访",
        "不满意",
    )
    assert (attempt["solved"], attempt["note"], attempt["actor"]) == (False, "仍有油烟", "1001")
    assert events(world.sessions, number)[-2:] == ["call_back", "evaluate"]
    again = await world.post("1001", path, good)
    assert (again.status_code, again.json()["error_id"]) == (404, "revisit_not_found"), "evaluated: done"
    detail = (await world.get("sup", f"/api/revisits/{number}")).json()
    assert (detail["citizens"], len(detail["attempts"])) == ([], 1), "the history stays readable"
    missing = await world.get("sup", "/api/revisits/12345-20261125-000099")
    assert (missing.status_code, missing.json()["error_id"]) == (404, "revisit_not_found")


async def test_given_no_dialer_when_calling_then_service_unavailable(world: World) -> None:
    number = replied_order(world.sessions, "13800138000", at=NOW - timedelta(hours=4))
    refused = await world.post("1001", f"/api/revisits/{number}/call", {"citizen_order": number})
    assert (refused.status_code, refused.json()["error_id"]) == (503, "telephony_unavailable")
