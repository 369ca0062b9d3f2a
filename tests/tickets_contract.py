"""The work-order and knowledge repository contract, shared by the SQLite and PostgreSQL test modules.

``TicketsContract`` needs a ``db_url`` fixture: the URL of an empty database owned by the test.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import alembic_config, make_engine, migrate
from hotline.db.models import Base
from tests.db_contract import run_in_threads
from tests.migrated_db import MigratedDatabase
from tickets import repository as repo
from tickets.errors import IllegalTransitionError, TicketNotFoundError, TicketValidationError
from tickets.models import DATABASE_ONLY_OBJECTS
from tickets.rows import Caller, Deadlines, FiveElements, NewWorkOrder, WorkOrderRow
from tickets.vocab import (
    Category,
    Channel,
    ContactPreference,
    DepartmentRole,
    Event,
    SpecialGroup,
    Status,
    Urgency,
)

pytestmark = pytest.mark.timeout(90)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TICKET_TABLES = {
    "work_orders",
    "work_order_departments",
    "work_order_links",
    "work_order_history",
    "work_order_counters",
    "knowledge_articles",
}
ALL_FIVE = FiveElements(
    who="楼下餐馆", when="每晚22点后", where="幸福路8号", what="油烟噪音扰民", how="多次沟通无果"
)


def order(
    *, number: str = "13800138000", category: Category = Category.COMPLAINT, **changes: object
) -> NewWorkOrder:
    """An ordinary complaint from ``number`` with all five elements."""
    base = NewWorkOrder(
        caller=Caller(
            name="王女士",
            number=number,
            contact_preference=ContactPreference.SMS_ONLY,
            special_group=SpecialGroup.ELDERLY,
            confidential=False,
        ),
        channel=Channel.PHONE,
        category=category,
        matter="环境污染",
        matter_code="environment.pollution",
        content="楼下餐馆油烟和噪音影响休息",
        elements=ALL_FIVE,
        address="示例市幸福路8号",
        call_id="1732345678.42",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def numbers(rows: list[WorkOrderRow]) -> list[str]:
    """The numbers of ``rows``, in order."""
    return [r.number for r in rows]


def fixed_deadlines(_: WorkOrderRow) -> Deadlines:
    """Deadlines one, five and seven days after ``T0``."""
    return Deadlines(
        sign_due=T0 + timedelta(days=1), handle_due=T0 + timedelta(days=5), reply_due=T0 + timedelta(days=7)
    )


def _ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    if name in DATABASE_ONLY_OBJECTS:
        return False
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in TICKET_TABLES


def ticket_schema_diff(url: str) -> list[object]:
    """Differences between the ticket models and the migrated database (empty when they agree)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_object": _ours}
            return list(compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata))
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    """The tables at ``url``."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


class TicketsContract(MigratedDatabase):
    """The shared test bodies."""

    def test_given_empty_db_when_migrated_then_ticket_tables_match_models(self, db_url: str) -> None:
        migrate(db_url)
        migrate(db_url)
        assert table_names(db_url) >= TICKET_TABLES
        assert ticket_schema_diff(db_url) == []

    def test_given_migrated_db_when_ticket_branch_downgraded_then_upgrade_restores_it(
        self, db_url: str
    ) -> None:
        migrate(db_url)
        command.downgrade(alembic_config(db_url), "0003_tickets-1")
        left = table_names(db_url)
        assert not left & TICKET_TABLES
        assert not {n for n in left if n.startswith("knowledge_fts")}
        assert "calls" in left
        migrate(db_url)
        assert ticket_schema_diff(db_url) == []

    def test_given_new_order_then_number_status_history_and_fields_are_stored(
        self, sm: sessionmaker[Session]
    ) -> None:
        row = repo.create_work_order(sm, order=order(), created_by="1001", now=T0)
        assert row.number == "12345-20261123-000001"
        assert (row.status, row.category, row.urgency, row.channel) == (
            Status.INTAKE,
            Category.COMPLAINT,
            Urgency.NORMAL,
            Channel.PHONE,
        )
        assert row.caller.contact_preference is ContactPreference.SMS_ONLY
        assert row.caller.special_group is SpecialGroup.ELDERLY
        assert row.elements == ALL_FIVE
        assert (row.call_id, row.created_by, row.created_at, row.created_at.tzinfo) == (
            "1732345678.42",
            "1001",
            T0,
            UTC,
        )
        assert row.departments == ()
        assert row.sign_due is None
        assert repo.get_work_order(sm, number=row.number) == row
        history = repo.work_order_history(sm, number=row.number)
        assert [(h.event, h.from_status, h.to_status) for h in history] == [("created", None, Status.INTAKE)]
        assert dict(history[0].detail) == {"call_id": "1732345678.42"}

    def test_numbers_follow_beijing_days_and_count_per_day(self, sm: sessionmaker[Session]) -> None:
        late_utc = datetime(2026, 11, 22, 15, 59, 59, tzinfo=UTC)
        got = [
            repo.create_work_order(sm, order=order(), created_by="1001", now=at).number
            for at in (late_utc, late_utc + timedelta(seconds=1), late_utc + timedelta(seconds=2))
        ]
        assert got == ["12345-20261122-000001", "12345-20261123-000001", "12345-20261123-000002"]

    def test_given_complaint_without_five_elements_then_refused_and_nothing_written(
        self, sm: sessionmaker[Session]
    ) -> None:
        for category in (Category.COMPLAINT, Category.REPORT):
            bad = order(category=category, elements=FiveElements(who="某人", what="  "))
            with pytest.raises(TicketValidationError) as caught:
                repo.create_work_order(sm, order=bad, created_by="1001", now=T0)
            assert caught.value.error_id == "five_elements_missing"
            assert caught.value.details["missing"] == ["when", "where", "what", "how"]
        consult = repo.create_work_order(
            sm, order=order(category=Category.CONSULT, elements=FiveElements()), created_by="1001", now=T0
        )
        assert consult.number.endswith("-000001")

    def test_given_direct_answer_then_order_closes_at_intake(self, sm: sessionmaker[Session]) -> None:
        row = repo.create_work_order(
            sm,
            order=order(category=Category.CONSULT, answered_directly=True, answer_article_id=7),
            created_by="1001",
            now=T0,
        )
        assert (row.status, row.answered_directly, row.answer_article_id, row.closed_at) == (
            Status.CLOSED,
            True,
            7,
            T0,
        )
        events = [h.event for h in repo.work_order_history(sm, number=row.number)]
        assert events == ["created", "answer_directly"]

    def test_given_linked_numbers_then_links_are_kept_and_unknown_ones_refused(
        self, sm: sessionmaker[Session]
    ) -> None:
        first = repo.create_work_order(sm, order=order(), created_by="1001", now=T0)
        second = repo.create_work_order(
            sm, order=order(linked_numbers=(first.number,)), created_by="1002", now=T0
        )
        assert second.linked_numbers == (first.number,)
        with pytest.raises(TicketValidationError) as caught:
            repo.create_work_order(
                sm, order=order(linked_numbers=("12345-20200101-000009",)), created_by="1001", now=T0
            )
        assert caught.value.error_id == "unknown_linked_order"
        assert len(repo.list_work_orders(sm)) == 2

    def test_given_intake_order_when_dispatched_then_departments_deadlines_and_history_set(
        self, sm: sessionmaker[Session]
    ) -> None:
        created = repo.create_work_order(sm, order=order(), created_by="1001", now=T0)
        at = T0 + timedelta(minutes=3)
        row = repo.dispatch_work_order(
            sm,
            number=created.number,
            main="sthjj",
            assist=["cgj", "sthjj", "cgj"],
            deadlines_for=fixed_deadlines,
            actor="1001",
            now=at,
        )
        assert row.status is Status.DISPATCHED
        assert [(d.department, d.role) for d in row.departments] == [
            ("sthjj", DepartmentRole.MAIN),
            ("cgj", DepartmentRole.ASSIST),
        ]
        assert (row.sign_due, row.handle_due, row.reply_due) == (
            T0 + timedelta(days=1),
            T0 + timedelta(days=5),
            T0 + timedelta(days=7),
        )
        assert row.dispatched_at == at
        history = repo.work_order_history(sm, number=row.number)
        assert [(h.event, h.from_status, h.to_status) for h in history][-1] == (
            "dispatch",
            Status.INTAKE,
            Status.DISPATCHED,
        )
        assert history[-1].detail["assist"] == ["cgj"]

    def test_given_dispatched_order_when_dispatched_again_then_illegal_and_unchanged(
        self, sm: sessionmaker[Session]
    ) -> None:
        number = repo.create_work_order(sm, order=order(), created_by="1001", now=T0).number
        repo.dispatch_work_order(sm, number=number, main="sthjj", deadlines_for=fixed_deadlines, actor="1001")
        with pytest.raises(IllegalTransitionError) as caught:
            repo.dispatch_work_order(
                sm, number=number, main="cgj", deadlines_for=fixed_deadlines, actor="1001"
            )
        assert caught.value.error_id == "illegal_transition"
        assert caught.value.details["status"] == "dispatched"
        row = repo.get_work_order(sm, number=number)
        assert row is not None
        assert [d.department for d in row.departments] == ["sthjj"]
        assert len(repo.work_order_history(sm, number=number)) == 2

    def test_given_returned_order_when_dispatched_then_redispatch_replaces_departments(
        self, sm: sessionmaker[Session]
    ) -> None:
        number = repo.create_work_order(sm, order=order(), created_by="1001", now=T0).number
        repo.dispatch_work_order(sm, number=number, main="zjj", deadlines_for=fixed_deadlines, actor="1001")
        returned = repo.apply_event(
            sm, number=number, event=Event.RETURN, actor="zjj", detail={"reason": "非本单位职责"}
        )
        assert returned.status is Status.RETURNED
        row = repo.dispatch_work_order(
            sm, number=number, main="sthjj", deadlines_for=fixed_deadlines, actor="1001"
        )
        assert row.status is Status.DISPATCHED
        assert [d.department for d in row.departments] == ["sthjj"]
        events = [h.event for h in repo.work_order_history(sm, number=number)]
        assert events == ["created", "dispatch", "return", "redispatch"]

    def test_given_unknown_number_then_not_found(self, sm: sessionmaker[Session]) -> None:
        assert repo.get_work_order(sm, number="12345-20261123-000404") is None
        with pytest.raises(TicketNotFoundError):
            repo.dispatch_work_order(
                sm, number="12345-20261123-000404", main="zjj", deadlines_for=fixed_deadlines, actor="1001"
            )
        with pytest.raises(TicketNotFoundError):
            repo.work_order_history(sm, number="12345-20261123-000404")

    def test_list_filters_by_caller_status_creator_and_visibility_newest_first(
        self, sm: sessionmaker[Session]
    ) -> None:
        secret = Caller(
            name="匿名",
            number="13900000000",
            contact_preference=ContactPreference.NO_CONTACT,
            special_group=SpecialGroup.NONE,
            confidential=True,
        )
        a = repo.create_work_order(sm, order=order(number="13900000000"), created_by="1001", now=T0)
        b = repo.create_work_order(
            sm, order=order(caller=secret), created_by="1002", now=T0 + timedelta(minutes=1)
        )
        c = repo.create_work_order(sm, order=order(), created_by="1001", now=T0 + timedelta(minutes=2))
        repo.dispatch_work_order(sm, number=a.number, main="zjj", deadlines_for=fixed_deadlines, actor="1001")
        assert numbers(repo.list_work_orders(sm, caller_number="13900000000")) == [b.number, a.number]
        assert numbers(repo.list_work_orders(sm, status=Status.INTAKE)) == [c.number, b.number]
        assert numbers(repo.list_work_orders(sm, created_by="1001")) == [c.number, a.number]
        assert numbers(repo.list_work_orders(sm, visible_to="1001")) == [c.number, a.number]
        assert numbers(repo.list_work_orders(sm, visible_to="1002")) == [b.number]
        theirs = repo.list_work_orders(sm, visible_to="1002", callers=[c.caller.number], limit=2)
        assert numbers(theirs) == [c.number, b.number]
        confidential_caller = repo.list_work_orders(sm, visible_to="1001", callers=["13900000000"])
        assert numbers(confidential_caller) == [c.number, a.number], (
            "never another agent's confidential order"
        )

    def test_given_intake_order_when_amended_then_fields_change_until_dispatch(
        self, sm: sessionmaker[Session]
    ) -> None:
        number = repo.create_work_order(sm, order=order(), created_by="1001", now=T0).number
        row = repo.amend_work_order(
            sm, number=number, actor="1001", address="幸福路10号", urgency=Urgency.URGENT
        )
        assert (row.address, row.urgency, row.matter) == ("幸福路10号", Urgency.URGENT, "环境污染")
        with pytest.raises(TicketValidationError):
            repo.amend_work_order(sm, number=number, actor="1001", elements=FiveElements(who="x"))
        repo.dispatch_work_order(sm, number=number, main="zjj", deadlines_for=fixed_deadlines, actor="1001")
        with pytest.raises(IllegalTransitionError) as caught:
            repo.amend_work_order(sm, number=number, actor="1001", address="别处")
        assert caught.value.error_id == "not_amendable"
        history = repo.work_order_history(sm, number=number)
        assert [h.event for h in history] == ["created", "amended", "dispatch"]
        assert history[1].detail["fields"] == ["address", "urgency"]

    def test_given_four_threads_creating_at_once_then_numbers_are_unique_and_dense(
        self, sm: sessionmaker[Session]
    ) -> None:
        per_thread = 15

        def creator(t: int) -> None:
            for _ in range(per_thread):
                repo.create_work_order(sm, order=order(), created_by=f"10{t:02d}", now=T0)

        assert run_in_threads(4, creator) == []
        got = sorted(numbers(repo.list_work_orders(sm, limit=1000)))
        assert got == [f"12345-20261123-{n:06d}" for n in range(1, 4 * per_thread + 1)]
