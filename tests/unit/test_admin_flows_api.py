"""The flow editor's routes and the audit of flow changes, over the real HTTP app of a centre (not
connected to Asterisk) on SQLite, with real espeak-ng and sox for the prompts."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from admin.audit import list_changes
from agent_desktop.auth import Role
from hotline.app import Centre, ensure_admin
from hotline.settings import Settings
from ivr import admin_flows_api
from ivr import api as ivr_api
from ivr.flow.loader import DEFAULT_PACK_PATH

pytestmark = pytest.mark.timeout(90)
SHIPPED = DEFAULT_PACK_PATH.read_text(encoding="utf-8")
PASSWORD = "unit-admin-password"
KEY_3 = '      "3": enterprise_queue\n'
KEYS_3_4 = '      "3": enterprise_queue\n      "4": accessibility_queue\n'
SWAPPED = '      "3": accessibility_queue\n      "4": enterprise_queue\n'


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.fixture(scope="module")
def sounds_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One prompt directory for the module's centres, so the prompts are generated once."""
    return tmp_path_factory.mktemp("admin-flows-root")


@pytest.fixture
async def api(tmp_path: Path, sounds_root: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Centre]]:
    """An admin-signed-in client of a centre on a fresh database (prompts shared by the module)."""
    settings = Settings(
        state_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'hotline.db'}", admin_password=PASSWORD
    )
    centre = Centre(settings=settings, ami_secret="unused", asterisk_root=sounds_root)
    ensure_admin(centre.sessions, settings)
    await centre.ivr.start()
    transport = httpx.ASGITransport(app=centre.http)
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
        token = (await client.post("/api/sessions", json={"user_id": "admin", "password": PASSWORD})).json()
        client.headers["Authorization"] = f"Bearer {token['token']}"
        yield client, centre
    await centre.ivr.close()
    centre.sessions.kw["bind"].dispose()


async def test_given_errors_in_the_yaml_when_checked_then_each_finding_has_its_line_and_node(
    api: tuple[httpx.AsyncClient, Centre],
) -> None:
    client, _ = api
    broken = SHIPPED.replace(KEY_3, '      "3": nowhere_queue\n').replace(
        "    queue: wage_arrears\n", "    queue: no_such_queue\n"
    )
    body = (await client.post("/api/admin/flows/check", json={"source": broken})).json()
    assert body["valid"] is False
    found = {(i["node_id"], i["code"]): i["line"] for i in body["issues"]}
    assert found[("main_menu", "unknown_target")] == _line_of(broken, '"3": nowhere_queue')
    assert found[("wage_arrears_queue", "unknown_queue")] == _line_of(broken, "queue: no_such_queue")
    main = body["flows"][0]
    assert main["id"] == "12345"
    missing = next(n for n in main["nodes"] if n["id"] == "nowhere_queue")
    assert missing["type"] == "missing"
    menu = next(n for n in main["nodes"] if n["id"] == "main_menu")
    assert "unknown_target" in menu["issues"]
    assert {"source": "main_menu", "target": "nowhere_queue", "field": "options.3", "label": "按3"} in main[
        "edges"
    ]

    fine = (await client.post("/api/admin/flows/check", json={"source": SHIPPED})).json()
    assert (fine["valid"], fine["issues"], [f["id"] for f in fine["flows"]]) == (
        True,
        [],
        ["12345", "work_order_query"],
    )


async def test_given_text_that_does_not_load_when_checked_then_the_parser_line_is_given(
    api: tuple[httpx.AsyncClient, Centre],
) -> None:
    client, _ = api
    syntax = SHIPPED.replace(
        "    type: menu\n    prompt: special_menu", "    type: [menu\n    prompt: special_menu"
    )
    body = (await client.post("/api/admin/flows/check", json={"source": syntax})).json()
    assert body["flows"] == []
    [issue] = body["issues"]
    assert issue["code"] == "flow_parse_error"
    assert _line_of(syntax, "type: [menu") <= issue["line"] <= _line_of(syntax, "type: [menu") + 1

    schema = SHIPPED.replace("    retries: 1\n", "").replace("    priority: 10\n", "    priority: 1000\n")
    body = (await client.post("/api/admin/flows/check", json={"source": schema})).json()
    [issue] = body["issues"]
    assert (issue["code"], issue["line"]) == ("flow_invalid", _line_of(schema, "priority: 1000"))

    refused = await client.post("/api/admin/flows/check", json={"source": "", "extra": 1})
    assert refused.status_code == 422
    assert set(refused.json()) == {"error_id", "message", "details"}


async def test_given_flow_changes_when_made_then_each_is_audited_with_its_diff_and_changes_named(
    api: tuple[httpx.AsyncClient, Centre],
) -> None:
    client, centre = api
    draft = (await client.post("/api/ivr/flows", json={"note": "key 3"})).json()
    version = draft["version"]
    edited = SHIPPED.replace(KEYS_3_4, SWAPPED)
    assert (await client.put(f"/api/ivr/flows/{version}", json={"source": edited})).status_code == 200
    changed = (await client.get(f"/api/admin/flows/changes/1/{version}")).json()
    assert changed["changes"] == [
        {
            "flow": "12345",
            "node": "main_menu",
            "change": "changed",
            "fields": [
                {"field": "options.3", "before": "enterprise_queue", "after": "accessibility_queue"},
                {"field": "options.4", "before": "accessibility_queue", "after": "enterprise_queue"},
            ],
        }
    ]
    assert '+      "3": accessibility_queue' in changed["diff"]
    assert (await client.post(f"/api/ivr/flows/{version}/publish")).status_code == 200
    assert (await client.post("/api/ivr/rollback", json={})).json()["version"] == 1
    missing = await client.get("/api/admin/flows/changes/1/999")
    assert (missing.status_code, missing.json()["error_id"]) == (404, "unknown_version")

    rows = list_changes(centre.sessions, area="flow", object_id="12345")
    assert [r.action for r in rows] == ["rollback", "publish", "draft_update", "draft_create"]
    assert {r.user_id for r in rows} == {"admin"}
    rollback, publish, update, create = rows
    assert create.diff == ""
    assert "基于版本 1" in create.summary
    for row, sign in ((update, "+"), (publish, "+"), (rollback, "-")):
        assert f'{sign}      "3": accessibility_queue' in row.diff, row.action
    assert "原线上版本 2" in rollback.summary


async def test_given_prompts_when_listed_generated_and_uploaded_then_users_files_and_audit_show(
    api: tuple[httpx.AsyncClient, Centre], tmp_path: Path
) -> None:
    client, centre = api
    listed = (await client.get("/api/admin/flows/prompts")).json()
    by_id = {p["id"]: p for p in listed["prompts"]}
    assert by_id["order_number"]["used_by"] == [
        {"flow": "work_order_query", "flow_name": "工单办理进度自助查询", "nodes": ["ask_order"]}
    ]
    assert [u["nodes"] for u in by_id["invalid_input"]["used_by"]] == [
        ["off_hours_menu", "repeat_menu", "main_menu", "special_menu"]
    ]
    assert by_id["welcome"]["file"]["source"] == "generated"
    assert by_id["survey_thanks"]["runtime"] is True

    audio = await client.get("/api/admin/flows/prompts/welcome/audio")
    assert (audio.status_code, audio.headers["content-type"], audio.content[:4]) == (
        200,
        "audio/wav",
        b"RIFF",
    )
    nothing = await client.get("/api/admin/flows/prompts/nothing_here/audio")
    assert (nothing.status_code, nothing.json()["error_id"]) == (404, "prompt_not_found")

    own = await client.post(
        "/api/admin/flows/prompts/emergency_notice/generate", json={"text": "您好，这里是测试。"}
    )
    assert own.status_code == 200, own.text
    assert own.json()["file"]["source"] == "admin"
    back = (await client.post("/api/admin/flows/prompts/emergency_notice/generate", json={})).json()
    assert back["file"]["source"] == "generated"
    assert back["text"] == "重要提示：如遇危及生命财产安全的紧急情况，请挂机后拨打110、119或120。"

    wav = tmp_path / "upload.wav"
    sox = ["sox", "-n", "-r", "16000", "-c", "2", str(wav), "synth", "0.5", "sine", "440"]
    await asyncio.to_thread(subprocess.run, sox, check=True)
    assert (
        await client.put("/api/ivr/prompts/emergency_notice", content=wav.read_bytes())
    ).status_code == 200
    rows = list_changes(centre.sessions, area="flow", object_id="prompt:emergency_notice")
    assert [r.action for r in rows] == ["prompt_upload", "prompt_generate", "prompt_generate"]
    assert '+  "source": "admin"' in rows[0].diff
    assert '-  "source": "generated"' in rows[0].diff
    assert '+  "text": "您好，这里是测试。"' in rows[2].diff
    refused = await client.post("/api/admin/flows/prompts/no_text_prompt/generate", json={})
    assert (refused.status_code, refused.json()["error_id"]) == (422, "prompt_text_missing")


def _admin_routes() -> list[tuple[str, str]]:
    routes = []
    for router in (admin_flows_api.router, ivr_api.router):
        for route in router.routes:
            path = getattr(route, "path", "")
            for method in sorted(getattr(route, "methods", ())):
                routes.append((method, path))
    return routes


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR])
async def test_given_an_agent_or_supervisor_when_calling_any_flow_route_then_403(
    api: tuple[httpx.AsyncClient, Centre], role: Role
) -> None:
    client, centre = api
    token = centre.http.state.desktop.tokens.issue("7001", role)
    routes = _admin_routes()
    assert len(routes) >= 18
    for method, path in routes:
        concrete = (
            path.replace("{version}", "1")
            .replace("{old}", "1")
            .replace("{new}", "1")
            .replace("{prompt_id:path}", "welcome")
            .replace("{flag}", "surge")
            .replace("{number}", "13800138000")
        )
        resp = await client.request(method, concrete, json={}, headers={"Authorization": f"Bearer {token}"})
        assert (resp.status_code, resp.json()["error_id"]) == (403, "forbidden"), (method, path)
    assert list_changes(centre.sessions, area="flow") == []


async def test_given_two_admins_editing_one_draft_when_the_second_saves_then_it_is_refused_and_nothing_lost(
    api: tuple[httpx.AsyncClient, Centre],
) -> None:
    client, centre = api
    opened = (await client.post("/api/ivr/flows", json={"note": "two editors"})).json()
    version, base = opened["version"], opened["source_sha256"]
    first = SHIPPED.replace(KEYS_3_4, SWAPPED)
    saved = await client.put(f"/api/ivr/flows/{version}", json={"source": first, "base_sha256": base})
    assert saved.status_code == 200, saved.text
    assert saved.json()["source_sha256"] != base

    second = SHIPPED.replace("priority: 10", "priority: 20")
    stale = await client.put(f"/api/ivr/flows/{version}", json={"source": second, "base_sha256": base})
    assert stale.status_code == 409, stale.text
    body = stale.json()
    assert body["error_id"] == "draft_changed"
    assert body["details"]["source_sha256"] == saved.json()["source_sha256"]
    kept = (await client.get(f"/api/ivr/flows/{version}")).json()
    assert kept["source"] == first, "the refused save must not overwrite the first admin's"
    updates = [
        r for r in list_changes(centre.sessions, area="flow", object_id="12345") if r.action == "draft_update"
    ]
    assert len(updates) == 1

    fresh = await client.put(
        f"/api/ivr/flows/{version}", json={"source": second, "base_sha256": kept["source_sha256"]}
    )
    assert fresh.status_code == 200, fresh.text
    malformed = await client.put(f"/api/ivr/flows/{version}", json={"source": second, "base_sha256": "abc"})
    assert malformed.status_code == 422
