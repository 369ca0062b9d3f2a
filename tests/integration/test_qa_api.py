"""``/api/qa/...`` on the real HTTP app and a SQLite file: who may do what (an agent gets 403 on every
route, QA staff score but do not change rules), the work list, a call's view, scoring and bad input."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from fastapi.routing import APIRoute

from admin.audit import list_changes
from agent_desktop.auth import Role
from hotline.db import repository as repo
from qa import api as qa_api
from qa.inspect_loop import InspectLoop
from tests.integration.test_qa_store import RUDE, T0, seed_call
from tests.unit.desktop_http import Site, site

pytestmark = pytest.mark.timeout(60)


@pytest_asyncio.fixture
async def app(tmp_path: Path) -> AsyncIterator[Site]:
    """The app with one flagged call of agent 1001 inspected."""
    async with site(tmp_path) as s:
        repo.upsert_agent(s.sessions, agent_id="1001", name="张三", contact="", skills={})
        seed_call(s.sessions, "call-1", RUDE)
        InspectLoop(s.sessions, rng=random.Random(0), clock=lambda: T0).run_once()
        yield s


def _qa_routes() -> list[tuple[str, str]]:
    routes: list[tuple[str, str]] = []
    for route in qa_api.router.routes:
        assert isinstance(route, APIRoute)
        path = route.path.replace("{call_id}", "call-1")
        routes.extend((method, path) for method in sorted(route.methods or ()))
    return routes


async def test_an_agent_gets_403_on_every_qa_route_and_qa_staff_cannot_change_rules(app: Site) -> None:
    routes = _qa_routes()
    assert len(routes) >= 10
    agent = app.bearer("1001", Role.AGENT)
    for method, path in routes:
        response = await app.client.request(method, path, headers=agent, json={})
        assert response.status_code == 403, (method, path)
        assert response.json()["error_id"] == "forbidden"
    assert (await app.client.get("/api/qa/work-list")).status_code == 401
    qa = app.bearer("qa1", Role.QA)
    for method, path in [
        ("PUT", "/api/qa/rules"),
        ("PUT", "/api/qa/items"),
        ("GET", "/api/qa/rules/versions"),
    ]:
        assert (await app.client.request(method, path, headers=qa, json={})).status_code == 403
    for role in (Role.QA, Role.SUPERVISOR, Role.ADMIN):
        listed = await app.client.get("/api/qa/work-list", headers=app.bearer("u1", role))
        assert listed.status_code == 200


async def test_qa_staff_open_a_flagged_call_and_score_it_once(app: Site) -> None:
    qa = app.bearer("qa1", Role.QA)
    day = T0.astimezone(UTC).date().isoformat()
    listed = await app.client.get(
        f"/api/qa/work-list?reason=flagged&state=open&date_from={day}&date_to={day}", headers=qa
    )
    assert [(c["call_id"], c["rules"], c["agent_id"]) for c in listed.json()["calls"]] == [
        ("call-1", ["forbidden"], "1001")
    ]
    view = (await app.client.get("/api/qa/calls/call-1", headers=qa)).json()
    assert [f["rule"] for f in view["flags"]] == ["forbidden"]
    assert {r["side"] for r in view["recordings"]} == {"caller", "agent"}
    assert [s["side"] for s in view["segments"]] == ["agent", "caller", "agent"]
    items = view["items"]
    marks = {i["key"]: 1.0 for i in items["items"]} | {"attitude": 0.0}
    body = {"items_version": items["version"], "marks": marks, "comment": "使用服务禁语\n需整改"}
    scored = await app.client.post("/api/qa/calls/call-1/score", headers=qa, json=body)
    assert scored.status_code == 200, scored.text
    assert (scored.json()["state"], scored.json()["score"]["score"]) == ("scored", 80.0)
    again = await app.client.post("/api/qa/calls/call-1/score", headers=qa, json=body)
    assert (again.status_code, again.json()["error_id"]) == (409, "already_scored")
    assert (await app.client.get("/api/qa/work-list?state=open", headers=qa)).json()["calls"] == []


BAD_SCORES = [
    ("/api/qa/calls/call-1/score", {"items_version": 0, "marks": {"accuracy": 1}}, 422, "bad_marks"),
    (
        "/api/qa/calls/call-1/score",
        {"items_version": 0, "marks": {"accuracy": 2}},
        422,
        "invalid_request",
    ),
    (
        "/api/qa/calls/call-1/score",
        {"items_version": 0, "marks": {}, "comment": "a\u0000b"},
        422,
        "invalid_request",
    ),
    ("/api/qa/calls/call-1/score", {"items_version": 0, "marks": {}, "extra": 1}, 422, "invalid_request"),
    ("/api/qa/calls/call-1/score", {"items_version": 99, "marks": {}}, 404, "version_not_found"),
    (
        "/api/qa/calls/nope/score",
        {
            "items_version": 0,
            "marks": {"greeting": 1, "accuracy": 1, "attitude": 1, "record": 1, "communication": 1},
        },
        404,
        "not_on_work_list",
    ),
    ("/api/qa/calls/a%20b/score", {"items_version": 0, "marks": {}}, 422, "invalid_request"),
]
BAD_FILTERS = [
    "reason=all",
    "date_from=2026-13-01",
    "date_from=2026-12-02&date_to=2026-12-01",
    "limit=0",
    "agent_id=a%00b",
    "state=closed",
]


async def test_bad_scores_and_filters_are_refused_with_the_error_body_and_change_nothing(app: Site) -> None:
    qa = app.bearer("qa1", Role.QA)
    for path, body, status, error_id in BAD_SCORES:
        response = await app.client.post(path, headers=qa, json=body)
        assert (response.status_code, response.json()["error_id"]) == (status, error_id), (path, body)
        assert set(response.json()) == {"error_id", "message", "details"}
    assert (await app.client.get("/api/qa/calls/call-1", headers=qa)).json()["state"] == "open"
    for query in BAD_FILTERS:
        response = await app.client.get(f"/api/qa/work-list?{query}", headers=qa)
        assert response.status_code == 422, query
        assert set(response.json()) == {"error_id", "message", "details"}
    unknown = await app.client.get("/api/qa/calls/nope", headers=qa)
    assert (unknown.status_code, unknown.json()["error_id"]) == (404, "not_inspected")


async def test_an_admin_changes_the_rules_and_items_and_each_change_is_logged(app: Site) -> None:
    admin = app.bearer("admin", Role.ADMIN)
    rules = (await app.client.get("/api/qa/rules", headers=admin)).json()
    assert rules["version"] == 0
    changed = rules["rules"] | {"silence": {"enabled": True, "max_s": 45}}
    saved = await app.client.put("/api/qa/rules", headers=admin, json=changed)
    assert (saved.status_code, saved.json()["version"]) == (200, 1)
    assert (await app.client.get("/api/qa/rules", headers=admin)).json()["rules"]["silence"]["max_s"] == 45
    bad = await app.client.put("/api/qa/rules", headers=admin, json=changed | {"sample_rate": 2})
    assert (bad.status_code, bad.json()["error_id"]) == (422, "invalid_request")
    items = {
        "items": [
            {"key": "attitude", "label": "服务态度", "weight": 50},
            {"key": "accuracy", "label": "准确", "weight": 50},
        ]
    }
    assert (await app.client.put("/api/qa/items", headers=admin, json=items)).json()["version"] == 1
    versions = (await app.client.get("/api/qa/rules/versions", headers=admin)).json()["versions"]
    assert [v["version"] for v in versions] == [1]
    changes = list_changes(app.sessions, area="qa_rules", since=datetime.now(UTC) - timedelta(minutes=1))
    assert sorted(c.object_id for c in changes) == ["items", "rules"]
    assert all(c.user_id == "admin" for c in changes)
