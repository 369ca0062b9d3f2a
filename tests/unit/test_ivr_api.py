"""The admin flow API over the real HTTP app of a centre (not connected to Asterisk), in process."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hotline.app import Centre, ensure_admin
from hotline.settings import Settings
from ivr.flow.loader import DEFAULT_PACK_PATH

pytestmark = pytest.mark.timeout(60)
SHIPPED = DEFAULT_PACK_PATH.read_text(encoding="utf-8")
PASSWORD = "unit-admin-password"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Centre]]:
    """An admin-signed-in client of a centre whose prompts live under ``tmp_path``."""
    settings = Settings(
        state_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'hotline.db'}", admin_password=PASSWORD
    )
    centre = Centre(settings=settings, ami_secret="unused", asterisk_root=tmp_path / "root")
    ensure_admin(centre.sessions, settings)
    await centre.ivr.start()
    transport = httpx.ASGITransport(app=centre.http)
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
        token = (await client.post("/api/sessions", json={"user_id": "admin", "password": PASSWORD})).json()
        client.headers["Authorization"] = f"Bearer {token['token']}"
        yield client, centre
    await centre.ivr.close()
    bind = centre.sessions.kw["bind"]
    bind.dispose()


async def _draft(client: httpx.AsyncClient, source: str) -> int:
    resp = await client.post("/api/ivr/flows", json={"source": source, "note": "test"})
    assert resp.status_code == 201, resp.text
    return int(resp.json()["version"])


async def test_given_no_or_agent_token_when_calling_the_flow_api_then_refused(
    api: tuple[httpx.AsyncClient, Centre],
) -> None:
    client, _ = api
    bare = await client.get("/api/ivr/flows", headers={"Authorization": ""})
    assert (bare.status_code, bare.json()["error_id"]) == (401, "unauthenticated")
    await client.put(
        "/api/agents/7001", json={"name": "张三", "contact": "", "skills": {}, "password": "pw-7001"}
    )
    agent = (await client.post("/api/sessions", json={"user_id": "7001", "password": "pw-7001"})).json()
    denied = await client.get("/api/ivr/flows", headers={"Authorization": f"Bearer {agent['token']}"})
    assert (denied.status_code, denied.json()["error_id"]) == (403, "forbidden")


async def test_given_broken_draft_when_published_then_422_lists_the_validator_issues(
    api: tuple[httpx.AsyncClient, Centre],
) -> None:
    client, _ = api
    broken = SHIPPED.replace(
        "on_timeout: to_person\n    on_invalid: to_person\n  order_query",
        "on_timeout: hangup_now\n    on_invalid: to_person\n  order_query",
    )
    version = await _draft(client, broken)
    checked = (await client.post(f"/api/ivr/flows/{version}/validate")).json()
    assert checked["valid"] is False
    refused = await client.post(f"/api/ivr/flows/{version}/publish")
    assert refused.status_code == 422
    body = refused.json()
    assert body["error_id"] == "flow_invalid"
    found = {(i["node_id"], i["code"]) for i in body["details"]["issues"]}
    assert found == {("main_menu", "unknown_target"), ("main_menu", "silence_not_to_person")}
    assert body["details"]["issues"] == checked["issues"]
    listed = (await client.get("/api/ivr/flows")).json()
    assert [(v["version"], v["status"], v["live"]) for v in listed] == [
        (2, "draft", False),
        (1, "published", True),
    ]


async def test_given_valid_draft_when_published_diffed_and_rolled_back_then_live_version_follows(
    api: tuple[httpx.AsyncClient, Centre],
) -> None:
    client, centre = api
    assert (await client.post("/api/ivr/validate", json={"source": SHIPPED})).json() == {
        "valid": True,
        "issues": [],
    }
    version = await _draft(client, SHIPPED.replace("priority: 10", "priority: 15"))
    published = await client.post(f"/api/ivr/flows/{version}/publish")
    assert published.json()["live"] is True
    assert centre.ivr.catalog.live().version == version
    frozen = await client.put(f"/api/ivr/flows/{version}", json={"source": SHIPPED})
    assert (frozen.status_code, frozen.json()["error_id"]) == (409, "version_frozen")
    diff = (await client.get(f"/api/ivr/flows/1/diff/{version}")).json()["diff"]
    assert "+    priority: 15" in diff
    rolled = await client.post("/api/ivr/rollback", json={})
    assert (rolled.json()["version"], centre.ivr.catalog.live().version) == (1, 1)
    missing = await client.get("/api/ivr/flows/99")
    assert (missing.status_code, missing.json()["error_id"]) == (404, "unknown_version")


async def test_given_holiday_night_call_pressing_3_then_1_when_dry_run_then_path_ends_in_a_message(
    api: tuple[httpx.AsyncClient, Centre],
) -> None:
    client, _ = api
    body: dict[str, Any] = {"caller": "13800138000", "at": "2026-10-01T22:00:00", "keys": ["3", "1"]}
    result = (await client.post("/api/ivr/dry-run", json=body)).json()
    nodes = [step["node"] for step in result["path"]]
    assert nodes == [
        "welcome",
        "emergency_check",
        "elderly_check",
        "hours_check",
        "off_hours_tag",
        "off_hours_menu",
        "leave_message",
    ]
    assert result["path"][5]["inputs"] == ["3", "1"]
    assert result["outcome"]["type"] == "LeaveMessage"
    assert result["tags"] == ["out_of_hours"]
    assert result["flow_version"] == "12345:1"
    daytime = (await client.post("/api/ivr/dry-run", json=body | {"at": "2026-11-25T10:00:00+08:00"})).json()
    assert daytime["outcome"] == {
        "type": "ToQueue",
        "queue": "enterprise",
        "skills": ["enterprise"],
        "priority": 0,
        "tags": ["business_environment"],
        "preferred_agent": None,
    }


async def test_given_recordings_when_uploaded_then_converted_to_8khz_mono_wav_or_refused(
    api: tuple[httpx.AsyncClient, Centre], tmp_path: Path
) -> None:
    client, centre = api
    source = tmp_path / "tone.flac"
    await asyncio.to_thread(
        subprocess.run,
        ["sox", "-n", "-r", "44100", "-c", "2", str(source), "synth", "0.5", "sine", "440"],
        check=True,
    )
    uploaded = await client.put("/api/ivr/prompts/welcome", content=source.read_bytes())
    assert uploaded.status_code == 200, uploaded.text
    target = centre.ivr.sounds_dir / "zh" / "hotline" / "welcome.wav"
    soxi = await asyncio.to_thread(
        subprocess.run, ["soxi", str(target)], capture_output=True, text=True, check=True
    )
    assert "Sample Rate    : 8000" in soxi.stdout
    assert "Channels       : 1" in soxi.stdout
    assert "Precision      : 16-bit" in soxi.stdout
    assert not (target.parent / ".welcome.stamp").exists()
    garbage = await client.put("/api/ivr/prompts/welcome", content=b"not audio at all")
    assert (garbage.status_code, garbage.json()["error_id"]) == (400, "prompt_upload_invalid")
    bad_id = await client.put("/api/ivr/prompts/a//b", content=source.read_bytes())
    assert bad_id.json()["error_id"] == "invalid_prompt_id"


async def test_given_admin_when_flags_and_caller_profiles_set_then_dry_run_sees_them(
    api: tuple[httpx.AsyncClient, Centre],
) -> None:
    client, _ = api
    assert (await client.put("/api/ivr/flags/surge", json={"value": True})).json() == {"surge": True}
    flags = (await client.get("/api/ivr/flags")).json()
    assert flags == {
        "defaults": {"emergency_announcement": False, "surge": False},
        "overrides": {"surge": True},
    }
    assert (await client.put("/api/ivr/callers/13900000001", json={"elderly": True})).status_code == 200
    at = "2026-11-25T10:00:00+08:00"
    elderly = (await client.post("/api/ivr/dry-run", json={"caller": "13900000001", "at": at})).json()
    assert (elderly["outcome"]["queue"], elderly["outcome"]["priority"]) == ("general", 10)
    person = (
        await client.post("/api/ivr/dry-run", json={"caller": "13900000002", "at": at, "keys": ["0"]})
    ).json()
    assert (person["outcome"]["queue"], person["tags"]) == ("surge", [])
