"""Orders ready for a revisit (回访), for the revisit tests: created, dispatched, signed and replied."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from tests.tickets_contract import order
from tickets import repository as repo
from tickets.loop import OrderLoop
from tickets.rows import Caller
from tickets.service import TicketService
from tickets.vocab import ContactPreference, SpecialGroup


def new_order(
    sm: sessionmaker[Session],
    caller: str,
    *,
    at: datetime,
    name: str = "王女士",
    preference: ContactPreference = ContactPreference.ANY,
    group: SpecialGroup = SpecialGroup.NONE,
    confidential: bool = False,
) -> str:
    """A complaint from ``caller`` at intake; its number."""
    who = Caller(
        name=name,
        number=caller,
        contact_preference=preference,
        special_group=group,
        confidential=confidential,
    )
    return repo.create_work_order(
        sm, order=replace(order(number=caller), caller=who), created_by="a1", now=at
    ).number


def replied_order(
    sm: sessionmaker[Session],
    caller: str,
    *,
    at: datetime,
    merge: tuple[str, ...] = (),
    **caller_fields: object,
) -> str:
    """A complaint from ``caller`` dispatched to 生态环境局 at ``at``, signed an hour later, replied to at
    ``at`` + 2 hours; ``merge``: callers whose own orders are merged into it first. Its number."""
    loop = OrderLoop(sm)
    number = new_order(sm, caller, at=at, **caller_fields)  # type: ignore[arg-type]
    others = [new_order(sm, c, at=at, name="李先生") for c in merge]
    if others:
        loop.merge(number, others, actor="a1", now=at)
    TicketService(sm).dispatch(number, main="sthjj", actor="a1", now=at)
    loop.sign(number, department="sthjj", actor="d1", now=at + timedelta(hours=1))
    loop.reply(
        number,
        department="sthjj",
        text="已责令整改，油烟净化器已安装",
        actor="d1",
        now=at + timedelta(hours=2),
    )
    return number


def events(sm: sessionmaker[Session], number: str) -> list[str]:
    """The order's history events, oldest first."""
    return [h.event for h in repo.work_order_history(sm, number=number)]
