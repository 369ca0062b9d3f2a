"""The request-key contract of order creation (``tickets.request_keys``), shared by the SQLite and PostgreSQL
ticket test modules: a key used before by the same creator answers its order and writes nothing.

``RequestKeysContract`` needs a ``db_url`` fixture: the URL of an empty database owned by the test.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import writing
from tests.db_contract import run_in_threads
from tests.migrated_db import MigratedDatabase
from tests.tickets_contract import T0, order
from tickets import repository as repo
from tickets.models import WorkOrderHistory, WorkOrderLink
from tickets.request_keys import Intake, create_once

KEY = "0b6c5f3e-2a8d-4f7e-9c1b-5d4e3f2a1b0c"


def _history_rows(sm: sessionmaker[Session]) -> int:
    with sm() as s:
        return int(s.scalar(select(func.count()).select_from(WorkOrderHistory)) or 0)


class RequestKeysContract(MigratedDatabase):
    """The shared test bodies."""

    def test_given_key_used_before_then_its_order_and_nothing_written(
        self, sm: sessionmaker[Session]
    ) -> None:
        earlier = repo.create_work_order(sm, order=order(), created_by="1001", now=T0)
        first = create_once(
            sm, order=order(linked_numbers=(earlier.number,)), created_by="1001", request_key=KEY, now=T0
        )
        assert first.created
        written = (_history_rows(sm), len(repo.list_work_orders(sm)))

        again = create_once(sm, order=order(content="改过的内容"), created_by="1001", request_key=KEY, now=T0)

        assert again == Intake(first.row, created=False)
        assert (_history_rows(sm), len(repo.list_work_orders(sm))) == written == (2, 2)
        with sm() as s:
            assert s.scalar(select(func.count()).select_from(WorkOrderLink)) == 1
        later = repo.create_work_order(sm, order=order(), created_by="1001", now=T0)
        assert later.number == "12345-20261123-000003"  # the replay took no number

    def test_given_same_key_of_another_creator_then_a_new_order(self, sm: sessionmaker[Session]) -> None:
        mine = create_once(sm, order=order(), created_by="1001", request_key=KEY, now=T0)
        theirs = create_once(sm, order=order(), created_by="1002", request_key=KEY, now=T0)

        assert (mine.created, theirs.created) == (True, True)
        assert mine.row.number != theirs.row.number
        again = create_once(sm, order=order(), created_by="1002", request_key=KEY, now=T0)
        assert again == Intake(theirs.row, created=False)

    def test_given_no_key_then_every_create_makes_an_order(self, sm: sessionmaker[Session]) -> None:
        made = [create_once(sm, order=order(), created_by="1001", request_key=None, now=T0) for _ in range(2)]

        assert [m.created for m in made] == [True, True]
        assert len(repo.list_work_orders(sm)) == 2

    def test_given_a_create_with_the_key_not_yet_committed_when_another_creates_with_it_then_one_order(
        self, sm: sessionmaker[Session]
    ) -> None:
        """Two nodes: the second create runs while the first one's transaction is still open; it waits for
        it and answers its order (PostgreSQL: after losing on the unique index; SQLite: the writers queue)."""
        entered = threading.Event()

        def second() -> Intake:
            entered.set()
            return create_once(sm, order=order(), created_by="1001", request_key=KEY, now=T0)

        with ThreadPoolExecutor(max_workers=1) as pool:
            with writing(sm) as s:
                first = repo.add_work_order(s, order=order(), created_by="1001", now=T0, request_key=KEY)
                later = pool.submit(second)
                assert entered.wait(10)
                time.sleep(0.5)
                assert not later.done()  # held up by the open transaction
            got = later.result(timeout=60)

        assert got == Intake(first, created=False)
        assert [r.number for r in repo.list_work_orders(sm)] == [first.number]
        assert repo.create_work_order(sm, order=order(), created_by="1001", now=T0).number.endswith("-000002")

    def test_given_four_threads_creating_with_the_same_key_then_one_order(
        self, sm: sessionmaker[Session]
    ) -> None:
        got: list[Intake] = []

        def creator(_: int) -> None:
            for _round in range(3):
                got.append(create_once(sm, order=order(), created_by="1001", request_key=KEY, now=T0))

        assert run_in_threads(4, creator) == []
        assert len(got) == 12
        assert sum(i.created for i in got) == 1
        assert {i.row.number for i in got} == {"12345-20261123-000001"}
        assert len(repo.list_work_orders(sm)) == 1
