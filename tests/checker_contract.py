"""The deadline checker's contract (tickets.checker), shared by the SQLite and PostgreSQL runners.

``CheckerContract`` needs a ``db_url`` fixture: the URL of an empty database owned by the test.
Orders are made and dispatched through ``TicketService`` on a calendar of the test's own (the
shipped file), so edits never reach the process's shared calendar; the department steps (sign,
evaluate) are written as rows, the way the order loop leaves them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, inspect, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import make_engine, migrate, session_factory
from ivr.flow.calendar import ChineseCalendar, HolidayPlan, YearStatus, shipped_calendar
from tests.db_contract import schema_diff
from tests.tickets_contract import order
from tickets.calendar_store import CalendarStore
from tickets.checker import DeadlineChecker
from tickets.deadlines import DEFAULT_TIME_LIMITS_PATH, DeadlinePolicy
from tickets.errors import IllegalTransitionError
from tickets.escalation import EscalationConfig
from tickets.models import WorkOrder, WorkOrderHistory
from tickets.service import TicketService
from tickets.supervision_models import DeadlineMark, SupervisionOrder
from tickets.supervision_orders import acknowledge, list_supervision, supervision_for
from tickets.vocab import BEIJING, Status

pytestmark = pytest.mark.timeout(120)

DEPT = "zjj"
"""住建局, a city-level department of the shipped dispatch catalogue."""


def bj(y: int, m: int, d: int, h: int = 9) -> datetime:
    """A Beijing-time moment."""
    return datetime(y, m, d, h, tzinfo=BEIJING)


@dataclass
class Rig:
    """A migrated database, a service and a checker on a calendar of the test's own."""

    sm: sessionmaker[Session]
    calendar: ChineseCalendar
    tickets: TicketService
    checker: DeadlineChecker
    store: CalendarStore

    def dispatched(self, at: datetime, *, caller: str = "13800138000", **changes: object) -> str:
        """A complaint from ``caller`` dispatched to ``DEPT`` at ``at``; its number."""
        new = replace(order(number=caller), **changes)  # type: ignore[arg-type]
        row = self.tickets.create(new, created_by="a1", now=at)
        self.tickets.dispatch(row.number, main=DEPT, actor="a1", now=at)
        return row.number

    def set_status(self, number: str, status: Status) -> None:
        """Move an order on, as the order loop would."""
        with self.sm.begin() as s:
            s.execute(update(WorkOrder).where(WorkOrder.number == number).values(status=status.value))

    def evaluate(self, number: str, satisfaction: str, at: datetime) -> None:
        """A revisit's evaluation event in the order's history."""
        with self.sm.begin() as s:
            order_id = s.scalars(select(WorkOrder.id).where(WorkOrder.number == number)).one()
            s.execute(
                insert(WorkOrderHistory).values(
                    order_id=order_id,
                    at=at,
                    event="evaluate",
                    from_status="callback_done",
                    to_status="evaluated",
                    actor="a2",
                    detail={"solved": False, "satisfaction": satisfaction, "via": "phone"},
                )
            )
        self.set_status(number, Status.EVALUATED)

    def records(self, reason: str | None = None) -> list[tuple[str, str]]:
        """(order number, reason) of every 督办 record, oldest first."""
        rows = list_supervision(self.sm, reason=reason, limit=200)
        return sorted((r.order_number, r.reason) for r in rows)

    def marks(self) -> dict[tuple[str, str], str]:
        """(order number, limit) → state."""
        with self.sm() as s:
            rows = s.execute(
                select(WorkOrder.number, DeadlineMark.kind, DeadlineMark.state).join(
                    WorkOrder, WorkOrder.id == DeadlineMark.order_id
                )
            )
            return {(n, k): st for n, k, st in rows}

    def has_tree(self) -> bool:
        """Whether the ``departments`` table exists in this schema."""
        with self.sm() as s:
            return inspect(s.connection()).has_table("departments")


MY_TABLES = ("deadline_marks", "supervision_orders", "calendar_years")


class CheckerContract:
    """What a checker pass does on a real database."""

    def test_given_migrated_db_then_supervision_tables_equal_models(self, db_url: str) -> None:
        migrate(db_url)
        import tickets.supervision_models  # noqa: F401  (registers the tables on the shared metadata)

        mine = [d for d in schema_diff(db_url) if any(t in repr(d) for t in MY_TABLES)]
        assert mine == []

    @pytest.fixture
    def rig(self, db_url: str) -> Iterator[Rig]:
        """The migrated database at ``db_url`` with a fresh calendar."""
        migrate(db_url)
        engine = make_engine(db_url)
        sm = session_factory(engine)
        calendar = ChineseCalendar()
        calendar.adopt(shipped_calendar())
        policy = DeadlinePolicy.from_yaml(DEFAULT_TIME_LIMITS_PATH, calendar=calendar)
        store = CalendarStore(sessions=sm, calendar=calendar)
        yield Rig(
            sm=sm,
            calendar=calendar,
            tickets=TicketService(sessions=sm, policy=policy),
            checker=DeadlineChecker(sessions=sm, policy=policy, calendar_store=store),
            store=store,
        )
        engine.dispose()

    def test_given_unsigned_order_over_spring_festival_when_checked_then_one_supervision_after_it(
        self, rig: Rig
    ) -> None:
        number = rig.dispatched(bj(2027, 2, 4, 10))  # Thursday before the 2027 Spring Festival
        due = rig.tickets.get(number).sign_due
        assert due == datetime(2027, 2, 15, 23, 59, 59, tzinfo=BEIJING)  # next working day: after it

        in_holiday = rig.checker.run_pass(now=bj(2027, 2, 10))
        assert rig.marks()[(number, "sign")] == "due_soon"
        assert in_holiday.raised["sign_overdue"] == 0, in_holiday
        assert rig.records() == []

        after = rig.checker.run_pass(now=bj(2027, 2, 16))
        assert rig.marks()[(number, "sign")] == "overdue"
        assert after.raised["sign_overdue"] == 1
        assert rig.records() == [(number, "sign_overdue")]

        again = rig.checker.run_pass(now=bj(2027, 2, 17))
        assert again.raised["sign_overdue"] == 0
        assert rig.records() == [(number, "sign_overdue")]
        record = list_supervision(rig.sm)[0]
        assert (record.level, record.department, record.reason_label) == ("department", DEPT, "签收超时")

        rig.set_status(number, Status.SIGNED)
        rig.checker.run_pass(now=bj(2027, 2, 17, 10))
        assert rig.marks() == {}  # signed; handling is due Fri 19 Feb, two working days away
        rig.checker.run_pass(now=bj(2027, 2, 18, 10))
        assert rig.marks() == {(number, "handle"): "due_soon", (number, "reply"): "due_soon"}

    def test_given_makeup_saturday_when_due_then_counted_as_a_working_day(self, rig: Rig) -> None:
        number = rig.dispatched(bj(2026, 2, 13, 10))  # Friday; Saturday Feb 14 2026 is a make-up day
        assert rig.tickets.get(number).sign_due == datetime(2026, 2, 14, 23, 59, 59, tzinfo=BEIJING)
        rig.checker.run_pass(now=bj(2026, 2, 15))
        assert rig.records() == [(number, "sign_overdue")]

    def test_given_calendar_edited_when_dispatched_then_deadline_moves_and_checker_follows(
        self, rig: Rig
    ) -> None:
        plan = shipped_calendar().year_plan(2027)
        assert plan is not None
        longer = [
            h.model_copy(update={"end": date(2027, 2, 15)}) if h.name == "春节" else h for h in plan.holidays
        ]
        edited = plan.model_copy(update={"holidays": longer, "status": YearStatus.CONFIRMED})
        rig.store.put(2027, edited.model_dump(mode="json"), actor="admin")
        assert not rig.calendar.is_working_day(date(2027, 2, 15))
        number = rig.dispatched(bj(2027, 2, 4, 10))
        assert rig.tickets.get(number).sign_due == datetime(2027, 2, 16, 23, 59, 59, tzinfo=BEIJING)
        rig.checker.run_pass(now=bj(2027, 2, 16, 12))
        assert rig.records() == []
        view = rig.store.get(2027)
        assert (view.source, view.plan and view.plan.status) == ("edited", "confirmed")
        rig.store.reset(2027)
        assert rig.calendar.is_working_day(date(2027, 2, 15))

    def test_given_same_matter_three_times_when_checked_then_newest_open_one_escalated_once(
        self, rig: Rig
    ) -> None:
        first = rig.dispatched(bj(2026, 11, 2))
        second = rig.dispatched(bj(2026, 11, 9))
        other = rig.dispatched(bj(2026, 11, 10), caller="13900139000")
        rig.checker.run_pass(now=bj(2026, 11, 10, 12))
        assert rig.records("repeat") == []
        third = rig.dispatched(bj(2026, 11, 16))
        rig.checker.run_pass(now=bj(2026, 11, 16, 12))
        rig.checker.run_pass(now=bj(2026, 11, 16, 13))
        assert rig.records("repeat") == [(third, "repeat")]
        record = list_supervision(rig.sm, reason="repeat")[0]
        assert record.level == "escalated"
        if rig.has_tree():
            assert not record.target_unknown  # a city-level department: the top of the tree
        else:
            assert (record.escalate_to, record.target_unknown) == (None, True)
        assert {first, second, other}.isdisjoint(n for n, _ in rig.records("repeat"))

    def test_given_order_linked_to_two_earlier_when_checked_then_escalated(self, rig: Rig) -> None:
        a = rig.dispatched(bj(2026, 11, 2), caller="13700000001", matter_code=None)
        b = rig.dispatched(bj(2026, 11, 3), caller="13700000002", matter_code=None)
        c = rig.dispatched(bj(2026, 11, 4), caller="13700000003", matter_code=None, linked_numbers=(a, b))
        rig.checker.run_pass(now=bj(2026, 11, 4, 12))
        assert rig.records("repeat") == [(c, "repeat")]

    def test_given_open_after_thirty_working_days_when_checked_then_escalated(self, rig: Rig) -> None:
        number = rig.dispatched(bj(2026, 9, 14, 10))  # Mid-Autumn and National Day in between
        rig.set_status(number, Status.SIGNED)
        # Working days after Mon 14 Sep 2026: 12 in September (Mid-Autumn Fri 25 off, make-up Sunday
        # 20 counted), then Oct 8, 9, make-up Saturday 10, and 12-30 → the 30th is Fri 30 Oct.
        assert rig.checker.unresolved_before(bj(2026, 10, 31), 30) == datetime(2026, 9, 15, tzinfo=BEIJING)
        rig.checker.run_pass(now=bj(2026, 10, 30, 18))
        assert rig.records("unresolved") == []
        rig.checker.run_pass(now=bj(2026, 10, 31, 8))
        assert rig.records("unresolved") == [(number, "unresolved")]
        record = list_supervision(rig.sm, reason="unresolved")[0]
        assert (record.level, record.reason_label) == ("escalated", "长期未办结")

    def test_given_dissatisfied_twice_when_checked_then_leadership_supervision(self, rig: Rig) -> None:
        number = rig.dispatched(bj(2026, 11, 2))
        once = rig.dispatched(bj(2026, 11, 2), caller="13900139001")
        rig.evaluate(number, "dissatisfied", bj(2026, 11, 5))
        rig.evaluate(once, "dissatisfied", bj(2026, 11, 5))
        rig.evaluate(once, "satisfied", bj(2026, 11, 9))
        rig.checker.run_pass(now=bj(2026, 11, 6))
        assert rig.records("dissatisfied") == []
        rig.evaluate(number, "dissatisfied", bj(2026, 11, 10))
        rig.checker.run_pass(now=bj(2026, 11, 10, 12))
        assert rig.records("dissatisfied") == [(number, "dissatisfied")]
        record = list_supervision(rig.sm, reason="dissatisfied")[0]
        assert (record.level, record.level_label) == ("leadership", "领导督办")

    def test_given_records_when_acknowledged_and_read_by_department_then_once(self, rig: Rig) -> None:
        number = rig.dispatched(bj(2026, 11, 2, 10))
        rig.checker.run_pass(now=bj(2026, 11, 4))
        record = list_supervision(rig.sm, reason="sign_overdue")[0]
        with rig.sm() as s:
            assert [r.order_number for r in supervision_for(s, {DEPT})] == [number]
            assert supervision_for(s, {"other"}) == []
        done = acknowledge(rig.sm, record.id, actor="sup1", now=datetime(2026, 11, 4, 2, tzinfo=UTC))
        assert done.acknowledged_by == "sup1"
        assert list_supervision(rig.sm, open_only=True, reason="sign_overdue") == []
        with pytest.raises(IllegalTransitionError) as info:
            acknowledge(rig.sm, record.id, actor="sup2")
        assert (info.value.error_id, info.value.status_code) == ("supervision_already_acknowledged", 409)
        with rig.sm() as s:
            assert s.scalars(select(SupervisionOrder.acknowledged_by)).all() == ["sup1"]

    def test_given_edit_on_another_node_when_next_pass_then_this_node_calendar_follows(
        self, rig: Rig
    ) -> None:
        other_calendar = ChineseCalendar()
        other_calendar.adopt(shipped_calendar())
        other_node = CalendarStore(sessions=rig.sm, calendar=other_calendar)
        assert rig.store.refresh_if_stale()  # first look: reads the (empty) edits
        assert not rig.store.refresh_if_stale()  # nothing changed since
        day_off = HolidayPlan(name="本地假日", start=date(2026, 12, 1), end=date(2026, 12, 1))
        shipped_2026 = shipped_calendar().year_plan(2026)
        assert shipped_2026 is not None
        whole = shipped_2026.model_copy(update={"holidays": [*shipped_2026.holidays, day_off]})
        other_node.put(2026, whole.model_dump(mode="json"), actor="admin")
        assert rig.calendar.is_working_day(date(2026, 12, 1))  # not yet seen here
        rig.checker.run_pass(now=bj(2026, 11, 30))
        assert rig.calendar.holiday_name(date(2026, 12, 1)) == "本地假日"

    def test_given_rule_disabled_when_checked_then_not_applied(self, rig: Rig) -> None:
        config = EscalationConfig.model_validate({"rules": {"dissatisfied": {"enabled": False}}})
        quiet = DeadlineChecker(sessions=rig.sm, policy=rig.checker.policy, config=config)
        number = rig.dispatched(bj(2026, 11, 2))
        rig.evaluate(number, "dissatisfied", bj(2026, 11, 5))
        rig.evaluate(number, "dissatisfied", bj(2026, 11, 6))
        report = quiet.run_pass(now=bj(2026, 11, 6, 12))
        assert "dissatisfied" not in report.raised
        assert rig.records("dissatisfied") == []
