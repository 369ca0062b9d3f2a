"""More of the deadline checker's contract, on the marks table itself (shared by the SQLite and
PostgreSQL runners, which also run ``tests.checker_contract``)."""

from __future__ import annotations

from sqlalchemy import delete, select

from tests.checker_contract import Rig, bj
from tickets.models import WorkOrder
from tickets.supervision_models import DeadlineMark


def mark_rows(rig: Rig) -> set[tuple[int, str]]:
    """(order id, limit) of every row of ``deadline_marks``, whether or not its order exists."""
    with rig.sm() as s:
        return {(o, k) for o, k in s.execute(select(DeadlineMark.order_id, DeadlineMark.kind))}


def order_id(rig: Rig, number: str) -> int:
    """The id of the order ``number``."""
    with rig.sm() as s:
        return s.scalars(select(WorkOrder.id).where(WorkOrder.number == number)).one()


class CheckerMarksContract:
    """Marks follow the orders, all three limits in one pass (needs the ``rig`` fixture)."""

    def test_given_marked_order_deleted_when_checked_then_its_marks_go(self, rig: Rig) -> None:
        kept = order_id(rig, rig.dispatched(bj(2026, 11, 2, 10)))
        gone = order_id(rig, rig.dispatched(bj(2026, 11, 2, 11), caller="13900139002"))
        rig.checker.run_pass(now=bj(2026, 11, 4))
        assert mark_rows(rig) == {(kept, "sign"), (gone, "sign")}
        with rig.sm.begin() as s:
            s.execute(delete(WorkOrder).where(WorkOrder.id == gone))
        rig.checker.run_pass(now=bj(2026, 11, 4, 12))
        assert mark_rows(rig) == {(kept, "sign")}

    def test_given_limits_of_each_kind_when_checked_then_each_marked_with_its_own_due(self, rig: Rig) -> None:
        number = rig.dispatched(bj(2026, 11, 2, 10))
        order = rig.tickets.get(number)
        rig.checker.run_pass(now=bj(2026, 12, 31))  # every limit long past
        marks = rig.marks()
        assert marks == {
            (number, "sign"): "overdue",
            (number, "handle"): "overdue",
            (number, "reply"): "overdue",
        }
        with rig.sm() as s:
            dues = {kind: due for kind, due in s.execute(select(DeadlineMark.kind, DeadlineMark.due_at))}
        assert dues == {"sign": order.sign_due, "handle": order.handle_due, "reply": order.reply_due}
