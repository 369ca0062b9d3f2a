"""Users in the admin console on the running centre: the CSV import of a new centre (200 seats, all or
nothing), create/change/reset with every change in the audit and its diff, and the transfer directory
in the database, read at once by the agents' transfer list."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from admin.csv_import import HEADER
from agent_desktop.passwords import PasswordCost, Passwords
from hotline.app import Centre
from hotline.db.models import Agent
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(240)]

SEATS = 200
CHEAP = PasswordCost(time_cost=1, memory_kib=1024)


def centre_csv(*, bad: dict[int, str] | None = None, seats: int = SEATS) -> str:
    """The CSV of a new centre: seats 3001.. with extensions 5001..; ``bad`` replaces a data row
    (by its line number; the header is line 1)."""
    lines = [",".join(HEADER)]
    roles = ("坐席", "坐席", "坐席", "班长", "质检员")
    for i in range(seats):
        skills = "general:3;social_security:1" if i % 2 else "general:5"
        lines.append(f"{3001 + i},坐席{i:03d},{5001 + i},{roles[i % len(roles)]},{skills},Init-pw-{3001 + i}")
    for line, text in (bad or {}).items():
        lines[line - 1] = text
    return "\r\n".join(lines) + "\r\n"


async def signed_in_admin(centre: Centre) -> DesktopClient:
    """The centre's admin, signed in."""
    boss = DesktopClient(centre.url)
    boss.http.timeout = httpx.Timeout(120.0)
    await boss.sign_in("admin", ADMIN_PASSWORD)
    return boss


def user_count(centre: Centre) -> int:
    """How many users the database holds."""
    with centre.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Agent)) or 0)


async def test_given_a_centre_csv_when_imported_then_bad_lines_are_named_and_only_a_clean_file_goes_in(
    centre: Centre,
) -> None:
    centre.desktop.login.passwords = Passwords(CHEAP)  # 200 hashes at the default cost take a minute here
    boss = await signed_in_admin(centre)
    try:
        before = await asyncio.to_thread(user_count, centre)
        template = await boss.http.get("/api/admin/agent-import-template", headers=boss.auth)
        assert template.status_code == 200
        assert template.content.decode("utf-8-sig").splitlines()[0] == ",".join(HEADER)

        bad = centre_csv(
            bad={
                57: "3056,坐席055,5056,坐席,general:11,Init-pw-3056",
                120: "3119,坐席118,5001,班长,general:2,Init-pw-3119",
                200: "3199,坐席198,5199,厨师,general:2,short",
            }
        )
        refused = await boss.http.post("/api/admin/agent-import", json={"csv": bad}, headers=boss.auth)
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert body["error_id"] == "import_rejected"
        assert [(p["line"], p["column"]) for p in body["details"]["problems"]] == [
            (57, "技能"),
            (120, "分机"),
            (200, "角色"),
            (200, "初始密码"),
        ]
        assert "第 2 行" in body["details"]["problems"][1]["reason"]
        assert await asyncio.to_thread(user_count, centre) == before, "nothing half-imported"

        taken = centre_csv(bad={150: "admin,重名,5149,坐席,general:1,Init-pw-xx"})
        clash = await boss.http.post("/api/admin/agent-import", json={"csv": taken}, headers=boss.auth)
        assert clash.status_code == 422, clash.text
        assert [(p["line"], p["column"]) for p in clash.json()["details"]["problems"]] == [(150, "工号")]
        assert await asyncio.to_thread(user_count, centre) == before, "nothing half-imported"

        done = await boss.http.post("/api/admin/agent-import", json={"csv": centre_csv()}, headers=boss.auth)
        assert done.status_code == 201, done.text
        assert done.json()["created"] == SEATS
        assert await asyncio.to_thread(user_count, centre) == before + SEATS
        listed = (await boss.http.get("/api/admin/agents?q=3199", headers=boss.auth)).json()
        assert [(u["agent_id"], u["extension"], u["role"], u["skills"]) for u in listed] == [
            ("3199", "5199", "supervisor", {"general": 5})
        ]
        seat = DesktopClient(centre.url)
        await seat.sign_in("3057", "Init-pw-3057")
        await seat.close()
        changes = (await boss.http.get("/api/admin/changes?area=agent", headers=boss.auth)).json()
        assert [(c["action"], c["object_id"], c["user_id"]) for c in changes] == [
            ("import", "import", "admin")
        ]
        assert changes[0]["diff"].count('"line":') == SEATS
        assert "Init-pw" not in changes[0]["diff"], "no password in the audit"
    finally:
        await boss.close()


async def test_given_a_user_when_created_changed_and_reset_then_each_change_is_audited_with_its_diff(
    centre: Centre,
) -> None:
    boss = await signed_in_admin(centre)
    try:
        new = {
            "agent_id": "2001",
            "name": "王芳",
            "extension": "1005",
            "role": "agent",
            "skills": {"general": 3},
            "password": "First-pw-2001",
        }
        made = await boss.http.post("/api/admin/agents", json=new, headers=boss.auth)
        assert made.status_code == 201, made.text
        again = await boss.http.post("/api/admin/agents", json=new, headers=boss.auth)
        assert (again.status_code, again.json()["error_id"]) == (409, "user_exists")
        for wrong, error in (
            ({**new, "agent_id": "2002", "skills": {"cooking": 2}}, "unknown_skill"),
            ({**new, "agent_id": "2002", "skills": {"general": 0}}, "invalid_request"),
            ({**new, "agent_id": "2002", "extension": "10x"}, "invalid_request"),
            ({**new, "agent_id": "2002", "role": "department"}, "invalid_request"),
            ({**new, "agent_id": "20\x0002"}, "invalid_request"),
            ({**new, "agent_id": "2002", "password": "short"}, "invalid_request"),
        ):
            resp = await boss.http.post("/api/admin/agents", json=wrong, headers=boss.auth)
            assert (resp.status_code, resp.json()["error_id"]) == (422, error), resp.text
        agent = DesktopClient(centre.url)
        await agent.sign_in("2001", "First-pw-2001")
        for q, found in (("王", ["2001"]), ("1005", ["2001"]), ("20_1", []), ("%", []), ("admin", ["admin"])):
            listed = await boss.http.get("/api/admin/agents", params={"q": q}, headers=boss.auth)
            assert [u["agent_id"] for u in listed.json()] == found, q

        change = {
            "name": "王芳",
            "extension": "1006",
            "role": "agent",
            "skills": {"general": 5, "social_security": 2},
        }
        changed = await boss.http.put("/api/admin/agents/2001", json=change, headers=boss.auth)
        assert changed.status_code == 200, changed.text
        assert (await agent.http.get("/api/me", headers=agent.auth)).status_code == 401, (
            "new phone: signed out"
        )
        reset = await boss.http.post(
            "/api/admin/agents/2001/password", json={"password": "Second-pw-2001"}, headers=boss.auth
        )
        assert reset.status_code == 200, reset.text
        await agent.sign_in("2001", "Second-pw-2001")
        await agent.close()

        boss_of_queue = {**new, "agent_id": "2009", "role": "supervisor", "extension": ""}
        assert (
            await boss.http.post("/api/admin/agents", json=boss_of_queue, headers=boss.auth)
        ).status_code == 201
        unknown = await boss.http.put(
            "/api/admin/agents/2009/queues", json={"queues": ["nope"]}, headers=boss.auth
        )
        assert (unknown.status_code, unknown.json()["error_id"]) == (422, "unknown_queue")
        not_boss = await boss.http.put(
            "/api/admin/agents/2001/queues", json={"queues": ["general"]}, headers=boss.auth
        )
        assert (not_boss.status_code, not_boss.json()["error_id"]) == (404, "not_a_supervisor")
        queues = {"queues": ["social_security", "general"]}
        assigned = await boss.http.put("/api/admin/agents/2009/queues", json=queues, headers=boss.auth)
        assert assigned.status_code == 200, assigned.text
        assert assigned.json()["queues"] == ["general", "social_security"]
        supervised = await boss.http.get("/api/admin/changes?object_id=2009&area=agent", headers=boss.auth)
        assert [c["action"] for c in supervised.json()] == ["queues", "create"]
        assert '+    "social_security"' in supervised.json()[0]["diff"].splitlines()

        changes = (await boss.http.get("/api/admin/changes?object_id=2001", headers=boss.auth)).json()
        assert [c["action"] for c in changes] == ["reset_password", "update", "create"]
        diff = changes[1]["diff"].splitlines()
        marked = [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        assert marked == [
            '-  "extension": "1005",',
            '+  "extension": "1006",',
            '-    "general": 3',
            '+    "general": 5,',
            '+    "social_security": 2',
        ]
        assert "Second-pw" not in changes[0]["diff"]
        assert all(c["user_id"] == "admin" and c["role"] == "admin" for c in changes)
    finally:
        await boss.close()


async def test_given_the_directory_when_an_admin_changes_it_then_agents_transfer_list_follows_at_once(
    centre: Centre,
) -> None:
    boss = await signed_in_admin(centre)
    agent_new = {
        "agent_id": "2101",
        "name": "李娜",
        "extension": "",
        "role": "agent",
        "skills": {"general": 1},
        "password": "Pw-2101-abcd",
    }
    assert (await boss.http.post("/api/admin/agents", json=agent_new, headers=boss.auth)).status_code == 201
    agent = DesktopClient(centre.url)
    await agent.sign_in("2101", "Pw-2101-abcd")
    try:
        seeded = (await boss.http.get("/api/admin/directory", headers=boss.auth)).json()
        assert {"110", "119", "120", "122", "12333", "12338", "12315", "961017"} <= {
            e["number"] for e in seeded
        }
        for wrong in ("12345#", "1", "110,,t", "１２３４５", "12345678901234567890123"):
            resp = await boss.http.post(
                "/api/admin/directory",
                json={"id": "bad", "name": "坏号码", "number": wrong, "kind": "department"},
                headers=boss.auth,
            )
            assert resp.status_code == 422, (wrong, resp.text)
        made = await boss.http.post(
            "/api/admin/directory",
            json={"id": "tax", "name": "12366 纳税服务热线", "number": "12366", "kind": "hotline"},
            headers=boss.auth,
        )
        assert made.status_code == 201, made.text
        listed = {
            e["id"]: e["number"] for e in (await agent.http.get("/api/directory", headers=agent.auth)).json()
        }
        assert listed["tax"] == "12366"
        moved = await boss.http.put(
            "/api/admin/directory/tax",
            json={"name": "12366 纳税服务热线", "number": "12366001", "kind": "hotline"},
            headers=boss.auth,
        )
        assert moved.status_code == 200, moved.text
        gone = await boss.http.delete("/api/admin/directory/police", headers=boss.auth)
        assert gone.status_code == 204
        listed = {
            e["id"]: e["number"] for e in (await agent.http.get("/api/directory", headers=agent.auth)).json()
        }
        assert listed["tax"] == "12366001"
        assert "police" not in listed
        assert (await boss.http.delete("/api/admin/directory/police", headers=boss.auth)).status_code == 404
        changes = (await boss.http.get("/api/admin/changes?area=directory", headers=boss.auth)).json()
        assert [(c["action"], c["object_id"]) for c in changes] == [
            ("delete", "police"),
            ("update", "tax"),
            ("create", "tax"),
        ]
        assert '-  "number": "12366"' in changes[1]["diff"].splitlines()
        assert '+  "number": "12366001"' in changes[1]["diff"].splitlines()
    finally:
        await agent.close()
        await boss.close()
