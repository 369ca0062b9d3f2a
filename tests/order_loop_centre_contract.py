"""The order loop's revisit, centre and merge steps, shared by the SQLite and PostgreSQL runners.

``OrderLoopCentreContract`` needs a ``db_url`` fixture, as ``tests.order_loop_contract`` describes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.db_contract import run_in_threads
from tests.order_loop_contract import T0, OrderLoopBase, events, refused
from tests.tickets_contract import order
from tickets import repository as repo
from tickets.errors import IllegalTransitionError, TicketValidationError
from tickets.loop import OrderLoop
from tickets.models import WorkOrderLink
from tickets.rows import WorkOrderRow
from tickets.vocab import DepartmentRole, Event, Satisfaction, Status

pytestmark = pytest.mark.timeout(90)


class OrderLoopCentreContract(OrderLoopBase):
    """Revisits, the centre's steps, merges and concurrent steps."""

    # -- revisit ---------------------------------------------------------------------------------

    def test_given_replied_order_when_citizen_satisfied_then_call_back_evaluate_and_closed(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.replied(sm, loop)
        at = T0 + timedelta(days=2)
        row = loop.record_revisit(
            number,
            reached=True,
            solved=True,
            satisfaction=Satisfaction.SATISFIED,
            via="phone",
            actor="ivr",
            now=at,
        )
        assert row.status is Status.CLOSED
        assert row.closed_at == at
        history = repo.work_order_history(sm, number=number)
        assert [h.event for h in history[-3:]] == ["call_back", "evaluate", "close"]
        assert history[-2].detail == {
            "reached": True,
            "via": "phone",
            "note": "",
            "solved": True,
            "satisfaction": "satisfied",
        }

    def test_given_dissatisfied_citizen_then_evaluated_and_reopen_restarts_deadlines(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.replied(sm, loop)
        row = loop.record_revisit(
            number,
            reached=True,
            solved=False,
            satisfaction=Satisfaction.DISSATISFIED,
            via="manual",
            note="油烟仍然存在",
            actor="a2",
            now=T0 + timedelta(days=2),
        )
        assert row.status is Status.EVALUATED
        again = T0 + timedelta(days=3)
        reopened = loop.reopen(number, reason="群众不满意，重办", actor="s1", now=again)
        assert reopened.status is Status.DISPATCHED
        assert reopened.dispatched_at == again
        assert reopened.sign_due is not None
        assert reopened.sign_due > again
        assert [d.department for d in reopened.departments if d.role is DepartmentRole.MAIN] == ["sthjj"]
        entry = repo.work_order_history(sm, number=number)[-1]
        assert (entry.event, entry.detail["main"]) == ("redo", "sthjj")

    def test_given_closed_order_when_reopened_then_reopen_event_and_closed_at_cleared(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.replied(sm, loop)
        loop.record_revisit(
            number,
            reached=True,
            solved=True,
            satisfaction=Satisfaction.SATISFIED,
            via="phone",
            actor="ivr",
            now=T0,
        )
        row = loop.reopen(number, reason="问题复发", actor="s1", now=T0 + timedelta(days=5))
        assert (row.status, row.closed_at) == (Status.DISPATCHED, None)
        assert events(sm, number)[-1] == "reopen"
        with pytest.raises(IllegalTransitionError):
            loop.reopen(number, reason="再次", actor="s1", now=T0 + timedelta(days=5))

    def test_given_unreached_citizen_then_attempts_count_and_close_unreachable_closes(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.replied(sm, loop)
        for hour in (1, 2):
            row = loop.record_revisit(
                number,
                reached=False,
                solved=None,
                satisfaction=None,
                via="phone",
                actor="ivr",
                now=T0 + timedelta(days=2, hours=hour),
            )
            assert row.status is Status.REPLIED
        attempts = [
            h.detail["attempt"]
            for h in repo.work_order_history(sm, number=number)
            if h.event == "call_back_failed"
        ]
        assert attempts == [1, 2]
        with pytest.raises(TicketValidationError):
            loop.record_revisit(
                number,
                reached=False,
                solved=None,
                satisfaction=Satisfaction.SATISFIED,
                via="phone",
                actor="ivr",
            )
        closed = loop.close_unreachable(number, attempts=3, actor="ivr", now=T0 + timedelta(days=3))
        assert closed.status is Status.CLOSED
        assert repo.work_order_history(sm, number=number)[-1].detail == {"attempts": 3}

    def test_given_dispatched_order_when_revisited_then_illegal(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.dispatched(sm)
        with pytest.raises(IllegalTransitionError):
            loop.record_revisit(
                number,
                reached=True,
                solved=True,
                satisfaction=Satisfaction.SATISFIED,
                via="manual",
                actor="a1",
            )
        assert events(sm, number) == ["created", "dispatch"]

    # -- centre side -----------------------------------------------------------------------------

    def test_given_returned_order_when_redispatched_then_new_departments_and_fresh_deadlines(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.dispatched(sm)
        loop.return_order(number, department="sthjj", reason="应由城管局办理", actor="d1", now=T0)
        later = T0 + timedelta(days=1)
        row = loop.redispatch(number, main="cgj", actor="a1", now=later)
        assert row.status is Status.DISPATCHED
        assert row.dispatched_at == later
        assert [(d.department, d.role) for d in row.departments] == [("cgj", DepartmentRole.MAIN)]
        assert row.handle_due == datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC)
        with pytest.raises(TicketValidationError) as caught:
            loop.redispatch(number, main="nowhere", actor="a1", now=later)
        refused(caught, "unknown_department", 422)

    def test_given_callback_without_evaluation_then_centre_closes_and_replied_order_cannot(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.replied(sm, loop)
        with pytest.raises(IllegalTransitionError):
            loop.close(number, actor="a1", now=T0)
        loop.record_revisit(
            number, reached=True, solved=True, satisfaction=None, via="manual", actor="a1", now=T0
        )
        row = loop.close(number, actor="a1", note="群众未评价", now=T0 + timedelta(days=3))
        assert row.status is Status.CLOSED
        assert repo.work_order_history(sm, number=number)[-1].detail == {"note": "群众未评价"}

    def test_given_direct_answer_when_reopened_then_never_dispatched(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = repo.create_work_order(
            sm, order=order(answered_directly=True), created_by="a1", now=T0
        ).number
        with pytest.raises(IllegalTransitionError) as caught:
            loop.reopen(number, reason="再次来电", actor="s1", now=T0)
        refused(caught, "never_dispatched", 409)

    # -- merge -----------------------------------------------------------------------------------

    def test_given_repeat_orders_when_merged_then_linked_and_their_citizens_are_revisit_targets(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        main = self.dispatched(sm)
        second = repo.create_work_order(sm, order=order(number="13900139000"), created_by="a2", now=T0).number
        third = repo.create_work_order(
            sm, order=order(number="13700137000", linked_numbers=(main,)), created_by="a3", now=T0
        ).number
        row = loop.merge(main, [second, third], actor="a1", now=T0)
        assert row.status is Status.DISPATCHED
        assert repo.work_order_history(sm, number=main)[-1].detail == {"merged": [second, third]}
        assert [r.number for r in loop.merged(main)] == [second, third]
        with sm() as s:
            kinds = set(s.scalars(select(WorkOrderLink.kind)))
        assert kinds == {"merged"}
        targets = loop.revisit_targets(main)
        assert [(t.number, t.caller.number, t.merged_into) for t in targets] == [
            (main, "13800138000", None),
            (second, "13900139000", main),
            (third, "13700137000", main),
        ]

    def test_given_merged_order_then_revisited_only_after_the_main_order_is_replied(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        main = self.dispatched(sm)
        other = repo.create_work_order(sm, order=order(number="13900139000"), created_by="a2", now=T0).number
        loop.merge(main, [other], actor="a1", now=T0)
        satisfied = {"reached": True, "solved": True, "satisfaction": Satisfaction.SATISFIED, "via": "phone"}
        with pytest.raises(IllegalTransitionError) as caught:
            loop.record_revisit(other, **satisfied, actor="ivr", now=T0)  # type: ignore[arg-type]
        refused(caught, "main_not_replied", 409)
        loop.sign(main, department="sthjj", actor="d1", now=T0)
        loop.reply(main, department="sthjj", text="已整改", actor="d1", now=T0)
        row = loop.record_revisit(other, **satisfied, actor="ivr", now=T0)  # type: ignore[arg-type]
        assert row.status is Status.MERGED
        assert events(sm, other)[-2:] == ["call_back", "evaluate"]

    def test_given_a_signed_order_among_others_when_merged_then_nothing_changes(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        main = repo.create_work_order(sm, order=order(), created_by="a1", now=T0).number
        fine = repo.create_work_order(sm, order=order(number="13900139000"), created_by="a1", now=T0).number
        signed = self.dispatched(sm, "13700137000")
        loop.sign(signed, department="sthjj", actor="d1", now=T0)
        with pytest.raises(IllegalTransitionError):
            loop.merge(main, [fine, signed], actor="a1", now=T0)
        assert events(sm, fine) == ["created"]
        assert loop.merged(main) == []
        with pytest.raises(TicketValidationError):
            loop.merge(main, [main], actor="a1", now=T0)

    # -- concurrency -----------------------------------------------------------------------------

    def test_given_four_departments_signing_at_once_then_exactly_one_sign_is_recorded(
        self, sm: sessionmaker[Session], loop: OrderLoop
    ) -> None:
        number = self.dispatched(sm)
        signed: list[WorkOrderRow] = []

        def sign(i: int) -> None:
            signed.append(loop.sign(number, department="sthjj", actor=f"d{i}", now=T0))

        errors = run_in_threads(4, sign)
        assert len(signed) == 1
        assert len(errors) == 3
        assert all(isinstance(e, IllegalTransitionError) for e in errors)
        assert events(sm, number).count(Event.SIGN.value) == 1
