"""The knowledge routes in the real HTTP app on a migrated SQLite file with real tokens: roles, the
lifecycle (edit with versions, retire, restore, expiry), the editor's filters, imports and hostile bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent_desktop.auth import Role
from tests.unit.desktop_http import Site, site
from tickets.knowledge import today

pytestmark = pytest.mark.timeout(60)

NOISE = {
    "title": "噪音扰民怎么投诉",
    "body": "夜间施工噪音可向住建部门反映。",
    "tags": ["噪音"],
    "category": "complaint",
}


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as s:
        yield s


async def _send(
    web: Site, method: str, path: str, role: Role, body: Any = None, **params: Any
) -> httpx.Response:
    user = {Role.AGENT: "1001", Role.SUPERVISOR: "sup", Role.ADMIN: "admin", Role.DEPARTMENT: "d1"}[role]
    return await web.client.request(method, path, json=body, params=params, headers=web.bearer(user, role))


async def test_roles_editors_write_agents_read_departments_get_nothing(web: Site) -> None:
    assert (await _send(web, "POST", "/api/knowledge", Role.AGENT, NOISE)).status_code == 403
    created = await _send(web, "POST", "/api/knowledge", Role.SUPERVISOR, NOISE)
    assert created.status_code == 201
    article = created.json()
    assert (article["status"], article["version"], article["category_label"]) == ("active", 1, "投诉")
    hits = (await _send(web, "GET", "/api/knowledge", Role.AGENT, q="晚上工地噪音太大")).json()
    assert [h["article"]["id"] for h in hits] == [article["id"]]
    snippet, spans = hits[0]["snippet"], hits[0]["highlights"]
    assert [snippet[a:b] for a, b in spans] == ["噪音"]
    assert (await _send(web, "GET", "/api/knowledge", Role.DEPARTMENT, q="噪音")).status_code == 403
    assert (await _send(web, "GET", "/api/knowledge/articles", Role.AGENT)).status_code == 403
    assert (await web.client.get("/api/knowledge", params={"q": "噪音"})).status_code == 401


async def test_edit_keeps_versions_and_a_stale_edit_is_refused(web: Site) -> None:
    article = (await _send(web, "POST", "/api/knowledge", Role.ADMIN, NOISE)).json()
    path = f"/api/knowledge/{article['id']}"
    edit = NOISE | {"body": "夜间施工噪音请拨打12345，社会生活噪声找公安。", "expected_version": 1}
    edited = await _send(web, "PUT", path, Role.SUPERVISOR, edit)
    assert (edited.status_code, edited.json()["version"], edited.json()["updated_by"]) == (200, 2, "sup")
    stale = await _send(web, "PUT", path, Role.ADMIN, edit)
    assert (stale.status_code, stale.json()["error_id"]) == (409, "article_version_conflict")
    detail = (await _send(web, "GET", path, Role.ADMIN)).json()
    assert detail["body"].startswith("夜间施工噪音请拨打12345")
    assert [(v["version"], v["body"], v["edited_by"]) for v in detail["versions"]] == [
        (1, NOISE["body"], "sup")
    ]
    assert (await _send(web, "GET", path, Role.AGENT)).json()["versions"] == []
    assert (await _send(web, "PUT", "/api/knowledge/999", Role.ADMIN, edit)).status_code == 404


async def test_retired_and_expired_articles_are_hidden_from_agents_and_listed_for_editors(web: Site) -> None:
    yesterday = (today() - timedelta(days=1)).isoformat()
    soon = (today() + timedelta(days=5)).isoformat()
    kept = (await _send(web, "POST", "/api/knowledge", Role.ADMIN, NOISE)).json()
    old = (await _send(web, "POST", "/api/knowledge", Role.ADMIN, NOISE | {"expires_on": yesterday})).json()
    due = (await _send(web, "POST", "/api/knowledge", Role.ADMIN, NOISE | {"expires_on": soon})).json()
    retired = await _send(web, "POST", f"/api/knowledge/{kept['id']}/retire", Role.SUPERVISOR)
    assert retired.json()["status"] == "retired"
    hits = (await _send(web, "GET", "/api/knowledge", Role.AGENT, q="噪音")).json()
    assert [h["article"]["id"] for h in hits] == [due["id"]]
    assert (await _send(web, "GET", f"/api/knowledge/{old['id']}", Role.AGENT)).status_code == 404

    async def listed(**params: Any) -> list[int]:
        page = (await _send(web, "GET", "/api/knowledge/articles", Role.ADMIN, **params)).json()
        return [a["id"] for a in page["items"]]

    assert await listed(status="retired") == [kept["id"]]
    assert await listed(status="expired") == [old["id"]]
    assert await listed(status="active") == [due["id"]]
    assert await listed(expiring_within_days=7) == [old["id"], due["id"]]
    assert await listed(category="consult") == []
    assert sorted(await listed(q="噪音")) == sorted([kept["id"], old["id"], due["id"]])
    await _send(web, "POST", f"/api/knowledge/{kept['id']}/restore", Role.ADMIN)
    hits = (await _send(web, "GET", "/api/knowledge", Role.AGENT, q="噪音")).json()
    assert sorted(h["article"]["id"] for h in hits) == sorted([kept["id"], due["id"]])


@pytest.mark.parametrize(
    "body",
    [
        NOISE | {"title": "t" * 201},
        NOISE | {"title": "   "},
        NOISE | {"category": "no-such"},
        NOISE | {"expires_on": "2027-02-30"},
        NOISE | {"owner_department": "../../etc"},
        NOISE | {"body": "a\x00b"},
        NOISE | {"tags": ["x" * 33]},
        NOISE | {"extra": 1},
        NOISE | {"tags": "噪音"},
        [NOISE],
        "<script>",
    ],
)
async def test_hostile_payloads_get_422(web: Site, body: Any) -> None:
    answer = await _send(web, "POST", "/api/knowledge", Role.ADMIN, body)
    assert answer.status_code == 422
    assert "error_id" in answer.json()


async def test_import_csv_with_bom_all_or_nothing_with_row_errors(web: Site) -> None:
    headers = web.bearer("admin", Role.ADMIN) | {"Content-Type": "text/csv"}
    good = (
        "\ufefftitle,body,tags,category,expires_on\n"
        "停水查询,计划停水看公告,停水;供水,咨询,2099-01-01\n"
        "供暖,供暖费缴纳,,,\n"
    )
    done = await web.client.post("/api/knowledge/import", content=good.encode(), headers=headers)
    assert done.status_code == 201, done.text
    assert done.json()["imported"] == 2
    first = (await _send(web, "GET", f"/api/knowledge/{done.json()['ids'][0]}", Role.ADMIN)).json()
    assert (first["tags"], first["category"], first["expires_on"]) == (
        ["停水", "供水"],
        "consult",
        "2099-01-01",
    )
    bad = "title,body,category\n好的,正文,咨询\n,缺标题,咨询\n坏类别,正文,不存在\n"
    refused = await web.client.post("/api/knowledge/import", content=bad.encode(), headers=headers)
    assert (refused.status_code, refused.json()["error_id"]) == (422, "import_invalid")
    errors = refused.json()["details"]["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(3, "title"), (4, "category")]
    page = (await _send(web, "GET", "/api/knowledge/articles", Role.ADMIN)).json()
    assert page["total"] == 2, "nothing of the refused file was stored"
    unknown = await web.client.post("/api/knowledge/import", content=b"name,body\nx,y\n", headers=headers)
    assert unknown.json()["details"]["errors"][0]["row"] == 1


async def test_import_json_and_limits(web: Site) -> None:
    headers = web.bearer("sup", Role.SUPERVISOR)
    items = [
        {"title": "社保卡补办", "body": "带身份证到社保网点", "tags": "社保"},
        {"title": "公积金", "body": "提取"},
    ]
    done = await web.client.post("/api/knowledge/import", json=items, headers=headers)
    assert (done.status_code, done.json()["imported"]) == (201, 2)
    bad = await web.client.post("/api/knowledge/import", json=[{"title": "x"}, 3], headers=headers)
    assert [e["row"] for e in bad.json()["details"]["errors"]] == [2]
    big = await web.client.post(
        "/api/knowledge/import", content=b"title,body\n" + b"a,b\n" * 600_000, headers=headers
    )
    assert big.status_code == 413
    agent = await web.client.post("/api/knowledge/import", json=items, headers=web.bearer("1001", Role.AGENT))
    assert agent.status_code == 403
    latin1 = await web.client.post(
        "/api/knowledge/import?format=csv",
        content="title,body\n停水,正文\n".encode("gb18030"),
        headers=headers,
    )
    assert (latin1.status_code, latin1.json()["error_id"]) == (422, "import_invalid")
