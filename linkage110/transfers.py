"""110 → 12345: a non-police matter becomes an order with channel ``110``, once per idempotency key.

The transfer is claimed first (a row under the unique key), then the order is made, then the claim is
completed with the order number and the acknowledgement. A repeated delivery finds the claim: a
completed one answers the stored acknowledgement; one still being made answers
``transfer_in_progress`` (409, 110 retries); a claim left unfinished longer than ``STALE`` (its process
died before making the order) is taken over. An order that cannot be made drops its claim.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import writing
from linkage110.models import TransferIn as TransferRow
from linkage110.schemas import TransferAck, TransferIn
from tickets import order_steps as steps
from tickets.rows import Caller, FiveElements, NewWorkOrder, WorkOrderRow
from tickets.vocab import Channel, ContactPreference, SpecialGroup, Status

__all__ = ["STALE", "TRANSFER_EVENT", "TransferInProgress", "new_order", "receive_transfer"]

STALE = timedelta(minutes=2)
CREATED_BY = "110"
TRANSFER_EVENT = "transferred_from_110"
Sessions = sessionmaker[Session]


class TransferInProgress(Exception):
    """The same transfer is being applied by another request right now."""


def new_order(transfer: TransferIn) -> NewWorkOrder:
    """The order a transfer becomes."""
    e = transfer.elements
    return NewWorkOrder(
        caller=Caller(
            name=transfer.caller.name,
            number=transfer.caller.number,
            contact_preference=ContactPreference.ANY,
            special_group=SpecialGroup.NONE,
            confidential=False,
        ),
        channel=Channel.POLICE_110,
        category=transfer.category,
        matter=transfer.matter,
        content=transfer.content,
        elements=FiveElements(
            who=e.who, when=e.when, where=e.where or transfer.address, what=e.what, how=e.how
        ),
        address=transfer.address,
        urgency=transfer.urgency,
    )


def _claim(sm: Sessions, transfer: TransferIn, now: datetime) -> TransferAck | None:
    """Claim the key (None) or answer the stored acknowledgement of an earlier delivery."""
    try:
        with writing(sm) as s:
            s.add(
                TransferRow(
                    idempotency_key=transfer.idempotency_key,
                    reference=transfer.reference,
                    order_number=None,
                    acknowledgement=None,
                    received_at=now,
                )
            )
        return None
    except IntegrityError:
        pass
    with writing(sm) as s:
        row = s.scalars(
            select(TransferRow).where(TransferRow.idempotency_key == transfer.idempotency_key)
        ).one()
        if row.acknowledgement is not None:
            return TransferAck.model_validate(row.acknowledgement)
        taken = s.execute(
            update(TransferRow)
            .where(
                TransferRow.id == row.id,
                TransferRow.order_number.is_(None),
                TransferRow.received_at < now - STALE,
            )
            .values(received_at=now)
        )
        if getattr(taken, "rowcount", 0) != 1:
            raise TransferInProgress(transfer.idempotency_key)
        return None


def receive_transfer(
    sm: Sessions, transfer: TransferIn, *, create: Callable[[NewWorkOrder], WorkOrderRow], now: datetime
) -> tuple[TransferAck, bool]:
    """Apply ``transfer`` once; ``(acknowledgement, applied now)``.

    ``create`` makes the order (``TicketService.create``); what it raises drops the claim and goes up.
    """
    earlier = _claim(sm, transfer, now)
    if earlier is not None:
        return earlier, False
    key = transfer.idempotency_key
    try:
        order = create(new_order(transfer))
    except BaseException:
        with writing(sm) as s:
            s.execute(
                delete(TransferRow).where(
                    TransferRow.idempotency_key == key, TransferRow.order_number.is_(None)
                )
            )
        raise
    ack = TransferAck(
        idempotency_key=key, reference=transfer.reference, order_number=order.number, received_at=now
    )
    with writing(sm) as s:
        s.execute(
            update(TransferRow)
            .where(TransferRow.idempotency_key == key)
            .values(order_number=order.number, acknowledgement=ack.model_dump(mode="json"))
        )
        wo = steps.locked(s, order.number)
        detail: dict[str, object] = {"idempotency_key": key, "reference": transfer.reference}
        steps.log_event(
            s, wo, event=TRANSFER_EVENT, before=Status(wo.status), actor=CREATED_BY, at=now, detail=detail
        )
    return ack, True
