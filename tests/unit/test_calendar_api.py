"""``/api/calendar/{year}`` and ``/api/supervision-orders`` on the real HTTP app and a SQLite file.

The app gets a calendar of the test's own (the shipped file), so an edit never reaches the process's
shared calendar; the work-order service computes deadlines on that same calendar, as the centre's
does on the shared one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.orm import Session, sessionmaker

from acd.service import AcdService
from agent_desktop.auth import Role, TokenStore
from agent_desktop.context import DesktopContext
from agent_desktop.hub import DesktopHub
from agent_desktop.login import LoginGuard
from agent_desktop.service import DesktopService
from hotline.bus import EventBus
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.http import build_http_app
from ivr.flow.calendar import ChineseCalendar, shipped_calendar
from tests.tickets_contract import order
from tickets.calendar_store import CalendarStore
from tickets.checker import DeadlineChecker
from tickets.deadlines import DEFAULT_TIME_LIMITS_PATH, DeadlinePolicy
from tickets.service import TicketService
from tickets.vocab import BEIJING

pytestmark = pytest.mark.timeout(60)


@dataclass
class App:
    """A client, a token store, the app's work-order service and its calendar."""

    client: httpx.AsyncClient
    tokens: TokenStore
    tickets: TicketService
    calendar: ChineseCalendar
    sessions: sessionmaker[Session]

    def as_(self, role: Role, user: str = "u1") -> dict[str, str]:
        """A bearer header for a fresh token of ``role``."""
        return {"Authorization": f"Bearer {self.tokens.issue(user, role)}"}


@pytest_asyncio.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    """The app on a fresh SQLite file with its own calendar."""
    url = f"sqlite:///{tmp_path / 'cal.db'}"
    migrate(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    ctx = DesktopContext(
        sessions=sessions,
        tokens=TokenStore(),
        hub=DesktopHub(EventBus()),
        desktop=cast(DesktopService, None),
        acd=cast(AcdService, None),
        login=LoginGuard(),
    )
    http = build_http_app(ctx)
    calendar = ChineseCalendar()
    calendar.adopt(shipped_calendar())
    tickets = TicketService(
        sessions=sessions, policy=DeadlinePolicy.from_yaml(DEFAULT_TIME_LIMITS_PATH, calendar=calendar)
    )
    http.state.tickets = tickets
    http.state.calendar_store = CalendarStore(sessions=sessions, calendar=calendar)
    transport = httpx.ASGITransport(app=http)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
            yield App(client, ctx.tokens, tickets, calendar, sessions)
    finally:
        await ctx.login.close()
        engine.dispose()


def _spring_festival_ending(body: dict[str, Any], end: str) -> dict[str, Any]:
    plan = {k: body[k] for k in ("status", "notice", "url", "published", "holidays")}
    for holiday in plan["holidays"]:
        if holiday["name"] == "春节":
            holiday["end"] = end
    return plan


async def test_given_shipped_2027_when_read_then_expected_with_holidays_and_makeup_days(app: App) -> None:
    got = await app.client.get("/api/calendar/2027", headers=app.as_(Role.ADMIN))
    assert got.status_code == 200
    body = got.json()
    assert (body["source"], body["status"]) == ("shipped", "expected")
    off = {d["date"]: d["name"] for d in body["days_off"]}
    on = {d["date"]: d["name"] for d in body["workdays"]}
    assert (off["2027-02-10"], off["2027-10-01"], off["2027-06-09"]) == ("春节", "国庆节", "端午节")
    assert on == {
        "2027-01-30": "春节",
        "2027-02-20": "春节",
        "2027-05-08": "劳动节",
        "2027-09-26": "国庆节",
        "2027-10-09": "国庆节",
    }
    assert all(h["note"] for h in body["holidays"])  # each says what is statutory and what is pattern
    confirmed = (await app.client.get("/api/calendar/2026", headers=app.as_(Role.ADMIN))).json()
    assert (confirmed["source"], confirmed["status"]) == ("shipped", "confirmed")
    unknown = (await app.client.get("/api/calendar/2031", headers=app.as_(Role.ADMIN))).json()
    assert (unknown["source"], unknown["status"], unknown["days_off"]) == ("none", None, [])


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR])
async def test_given_not_admin_when_calendar_read_or_written_then_403(app: App, role: Role) -> None:
    assert (await app.client.get("/api/calendar/2027", headers=app.as_(role))).status_code == 403
    put = await app.client.put("/api/calendar/2027", headers=app.as_(role), json={"holidays": []})
    assert (put.status_code, put.json()["error_id"]) == (403, "forbidden")


async def test_given_calendar_edited_through_api_when_dispatched_then_deadline_follows(app: App) -> None:
    admin = app.as_(Role.ADMIN, "admin1")
    shipped = (await app.client.get("/api/calendar/2027", headers=admin)).json()
    before = app.tickets.create(order(), created_by="a1", now=datetime(2027, 2, 4, 10, tzinfo=BEIJING))
    first = app.tickets.dispatch(
        before.number, main="zjj", actor="a1", now=datetime(2027, 2, 4, 10, tzinfo=BEIJING)
    )
    assert first.sign_due == datetime(2027, 2, 15, 23, 59, 59, tzinfo=BEIJING)

    plan = _spring_festival_ending(shipped, "2027-02-16") | {"status": "confirmed"}
    put = await app.client.put("/api/calendar/2027", headers=admin, json=plan)
    assert put.status_code == 200, put.text
    assert (put.json()["source"], put.json()["status"], put.json()["updated_by"]) == (
        "edited",
        "confirmed",
        "admin1",
    )

    after = app.tickets.create(order(), created_by="a1", now=datetime(2027, 2, 4, 10, tzinfo=BEIJING))
    moved = app.tickets.dispatch(
        after.number, main="zjj", actor="a1", now=datetime(2027, 2, 4, 10, tzinfo=BEIJING)
    )
    assert moved.sign_due == datetime(2027, 2, 17, 23, 59, 59, tzinfo=BEIJING)

    reset = await app.client.delete("/api/calendar/2027", headers=admin)
    assert (reset.status_code, reset.json()["source"]) == (200, "shipped")
    assert app.calendar.is_working_day(datetime(2027, 2, 15).date())


@pytest.mark.parametrize(
    ("plan", "error_id"),
    [
        ({"holidays": [{"name": "x", "start": "2027-01-04", "end": "2027-01-04",
                        "workdays": ["2027-01-05"]}]}, "invalid_request"),  # a Tuesday as a make-up day
        ({"holidays": [{"name": "x", "start": "2029-01-01", "end": "2029-01-01"}]}, "calendar_invalid"),
        ({"holidays": [{"name": "x", "start": "2027-01-02", "end": "2027-01-01"}]}, "invalid_request"),
        ({"holidays": [], "extra": 1}, "invalid_request"),
    ],
)  # fmt: skip
async def test_given_bad_plan_when_put_then_422_and_nothing_stored(
    app: App, plan: dict[str, Any], error_id: str
) -> None:
    put = await app.client.put("/api/calendar/2027", headers=app.as_(Role.ADMIN), json=plan)
    assert (put.status_code, put.json()["error_id"]) == (422, error_id)
    got = (await app.client.get("/api/calendar/2027", headers=app.as_(Role.ADMIN))).json()
    assert got["source"] == "shipped"


async def test_given_overdue_order_when_listed_and_acknowledged_then_centre_sees_it(app: App) -> None:
    row = app.tickets.create(order(), created_by="a1", now=datetime(2026, 11, 2, 10, tzinfo=BEIJING))
    app.tickets.dispatch(row.number, main="zjj", actor="a1", now=datetime(2026, 11, 2, 10, tzinfo=BEIJING))
    DeadlineChecker(sessions=app.sessions, policy=app.tickets.policy).run_pass(
        now=datetime(2026, 11, 4, 9, tzinfo=BEIJING)
    )
    sup = app.as_(Role.SUPERVISOR, "sup1")
    assert (await app.client.get("/api/supervision-orders", headers=app.as_(Role.AGENT))).status_code == 403
    listed = (await app.client.get("/api/supervision-orders?open_only=true", headers=sup)).json()
    assert [(r["order_number"], r["reason"], r["reason_label"]) for r in listed] == [
        (row.number, "sign_overdue", "签收超时")
    ]
    marks = (await app.client.get("/api/deadline-marks?state=overdue", headers=sup)).json()
    assert [(m["order_number"], m["kind"]) for m in marks] == [(row.number, "sign")]
    ack = await app.client.post(f"/api/supervision-orders/{listed[0]['id']}/acknowledge", headers=sup)
    assert (ack.status_code, ack.json()["acknowledged_by"]) == (200, "sup1")
    again = await app.client.post(f"/api/supervision-orders/{listed[0]['id']}/acknowledge", headers=sup)
    assert (again.status_code, again.json()["error_id"]) == (409, "supervision_already_acknowledged")
    missing = await app.client.post("/api/supervision-orders/999999/acknowledge", headers=sup)
    assert (missing.status_code, missing.json()["error_id"]) == (404, "supervision_not_found")
    assert (await app.client.get("/api/supervision-orders?open_only=true", headers=sup)).json() == []
