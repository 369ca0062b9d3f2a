"""Data access for revisits: the citizens of replied orders and their attempts; one transaction per call.

A replied order's citizens are its own caller and the callers of the orders merged into it (orders in
``merged`` with a ``merged`` link to it, ``tickets.loop_store``). The attempts of the current round are
those started since the order's latest ``reply`` history entry. Rows leave as immutable dataclasses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, sessionmaker

from hotline.db.engine import WRITE_OPTION
from tickets.loop_store import MERGED_LINK
from tickets.models import WorkOrder, WorkOrderHistory, WorkOrderLink
from tickets.revisit_models import RevisitAttempt
from tickets.vocab import ContactPreference, Event, SpecialGroup, Status

Sessions = sessionmaker[Session]
AFTER_REPLY = (Status.CALLBACK_DONE.value, Status.EVALUATED.value, Status.CLOSED.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptRow:
    """One stored attempt."""

    id: int
    main_number: str
    order_number: str
    number: str
    seq: int
    via: str
    outcome: str
    started_at: datetime
    ended_at: datetime | None
    solved: bool | None
    satisfaction: str | None
    note: str
    actor: str
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CitizenTarget:
    """One citizen to revisit for a replied order, with this round's attempts."""

    main_id: int
    main_number: str
    order_id: int
    order_number: str
    caller_name: str
    caller_number: str
    confidential: bool
    contact_preference: ContactPreference
    special_group: SpecialGroup
    matter: str
    main_status: Status
    ready_at: datetime
    last_seq: int
    attempts: tuple[AttemptRow, ...]

    @property
    def merged(self) -> bool:
        """Whether this citizen's order was merged into the replied one."""
        return self.order_id != self.main_id


@contextmanager
def _writing(sm: Sessions) -> Iterator[Session]:
    with sm.begin() as session:
        session.connection(execution_options={WRITE_OPTION: True})
        yield session


def _attempt_rows(s: Session, where: object) -> list[AttemptRow]:
    main, target = aliased(WorkOrder), aliased(WorkOrder)
    query = (
        select(RevisitAttempt, main.number, target.number)
        .join(main, main.id == RevisitAttempt.main_order_id)
        .join(target, target.id == RevisitAttempt.order_id)
        .where(where)  # type: ignore[arg-type]
        .order_by(RevisitAttempt.started_at, RevisitAttempt.id)
    )
    return [
        AttemptRow(
            id=a.id,
            main_number=main_number,
            order_number=order_number,
            number=a.number,
            seq=a.seq,
            via=a.via,
            outcome=a.outcome,
            started_at=a.started_at,
            ended_at=a.ended_at,
            solved=a.solved,
            satisfaction=a.satisfaction,
            note=a.note,
            actor=a.actor,
            detail=a.detail,
        )
        for a, main_number, order_number in s.execute(query)
    ]


def _replied_at(s: Session, orders: list[WorkOrder]) -> dict[int, datetime]:
    query = (
        select(WorkOrderHistory.order_id, func.max(WorkOrderHistory.at))
        .where(WorkOrderHistory.order_id.in_([o.id for o in orders]))
        .where(WorkOrderHistory.event == Event.REPLY.value)
        .group_by(WorkOrderHistory.order_id)
    )
    found: dict[int, datetime] = {order_id: at for order_id, at in s.execute(query)}
    return {o.id: found.get(o.id) or o.updated_at for o in orders}


def _merged_into(s: Session, ids: list[int]) -> dict[int, list[WorkOrder]]:
    query = (
        select(WorkOrderLink.linked_id, WorkOrder)
        .join(WorkOrder, WorkOrder.id == WorkOrderLink.order_id)
        .where(WorkOrderLink.linked_id.in_(ids), WorkOrderLink.kind == MERGED_LINK)
        .where(WorkOrder.status == Status.MERGED.value)
        .order_by(WorkOrder.created_at, WorkOrder.id)
    )
    out: dict[int, list[WorkOrder]] = defaultdict(list)
    for main_id, merged in s.execute(query):
        out[main_id].append(merged)
    return out


def _last_seqs(s: Session, ids: list[int]) -> dict[int, int]:
    query = (
        select(RevisitAttempt.order_id, func.max(RevisitAttempt.seq))
        .where(RevisitAttempt.order_id.in_(ids))
        .group_by(RevisitAttempt.order_id)
    )
    return {order_id: int(last) for order_id, last in s.execute(query)}


def _target(
    main: WorkOrder, order: WorkOrder, *, ready_at: datetime, last_seq: int, attempts: list[AttemptRow]
) -> CitizenTarget:
    return CitizenTarget(
        main_id=main.id,
        main_number=main.number,
        order_id=order.id,
        order_number=order.number,
        caller_name=order.caller_name,
        caller_number=order.caller_number,
        confidential=order.confidential or main.confidential,
        contact_preference=ContactPreference(order.contact_preference),
        special_group=SpecialGroup(order.special_group),
        matter=main.matter,
        main_status=Status(main.status),
        ready_at=ready_at,
        last_seq=last_seq,
        attempts=tuple(a for a in attempts if a.order_number == order.number and a.started_at >= ready_at),
    )


def _phoned(order: type[WorkOrder]) -> ColumnElement[bool]:
    """SQL: the citizen may be called automatically (``revisit_rules.dialled_automatically``)."""
    wanted = (ContactPreference.ANY.value, ContactPreference.PHONE_ONLY.value)
    return and_(order.contact_preference.in_(wanted), order.special_group == SpecialGroup.NONE.value)


def _mains(
    s: Session, *, limit: int, number: str | None, merged_since: datetime | None, phoned_only: bool
) -> list[WorkOrder]:
    if number is not None:
        wanted = (Status.REPLIED.value, *AFTER_REPLY)
        return list(
            s.scalars(select(WorkOrder).where(WorkOrder.number == number, WorkOrder.status.in_(wanted)))
        )
    merged = aliased(WorkOrder)
    replied = select(WorkOrder).where(WorkOrder.status == Status.REPLIED.value)
    if phoned_only:
        has_merged = exists().where(
            WorkOrderLink.linked_id == WorkOrder.id, WorkOrderLink.kind == MERGED_LINK
        )
        replied = replied.where(or_(_phoned(WorkOrder), has_merged))
    mains = list(s.scalars(replied.order_by(WorkOrder.updated_at, WorkOrder.id).limit(limit)))
    if merged_since is None:
        return mains
    moved_on = (
        select(WorkOrder)
        .join(WorkOrderLink, WorkOrderLink.linked_id == WorkOrder.id)
        .join(merged, merged.id == WorkOrderLink.order_id)
        .where(WorkOrderLink.kind == MERGED_LINK, merged.status == Status.MERGED.value)
        .where(WorkOrder.status.in_(AFTER_REPLY), WorkOrder.updated_at >= merged_since)
    )
    if phoned_only:
        moved_on = moved_on.where(_phoned(merged))
    ordered = moved_on.distinct().order_by(WorkOrder.updated_at, WorkOrder.id).limit(limit)
    return mains + list(s.scalars(ordered))


def replied_targets(
    sm: Sessions,
    *,
    limit: int = 500,
    number: str | None = None,
    merged_since: datetime | None = None,
    phoned_only: bool = False,
) -> list[CitizenTarget]:
    """The citizens to revisit: of replied orders (oldest reply first) their own caller and the callers
    of orders merged into them; with ``merged_since``, also the callers of orders merged into an order
    that has moved on past the revisit since then (its own citizen was reached first). ``number``: the
    citizens of that order only, whatever it has moved on to. ``phoned_only`` leaves out orders with no
    citizen the centre may call by itself, so agents' hand-revisit backlog never crowds the scheduler's
    ``limit``; an order that recorded a failed call moves to the back (its ``updated_at`` changes)."""
    with sm() as s:
        mains = _mains(s, limit=limit, number=number, merged_since=merged_since, phoned_only=phoned_only)
        if not mains:
            return []
        ids = [m.id for m in mains]
        ready = _replied_at(s, mains)
        merged = _merged_into(s, ids)
        by_main: dict[str, list[AttemptRow]] = defaultdict(list)
        for a in _attempt_rows(s, RevisitAttempt.main_order_id.in_(ids)):
            by_main[a.main_number].append(a)
        seqs = _last_seqs(s, ids + [m.id for ms in merged.values() for m in ms])
        targets: list[CitizenTarget] = []
        for main in mains:
            own = [main] if main.status == Status.REPLIED.value else []
            for order in (*own, *merged.get(main.id, [])):
                found = by_main[main.number]
                targets.append(
                    _target(
                        main, order, ready_at=ready[main.id], last_seq=seqs.get(order.id, 0), attempts=found
                    )
                )
        return targets


def claim(
    sm: Sessions,
    *,
    target: CitizenTarget,
    seq: int | None,
    via: str,
    outcome: str,
    actor: str,
    now: datetime,
    solved: bool | None = None,
    satisfaction: str | None = None,
    note: str = "",
) -> AttemptRow | None:
    """Store a new attempt numbered ``seq`` (the next free one when None); None when another scheduler
    took that number first. An attempt stored with a final outcome is ended at ``now``."""
    try:
        with _writing(sm) as s:
            if seq is None:
                last = s.scalar(
                    select(func.max(RevisitAttempt.seq)).where(RevisitAttempt.order_id == target.order_id)
                )
                seq = (last or 0) + 1
            row = RevisitAttempt(
                order_id=target.order_id,
                main_order_id=target.main_id,
                number=target.caller_number,
                seq=seq,
                via=via,
                outcome=outcome,
                started_at=now,
                ended_at=None if outcome in ("calling", "answered") else now,
                solved=solved,
                satisfaction=satisfaction,
                note=note,
                actor=actor,
                detail="",
            )
            s.add(row)
            s.flush()
            new_id = row.id
    except IntegrityError:
        return None
    return get_attempt(sm, new_id)


def get_attempt(sm: Sessions, attempt_id: int) -> AttemptRow | None:
    """One attempt by id."""
    with sm() as s:
        found = _attempt_rows(s, RevisitAttempt.id == attempt_id)
    return found[0] if found else None


def finish(
    sm: Sessions,
    attempt_id: int,
    *,
    outcome: str,
    now: datetime,
    from_outcomes: tuple[str, ...] = ("calling", "answered"),
    solved: bool | None = None,
    satisfaction: str | None = None,
    detail: str = "",
) -> AttemptRow | None:
    """Move an attempt still in ``from_outcomes`` to ``outcome``; None when it had already moved on
    (a late or repeated event changes nothing)."""
    final = outcome not in ("calling", "answered")
    with _writing(sm) as s:
        changed = s.execute(
            update(RevisitAttempt)
            .where(RevisitAttempt.id == attempt_id, RevisitAttempt.outcome.in_(from_outcomes))
            .values(
                outcome=outcome,
                ended_at=now if final else None,
                solved=solved,
                satisfaction=satisfaction,
                detail=detail[:200],
            )
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            return None
    return get_attempt(sm, attempt_id)


def attempts_of(sm: Sessions, main_number: str) -> list[AttemptRow]:
    """Every attempt made for replied order ``main_number`` (all rounds, its merged citizens too)."""
    with sm() as s:
        main_id = s.scalar(select(WorkOrder.id).where(WorkOrder.number == main_number))
        if main_id is None:
            return []
        return _attempt_rows(
            s, or_(RevisitAttempt.main_order_id == main_id, RevisitAttempt.order_id == main_id)
        )


def under_way(sm: Sessions) -> list[AttemptRow]:
    """Attempts still calling or answered (all nodes)."""
    with sm() as s:
        return _attempt_rows(s, RevisitAttempt.outcome.in_(("calling", "answered")))
