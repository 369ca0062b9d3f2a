"""A receipt whose database fails at send time: the intake's request is not failed for it, nothing is
texted, and the receipt stays due for the notice job (tickets.receipts)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from hotline.db.engine import make_engine, migrate, session_factory
from tests.tickets_contract import order
from tickets import receipts
from tickets.notify import Notifier
from tickets.order_notice_models import SmsNotice
from tickets.service import TicketService
from tickets.sms import OutboxGateway

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_given_the_notices_table_failing_when_the_intake_sends_then_no_error_and_the_receipt_stays_due(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    migrate(url)
    engine = make_engine(url)
    sm = session_factory(engine)
    outbox = OutboxGateway(sm, clock=lambda: T0)
    row = TicketService(sm).create(order(), created_by="a1", now=T0, receipt=True)
    broken = make_engine(url)
    with broken.connect() as c:
        c.execute(text("ALTER TABLE sms_notices RENAME TO sms_notices_away"))
        c.commit()
    try:
        assert receipts.send(sm, Notifier(outbox), row) == []
        assert "left to the notice job" in caplog.text
    finally:
        with broken.connect() as c:
            c.execute(text("ALTER TABLE sms_notices_away RENAME TO sms_notices"))
            c.commit()
        broken.dispose()
    assert outbox.outbox(order_number=row.number) == []
    with sm() as s:
        notice = s.get(SmsNotice, (row.id, receipts.KIND, receipts.REF))
        assert notice is not None
        assert notice.messages == receipts.PENDING
    assert receipts.overdue(sm, T0 + receipts.GRACE) == [row.id]
    engine.dispose()
