"""The 110 interface's routes in the real HTTP app on SQLite: signed transfers become orders once, bad
signatures and hostile bodies store nothing, hand-offs are stored for the sender with a history entry."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent_desktop.auth import Role
from linkage110.models import HandoffOutbox, TransferIn
from linkage110.signing import signed_headers
from tests.unit.desktop_http import Site, site
from tickets.models import WorkOrder
from tickets.rows import Caller, FiveElements, NewWorkOrder
from tickets.service import TicketService
from tickets.vocab import Category, Channel, ContactPreference, SpecialGroup

pytestmark = pytest.mark.timeout(60)
SECRET = "unit-secret"
BASE = "/api/linkage/110/v1"
TRANSFER = {
    "idempotency_key": "110-unit-0001",
    "reference": "JQ-0001",
    "received_at": "2026-12-06T10:00:00+08:00",
    "caller": {"name": "李四", "number": "13900000000"},
    "address": "姑苏区十全街 5 号",
    "content": "小区路灯不亮已一周",
    "matter": "路灯故障",
}


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_LINKAGE110_SECRET", SECRET)
    monkeypatch.setenv("HOTLINE_LINKAGE110_URL", "")


def _signed(body: object, secret: str = SECRET, at: float | None = None) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body, ensure_ascii=False).encode() if not isinstance(body, bytes) else body
    return raw, signed_headers(secret, int(at if at is not None else time.time()), raw)


def _count(s: Site, model: type[WorkOrder] | type[TransferIn] | type[HandoffOutbox]) -> int:
    with s.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


async def test_given_signed_transfer_when_posted_twice_then_one_order_with_channel_110_and_same_ack(
    tmp_path: Path,
) -> None:
    async with site(tmp_path) as s:
        raw, headers = _signed(TRANSFER)
        first = await s.client.post(f"{BASE}/transfers", content=raw, headers=headers)
        again = await s.client.post(f"{BASE}/transfers", content=raw, headers=headers)
        assert (first.status_code, again.status_code) == (201, 200), first.text
        assert first.json() == again.json()
        number = first.json()["order_number"]
        order = await s.client.get(f"/api/work-orders/{number}", headers=s.bearer())
        assert order.json()["channel"] == {"value": "110", "label": "110转办"}
        assert _count(s, WorkOrder) == 1
        history = TicketService(sessions=s.sessions).history(number)
        assert [h.event for h in history] == ["created", "transferred_from_110"]
        assert history[1].detail == {"idempotency_key": "110-unit-0001", "reference": "JQ-0001"}


@pytest.mark.parametrize(
    ("secret", "skew", "reason"),
    [("wrong", 0, "mismatch"), (SECRET, -1000, "stale"), (SECRET, 1000, "stale")],
)
async def test_given_bad_signature_when_transfer_posted_then_401_and_nothing_stored(
    tmp_path: Path, secret: str, skew: int, reason: str
) -> None:
    async with site(tmp_path) as s:
        raw, headers = _signed(TRANSFER, secret, time.time() + skew)
        answer = await s.client.post(f"{BASE}/transfers", content=raw, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["error_id"] == "bad_signature"
        assert answer.json()["details"] == {"reason": reason}
        assert (_count(s, WorkOrder), _count(s, TransferIn)) == (0, 0)


async def test_given_unsigned_transfer_then_401(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        answer = await s.client.post(f"{BASE}/transfers", json=TRANSFER)
        assert answer.status_code == 401
        assert set(answer.json()) == {"error_id", "message", "details"}


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        {**TRANSFER, "admin": True},
        {**TRANSFER, "content": "\x00"},
        {**TRANSFER, "category": "crime"},
        {**TRANSFER, "category": "complaint"},
        {**TRANSFER, "matter": ""},
    ],
)
async def test_given_signed_hostile_body_then_422_and_nothing_stored(tmp_path: Path, body: object) -> None:
    async with site(tmp_path) as s:
        raw, headers = _signed(body)
        answer = await s.client.post(f"{BASE}/transfers", content=raw, headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error_id"] in {"invalid_request", "five_elements_missing"}
        assert (_count(s, WorkOrder), _count(s, TransferIn)) == (0, 0)


async def test_given_body_over_the_limit_then_413(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        raw, headers = _signed({**TRANSFER, "content": "路" * 30_000})
        answer = await s.client.post(f"{BASE}/transfers", content=raw, headers=headers)
        assert answer.status_code == 413
        assert answer.json()["error_id"] == "body_too_large"


def _order(s: Site) -> str:
    caller = Caller(
        name="张三", number="13800138000", contact_preference=ContactPreference.ANY,
        special_group=SpecialGroup.NONE, confidential=False,
    )  # fmt: skip
    new = NewWorkOrder(
        caller=caller, channel=Channel.PHONE, category=Category.HELP, matter="邻里纠纷",
        content="楼下有人持刀争吵", elements=FiveElements(), address="人民路 1 号",
    )  # fmt: skip
    return TicketService(sessions=s.sessions).create(new, created_by="a1").number


async def test_given_order_when_agent_hands_it_off_twice_then_one_outbox_row_and_history_entry(
    tmp_path: Path,
) -> None:
    async with site(tmp_path) as s:
        number = _order(s)
        supervisor = s.bearer("sup1", Role.SUPERVISOR)
        first = await s.client.post(
            f"{BASE}/orders/{number}/handoff", json={"reason": "涉及人身安全"}, headers=supervisor
        )
        again = await s.client.post(f"{BASE}/orders/{number}/handoff", json={}, headers=supervisor)
        assert (first.status_code, again.status_code) == (201, 200), first.text
        assert first.json()["idempotency_key"] == again.json()["idempotency_key"]
        assert first.json()["status"] == "pending"
        assert _count(s, HandoffOutbox) == 1
        listed = await s.client.get(f"{BASE}/orders/{number}/handoffs", headers=supervisor)
        assert [h["status"] for h in listed.json()] == ["pending"]
        with s.sessions() as db:
            payload = db.scalars(select(HandoffOutbox.payload)).one()
        assert payload["order"]["caller"]["number"] == "138****8000"
        events = [h.event for h in TicketService(sessions=s.sessions).history(number)]
        assert events == ["created", "handoff_110"]


async def test_given_no_token_or_department_role_when_handing_off_then_refused(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        number = _order(s)
        anonymous = await s.client.post(f"{BASE}/orders/{number}/handoff", json={})
        department = await s.client.post(
            f"{BASE}/orders/{number}/handoff", json={}, headers=s.bearer("d1", Role.DEPARTMENT)
        )
        unknown = await s.client.post(
            f"{BASE}/orders/12345-20990101-000009/handoff", json={}, headers=s.bearer()
        )
        assert (anonymous.status_code, department.status_code, unknown.status_code) == (401, 403, 404)
        assert _count(s, HandoffOutbox) == 0


async def test_given_no_shared_secret_then_every_transfer_is_refused_401(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_LINKAGE110_SECRET", "")
    async with site(tmp_path) as s:
        raw, headers = _signed(TRANSFER, "anything")
        answer = await s.client.post(f"{BASE}/transfers", content=raw, headers=headers)
        assert (answer.status_code, answer.json()["error_id"]) == (401, "linkage_not_configured")
        assert _count(s, TransferIn) == 0
