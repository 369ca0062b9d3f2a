"""并单 suggestions (``tickets.duplicates``) on a real database, shared by the SQLite and PostgreSQL runners.

``DuplicatesContract`` needs a ``db_url`` fixture, as ``tests.order_loop_contract`` describes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.migrated_db import MigratedDatabase
from tests.order_loop_contract import CALLER, T0
from tests.tickets_contract import order
from tickets import repository as repo
from tickets.duplicates import DuplicateFinder
from tickets.errors import TicketNotFoundError
from tickets.loop import OrderLoop
from tickets.vocab import Category

pytestmark = pytest.mark.timeout(90)


class DuplicatesContract(MigratedDatabase):
    """并单 suggestions (``tickets.duplicates``) on a real database."""

    def test_given_orders_around_the_window_then_only_recent_same_caller_or_similar_same_address_match(
        self, sm: sessionmaker[Session]
    ) -> None:
        def create(at: datetime, **changes: object) -> str:
            new = replace(order(), **changes)  # type: ignore[arg-type]
            return repo.create_work_order(sm, order=new, created_by="a1", now=at).number

        old = create(T0 - timedelta(days=31))
        recent = create(T0 - timedelta(days=29))
        neighbour = create(T0 - timedelta(days=3), caller=replace(CALLER, number="13900139000"))
        unrelated = create(
            T0 - timedelta(days=2), caller=replace(CALLER, number="13700137000"), content="小区门口路灯不亮"
        )
        other_kind = create(
            T0 - timedelta(days=1), caller=replace(CALLER, number="13600136000"), category=Category.HELP
        )
        merged = create(T0 - timedelta(days=1))
        OrderLoop(sm).merge(recent, [merged], actor="a1", now=T0)
        base = create(T0, content="楼下餐馆油烟很大，噪音影响休息")
        found = DuplicateFinder(sm).find(base)
        assert {d.order.number: d.reasons for d in found} == {
            recent: ("same_caller", "same_address"),
            neighbour: ("same_address",),
        }
        assert {old, unrelated, other_kind, merged}.isdisjoint(d.order.number for d in found)
        assert found[0].order.number == recent
        assert 0 < found[1].similarity <= found[0].similarity <= 1
        wider = DuplicateFinder(sm, window_days=40).find(base)
        assert old in {d.order.number for d in wider}

    def test_given_order_without_caller_number_or_address_then_nothing_matches_on_blanks(
        self, sm: sessionmaker[Session]
    ) -> None:
        blank = replace(CALLER, number="")
        for _ in range(2):
            number = repo.create_work_order(
                sm, order=order(caller=blank, address=""), created_by="a1", now=T0
            ).number
        assert DuplicateFinder(sm).find(number) == []
        with pytest.raises(TicketNotFoundError):
            DuplicateFinder(sm).find("12345-20261123-999999")
