"""The order loop (``tickets.loop.OrderLoop``) contract, shared by the SQLite and PostgreSQL runners.

``OrderLoopContract`` needs a ``db_url`` fixture: the URL of an empty database owned by the test.
Times are fixed: ``T0`` is Monday 2026-11-23 10:00 in Beijing, away from public holidays, so the
working-day arithmetic below only skips weekends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import alembic_config, make_engine, migrate
from hotline.db.registry import full_metadata
from tests.migrated_db import MigratedDatabase
from tests.tickets_contract import order, table_names
from tickets import repository as repo
from tickets.errors import IllegalTransitionError, TicketError, TicketNotFoundError, TicketValidationError
from tickets.loop import OrderLoop
from tickets.rows import AttachmentRef
from tickets.service import TicketService
from tickets.vocab import DepartmentRole, ExtensionStatus, Status

pytestmark = pytest.mark.timeout(90)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
BEIJING_MIDNIGHT = timedelta(hours=16)
"""UTC 16:00 is 00:00 the next day in Beijing."""
FILE = AttachmentRef(
    name="现场照片.jpg", content_type="image/jpeg", size=2048, sha256="ab" * 32, path="r/1.jpg"
)


CALLER = order().caller


def _ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table == "work_order_extensions"


def extension_schema_diff(url: str) -> list[object]:
    """Differences between the extension model and the migrated table (empty when they agree)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_object": _ours}
            return list(compare_metadata(MigrationContext.configure(conn, opts=opts), full_metadata()))
    finally:
        engine.dispose()


def events(sm: sessionmaker[Session], number: str) -> list[str]:
    """The order's history events, oldest first."""
    return [h.event for h in repo.work_order_history(sm, number=number)]


def refused(exc: pytest.ExceptionInfo[TicketError], error_id: str, status_code: int) -> None:
    """The refusal has ``error_id`` and maps to ``status_code``."""
    assert exc.value.error_id == error_id
    assert exc.value.status_code == status_code


class OrderLoopBase(MigratedDatabase):
    """The fixture and helpers of the order-loop contracts."""

    @pytest.fixture
    def loop(self, sm: sessionmaker[Session]) -> OrderLoop:
        """The loop on the shipped catalogue and time limits."""
        return OrderLoop(sm)

    def dispatched(self, sm: sessionmaker[Session], caller: str = "13800138000", at: datetime = T0) -> str:
        """A complaint dispatched at ``at`` to 生态环境局 (sthjj) with 城管局 (cgj) assisting."""
        row = repo.create_work_order(sm, order=order(number=caller), created_by="a1", now=at)
        TicketService(sm).dispatch(row.number, main="sthjj", assist=["cgj"], actor="a1", now=at)
        return row.number

    def replied(self, sm: sessionmaker[Session], loop: OrderLoop, caller: str = "13800138000") -> str:
        """A dispatched order signed and replied to by its department."""
        number = self.dispatched(sm, caller)
        loop.sign(number, department="sthjj", actor="d1", now=T0 + timedelta(hours=1))
        loop.reply(number, department="sthjj", text="已责令整改", actor="d1", now=T0 + timedelta(days=1))
        return number


class OrderLoopContract(OrderLoopBase):
    """Schema, the department steps and extensions."""

    # -- schema ---------------------------------------------------------------------------------

    def test_given_empty_db_when_migrated_then_extension_table_matches_model_and_downgrades(
        self, db_url: str
    ) -> None:
        migrate(db_url)
        assert "work_order_extensions" in table_names(db_url)
        command.downgrade(alembic_config(db_url), "0008_order_loop-1")
        assert "work_order_extensions" not in table_names(db_url)
        migrate(db_url)
        assert "work_order_extensions" in table_names(db_url)
        assert extension_schema_diff(db_url) == []

    # -- department side ------------------------------------------------------------------------

    def test_given_dispatched_order_when_signed_then_signed_with_on_time_entry(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        early, late = self.dispatched(sm), self.dispatched(sm, "13900139000")
        row = loop.sign(early, department="sthjj", actor="d1", now=T0 + timedelta(hours=3))
        loop.sign(late, department="sthjj", actor="d1", now=T0 + timedelta(days=3))
        assert row.status is Status.SIGNED
        first = repo.work_order_history(sm, number=early)[-1]
        assert (first.event, first.actor, first.from_status) == ("sign", "d1", Status.DISPATCHED)
        assert first.detail == {"department": "sthjj", "on_time": True}
        assert repo.work_order_history(sm, number=late)[-1].detail["on_time"] is False

    def test_given_intake_or_signed_order_when_signed_then_illegal_and_nothing_written(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        intake = repo.create_work_order(sm, order=order(), created_by="a1", now=T0).number
        with pytest.raises(IllegalTransitionError) as caught:
            loop.sign(intake, department="sthjj", actor="d1", now=T0)
        refused(caught, "illegal_transition", 409)
        assert events(sm, intake) == ["created"]
        with pytest.raises(TicketNotFoundError):
            loop.sign("12345-20261123-999999", department="sthjj", actor="d1", now=T0)

    def test_given_dispatch_on_monday_then_return_allowed_until_wednesday_midnight_beijing(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        in_time, too_late = self.dispatched(sm), self.dispatched(sm, "13900139000")
        wednesday_end = T0.replace(hour=0) + timedelta(days=2) + BEIJING_MIDNIGHT - timedelta(seconds=1)
        row = loop.return_order(
            in_time, department="sthjj", reason="不属于本单位职责", actor="d1", now=wednesday_end
        )
        assert row.status is Status.RETURNED
        entry = repo.work_order_history(sm, number=in_time)[-1]
        assert entry.detail["reason"] == "不属于本单位职责"
        with pytest.raises(IllegalTransitionError) as caught:
            loop.return_order(
                too_late,
                department="sthjj",
                reason="不属于本单位职责",
                actor="d1",
                now=wednesday_end + timedelta(seconds=1),
            )
        refused(caught, "return_limit_passed", 409)
        assert repo.get_work_order(sm, number=too_late).status is Status.DISPATCHED  # type: ignore[union-attr]

    def test_given_friday_dispatch_then_return_limit_skips_the_weekend(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        friday = T0 + timedelta(days=4)
        number = self.dispatched(sm, at=friday)
        row = loop.return_order(
            number, department="sthjj", reason="错派", actor="d1", now=friday + timedelta(days=4)
        )
        assert row.status is Status.RETURNED

    def test_given_blank_reason_when_returned_then_invalid_and_unchanged(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.dispatched(sm)
        with pytest.raises(TicketValidationError) as caught:
            loop.return_order(number, department="sthjj", reason="  ", actor="d1", now=T0)
        refused(caught, "invalid_value", 422)
        assert events(sm, number) == ["created", "dispatch"]

    def test_given_signed_order_when_handed_down_then_main_changes_and_status_and_deadlines_stay(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.dispatched(sm)
        signed = loop.sign(number, department="sthjj", actor="d1", now=T0)
        row = loop.hand_down(number, department="sthjj", to_department="sthjj_gx", actor="d1", now=T0)
        assert row.status is Status.SIGNED
        roles = {d.department: d.role for d in row.departments}
        assert roles == {"sthjj_gx": DepartmentRole.MAIN, "cgj": DepartmentRole.ASSIST}
        assert (row.sign_due, row.handle_due, row.reply_due) == (
            signed.sign_due,
            signed.handle_due,
            signed.reply_due,
        )
        entry = repo.work_order_history(sm, number=number)[-1]
        assert (entry.event, entry.from_status, entry.to_status) == (
            "hand_down",
            Status.SIGNED,
            Status.SIGNED,
        )
        assert entry.detail == {"department": "sthjj", "from": "sthjj", "to": "sthjj_gx"}
        with pytest.raises(TicketValidationError):
            loop.hand_down(number, department="sthjj", to_department="sthjj_gx", actor="d1", now=T0)

    def test_given_signed_order_when_replied_then_text_and_attachments_are_kept(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.dispatched(sm)
        loop.sign(number, department="sthjj", actor="d1", now=T0)
        row = loop.reply(
            number, department="sthjj", text="已现场检查并责令整改", attachments=[FILE], actor="d1", now=T0
        )
        assert row.status is Status.REPLIED
        entry = repo.work_order_history(sm, number=number)[-1]
        assert entry.detail["text"] == "已现场检查并责令整改"
        assert entry.detail["attachments"] == [FILE.as_json()]
        assert entry.detail["on_time"] is True

    def test_given_dispatched_order_when_replied_then_illegal_and_empty_text_invalid(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.dispatched(sm)
        with pytest.raises(IllegalTransitionError):
            loop.reply(number, department="sthjj", text="已处理", actor="d1", now=T0)
        loop.sign(number, department="sthjj", actor="d1", now=T0)
        with pytest.raises(TicketValidationError):
            loop.reply(number, department="sthjj", text="", actor="d1", now=T0)
        assert events(sm, number) == ["created", "dispatch", "sign"]

    # -- extensions -----------------------------------------------------------------------------

    def test_given_signed_order_when_extension_approved_then_handling_deadline_moves_by_working_days(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.dispatched(sm)
        before = loop.sign(number, department="sthjj", actor="d1", now=T0)
        asked = loop.request_extension(
            number, department="sthjj", working_days=3, reason="需第三方检测", actor="d1", now=T0
        )
        assert (asked.status, asked.working_days, asked.decided_by) == (ExtensionStatus.REQUESTED, 3, None)
        decided = loop.decide_extension(number, asked.id, approve=True, note="同意", actor="s1", now=T0)
        assert (decided.status, decided.decided_by, decided.note) == (ExtensionStatus.APPROVED, "s1", "同意")
        after = repo.get_work_order(sm, number=number)
        assert after is not None
        assert after.status is Status.SIGNED
        # handling was due Monday 30 Nov (end of day, Beijing); three working days later: Thursday 3 Dec
        assert before.handle_due == datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)
        assert after.handle_due == datetime(2026, 12, 3, 15, 59, 59, tzinfo=UTC)
        assert after.reply_due is not None
        assert after.reply_due >= after.handle_due
        assert events(sm, number)[-2:] == ["request_extension", "approve_extension"]
        assert loop.extensions(number) == [decided]

    def test_given_refused_extension_then_deadlines_stay_and_a_decision_is_final(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.dispatched(sm)
        before = loop.sign(number, department="sthjj", actor="d1", now=T0)
        asked = loop.request_extension(
            number, department="sthjj", working_days=2, reason="人手不足", actor="d1", now=T0
        )
        loop.decide_extension(number, asked.id, approve=False, note="理由不充分", actor="s1", now=T0)
        assert repo.get_work_order(sm, number=number).handle_due == before.handle_due  # type: ignore[union-attr]
        with pytest.raises(IllegalTransitionError) as caught:
            loop.decide_extension(number, asked.id, approve=True, note="", actor="s1", now=T0)
        refused(caught, "extension_decided", 409)
        with pytest.raises(TicketNotFoundError) as missing:
            loop.decide_extension(number, asked.id + 100, approve=True, note="", actor="s1", now=T0)
        refused(missing, "extension_not_found", 404)

    def test_given_open_request_or_used_up_days_then_extension_refused(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.dispatched(sm)
        with pytest.raises(IllegalTransitionError):
            loop.request_extension(
                number, department="sthjj", working_days=2, reason="未签收", actor="d1", now=T0
            )
        loop.sign(number, department="sthjj", actor="d1", now=T0)
        first = loop.request_extension(
            number, department="sthjj", working_days=6, reason="检测", actor="d1", now=T0
        )
        with pytest.raises(IllegalTransitionError) as pending:
            loop.request_extension(
                number, department="sthjj", working_days=1, reason="再延", actor="d1", now=T0
            )
        refused(pending, "extension_pending", 409)
        loop.decide_extension(number, first.id, approve=True, note="", actor="s1", now=T0)
        with pytest.raises(TicketValidationError) as too_long:
            loop.request_extension(
                number, department="sthjj", working_days=5, reason="再延", actor="d1", now=T0
            )
        refused(too_long, "extension_too_long", 422)
        assert too_long.value.details["remaining"] == 4
        with pytest.raises(TicketValidationError):
            loop.request_extension(
                number, department="sthjj", working_days=0, reason="零天", actor="d1", now=T0
            )
        assert len(loop.extensions(number)) == 1
