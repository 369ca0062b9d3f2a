"""The order loop's unhappy paths on a real database with the clock injected: a citizen dissatisfied twice
(two revisits with 不满意 and a 重办 between them) is escalated to leadership supervision (领导督办) by the
deadline checker; an order left unsigned over 2027's National Day break gets one 督办 once the first
working day after it has passed, none during the holiday and none again later.

Every step goes through the production services (``TicketService``, ``OrderLoop``, ``DeadlineChecker``)
with ``now`` given, on PostgreSQL and on SQLite. The dissatisfied path is also run with both revisits as
real calls through the Asterisk sandbox (the citizen presses 2, not solved, then 3, 不满意) on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.app import Centre, ensure_admin
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.sandbox.instance import AsteriskSandbox
from ivr.flow.calendar import ChineseCalendar, shipped_calendar
from tests.integration.calls import CallDriver, eventually
from tests.integration.conftest import WORKING_MORNING, sandbox_settings
from tests.integration.test_revisit_call import ANSWERS, T0, Citizen, Clock
from tests.pg import scratch_database
from tests.revisit_support import events, replied_order
from tests.tickets_contract import order
from tickets import revisit_store
from tickets.calendar_store import CalendarStore
from tickets.checker import DeadlineChecker, PassReport
from tickets.deadlines import DEFAULT_TIME_LIMITS_PATH, DeadlinePolicy
from tickets.loop import OrderLoop
from tickets.models import WorkOrder
from tickets.service import TicketService
from tickets.supervision_models import DeadlineMark
from tickets.supervision_orders import list_supervision
from tickets.vocab import BEIJING, Satisfaction, Status

pytestmark = pytest.mark.timeout(180)

DEPT = "cgj"
"""城管局, a city-level department of the shipped catalogue and department tree."""


def bj(y: int, m: int, d: int, h: int = 9, minute: int = 0) -> datetime:
    """A Beijing-time moment."""
    return datetime(y, m, d, h, minute, tzinfo=BEIJING)


@dataclass
class Loop:
    """The centre's and the departments' steps and the checker, on one database and one calendar."""

    sm: sessionmaker[Session]
    tickets: TicketService
    loop: OrderLoop
    checker: DeadlineChecker

    def dispatched(self, at: datetime, caller: str) -> str:
        """A complaint from ``caller`` dispatched to ``DEPT`` at ``at``; its number."""
        row = self.tickets.create(order(number=caller), created_by="a1", now=at)
        self.tickets.dispatch(row.number, main=DEPT, actor="a1", now=at)
        return row.number

    def handled(self, number: str, at: datetime) -> None:
        """``DEPT`` signs at ``at`` and replies an hour later."""
        self.loop.sign(number, department=DEPT, actor="d1", now=at)
        text = "已到现场处理，商户已整改"
        self.loop.reply(
            number, department=DEPT, text=text, attachments=(), actor="d1", now=at + timedelta(hours=1)
        )

    def dissatisfied(self, number: str, at: datetime) -> None:
        """The revisit reaches the citizen: not solved, 不满意."""
        self.loop.record_revisit(
            number,
            reached=True,
            solved=False,
            satisfaction=Satisfaction.DISSATISFIED,
            via="phone",
            actor="revisit",
            now=at,
        )

    def records(self) -> list[tuple[str, str, str]]:
        """(order number, reason, level) of every 督办 record."""
        return sorted((r.order_number, r.reason, r.level) for r in list_supervision(self.sm, limit=200))

    def sign_mark(self, number: str) -> str | None:
        """The order's ``sign`` deadline mark (due_soon / overdue), if any."""
        with self.sm() as s:
            found = s.scalars(
                select(DeadlineMark.state)
                .join(WorkOrder, WorkOrder.id == DeadlineMark.order_id)
                .where(WorkOrder.number == number, DeadlineMark.kind == "sign")
            ).one_or_none()
            return found

    def status(self, number: str) -> Status:
        """The order's status now."""
        return self.tickets.get(number).status


def _loop(url: str) -> Iterator[Loop]:
    migrate(url)
    engine = make_engine(url)
    sm = session_factory(engine)
    calendar = ChineseCalendar()
    calendar.adopt(shipped_calendar())
    policy = DeadlinePolicy.from_yaml(DEFAULT_TIME_LIMITS_PATH, calendar=calendar)
    store = CalendarStore(sessions=sm, calendar=calendar)
    try:
        yield Loop(
            sm=sm,
            tickets=TicketService(sessions=sm, policy=policy),
            loop=OrderLoop(sm, policy=policy),
            checker=DeadlineChecker(sessions=sm, policy=policy, calendar_store=store),
        )
    finally:
        engine.dispose()


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Loop]:
    """A migrated scratch database (PostgreSQL or SQLite); the services use a calendar of their own."""
    if request.param == "sqlite":
        yield from _loop(f"sqlite:///{tmp_path / 'hotline.db'}")
        return
    with scratch_database("hotline_unhappy") as url:
        yield from _loop(url)


def test_given_dissatisfied_twice_with_a_redo_between_when_checked_then_leadership_supervision_once(
    rig: Loop,
) -> None:
    number = rig.dispatched(bj(2026, 11, 2), caller="13800138071")
    content = rig.dispatched(bj(2026, 11, 2), caller="13900139071")
    rig.handled(number, bj(2026, 11, 2, 10))
    rig.handled(content, bj(2026, 11, 2, 10))
    rig.dissatisfied(number, bj(2026, 11, 3, 10))
    rig.dissatisfied(content, bj(2026, 11, 3, 10))
    assert rig.status(number) is Status.EVALUATED, "a dissatisfied citizen leaves the order open for 重办"

    first = rig.checker.run_pass(now=bj(2026, 11, 3, 11))
    assert first.raised["dissatisfied"] == 0, first
    assert rig.records() == []

    rig.loop.reopen(number, reason="市民不满意，重新办理", actor="a1", now=bj(2026, 11, 3, 14))
    rig.loop.close(content, actor="a1", note="诉求不合理，已解释", now=bj(2026, 11, 3, 14))
    assert rig.status(number) is Status.DISPATCHED
    rig.handled(number, bj(2026, 11, 4, 9))
    rig.dissatisfied(number, bj(2026, 11, 5, 10))
    assert events(rig.sm, number) == [
        "created",
        "dispatch",
        "sign",
        "reply",
        "call_back",
        "evaluate",
        "redo",
        "sign",
        "reply",
        "call_back",
        "evaluate",
    ]

    second = rig.checker.run_pass(now=bj(2026, 11, 5, 11))
    assert second.raised["dissatisfied"] == 1, second
    assert rig.records() == [(number, "dissatisfied", "leadership")]
    record = list_supervision(rig.sm, reason="dissatisfied")[0]
    assert (record.level_label, record.department) == ("领导督办", DEPT)

    third = rig.checker.run_pass(now=bj(2026, 11, 6, 11))
    assert third.raised["dissatisfied"] == 0, third
    assert rig.records() == [(number, "dissatisfied", "leadership")]


def _sign_overdue(report: PassReport) -> int:
    return report.raised["sign_overdue"]


def test_given_unsigned_over_national_day_2027_when_checked_then_one_supervision_after_the_first_working_day(
    rig: Loop,
) -> None:
    number = rig.dispatched(bj(2027, 9, 30, 15), caller="13800138072")  # Thursday before the break
    sign_due = rig.tickets.get(number).sign_due
    assert sign_due == datetime(2027, 10, 8, 23, 59, 59, tzinfo=BEIJING), "1 working day: Fri 8 Oct"

    for during in (bj(2027, 10, 1, 10), bj(2027, 10, 4, 10), bj(2027, 10, 7, 18)):
        report = rig.checker.run_pass(now=during)
        assert _sign_overdue(report) == 0, report
        assert rig.records() == [], during
    assert rig.sign_mark(number) == "due_soon"

    last_day = rig.checker.run_pass(now=bj(2027, 10, 8, 23, 30))
    assert _sign_overdue(last_day) == 0, last_day
    assert rig.records() == []

    after = rig.checker.run_pass(now=bj(2027, 10, 9, 9))  # Saturday 9 Oct, a make-up working day
    assert _sign_overdue(after) == 1, after
    assert rig.sign_mark(number) == "overdue"
    assert rig.records() == [(number, "sign_overdue", "department")]
    record = list_supervision(rig.sm)[0]
    assert (record.department, record.reason_label) == (DEPT, "签收超时")

    again = rig.checker.run_pass(now=bj(2027, 10, 11, 9))
    assert _sign_overdue(again) == 0, again
    assert rig.records() == [(number, "sign_overdue", "department")]
    assert rig.status(number) is Status.DISPATCHED


@pytest.fixture
async def phone_centre(sandbox: AsteriskSandbox, tmp_path: Path) -> AsyncIterator[tuple[Centre, Clock]]:
    """A centre on a scratch PostgreSQL database whose revisit calls reach the citizen; its revisit clock."""
    clock = Clock()
    with scratch_database("hotline_unhappy_calls") as url:
        settings = sandbox_settings(sandbox, tmp_path, external_dial=ANSWERS, database_url=url)
        centre = Centre(
            settings=settings,
            ami_secret=settings.ami_secret.get_secret_value(),
            clock=lambda: WORKING_MORNING,
            revisit_clock=clock,
        )
        ensure_admin(centre.sessions, settings)
        await centre.start()
        try:
            yield centre, clock
        finally:
            await centre.stop()
            centre.sessions.kw["bind"].dispose()


async def _dissatisfied_by_phone(centre: Centre, driver: CallDriver, number: str) -> None:
    Citizen(driver, keys=["2", "3"])
    launched = await centre.revisit_scheduler.tick()
    assert [a.order_number for a in launched] == [number]

    def ended() -> revisit_store.AttemptRow | None:
        row = revisit_store.get_attempt(centre.sessions, launched[0].id)
        return row if row is not None and row.outcome not in ("calling", "answered") else None

    attempt = await eventually(ended, timeout=60)
    assert isinstance(attempt, revisit_store.AttemptRow)
    assert (attempt.outcome, attempt.solved, attempt.satisfaction) == ("reached", False, "dissatisfied")
    await eventually(lambda: centre.tickets.get(number).status is Status.EVALUATED, timeout=20)


@pytest.mark.asterisk
@pytest.mark.postgres
async def test_given_two_revisit_calls_answered_dissatisfied_when_checked_then_leadership_supervision(
    phone_centre: tuple[Centre, Clock], driver: CallDriver
) -> None:
    centre, clock = phone_centre
    checker = DeadlineChecker(sessions=centre.sessions, calendar_store=centre.calendar_store)
    number = replied_order(centre.sessions, "13800138073", at=T0)  # replied at T0 + 2 h
    await _dissatisfied_by_phone(centre, driver, number)  # the revisit clock: T0 + 3 h
    assert checker.run_pass(now=T0 + timedelta(hours=3, minutes=30)).raised["dissatisfied"] == 0

    loop = OrderLoop(centre.sessions)
    loop.reopen(number, reason="市民不满意，重新办理", actor="a1", now=T0 + timedelta(hours=4))
    loop.sign(number, department="sthjj", actor="d1", now=T0 + timedelta(hours=5))
    text = "已再次上门，油烟净化器已清洗"
    loop.reply(number, department="sthjj", text=text, attachments=(), actor="d1", now=T0 + timedelta(hours=6))
    clock.now = T0 + timedelta(hours=7)
    await _dissatisfied_by_phone(centre, driver, number)

    assert events(centre.sessions, number)[-5:] == ["redo", "sign", "reply", "call_back", "evaluate"]
    assert events(centre.sessions, number).count("evaluate") == 2
    raised = checker.run_pass(now=T0 + timedelta(hours=8))
    assert raised.raised["dissatisfied"] == 1, raised
    records = list_supervision(centre.sessions, reason="dissatisfied")
    assert [(r.order_number, r.level, r.level_label) for r in records] == [(number, "leadership", "领导督办")]
    assert checker.run_pass(now=T0 + timedelta(hours=9)).raised["dissatisfied"] == 0
