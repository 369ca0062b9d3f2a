"""``POST /api/work-orders`` with a ``request_key``: a retried save answers the order it already made.

The small app of ``tests.unit.test_tickets_api`` on a real SQLite file; the citizen receipt goes to the
real SMS outbox table and reads to the real read audit.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from privacy.models import ReadAudit
from tests.unit.test_tickets_api import World, complaint, world
from tickets import repository as repo
from tickets.sms_models import SmsMessage

pytestmark = pytest.mark.timeout(60)

__all__ = ["world"]


def _key() -> str:
    return str(uuid.uuid4())


def _count(w: World, what: object) -> int:
    with w.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(what)) or 0)  # type: ignore[arg-type]


def _duplicate_reads(w: World) -> int:
    with w.sessions() as s:
        query = select(func.count()).where(ReadAudit.action == "work_orders.duplicates")
        return int(s.scalar(query) or 0)


async def test_given_same_key_twice_then_one_order_the_same_answer_200_and_no_second_receipt(
    world: World,
) -> None:
    earlier = await world.post("1001", "/api/work-orders", complaint(call_id="1732345600.1"))
    assert earlier.status_code == 201, earlier.text
    key = _key()
    first = await world.post("1001", "/api/work-orders", complaint(request_key=key))
    assert first.status_code == 201, first.text
    assert [d["number"] for d in first.json()["duplicates"]] == [earlier.json()["number"]]
    assert (_count(world, SmsMessage), _duplicate_reads(world)) == (2, 1)

    again = await world.post("1001", "/api/work-orders", complaint(request_key=key))

    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    numbers = [r.number for r in repo.list_work_orders(world.sessions)]
    assert sorted(numbers) == sorted([earlier.json()["number"], first.json()["number"]])
    assert [h.event for h in repo.work_order_history(world.sessions, number=first.json()["number"])] == [
        "created"
    ]
    assert _count(world, SmsMessage) == 2  # no second order_received
    assert _duplicate_reads(world) == 2  # the replay shows the earlier order again: a read, audited


async def test_given_same_key_of_another_user_then_each_gets_their_own_order(world: World) -> None:
    key = _key()
    mine = await world.post("1001", "/api/work-orders", complaint(request_key=key))
    theirs = await world.post("1002", "/api/work-orders", complaint(request_key=key))

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["number"] != theirs.json()["number"]
    assert theirs.json()["created_by"] == "1002"
    assert len(repo.list_work_orders(world.sessions)) == 2
    assert _count(world, SmsMessage) == 2


async def test_given_key_then_a_new_key_then_two_orders(world: World) -> None:
    first = await world.post("1001", "/api/work-orders", complaint(request_key=_key()))
    second = await world.post("1001", "/api/work-orders", complaint(request_key=_key()))

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["number"] != second.json()["number"]


@pytest.mark.parametrize(
    "key",
    [
        "short-key-15chr",
        "a" * 65,
        "has space in it!!",
        "中文中文中文中文中文中文中文中文",
        "",
        "x" * 15,
        1234567890123456789,
    ],
)
async def test_given_malformed_key_then_422_naming_it_and_nothing_created(world: World, key: object) -> None:
    response = await world.post("1001", "/api/work-orders", complaint(request_key=key))

    assert response.status_code == 422, response.text
    assert response.json()["error_id"] == "invalid_request"
    errors = response.json()["details"]["errors"]
    assert [e["loc"] for e in errors] == [["body", "request_key"]]
    assert repo.list_work_orders(world.sessions) == []


@pytest.mark.parametrize("key", ["a" * 16, "Z" * 64, "0123456789abcdef_-XY"])
async def test_given_keys_at_the_limits_then_accepted(world: World, key: str) -> None:
    response = await world.post("1001", "/api/work-orders", complaint(request_key=key))

    assert response.status_code == 201, response.text
