"""``OrderLoop`` refuses bad input before it opens a transaction (the session factory has no database:
reaching it would fail differently), with the error ids the HTTP layer passes on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import cast

import pytest
from sqlalchemy.orm import sessionmaker

from tickets.errors import TicketValidationError
from tickets.loop import MAX_ATTACHMENTS, OrderLoop, Via
from tickets.rows import AttachmentRef
from tickets.vocab import Satisfaction

NUMBER = "12345-20261123-000001"
LOOP = OrderLoop(sessionmaker())
SMS = cast(Via, "sms")
FILE = AttachmentRef(name="a.pdf", content_type="application/pdf", size=1, sha256="0" * 64, path="a")

CASES: list[tuple[str, Callable[[], object], str]] = [
    ("blank department", lambda: LOOP.sign(NUMBER, department=" ", actor="d"), "invalid_value"),
    ("long department", lambda: LOOP.sign(NUMBER, department="d" * 33, actor="d"), "invalid_value"),
    (
        "naive time",
        lambda: LOOP.sign(NUMBER, department="d", actor="d", now=datetime(2026, 1, 1)),
        "naive_datetime",
    ),
    (
        "blank reason",
        lambda: LOOP.return_order(NUMBER, department="d", reason="", actor="d"),
        "invalid_value",
    ),
    (
        "long reason",
        lambda: LOOP.return_order(NUMBER, department="d", reason="理" * 501, actor="d"),
        "invalid_value",
    ),
    (
        "NUL in reason",
        lambda: LOOP.return_order(NUMBER, department="d", reason="a\x00b", actor="d"),
        "invalid_value",
    ),
    (
        "zero days",
        lambda: LOOP.request_extension(NUMBER, department="d", working_days=0, reason="r", actor="d"),
        "extension_too_long",
    ),
    (
        "eleven days",
        lambda: LOOP.request_extension(NUMBER, department="d", working_days=11, reason="r", actor="d"),
        "extension_too_long",
    ),
    (
        "boolean days",
        lambda: LOOP.request_extension(NUMBER, department="d", working_days=True, reason="r", actor="d"),
        "extension_too_long",
    ),
    (
        "blank target",
        lambda: LOOP.hand_down(NUMBER, department="d", to_department="", actor="d"),
        "invalid_value",
    ),
    ("blank reply", lambda: LOOP.reply(NUMBER, department="d", text=" ", actor="d"), "invalid_value"),
    ("long reply", lambda: LOOP.reply(NUMBER, department="d", text="答" * 4001, actor="d"), "invalid_value"),
    (
        "too many files",
        lambda: LOOP.reply(
            NUMBER, department="d", text="t", attachments=[FILE] * (MAX_ATTACHMENTS + 1), actor="d"
        ),
        "invalid_value",
    ),
    (
        "unknown department",
        lambda: LOOP.redispatch(NUMBER, main="nowhere", actor="a"),
        "unknown_department",
    ),
    (
        "unknown assist",
        lambda: LOOP.redispatch(NUMBER, main="cgj", assist=["nowhere"], actor="a"),
        "unknown_department",
    ),
    (
        "unreached but rated",
        lambda: LOOP.record_revisit(
            NUMBER, reached=False, solved=None, satisfaction=Satisfaction.SATISFIED, via="phone", actor="a"
        ),
        "invalid_value",
    ),
    (
        "unreached but solved",
        lambda: LOOP.record_revisit(
            NUMBER, reached=False, solved=True, satisfaction=None, via="phone", actor="a"
        ),
        "invalid_value",
    ),
    (
        "unknown way",
        lambda: LOOP.record_revisit(NUMBER, reached=True, solved=True, satisfaction=None, via=SMS, actor="a"),
        "invalid_value",
    ),
    ("long note", lambda: LOOP.close(NUMBER, note="n" * 501, actor="a"), "invalid_value"),
    ("blank reopen reason", lambda: LOOP.reopen(NUMBER, reason="", actor="s"), "invalid_value"),
    ("nothing to merge", lambda: LOOP.merge(NUMBER, [], actor="a"), "invalid_value"),
    ("merge into itself", lambda: LOOP.merge(NUMBER, [NUMBER], actor="a"), "invalid_value"),
    (
        "too many to merge",
        lambda: LOOP.merge(NUMBER, [f"12345-20261123-{i:06d}" for i in range(2, 23)], actor="a"),
        "invalid_value",
    ),
    ("zero attempts", lambda: LOOP.close_unreachable(NUMBER, attempts=0, actor="a"), "invalid_value"),
]


@pytest.mark.parametrize(("case", "call", "error_id"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_422_before_any_database_work(
    case: str, call: Callable[[], object], error_id: str
) -> None:
    with pytest.raises(TicketValidationError) as caught:
        call()
    assert caught.value.error_id == error_id
    assert caught.value.status_code == 422
