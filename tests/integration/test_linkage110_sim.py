"""The 110 interface against the 110 simulator running as its own process (``hotline sim-110``), with the
centre serving on a real port, on SQLite and PostgreSQL: hand-offs delivered and acknowledged, an outage
retried with backoff until delivered, transfers applied once, bad signatures refused both ways."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from linkage110.models import HandoffOutbox, TransferIn
from linkage110.signing import signed_headers
from tests.integration.linkage110_rig import SECRET, Rig, rig
from tests.pg import scratch_database
from tickets.models import WorkOrder
from tickets.rows import Caller, FiveElements, NewWorkOrder
from tickets.service import TicketService
from tickets.vocab import Category, Channel, ContactPreference, SpecialGroup

pytestmark = pytest.mark.timeout(120)
TRANSFER = {
    "idempotency_key": "JQ-20261206-0001",
    "reference": "JQ20261206000123",
    "received_at": "2026-12-06T18:00:00+08:00",
    "caller": {"name": "王五", "number": "13700000000"},
    "address": "姑苏区道前街 100 号",
    "content": "小区门口井盖缺失，有人险些踩空",
    "matter": "井盖缺失",
    "category": "help",
    "urgency": "urgent",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'centre.db'}"
        return
    with scratch_database("linkage110") as url:
        yield url


def _order(r: Rig) -> str:
    caller = Caller(
        name="张三", number="13800138000", contact_preference=ContactPreference.ANY,
        special_group=SpecialGroup.NONE, confidential=False,
    )  # fmt: skip
    new = NewWorkOrder(
        caller=caller, channel=Channel.PHONE, category=Category.HELP, matter="邻里纠纷",
        content="楼下两人持刀争吵", elements=FiveElements(), address="人民路 1 号",
    )  # fmt: skip
    number = TicketService(sessions=r.sessions).create(new, created_by="a1", now=r.clock()).number
    r.clock.advance(1)
    return number


def _count(r: Rig, model: type[Any]) -> int:
    with r.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


async def _hand_off(r: Rig, number: str) -> dict[str, Any]:
    answer = await r.client.post(
        f"/api/linkage/110/v1/orders/{number}/handoff",
        json={"reason": "持刀，涉及人身安全"},
        headers=r.bearer(),
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _state(r: Rig, number: str) -> dict[str, Any]:
    listed = await r.client.get(f"/api/linkage/110/v1/orders/{number}/handoffs", headers=r.bearer())
    states: list[dict[str, Any]] = listed.json()
    assert len(states) == 1
    return states[0]


async def test_given_110_up_when_order_handed_off_then_acknowledged_and_linked_to_its_reference(
    db_url: str, tmp_path: Path
) -> None:
    async with rig(db_url, tmp_path) as r:
        r.sim.start()
        number = _order(r)
        handed = await _hand_off(r, number)
        assert await r.sender.run_once() == 1
        state = await _state(r, number)
        received = await asyncio.to_thread(r.sim.call, "GET", "/v1/handoffs")
        assert [h["idempotency_key"] for h in received] == [handed["idempotency_key"]]
        assert received[0]["deliveries"] == 1
        order = received[0]["payload"]["order"]
        assert (order["number"], order["content"], order["urgency"]) == (number, "楼下两人持刀争吵", "normal")
        assert order["caller"] == {"name": "", "number": "138****8000", "masked": True, "confidential": False}
        assert state["status"] == "delivered"
        assert state["reference"] == received[0]["reference"]
        history = TicketService(sessions=r.sessions).history(number)
        assert [h.event for h in history] == ["created", "handoff_110", "handoff_110_acknowledged"]
        assert history[-1].detail["reference"] == state["reference"]
        assert await r.sender.run_once() == 0


async def test_given_110_down_when_order_handed_off_then_retried_with_backoff_and_delivered_once_back(
    db_url: str, tmp_path: Path
) -> None:
    async with rig(db_url, tmp_path) as r:
        number = _order(r)
        await _hand_off(r, number)
        assert await r.sender.run_once() == 0  # nobody listens
        first = await _state(r, number)
        assert (first["status"], first["attempts"]) == ("pending", 1)
        assert "unreachable" in first["last_error"]
        assert await r.sender.run_once() == 0  # not due before its backoff
        assert (await _state(r, number))["attempts"] == 1
        r.clock.advance(2)
        await r.sender.run_once()
        assert (await _state(r, number))["attempts"] == 2
        r.sim.start()
        await asyncio.to_thread(r.sim.call, "POST", "/control/mode", {"mode": "error"})
        r.clock.advance(4)
        await r.sender.run_once()
        third = await _state(r, number)
        assert (third["status"], third["attempts"]) == ("pending", 3)
        assert "503" in third["last_error"]
        await asyncio.to_thread(r.sim.call, "POST", "/control/mode", {"mode": "down"})
        r.clock.advance(8)
        await r.sender.run_once()
        assert (await _state(r, number))["attempts"] == 4
        await asyncio.to_thread(r.sim.call, "POST", "/control/mode", {"mode": "ok"})
        r.clock.advance(16)
        assert await r.sender.run_once() == 1
        done = await _state(r, number)
        assert (done["status"], done["attempts"]) == ("delivered", 5)
        received = await asyncio.to_thread(r.sim.call, "GET", "/v1/handoffs")
        assert [(h["reference"], h["deliveries"]) for h in received] == [(done["reference"], 1)]


async def test_given_secrets_differ_when_handing_off_then_110_refuses_and_the_hand_off_fails(
    db_url: str, tmp_path: Path
) -> None:
    async with rig(db_url, tmp_path) as r:
        r.sim.secret = "another-secret"
        r.sim.start()
        number = _order(r)
        await _hand_off(r, number)
        await r.sender.run_once()
        state = await _state(r, number)
        assert (state["status"], state["reference"]) == ("failed", None)
        assert "401" in state["last_error"]
        assert await asyncio.to_thread(r.sim.call, "GET", "/v1/handoffs") == []
        assert TicketService(sessions=r.sessions).history(number)[-1].event == "handoff_110_failed"


async def test_given_110_transfers_a_matter_twice_then_one_order_with_channel_110_and_the_same_ack(
    db_url: str, tmp_path: Path
) -> None:
    async with rig(db_url, tmp_path) as r:
        r.sim.start()
        first = await asyncio.to_thread(r.sim.call, "POST", "/control/transfer", {"transfer": TRANSFER})
        again = await asyncio.to_thread(r.sim.call, "POST", "/control/transfer", {"transfer": TRANSFER})
        assert (first["status"], again["status"]) == (201, 200), first
        assert first["answer"] == again["answer"]
        number = first["answer"]["order_number"]
        assert first["answer"]["reference"] == TRANSFER["reference"]
        order = TicketService(sessions=r.sessions).get(number)
        assert (order.channel, order.channel.label, order.content) == (
            Channel.POLICE_110,
            "110转办",
            TRANSFER["content"],
        )
        assert (_count(r, WorkOrder), _count(r, TransferIn)) == (1, 1)


async def test_given_110_signs_with_another_secret_when_transferring_then_401_and_nothing_stored(
    db_url: str, tmp_path: Path
) -> None:
    async with rig(db_url, tmp_path) as r:
        r.sim.start()
        body = {"transfer": TRANSFER, "secret": "not-the-shared-secret"}
        refused = await asyncio.to_thread(r.sim.call, "POST", "/control/transfer", body)
        assert refused["status"] == 401
        assert refused["answer"]["error_id"] == "bad_signature"
        assert (_count(r, WorkOrder), _count(r, TransferIn), _count(r, HandoffOutbox)) == (0, 0, 0)


async def test_given_the_same_transfer_delivered_concurrently_then_one_order(
    db_url: str, tmp_path: Path
) -> None:
    async with rig(db_url, tmp_path) as r:
        raw = json.dumps(TRANSFER, ensure_ascii=False).encode()
        headers = signed_headers(SECRET, int(time.time()), raw)
        answers = await asyncio.gather(
            *(r.client.post("/api/linkage/110/v1/transfers", content=raw, headers=headers) for _ in range(6))
        )
        codes = sorted(a.status_code for a in answers)
        assert codes.count(201) == 1, codes
        assert set(codes) <= {200, 201, 409}
        numbers = {a.json()["order_number"] for a in answers if a.status_code in (200, 201)}
        assert len(numbers) == 1
        assert (_count(r, WorkOrder), _count(r, TransferIn)) == (1, 1)


async def test_given_the_centres_own_sender_when_110_comes_up_late_then_the_hand_off_arrives(
    db_url: str, tmp_path: Path
) -> None:
    async with rig(db_url, tmp_path, background=True) as r:
        number = _order(r)
        await _hand_off(r, number)
        for _ in range(100):
            if (await _state(r, number))["attempts"] >= 1:
                break
            await asyncio.sleep(0.1)
        assert (await _state(r, number))["status"] == "pending"
        r.sim.start()
        for _ in range(150):
            if (await _state(r, number))["status"] == "delivered":
                break
            await asyncio.sleep(0.1)
        state = await _state(r, number)
        assert state["status"] == "delivered"
        received = await asyncio.to_thread(r.sim.call, "GET", "/v1/handoffs")
        assert [h["reference"] for h in received] == [state["reference"]]
