"""The public citizen routes in the real HTTP app (hotline.http), on SQLite and PostgreSQL.

A citizen submits a matter without an account and gets an order number and an SMS receipt in the
outbox; progress is shown for the number plus the phone's last four digits (state, department, due
time, the reply once replied) and nothing personal; a wrong pair answers like an unknown number;
submissions and guesses are rate-limited per address (and per order number); hostile bodies get 422.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from acd.engine import AcdEngine
from acd.model import QueueConfig
from acd.service import AcdService
from acd.store import MemoryStore
from agent_desktop.auth import Role, TokenStore
from agent_desktop.context import DesktopContext
from agent_desktop.hub import DesktopHub
from agent_desktop.login import LoginGuard
from agent_desktop.login_throttle import MemoryThrottleStore
from agent_desktop.service import DesktopService
from hotline.ami.client import AmiClient
from hotline.bus import EventBus
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.http import build_http_app
from tests.pg import scratch_database
from tickets.loop import OrderLoop
from tickets.public_throttle import PublicThrottle
from tickets.service import TicketService

pytestmark = pytest.mark.timeout(120)
PHONE = "13912345678"


@dataclass
class FakeTime:
    """The throttle's clock (seconds), moved by the test."""

    now: float = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Site:
    client: httpx.AsyncClient
    ctx: DesktopContext
    sessions: sessionmaker[Session]
    time: FakeTime

    def bearer(self, user_id: str, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.ctx.tokens.issue(user_id, role)}"}

    async def submit(self, **changes: object) -> httpx.Response:
        return await self.client.post("/api/public/orders", json=matter() | changes)

    async def progress(self, number: str, last4: str) -> httpx.Response:
        body = {"number": number, "phone_last4": last4}
        return await self.client.post("/api/public/orders/progress", json=body)


def matter() -> dict[str, object]:
    return {
        "name": "李先生",
        "phone": PHONE,
        "address": "示例市幸福路8号3栋",
        "content": "小区门口的路灯坏了两周，晚上很黑。",
        "category": "help",
    }


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'public.db'}"
        return
    with scratch_database("hotline_public") as url:
        yield url


def unconnected_acd() -> AcdService:
    """An ACD with queue ``general`` and no Asterisk (the intake route only reads its calls)."""
    bus = EventBus()
    engine = AcdEngine(queues=[QueueConfig("general", "general", wrapup_seconds=30.0)], store=MemoryStore())
    ami = AmiClient(host="127.0.0.1", port=9, username="hotline", secret="unused")
    return AcdService(engine=engine, ami=ami, bus=bus, notifier=DesktopHub(bus), ring_timeout_s=15.0)


@asynccontextmanager
async def running(url: str) -> AsyncIterator[Site]:
    migrate(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    ctx = DesktopContext(
        sessions=sessions,
        tokens=TokenStore(),
        hub=DesktopHub(EventBus()),
        desktop=cast(DesktopService, None),
        acd=unconnected_acd(),
        login=LoginGuard(),
    )
    app = build_http_app(ctx)
    clock = FakeTime()
    app.state.public_throttle = PublicThrottle(store=MemoryThrottleStore(), clock=clock)
    app.state.tickets = TicketService(sessions=sessions)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
            yield Site(client=client, ctx=ctx, sessions=sessions, time=clock)
    finally:
        await ctx.login.close()
        engine.dispose()


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async with running(db_url) as started:
        yield started


async def outbox(site: Site, **params: str) -> list[dict[str, object]]:
    got = await site.client.get("/api/sms/outbox", params=params, headers=site.bearer("admin", Role.ADMIN))
    assert got.status_code == 200, got.text
    rows: list[dict[str, object]] = got.json()
    return rows


async def test_given_a_matter_when_submitted_then_web_order_number_and_sms_receipt(site: Site) -> None:
    created = await site.submit()
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"number", "status", "status_label", "created_at"}
    assert (body["status"], body["status_label"]) == ("intake", "已受理")
    row = TicketService(sessions=site.sessions).get(body["number"])
    assert (row.channel.value, row.created_by, row.caller.number) == ("web", "web", PHONE)
    assert row.content == matter()["content"]
    sms = await outbox(site, order_number=body["number"])
    assert [(m["to"], m["kind"], m["status"]) for m in sms] == [(PHONE, "order_received", "stored")]
    text = str(sms[0]["text"])
    assert text.startswith("【12345热线】")
    assert body["number"] in text
    assert "路灯" not in text, "the SMS never carries the matter's text"


async def test_given_complaint_from_the_web_then_five_elements_come_from_the_form(site: Site) -> None:
    created = await site.submit(category="complaint", when="每天晚上", name="")
    assert created.status_code == 201, created.text
    row = TicketService(sessions=site.sessions).get(created.json()["number"])
    assert row.elements.missing() == []
    assert (row.elements.who, row.elements.when, row.elements.where) == (
        "网上来信市民",
        "每天晚上",
        "示例市幸福路8号3栋",
    )


async def test_given_number_and_last_four_then_progress_without_personal_data(site: Site) -> None:
    number = (await site.submit()).json()["number"]
    seen = await site.progress(number, PHONE[-4:])
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert (body["status_label"], body["department"], body["replied"], body["reply"]) == (
        "已受理",
        "",
        False,
        "",
    )
    flat = seen.text
    for private in (PHONE, "李先生", "幸福路", "路灯"):
        assert private not in flat, private

    service = TicketService(sessions=site.sessions)
    service.dispatch(number, main="cgj", actor="sup")
    loop = OrderLoop(site.sessions)
    loop.sign(number, department="cgj", actor="d1")
    dispatched = (await site.progress(number, PHONE[-4:])).json()
    assert (dispatched["status_label"], dispatched["department"]) == ("已签收", "市城市管理局")
    assert dispatched["reply_due"] is not None
    assert dispatched["reply"] == ""
    loop.reply(number, department="cgj", text="路灯已于12月7日修复。", actor="d1")
    replied = (await site.progress(number, PHONE[-4:])).json()
    assert (replied["status_label"], replied["replied"], replied["reply"]) == (
        "已答复",
        True,
        "路灯已于12月7日修复。",
    )


async def test_given_wrong_digits_then_same_answer_as_an_unknown_number(site: Site) -> None:
    number = (await site.submit()).json()["number"]
    wrong = await site.progress(number, "0000")
    unknown = await site.progress("12345-20260101-999999", PHONE[-4:])
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    assert wrong.json()["error_id"] == "order_not_found"


async def test_given_guesses_on_one_number_then_locked_and_right_pair_refused_until_time_passes(
    site: Site,
) -> None:
    number = (await site.submit()).json()["number"]
    answers = [(await site.progress(number, f"{guess:04d}")).status_code for guess in range(5)]
    assert answers == [404] * 5
    locked = await site.progress(number, PHONE[-4:])
    assert locked.status_code == 429
    assert locked.json()["error_id"] == "too_many_requests"
    assert int(locked.headers["Retry-After"]) >= 1
    other = (await site.submit(phone="13700000001")).json()["number"]
    assert (await site.progress(other, "0001")).status_code == 200, "another number is not locked"
    site.time.now += 5
    assert (await site.progress(number, PHONE[-4:])).status_code == 200
    assert (await site.progress(number, PHONE[-4:])).status_code == 200, "right pairs are not counted"


async def test_given_many_submissions_from_one_address_then_429_then_allowed_later(site: Site) -> None:
    codes = [(await site.submit()).status_code for _ in range(6)]
    assert codes == [201] * 5 + [429]
    site.time.now += 61
    assert (await site.submit()).status_code == 201


@pytest.mark.parametrize(
    "changes",
    [
        {"phone": "12345"},
        {"phone": "1391234567a"},
        {"content": "短"},
        {"content": "x" * 2001},
        {"address": ""},
        {"category": "bribe"},
        {"name": "王\x00五"},
        {"content": "路灯坏了\x07\x07\x07很久"},
        {"extra": "field"},
        {"name": ["list"]},
        {"request_key": "short-key-123456"},
        {"request_key": "k" * 65},
        {"request_key": "a key with spaces in it, 32 characters"},
        {"request_key": 12345678901234567890123456789012345},
    ],
)
async def test_given_hostile_input_then_clear_422_and_nothing_stored(
    site: Site, changes: dict[str, object]
) -> None:
    got = await site.submit(**changes)
    assert got.status_code == 422, got.text
    assert got.json()["error_id"] == "invalid_request"
    assert TicketService(sessions=site.sessions).find(limit=5) == []


async def test_given_non_object_bodies_then_422(site: Site) -> None:
    for raw in (b"[]", b'"x"', b"not json", b"null"):
        got = await site.client.post(
            "/api/public/orders", content=raw, headers={"Content-Type": "application/json"}
        )
        assert got.status_code == 422, raw
        assert got.json()["error_id"] == "invalid_request"


async def test_given_outbox_then_admins_only(site: Site) -> None:
    await site.submit()
    for role in (Role.AGENT, Role.SUPERVISOR):
        got = await site.client.get("/api/sms/outbox", headers=site.bearer("u1", role))
        assert got.status_code == 403, role
    assert (await site.client.get("/api/sms/outbox")).status_code == 401
    assert len(await outbox(site)) == 1


async def test_given_the_page_then_served_without_an_account(site: Site) -> None:
    page = await site.client.get("/citizen/order")
    assert page.status_code == 200
    assert "工单" in page.text


async def test_given_phone_intake_then_sms_receipt_unless_the_caller_wants_none(site: Site) -> None:
    agent = site.bearer("1001", Role.AGENT)
    for number, preference in (("13600000001", "any"), ("13600000002", "phone_only")):
        body = {
            "caller": {"number": number, "contact_preference": preference},
            "category": "consult",
            "matter": "社保咨询",
            "content": "如何办理社保转移",
        }
        created = await site.client.post("/api/work-orders", json=body, headers=agent)
        assert created.status_code == 201, created.text
    assert [(m["to"], m["kind"]) for m in await outbox(site)] == [("13600000001", "order_received")]


async def test_given_a_matter_merged_into_another_then_progress_follows_the_main_order(site: Site) -> None:
    """并单: the citizen of the merged order sees the main order's state, department and reply."""
    main = (await site.submit()).json()["number"]
    merged = (await site.submit(phone="13700001111", content="幸福路8号门口路灯不亮，天黑看不清路。")).json()
    service = TicketService(sessions=site.sessions)
    loop = OrderLoop(site.sessions)
    service.dispatch(main, main="cgj", actor="sup")
    loop.merge(main, [merged["number"]], actor="sup")
    before = (await site.progress(merged["number"], "1111")).json()
    assert (before["merged_into"], before["status_label"], before["department"]) == (
        main,
        "已派单",
        "市城市管理局",
    )
    loop.sign(main, department="cgj", actor="d1")
    loop.reply(main, department="cgj", text="路灯已修复。", actor="d1")
    after = (await site.progress(merged["number"], "1111")).json()
    assert (after["number"], after["status_label"], after["replied"], after["reply"]) == (
        merged["number"],
        "已答复",
        True,
        "路灯已修复。",
    )
    own = (await site.progress(main, PHONE[-4:])).json()
    assert own["merged_into"] is None


KEY = "0f3c2a9e-5b7d-4e21-9a3f-6c8d1e2b4a70"


async def test_given_a_submit_tried_again_with_its_key_then_one_order_one_receipt_and_200(site: Site) -> None:
    """The page's answer was lost and the citizen pressed 提交 again: the same order, nothing new."""
    first = await site.submit(request_key=KEY)
    again = await site.submit(request_key=KEY)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(TicketService(sessions=site.sessions).find(limit=5)) == 1
    sms = await outbox(site, order_number=first.json()["number"])
    assert [m["kind"] for m in sms] == ["order_received"]


async def test_given_the_same_key_from_another_phone_or_no_key_then_separate_orders(site: Site) -> None:
    """A key sent with another number never reaches this citizen's order (the stored key is a digest of
    both); submits without a key are each taken in."""
    mine = await site.submit(request_key=KEY)
    other = await site.submit(request_key=KEY, phone="13700001111")
    assert (mine.status_code, other.status_code) == (201, 201)
    assert other.json()["number"] != mine.json()["number"]
    plain = [await site.submit() for _ in range(2)]
    assert [p.status_code for p in plain] == [201, 201]
    assert len(TicketService(sessions=site.sessions).find(limit=10)) == 4


async def test_given_a_landline_typed_with_and_without_its_dash_then_the_retry_finds_the_order(
    site: Site,
) -> None:
    first = await site.submit(request_key=KEY, phone="010-12345678")
    again = await site.submit(request_key=KEY, phone="01012345678")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]
