"""SMS notifications: templates, who may get which message, masking, and the outbox gateway on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import make_engine, migrate, session_factory
from tickets.errors import TicketValidationError
from tickets.notify import TEMPLATES, Notifier, citizen_number, render, when
from tickets.rows import Caller, DepartmentAssignment, FiveElements, WorkOrderRow
from tickets.sms import OutboxGateway
from tickets.vocab import (
    Category,
    Channel,
    ContactPreference,
    DepartmentRole,
    SpecialGroup,
    Status,
    Urgency,
)

pytestmark = pytest.mark.timeout(60)
AT = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)


def order(**caller: object) -> WorkOrderRow:
    who = {
        "name": "王女士",
        "number": "13800138000",
        "contact_preference": ContactPreference.ANY,
        "special_group": SpecialGroup.NONE,
        "confidential": False,
    } | caller
    return WorkOrderRow(
        id=1,
        number="12345-20261206-000001",
        call_id=None,
        caller=Caller(**who),  # type: ignore[arg-type]
        channel=Channel.PHONE,
        category=Category.COMPLAINT,
        matter="餐馆油烟扰民，每晚排风直排到居民楼的窗户里",
        matter_code=None,
        content="楼下餐馆油烟扰民",
        elements=FiveElements(),
        address="幸福路8号",
        urgency=Urgency.NORMAL,
        status=Status.DISPATCHED,
        answered_directly=False,
        answer_article_id=None,
        departments=(
            DepartmentAssignment(department="sthjj", role=DepartmentRole.MAIN, assigned_at=AT),
            DepartmentAssignment(department="cgj", role=DepartmentRole.ASSIST, assigned_at=AT),
        ),
        linked_numbers=(),
        sign_due=AT,
        handle_due=DUE,
        reply_due=DUE,
        created_by="1001",
        created_at=AT,
        updated_at=AT,
        dispatched_at=AT,
        closed_at=None,
    )


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'sms.db'}"
    migrate(url)
    engine = make_engine(url)
    yield session_factory(engine)
    engine.dispose()


def test_given_each_kind_then_chinese_text_with_signature_and_number_never_the_content() -> None:
    row = order()
    for kind in TEMPLATES:
        text = render(kind, row)
        assert text.startswith("【12345热线】"), kind
        assert row.number in text, kind
        assert "楼下餐馆油烟扰民" not in text, kind
        assert len(text) <= 140, kind


def test_given_dispatch_text_then_times_in_china_matter_shortened_and_number_masked() -> None:
    text = render("dispatched", order())
    assert "12月6日10:00前签收" in text
    assert "12月8日17:30前答复" in text
    assert "（餐馆油烟扰民，每晚排风直排到居民楼的窗…）" in text
    assert "来电人138****8000。" in text
    assert "13800138000" not in text


def test_given_confidential_order_then_department_text_has_no_number_at_all() -> None:
    text = render("dispatched", order(confidential=True))
    assert "来电人" not in text
    assert "8000" not in text


def test_given_no_time_then_said_as_soon_as_possible() -> None:
    assert when(None) == "尽快"


@pytest.mark.parametrize(
    ("number", "preference", "gets"),
    [
        ("13800138000", ContactPreference.ANY, True),
        ("13800138000", ContactPreference.SMS_ONLY, True),
        ("13800138000", ContactPreference.PHONE_ONLY, False),
        ("13800138000", ContactPreference.NO_CONTACT, False),
        ("02566668888", ContactPreference.ANY, False),
        ("", ContactPreference.ANY, False),
        ("1380013800", ContactPreference.ANY, False),
    ],
)
def test_given_caller_then_sms_only_to_a_mobile_that_wants_it(
    number: str, preference: ContactPreference, gets: bool
) -> None:
    caller = order(number=number, contact_preference=preference).caller
    assert (citizen_number(caller) is not None) is gets


def test_given_outbox_gateway_when_sent_then_stored_rows_newest_first_and_filtered(
    sessions: sessionmaker[Session],
) -> None:
    gateway = OutboxGateway(sessions, clock=lambda: AT)
    first = gateway.send("13800138000", "甲", kind="order_received", order_number="12345-20261206-000001")
    second = gateway.send("13900139000", "乙", kind="replied", order_number="12345-20261206-000002")
    assert int(second) > int(first)
    rows = gateway.outbox()
    assert [(r.id, r.to, r.text, r.status, r.created_at) for r in rows] == [
        (int(second), "13900139000", "乙", "stored", AT),
        (int(first), "13800138000", "甲", "stored", AT),
    ]
    assert [r.id for r in gateway.outbox(order_number="12345-20261206-000001")] == [int(first)]
    assert [r.id for r in gateway.outbox(before_id=int(second))] == [int(first)]
    assert len(gateway.outbox(limit=1)) == 1


@pytest.mark.parametrize(
    ("number", "text"), [("", "x"), ("1" * 33, "x"), ("13800138000", ""), ("1", "x" * 501)]
)
def test_given_bad_message_then_refused_and_nothing_stored(
    sessions: sessionmaker[Session], number: str, text: str
) -> None:
    gateway = OutboxGateway(sessions)
    with pytest.raises(TicketValidationError):
        gateway.send(number, text)
    assert gateway.outbox() == []


def test_given_notifier_then_citizen_and_department_messages_go_where_they_may(
    sessions: sessionmaker[Session],
) -> None:
    gateway = OutboxGateway(sessions, clock=lambda: AT)
    contacts = {"sthjj": ("13700000001", "13700000002"), "cgj": ("13700000009",)}
    notifier = Notifier(gateway, contacts=lambda code: contacts.get(code, ()))
    row = order()
    assert len(notifier.order_received(row)) == 1
    assert len(notifier.dispatched(row)) == 2, "the main department's numbers, not the assisting one's"
    assert len(notifier.due_soon(row)) == 2
    assert (
        notifier.replied(
            replace(row, caller=replace(row.caller, contact_preference=ContactPreference.NO_CONTACT))
        )
        == []
    )
    sent = [(r.to, r.kind) for r in reversed(gateway.outbox())]
    assert sent == [
        ("13800138000", "order_received"),
        ("13700000001", "dispatched"),
        ("13700000002", "dispatched"),
        ("13700000001", "due_soon"),
        ("13700000002", "due_soon"),
    ]
    assert Notifier(gateway).dispatched(row) == [], "no department numbers by default"


class BrokenGateway:
    def send(self, number: str, text: str, *, kind: str = "", order_number: str | None = None) -> str:
        raise OSError("vendor unreachable")


def test_given_gateway_failing_then_logged_and_never_raised(caplog: pytest.LogCaptureFixture) -> None:
    assert Notifier(BrokenGateway()).order_received(order()) == []
    assert "not sent" in caplog.text
