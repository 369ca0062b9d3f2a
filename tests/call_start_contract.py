"""The contract of what the IVR reads as a call enters it (``ivr.call_start``), shared by the SQLite and
PostgreSQL test modules: the live pack, the admin switches and the caller's attributes in one
transaction, with a publish, a rollback or a switch made on another node seen by the next call.

``CallStartContract`` needs a ``db_url`` fixture: the URL of an empty database owned by the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import repository as calls_repo
from ivr import flow_store
from ivr.call_start import CallStart, DbCallStarts
from ivr.callers import DbCallerDirectory
from ivr.catalog import FlowCatalog
from ivr.flow import CallerAttributes, OpenWorkOrder
from tests.migrated_db import MigratedDatabase
from tests.tickets_contract import order
from tickets import repository as tickets_repo
from tickets.intake import CREATED_BY as INTAKE_USER
from tickets.vocab import Category, Status

pytestmark = pytest.mark.timeout(90)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
VIP = "13900000001"
REPEAT = "13900000002"
STRANGER = "13900000003"


@dataclass
class Node:
    """One app node's IVR reads: its own catalog (and parsed-version cache) over the shared database;
    ``transactions`` holds how many transactions each of its reads began."""

    starts: DbCallStarts
    begun: list[int]
    transactions: list[int]

    def read(self, caller: str, call_id: str = "this-call") -> CallStart:
        before = len(self.begun)
        start = self.starts.read_now(caller, call_id=call_id, now=NOW)
        self.transactions.append(len(self.begun) - before)
        return start


def node(sm: sessionmaker[Session]) -> Node:
    """A node reading through ``sm``."""
    catalog = FlowCatalog(sessions=sm)
    starts = DbCallStarts(sessions=sm, catalog=catalog, directory=DbCallerDirectory(sm))
    begun: list[int] = []
    event.listen(sm, "after_begin", lambda *_: begun.append(1))
    return Node(starts, begun, [])


class CallStartContract(MigratedDatabase):
    """Per-call reads on a migrated database seeded with the shipped pack."""

    @pytest.fixture
    def seeded(self, sm: sessionmaker[Session]) -> sessionmaker[Session]:
        """``sm`` with the shipped pack live (version 1)."""
        assert FlowCatalog(sessions=sm).seed() is not None
        return sm

    def test_given_known_caller_then_pack_switches_and_attributes_come_from_one_transaction(
        self, seeded: sessionmaker[Session]
    ) -> None:
        flow_store.upsert_caller_profile(seeded, number=VIP, elderly=True, vip=True)
        calls_repo.record_call_started(
            seeded, call_id="earlier", caller=VIP, channel="", dialed="12345", at=NOW - timedelta(days=2)
        )
        taken = tickets_repo.create_work_order(seeded, order=order(number=VIP), created_by="1001", now=NOW)
        left = tickets_repo.create_work_order(
            seeded, order=order(number=VIP), created_by=INTAKE_USER, now=NOW + timedelta(seconds=1)
        )
        tickets_repo.create_work_order(
            seeded,
            order=order(number=VIP, category=Category.CONSULT, answered_directly=True),
            created_by="1002",
            now=NOW + timedelta(seconds=2),
        )
        FlowCatalog(sessions=seeded).set_flag("surge", True)
        here = node(seeded)

        start = here.read(VIP)

        assert here.transactions == [1]
        assert start.pack.label == "12345:1"
        assert start.overrides == {"surge": True}
        assert start.attributes == CallerAttributes(
            elderly=True,
            vip=True,
            repeat_caller=True,
            open_work_orders=(OpenWorkOrder(left.number, None), OpenWorkOrder(taken.number, "1001")),
        )

    def test_given_unknown_or_hidden_caller_then_one_transaction_and_no_attributes(
        self, seeded: sessionmaker[Session]
    ) -> None:
        here = node(seeded)
        assert here.read(STRANGER).attributes == CallerAttributes()
        assert here.read("").attributes == CallerAttributes()
        assert here.transactions == [1, 1]

    def test_given_this_call_and_an_old_one_then_caller_is_not_a_repeat_caller(
        self, seeded: sessionmaker[Session]
    ) -> None:
        for call_id, days in (("this-call", 0), ("old", 8)):
            calls_repo.record_call_started(
                seeded,
                call_id=call_id,
                caller=REPEAT,
                channel="",
                dialed="12345",
                at=NOW - timedelta(days=days),
            )
        here = node(seeded)
        assert not here.read(REPEAT, call_id="this-call").attributes.repeat_caller
        assert here.read(REPEAT, call_id="next-call").attributes.repeat_caller

    def test_given_many_orders_then_open_ones_among_the_20_newest_as_the_order_list_gives_them(
        self, seeded: sessionmaker[Session]
    ) -> None:
        for i in range(24):
            closed = i % 5 == 0
            tickets_repo.create_work_order(
                seeded,
                order=order(number=VIP, category=Category.CONSULT, answered_directly=closed),
                created_by=INTAKE_USER if i % 3 == 0 else f"10{i:02d}",
                now=NOW + timedelta(seconds=i),
            )
        listed = tickets_repo.list_work_orders(seeded, caller_number=VIP, limit=20)
        expected = tuple(
            OpenWorkOrder(o.number, None if o.created_by == INTAKE_USER else o.created_by)
            for o in listed
            if o.status not in {Status.CLOSED, Status.MERGED}
        )
        found = node(seeded).read(VIP).attributes.open_work_orders
        assert found == expected
        assert 0 < len(found) < 20

    def test_given_publish_rollback_and_switch_on_another_node_then_next_call_here_sees_each(
        self, seeded: sessionmaker[Session]
    ) -> None:
        here, there = node(seeded), FlowCatalog(sessions=seeded)
        assert here.read(VIP).pack.label == "12345:1"
        draft = there.create_draft(source=None, base=None, author="admin", note="v2")
        there.publish(draft.version, by="admin")
        assert here.read(VIP).pack.label == "12345:2"
        there.rollback(to=None, by="admin")
        assert here.read(VIP).pack.label == "12345:1"
        there.set_flag("emergency_announcement", True)
        start = here.read(VIP)
        assert start.overrides == {"emergency_announcement": True}
        assert start.flags() == {"emergency_announcement": True}
        there.set_flag("emergency_announcement", None)
        assert here.read(VIP).overrides == {}
        assert here.transactions == [1] * 5

    def test_given_a_switch_the_live_flow_does_not_declare_then_the_call_does_not_get_it(
        self, seeded: sessionmaker[Session]
    ) -> None:
        flow_store.set_flag_override(seeded, pack_id="12345", flag="gone_from_the_flow", value=True)
        start = node(seeded).read(VIP)
        assert start.overrides == {"gone_from_the_flow": True}
        assert start.flags() == {}

    def test_given_an_unreadable_database_then_the_read_raises(self, seeded: sessionmaker[Session]) -> None:
        with seeded.begin() as s:
            s.execute(text("DROP TABLE ivr_flag_overrides"))
        with pytest.raises(SQLAlchemyError):
            node(seeded).read(VIP)
