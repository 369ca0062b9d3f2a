"""The citizen's receipt SMS for a new order (受理回执), sent even when the node that took the order in dies
before texting, and sent once.

The create of an order that gets a receipt (taken in on the desk or the public page) writes a pending
``sms_notices`` row (kind ``order_received``, ref 0, ``messages`` -1) in the order's own transaction. The
route that took the order in sends right after the commit; the order-notice job
(``tickets.order_notices``) sends the receipts still pending ``GRACE`` after the order was taken in (the
node died between the commit and the text, or the route's send never ran). Either takes the row by
setting ``messages`` from -1 to 0 in one UPDATE, so of the route and the jobs on every node exactly one
sends; the number of messages sent is written after it (at most once: a crash between the take and the
send loses that receipt, as for the other notices). ``tickets.notify`` decides whether the citizen may
get SMS at all: a receipt for a number that may not get one is taken and sends nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import writing
from tickets.notify import Notifier
from tickets.order_notice_models import SmsNotice
from tickets.rows import WorkOrderRow

log = logging.getLogger(__name__)

KIND = "order_received"
REF = 0
PENDING = -1
GRACE = timedelta(seconds=30)
"""How long the job leaves a pending receipt to the route that took the order in."""
BATCH = 200


def add_pending(s: Session, order_id: int, at: datetime) -> None:
    """In the order's create transaction: its receipt is due."""
    s.add(SmsNotice(order_id=order_id, kind=KIND, ref=REF, messages=PENDING, at=at))


def take(sm: sessionmaker[Session], order_id: int) -> bool:
    """Whether this caller took the order's pending receipt (nobody else will send it)."""
    with writing(sm) as s:
        taken = s.execute(
            update(SmsNotice)
            .where(
                SmsNotice.order_id == order_id,
                SmsNotice.kind == KIND,
                SmsNotice.ref == REF,
                SmsNotice.messages == PENDING,
            )
            .values(messages=0)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(taken, "rowcount", 0) == 1)


def _sent(sm: sessionmaker[Session], order_id: int, messages: int) -> None:
    with writing(sm) as s:
        notice = s.get(SmsNotice, (order_id, KIND, REF))
        if notice is not None:
            notice.messages = messages


def send(sm: sessionmaker[Session], notifier: Notifier, row: WorkOrderRow) -> list[str]:
    """Send the receipt of ``row`` if it is pending and this caller takes it; the message ids. A
    database that fails here is logged, never raised: the order is taken in, and a receipt not taken
    stays pending for the job."""
    try:
        if not take(sm, row.id):
            return []
    except SQLAlchemyError as exc:
        log.warning("receipt of %s left to the notice job: %s", row.number, exc)
        return []
    ids = notifier.order_received(row)
    try:
        _sent(sm, row.id, len(ids))
    except SQLAlchemyError as exc:
        log.warning("receipt of %s sent, its count not written: %s", row.number, exc)
    return ids


def overdue(sm: sessionmaker[Session], now: datetime) -> list[int]:
    """The orders whose receipt has been pending longer than ``GRACE``, oldest first."""
    query = (
        select(SmsNotice.order_id)
        .where(SmsNotice.kind == KIND, SmsNotice.messages == PENDING, SmsNotice.at <= now - GRACE)
        .order_by(SmsNotice.at)
        .limit(BATCH)
    )
    with sm() as s:
        return list(s.scalars(query))
