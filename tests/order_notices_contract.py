"""SMS notices of the order loop (``tickets.order_notices``), shared by the SQLite and PostgreSQL runners.

``OrderNoticesContract`` needs a ``db_url`` fixture. Orders go through ``TicketService`` and
``OrderLoop`` at fixed times; a 督办 record is written as the deadline checker leaves it. Each trigger
must land exactly one message in the outbox (the default gateway), the citizen's number masked in
department texts, and a second pass must send nothing more.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import make_engine, migrate, session_factory
from tests.db_contract import run_in_threads, schema_diff
from tests.tickets_contract import order
from tickets import receipts
from tickets.errors import TicketValidationError
from tickets.loop import OrderLoop
from tickets.models import WorkOrder
from tickets.notify import Notifier
from tickets.order_notices import OrderNotices, numbers_of, set_numbers
from tickets.service import TicketService
from tickets.sms import OutboxGateway, OutboxRow
from tickets.supervision_models import DeadlineMark, SupervisionOrder

pytestmark = pytest.mark.timeout(90)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
"""Monday 2026-11-23 10:00 in Beijing."""
CITIZEN = "13800138000"
MASKED = "138****8000"
STHJJ = ("13900000001", "13900000002")
GX = ("13700000003",)


@dataclass
class Rig:
    """A migrated database, the loop, the outbox and the notice job."""

    sm: sessionmaker[Session]
    tickets: TicketService
    loop: OrderLoop
    outbox: OutboxGateway
    notices: OrderNotices

    def dispatched(self, at: datetime = T0) -> str:
        """A complaint from ``CITIZEN`` dispatched to 生态环境局 (sthjj); its number."""
        row = self.tickets.create(order(number=CITIZEN), created_by="a1", now=at)
        self.tickets.dispatch(row.number, main="sthjj", assist=["cgj"], actor="a1", now=at)
        return row.number

    def texts(self, number: str) -> list[OutboxRow]:
        """The outbox messages about ``number``, oldest first."""
        return list(reversed(self.outbox.outbox(order_number=number)))

    def new_texts(self, number: str, seen: int, at: datetime) -> list[OutboxRow]:
        """Run two passes at ``at`` and return the messages after the first ``seen``."""
        self.notices.run_pass(at)
        self.notices.run_pass(at + timedelta(seconds=15))
        return self.texts(number)[seen:]


class OrderNoticesContract:
    """Each notified step texts once, with the right text to the right numbers."""

    @pytest.fixture
    def rig(self, db_url: str) -> Iterator[Rig]:
        """A migrated database with numbers for sthjj and its street office sthjj_gx."""
        migrate(db_url)
        engine = make_engine(db_url)
        sm = session_factory(engine)
        outbox = OutboxGateway(sm, clock=lambda: T0)
        set_numbers(sm, "sthjj", STHJJ, actor="admin", now=T0)
        set_numbers(sm, "sthjj_gx", GX, actor="admin", now=T0)
        yield Rig(sm, TicketService(sm), OrderLoop(sm), outbox, OrderNotices(sm, Notifier(outbox)))
        engine.dispose()

    def test_given_migrated_db_then_notice_tables_equal_models(self, db_url: str) -> None:
        migrate(db_url)
        import tickets.order_notice_models  # noqa: F401  (registers the tables)

        mine = [d for d in schema_diff(db_url) if "sms_notices" in repr(d) or "department_sms" in repr(d)]
        assert mine == []

    def test_given_numbers_when_set_then_replaced_and_bad_ones_refused(self, rig: Rig) -> None:
        assert numbers_of(rig.sm, "sthjj") == sorted(STHJJ)
        assert set_numbers(rig.sm, "sthjj", [" 13900000009 ", "13900000009"], actor="a") == ["13900000009"]
        with pytest.raises(TicketValidationError) as bad:
            set_numbers(rig.sm, "sthjj", ["010-12345"], actor="a")
        assert bad.value.error_id == "invalid_value"
        assert numbers_of(rig.sm, "sthjj") == ["13900000009"]

    def test_given_dispatch_then_each_department_number_texted_once_with_masked_caller(
        self, rig: Rig
    ) -> None:
        number = rig.dispatched()
        assert rig.notices.run_pass(T0 + timedelta(seconds=5)) == 2
        assert rig.notices.run_pass(T0 + timedelta(seconds=20)) == 0
        texts = rig.texts(number)
        assert sorted(t.to for t in texts) == sorted(STHJJ)
        assert {t.kind for t in texts} == {"dispatched"}
        assert all(number in t.text and MASKED in t.text and CITIZEN not in t.text for t in texts)
        assert all(t.text.startswith("【12345热线】新工单") for t in texts)

    def test_given_return_and_redispatch_then_new_main_department_texted(self, rig: Rig) -> None:
        number = rig.dispatched()
        seen = len(rig.new_texts(number, 0, T0))
        rig.loop.return_order(number, department="sthjj", reason="不属本单位职责", actor="d1", now=T0)
        rig.loop.redispatch(number, main="cgj", actor="a1", now=T0 + timedelta(minutes=5))
        assert rig.new_texts(number, seen, T0 + timedelta(minutes=6)) == []  # cgj has no numbers
        set_numbers(rig.sm, "cgj", ["13600000004"], actor="admin")
        rig.loop.return_order(number, department="cgj", reason="不属本单位职责", actor="d2", now=T0)
        rig.loop.redispatch(number, main="sthjj", actor="a1", now=T0 + timedelta(minutes=9))
        again = rig.new_texts(number, seen, T0 + timedelta(minutes=10))
        assert sorted(t.to for t in again) == sorted(STHJJ)
        assert all(t.kind == "dispatched" and MASKED in t.text for t in again)

    def test_given_hand_down_then_the_lower_department_texted_once(self, rig: Rig) -> None:
        number = rig.dispatched()
        seen = len(rig.new_texts(number, 0, T0))
        rig.loop.sign(number, department="sthjj", actor="d1", now=T0)
        rig.loop.hand_down(number, department="sthjj", to_department="sthjj_gx", actor="d1", now=T0)
        texts = rig.new_texts(number, seen, T0 + timedelta(minutes=1))
        assert [(t.to, t.kind) for t in texts] == [(GX[0], "handed_down")]
        assert "已下派至贵单位" in texts[0].text
        assert MASKED in texts[0].text

    @pytest.mark.parametrize(
        ("approve", "kind", "words"),
        [(True, "extension_approved", "已批准"), (False, "extension_refused", "未获批准")],
    )
    def test_given_extension_decided_then_asking_department_texted_once(
        self, rig: Rig, approve: bool, kind: str, words: str
    ) -> None:
        number = rig.dispatched()
        rig.loop.sign(number, department="sthjj", actor="d1", now=T0)
        rig.loop.hand_down(number, department="sthjj", to_department="sthjj_gx", actor="d1", now=T0)
        seen = len(rig.new_texts(number, 0, T0))
        asked = rig.loop.request_extension(
            number, department="sthjj_gx", working_days=3, reason="需第三方检测", actor="g1", now=T0
        )
        rig.loop.decide_extension(number, asked.id, approve=approve, note="", actor="s1", now=T0)
        texts = rig.new_texts(number, seen, T0 + timedelta(minutes=1))
        assert [(t.to, t.kind) for t in texts] == [(GX[0], kind)]
        assert words in texts[0].text

    def test_given_department_reply_then_citizen_texted_once(self, rig: Rig) -> None:
        number = rig.dispatched()
        rig.loop.sign(number, department="sthjj", actor="d1", now=T0)
        seen = len(rig.new_texts(number, 0, T0))
        rig.loop.reply(number, department="sthjj", text="已责令整改", actor="d1", now=T0 + timedelta(hours=2))
        texts = rig.new_texts(number, seen, T0 + timedelta(hours=2, minutes=1))
        assert [(t.to, t.kind) for t in texts] == [(CITIZEN, "replied")]
        assert "已有答复" in texts[0].text
        assert "已责令整改" not in texts[0].text

    def test_given_supervision_record_then_department_and_escalation_target_texted_once(
        self, rig: Rig
    ) -> None:
        number = rig.dispatched()
        seen = len(rig.new_texts(number, 0, T0))
        with rig.sm.begin() as s:
            order_id = s.scalars(select(WorkOrder.id).where(WorkOrder.number == number)).one()
            s.execute(
                insert(SupervisionOrder).values(
                    order_id=order_id,
                    reason="sign_overdue",
                    level="escalated",
                    rule="sign_overdue",
                    department="sthjj_gx",
                    escalate_to="sthjj",
                    target_unknown=False,
                    raised_at=T0 + timedelta(days=2),
                    detail={},
                )
            )
        texts = rig.new_texts(number, seen, T0 + timedelta(days=2, minutes=1))
        assert sorted(t.to for t in texts) == sorted((*GX, *STHJJ))
        assert {t.kind for t in texts} == {"supervision"}
        assert all("因签收超时被升级督办" in t.text for t in texts)

    def test_given_events_older_than_a_day_then_first_pass_texts_nothing(self, rig: Rig) -> None:
        number = rig.dispatched()
        assert rig.notices.run_pass(T0 + timedelta(days=2)) == 0
        assert rig.texts(number) == []

    def test_given_a_step_claimed_by_another_pass_meanwhile_then_not_texted_again(self, rig: Rig) -> None:
        number = rig.dispatched()
        at = T0 + timedelta(seconds=5)
        seen = rig.notices._history_steps(at - timedelta(days=1))  # what a slower node read
        assert len(seen) == 1
        assert rig.notices.run_pass(at) == 2  # a faster node texts the step
        step, detail = seen[0]
        late = rig.notices._notify(step, at, lambda row: rig.notices._texts(step, detail, row))
        assert late == 0
        assert len(rig.texts(number)) == 2

    def _mark(self, rig: Rig, number: str, kind: str, due_at: datetime) -> int:
        """A due-soon mark on ``number``'s ``kind`` limit as the deadline checker writes it."""
        with rig.sm.begin() as s:
            order_id = s.scalars(select(WorkOrder.id).where(WorkOrder.number == number)).one()
            s.execute(
                delete(DeadlineMark).where(DeadlineMark.order_id == order_id, DeadlineMark.kind == kind)
            )
            s.add(DeadlineMark(order_id=order_id, kind=kind, state="due_soon", due_at=due_at, since=T0))
        return order_id

    def test_given_due_soon_reply_and_handle_marks_then_main_department_texted_once_each(
        self, rig: Rig
    ) -> None:
        number = rig.dispatched()
        rig.loop.sign(number, department="sthjj", actor="d1", now=T0)
        seen = len(rig.new_texts(number, 0, T0))
        self._mark(rig, number, "reply", T0 + timedelta(days=1))
        self._mark(rig, number, "handle", T0 + timedelta(hours=20))
        self._mark(rig, number, "sign", T0 + timedelta(hours=1))  # not a due-soon text
        texts = rig.new_texts(number, seen, T0 + timedelta(minutes=1))
        assert sorted(t.to for t in texts) == sorted(STHJJ * 2)
        assert {t.kind for t in texts} == {"due_soon"}
        assert sum("答复时限将于11月24日10:00到期" in t.text for t in texts) == 2
        assert sum("办理时限将于11月24日06:00到期" in t.text for t in texts) == 2
        assert rig.notices.run_pass(T0 + timedelta(minutes=2)) == 0
        self._mark(rig, number, "reply", T0 + timedelta(days=3))  # the limit moved (延期)
        again = rig.new_texts(number, seen + len(texts), T0 + timedelta(minutes=3))
        assert len(again) == 2
        assert all("答复时限将于11月26日10:00到期" in t.text for t in again)

    def test_given_due_soon_mark_of_closed_order_then_nothing_texted(self, rig: Rig) -> None:
        number = rig.dispatched()
        seen = len(rig.new_texts(number, 0, T0))
        order_id = self._mark(rig, number, "reply", T0 + timedelta(days=1))
        with rig.sm.begin() as s:  # closed since the checker's last pass left the mark
            s.execute(update(WorkOrder).where(WorkOrder.id == order_id).values(status="closed"))
        assert rig.notices.run_pass(T0 + timedelta(minutes=1)) == 0
        assert rig.texts(number)[seen:] == []

    def test_given_a_receipt_sent_by_the_intake_then_the_job_sends_no_second(self, rig: Rig) -> None:
        row = rig.tickets.create(order(number=CITIZEN), created_by="a1", now=T0, receipt=True)
        assert len(receipts.send(rig.sm, rig.notices.notifier, row)) == 1
        assert receipts.send(rig.sm, rig.notices.notifier, row) == []
        assert rig.notices.run_pass(T0 + receipts.GRACE * 2) == 0
        texts = rig.texts(row.number)
        assert [(t.to, t.kind) for t in texts] == [(CITIZEN, "order_received")]
        assert row.number in texts[0].text

    def test_given_the_intake_died_before_texting_then_the_job_sends_the_receipt_after_the_grace(
        self, rig: Rig
    ) -> None:
        row = rig.tickets.create(order(number=CITIZEN), created_by="a1", now=T0, receipt=True)
        assert rig.notices.run_pass(T0 + receipts.GRACE / 2) == 0, "the intake still has time"
        assert rig.notices.run_pass(T0 + receipts.GRACE) == 1
        assert rig.notices.run_pass(T0 + receipts.GRACE * 2) == 0
        assert receipts.send(rig.sm, rig.notices.notifier, row) == [], "a late intake sends no second"
        assert [(t.to, t.kind) for t in rig.texts(row.number)] == [(CITIZEN, "order_received")]

    def test_given_no_receipt_asked_or_no_sms_wanted_then_nothing_texted_or_retried(self, rig: Rig) -> None:
        silent = rig.tickets.create(order(number=CITIZEN), created_by="ivr", now=T0)
        landline = rig.tickets.create(order(number="010-12345678"), created_by="a1", now=T0, receipt=True)
        assert receipts.send(rig.sm, rig.notices.notifier, landline) == []
        assert rig.notices.run_pass(T0 + receipts.GRACE * 2) == 0
        assert rig.texts(silent.number) == rig.texts(landline.number) == []

    def test_given_intakes_and_jobs_racing_for_one_receipt_then_it_is_sent_once(self, rig: Rig) -> None:
        row = rig.tickets.create(order(number=CITIZEN), created_by="a1", now=T0, receipt=True)
        late = T0 + receipts.GRACE

        def work(i: int) -> None:
            if i % 2:
                receipts.send(rig.sm, rig.notices.notifier, row)
            else:
                rig.notices.run_pass(late)

        assert run_in_threads(6, work) == []
        assert [(t.to, t.kind) for t in rig.texts(row.number)] == [(CITIZEN, "order_received")]
