"""Contract of who may see citizens' data, on the real HTTP app and ACD engine (tests/caller_history_contract
world): work-order visibility, confidentiality decided on the server, the read audit and its admin API,
retention, and the smaller refusals (NUL text, times without a zone, arbitrary phones).

tests/unit runs it on SQLite, tests/integration on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from hotline.db import repository as repo
from privacy.retention import ANONYMISED_TEXT, RetentionPolicy, run_retention
from tests.caller_history_contract import CALLER, World, open_world
from tickets import repository as tickets_repo
from tickets.rows import Caller, FiveElements, NewWorkOrder
from tickets.vocab import Category, Channel, ContactPreference, Event, SpecialGroup

OTHER = "13900139000"
NEW_ORDER = NewWorkOrder(
    caller=Caller(
        name="王女士",
        number=CALLER,
        contact_preference=ContactPreference.ANY,
        special_group=SpecialGroup.NONE,
        confidential=False,
    ),
    channel=Channel.PHONE,
    category=Category.HELP,
    matter="停水咨询",
    content="幸福路8号停水",
    elements=FiveElements(),
    address="幸福路8号",
)


def order(number: str = CALLER, **changes: object) -> dict[str, object]:
    """A help request from ``number`` (typed in during call ``call_id`` when given)."""
    body: dict[str, object] = {
        "caller": {"name": "王女士", "number": number},
        "category": "help",
        "matter": "停水咨询",
        "content": "幸福路8号停水",
        "address": "幸福路8号",
    }
    return body | changes


async def post(world: World, user: str, path: str, body: object) -> httpx.Response:
    """POST as ``user``."""
    return await world.client.post(path, json=body, headers=world.headers[user])


async def get(world: World, user: str, path: str, **params: Any) -> httpx.Response:
    """GET as ``user``."""
    return await world.client.get(path, params=params, headers=world.headers[user])


async def created(world: World, user: str, body: dict[str, object]) -> dict[str, Any]:
    """Create an order as ``user``; it must succeed."""
    response = await post(world, user, "/api/work-orders", body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def listed(world: World, user: str, **params: Any) -> list[str]:
    """The order numbers ``user`` is listed."""
    response = await get(world, user, "/api/work-orders", limit=200, **params)
    assert response.status_code == 200, response.text
    return [o["number"] for o in response.json()]


async def readable(world: World, user: str, number: str) -> bool:
    """Whether ``user`` may GET order ``number`` (200) or is told there is none (404)."""
    status = (await get(world, user, f"/api/work-orders/{number}")).status_code
    assert status in (200, 404)
    return status == 200


class AccessContract:
    """The shared test bodies; a subclass supplies the ``db_url`` fixture (an empty database)."""

    @pytest.fixture
    async def world(self, db_url: str) -> AsyncIterator[World]:
        """Agents 1001 and 1002, a supervisor and an admin; an ACD with queue ``general``."""
        async with open_world(db_url) as world:
            yield world

    async def test_given_other_agents_orders_then_agent_lists_and_reads_only_own_and_current_callers(
        self, world: World
    ) -> None:
        theirs = (await created(world, "1002", order()))["number"]
        other = (await created(world, "1002", order(OTHER)))["number"]
        mine = (await created(world, "1001", order(OTHER)))["number"]

        assert await listed(world, "1001") == [mine]
        assert await listed(world, "1001", caller=CALLER) == []
        assert not await readable(world, "1001", theirs)

        world.offer("c-live", "1001")
        assert await listed(world, "1001") == [mine, theirs]
        assert await listed(world, "1001", caller=CALLER) == [theirs]
        assert await readable(world, "1001", theirs)
        assert not await readable(world, "1001", other)
        assert await listed(world, "sup") == [mine, other, theirs]

    async def test_given_call_answered_within_the_hour_then_its_callers_orders_stay_visible(
        self, world: World
    ) -> None:
        theirs = (await created(world, "1002", order()))["number"]
        world.record("c-recent", timedelta(minutes=20), agent="1001")
        world.record("c-old", timedelta(hours=3), agent="1001", caller=OTHER)
        await created(world, "1002", order(OTHER))

        assert await listed(world, "1001") == [theirs]
        assert await readable(world, "1001", theirs)

    async def test_given_confidential_call_then_order_is_confidential_whatever_the_form_says(
        self, world: World
    ) -> None:
        world.offer("c-conf", "1001", tags="confidential")
        body = order("", call_id="c-conf")
        made = await created(world, "1001", body)

        assert made["caller"]["confidential"] is True
        assert made["caller"]["number"] == "138****8000"
        stored = tickets_repo.get_work_order(world.sessions, number=made["number"])
        assert stored is not None
        assert stored.caller.number == CALLER
        assert stored.caller.confidential
        full = (await get(world, "sup", f"/api/work-orders/{made['number']}")).json()
        assert full["caller"]["number"] == CALLER
        world.offer("c-next", "1002")
        assert made["number"] not in await listed(world, "1002")
        assert not await readable(world, "1002", made["number"])

    async def test_given_recorded_confidential_call_then_later_order_for_it_is_confidential(
        self, world: World
    ) -> None:
        world.record("c-done", timedelta(minutes=5), agent="1001")
        repo.update_call(world.sessions, call_id="c-done", confidential=True)

        made = await created(world, "1001", order(call_id="c-done"))

        assert made["caller"]["confidential"] is True
        assert made["caller"]["number"] == "138****8000"

    async def test_reads_are_audited_and_admins_query_them_by_user_object_and_time(
        self, world: World
    ) -> None:
        world.record("c-old", timedelta(days=2), agent="1002")
        world.offer("c-now", "1001")
        number = (await created(world, "1001", order(call_id="c-now")))["number"]
        assert (await get(world, "1001", "/api/calls/c-now/caller-history")).status_code == 200
        await listed(world, "1001", caller=CALLER)
        await readable(world, "1001", number)
        assert (await get(world, "sup", "/api/calls")).status_code == 200

        assert (await get(world, "sup", "/api/audit/reads")).status_code == 403
        page = (await get(world, "admin", "/api/audit/reads", user_id="1001")).json()
        actions = [r["action"] for r in page["reads"]]
        assert actions == ["work_orders.read", "work_orders.list", "caller_history.read"]
        assert {r["client"] for r in page["reads"]} == {"127.0.0.1"}
        assert page["reads"][2]["objects"] == ["c-now", "c-old"]
        assert page["reads"][1]["object_id"] == "caller:138****8000", "the audit keeps no full number"
        assert CALLER not in str(page)
        by_object = (await get(world, "admin", "/api/audit/reads", object_id=number)).json()
        assert [r["action"] for r in by_object["reads"]] == ["work_orders.read", "work_orders.list"]
        calls = (await get(world, "admin", "/api/audit/reads", object_id="c-old")).json()
        assert [(r["user_id"], r["action"]) for r in calls["reads"]] == [
            ("sup", "calls.list"),
            ("1001", "caller_history.read"),
        ]
        future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        assert (await get(world, "admin", "/api/audit/reads", since=future)).json()["reads"] == []

    async def test_audit_pages_backwards_and_has_no_route_that_changes_it(self, world: World) -> None:
        for _ in range(5):
            await listed(world, "1001")
        first = (await get(world, "admin", "/api/audit/reads", limit=3)).json()
        second = (
            await get(world, "admin", "/api/audit/reads", limit=3, before_id=first["next_before_id"])
        ).json()
        assert len(first["reads"]) == 3
        assert len(second["reads"]) == 2
        assert second["next_before_id"] is None
        assert {r["id"] for r in first["reads"]}.isdisjoint(r["id"] for r in second["reads"])
        for method in ("DELETE", "PUT", "PATCH", "POST"):
            response = await world.client.request(method, "/api/audit/reads", headers=world.headers["admin"])
            assert response.status_code == 405, method

    async def test_retention_anonymises_old_calls_and_closed_orders_only(self, world: World) -> None:
        world.record("c-ancient", timedelta(days=4 * 365), agent="1001")
        world.record("c-recent", timedelta(days=30), agent="1001")
        old = tickets_repo.create_work_order(
            world.sessions,
            order=NEW_ORDER,
            created_by="1001",
            now=world.now - timedelta(days=4 * 365),
        )
        tickets_repo.apply_event(
            world.sessions,
            number=old.number,
            event=Event.ANSWER_DIRECTLY,
            actor="1001",
            now=world.now - timedelta(days=4 * 365),
        )
        open_order = tickets_repo.create_work_order(
            world.sessions, order=NEW_ORDER, created_by="1001", now=world.now - timedelta(days=4 * 365)
        )
        policy = RetentionPolicy()

        dry = run_retention(world.sessions, policy, dry_run=True)
        assert (dry.calls, dry.work_orders) == (1, 1)
        untouched = repo.get_call(world.sessions, call_id="c-ancient")
        assert untouched is not None
        assert untouched.caller == CALLER

        done = run_retention(world.sessions, policy)
        again = run_retention(world.sessions, policy)

        assert (done.calls, done.work_orders, again.calls, again.work_orders) == (1, 1, 0, 0)
        ancient = repo.get_call(world.sessions, call_id="c-ancient")
        recent = repo.get_call(world.sessions, call_id="c-recent")
        assert ancient is not None
        assert recent is not None
        assert (ancient.caller, ancient.anonymised_at is not None, recent.caller) == ("", True, CALLER)
        gone = tickets_repo.get_work_order(world.sessions, number=old.number)
        kept = tickets_repo.get_work_order(world.sessions, number=open_order.number)
        assert gone is not None
        assert kept is not None
        assert (gone.caller.number, gone.caller.name, gone.address, gone.content) == (
            "",
            "",
            "",
            ANONYMISED_TEXT,
        )
        assert kept.caller.number == CALLER

    async def test_nul_in_order_text_is_refused_with_422_on_every_backend(self, world: World) -> None:
        response = await post(world, "1001", "/api/work-orders", order(content="停水\x00啦"))
        assert response.status_code == 422
        assert response.json()["error_id"] == "invalid_request"
        nested = await post(world, "1001", "/api/work-orders", order(caller={"name": "王\x00", "number": ""}))
        assert nested.status_code == 422
        assert (await get(world, "1001", "/api/knowledge", q="停\x00水")).status_code == 422
        assert await listed(world, "sup") == []

    async def test_calls_since_without_time_zone_is_422_with_zone_200(self, world: World) -> None:
        naive = await get(world, "sup", "/api/calls", since="2026-11-25T08:00:00")
        assert naive.status_code == 422
        assert naive.json()["error_id"] == "invalid_request"
        assert (await get(world, "sup", "/api/calls", since="2026-11-25T08:00:00+08:00")).status_code == 200

    async def test_status_change_may_not_route_calls_to_an_arbitrary_dial_string(self, world: World) -> None:
        for user, contact in (
            ("admin", "Local/13800138000@hotline-trunk"),
            ("admin", "PJSIP/9999"),
            ("1001", "PJSIP/1002"),
        ):
            path = "/api/agents/1001/status" if user == "admin" else "/api/me/status"
            response = await post(world, user, path, {"status": "available", "contact": contact})
            assert response.status_code == 403, (user, contact, response.text)
            assert response.json()["error_id"] == "contact_not_allowed"

    async def test_a_supervisor_changes_only_agents_of_queues_they_supervise(self, world: World) -> None:
        response = await post(world, "sup", "/api/agents/1001/status", {"status": "available"})
        assert response.status_code == 403, response.text
