"""Order creation that a client may retry: a create carrying the client's request key makes the order once.

The agent desktop makes a key when an order form is started and sends it with every save of that form,
so a save whose answer was lost (the app node died after the commit, the network dropped) can be sent
again, to any node, without a second order. The key is stored on the order (``work_orders.request_key``,
unique with ``created_by``): a create whose creator already used the key answers that order and writes
nothing. Keys of different creators never meet.

Two creates with the same key at the same moment (two app nodes) end with one order: each first looks
for the key in its write transaction; the one that loses the race to the unique index rolls back (which
also gives its order number back, see ``tickets.repository``) and reads the winner's order. On SQLite
the write transactions queue (``BEGIN IMMEDIATE``), so the second one already finds the key.

A replay is not compared with the first request: it answers the stored order as it is now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import writing
from tickets import repository as repo
from tickets.models import WorkOrder
from tickets.order_steps import as_utc
from tickets.rowmap import work_order_rows
from tickets.rows import NewWorkOrder, WorkOrderRow
from tickets.vocab import BEIJING

__all__ = ["REQUEST_KEY_PATTERN", "Intake", "create_once", "keyed_order"]

REQUEST_KEY_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
"""A request key: 16 to 64 letters, digits, ``_`` and ``-`` (a UUID's 36 characters fit)."""


@dataclass(frozen=True, slots=True)
class Intake:
    """The order a create answers, and whether this create made it (``False``: a replayed key)."""

    row: WorkOrderRow
    created: bool


def keyed_order(s: Session, *, created_by: str, request_key: str) -> WorkOrderRow | None:
    """The order ``created_by`` made with ``request_key``, or ``None``."""
    query = select(WorkOrder).where(WorkOrder.created_by == created_by, WorkOrder.request_key == request_key)
    wo = s.scalars(query).one_or_none()
    return None if wo is None else work_order_rows(s, [wo])[0]


def create_once(
    sm: sessionmaker[Session],
    *,
    order: NewWorkOrder,
    created_by: str,
    request_key: str | None,
    now: datetime | None = None,
    zone: tzinfo = BEIJING,
    prefix: str = repo.NUMBER_PREFIX,
    receipt: bool = False,
) -> Intake:
    """Create ``order`` as ``repository.create_work_order`` does, unless ``created_by`` already made an
    order with ``request_key``: then that order, with nothing written. Without a key, always a new order."""
    if request_key is None:
        row = repo.create_work_order(
            sm, order=order, created_by=created_by, now=now, zone=zone, prefix=prefix, receipt=receipt
        )
        return Intake(row, created=True)
    now = as_utc(now, "now")
    repo.check_new_order(order)
    try:
        with writing(sm) as s:
            found = keyed_order(s, created_by=created_by, request_key=request_key)
            if found is not None:
                return Intake(found, created=False)
            row = repo.add_work_order(
                s,
                order=order,
                created_by=created_by,
                now=now,
                zone=zone,
                prefix=prefix,
                request_key=request_key,
                receipt=receipt,
            )
            return Intake(row, created=True)
    except IntegrityError:
        with writing(sm) as s:  # on the writer, which has the other create's committed order
            found = keyed_order(s, created_by=created_by, request_key=request_key)
        if found is None:
            raise
        return Intake(found, created=False)
