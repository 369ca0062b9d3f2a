"""Revisit (回访) use cases: the work list, starting phone attempts, and landing their results on orders.

Synchronous and short, like ``tickets.service``: the HTTP routes, the FastAGI route and the scheduler
run each call in a worker thread. Attempts are stored here (``tickets.revisit_store``); what they mean
for the order goes through the order loop (``record_revisit``, ``close_unreachable``), which writes the
order's status and history. A citizen reached lands as ``record_revisit(reached=True, ...)``; every
attempt that did not reach them as ``record_revisit(reached=False)``; once the replied order's own
citizen used up their attempts the order is closed as unreachable (回访未果). Citizens of orders merged
into the replied one are revisited alike, their answers landing on their own (merged) orders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from sqlalchemy.orm import Session, sessionmaker

from hotline.dialing import NUMBER
from privacy.masking import mask_number
from tickets import revisit_store as store
from tickets.errors import (
    IllegalTransitionError,
    TicketError,
    TicketNotFoundError,
    TicketValidationError,
)
from tickets.revisit_rules import (
    COUNTED,
    AttemptFacts,
    Plan,
    RevisitPolicy,
    TargetState,
    dialled_automatically,
    is_stale,
    plan,
)
from tickets.revisit_store import AttemptRow, CitizenTarget
from tickets.rows import WorkOrderRow
from tickets.vocab import Satisfaction, Status

log = logging.getLogger(__name__)

Via = Literal["phone", "manual"]
IN_IVR = "in ivr"
"""The detail of an attempt whose call reached the revisit IVR."""
PHONE_ACTOR = "revisit-ivr"
"""The actor of history entries written by automatic revisit calls."""


class RevisitLoop(Protocol):
    """The two steps of the order loop (``tickets.loop.OrderLoop``) a revisit takes."""

    def record_revisit(
        self,
        number: str,
        *,
        reached: bool,
        solved: bool | None,
        satisfaction: Satisfaction | None,
        via: Via,
        note: str,
        actor: str,
        now: datetime | None = None,
    ) -> WorkOrderRow:
        """回访 (+ 评价 when a satisfaction is given)."""
        ...

    def close_unreachable(
        self, number: str, *, attempts: int, actor: str, now: datetime | None = None
    ) -> WorkOrderRow:
        """回访未果: close after the attempts."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkItem:
    """One line of the work list: a citizen, their revisit plan, and whether the centre dials them."""

    target: CitizenTarget
    plan: Plan
    auto: bool

    @property
    def masked_number(self) -> str:
        """The citizen's number as agents see it on the list."""
        return mask_number(self.target.caller_number)


def _facts(attempts: tuple[AttemptRow, ...]) -> list[AttemptFacts]:
    return [AttemptFacts(outcome=a.outcome, started_at=a.started_at, ended_at=a.ended_at) for a in attempts]


def _item(policy: RevisitPolicy, target: CitizenTarget) -> WorkItem:
    return WorkItem(
        target=target,
        plan=plan(policy, ready_at=target.ready_at, attempts=_facts(target.attempts)),
        auto=dialled_automatically(target.contact_preference, target.special_group)
        and NUMBER.fullmatch(target.caller_number) is not None,
    )


@dataclass(frozen=True, slots=True)
class RevisitService:
    """Revisits of one centre, built once per application."""

    sessions: sessionmaker[Session]
    loop: RevisitLoop
    policy: RevisitPolicy = field(default_factory=RevisitPolicy)

    def work_list(self, now: datetime, *, limit: int = 500, number: str | None = None) -> list[WorkItem]:
        """Every citizen of replied orders with their plan, oldest reply first, then the citizens of
        merged orders still to revisit whose main order has moved on (or the citizens of ``number``)."""
        since = now - self.policy.merged_lookback
        found = store.replied_targets(self.sessions, limit=limit, number=number, merged_since=since)
        items = [_item(self.policy, t) for t in found]
        if number is not None:
            return items
        return [i for i in items if i.target.main_status is Status.REPLIED or i.plan.state in _OPEN]

    def due(self, now: datetime, *, limit: int = 2000) -> list[WorkItem]:
        """Citizens the centre should call now, longest due first (among the ``limit`` replied orders
        least recently changed that have a citizen it may call)."""
        since = now - self.policy.merged_lookback
        found = store.replied_targets(self.sessions, limit=limit, merged_since=since, phoned_only=True)
        items = [_item(self.policy, t) for t in found]
        ready = [
            i
            for i in items
            if i.auto and i.plan.state is TargetState.PENDING and i.plan.next_at and i.plan.next_at <= now
        ]
        return sorted(ready, key=lambda i: (i.plan.next_at or now, i.target.order_id))

    def start_call(self, item: WorkItem, now: datetime) -> AttemptRow | None:
        """Claim the next attempt for a phone call; None if another scheduler claimed it first."""
        return store.claim(
            self.sessions,
            target=item.target,
            seq=item.target.last_seq + 1,
            via="phone",
            outcome="calling",
            actor=PHONE_ACTOR,
            now=now,
        )

    def answered(self, attempt_id: int, now: datetime, *, in_ivr: bool = False) -> AttemptRow | None:
        """The citizen picked up (``OriginateResponse``), or the revisit IVR started (``in_ivr``), which
        the sweep tells apart: a call given up in the IVR was the citizen's silence, one the IVR never
        took was the centre's failure. None for an unknown or finished attempt."""
        moved = store.finish(
            self.sessions,
            attempt_id,
            outcome="answered",
            now=now,
            from_outcomes=("calling", "answered") if in_ivr else ("calling",),
            detail=IN_IVR if in_ivr else "",
        )
        if moved is not None:
            return moved
        found = store.get_attempt(self.sessions, attempt_id)
        return found if found is not None and found.outcome == "answered" else None

    def phone_result(
        self, attempt_id: int, *, solved: bool | None, satisfaction: Satisfaction | None, now: datetime
    ) -> AttemptRow | None:
        """The revisit IVR ended: answers land on the order; without a single key it was not reached."""
        if solved is None and satisfaction is None:
            return self.not_reached(attempt_id, "no_keys", now)
        done = store.finish(
            self.sessions,
            attempt_id,
            outcome="reached",
            now=now,
            solved=solved,
            satisfaction=None if satisfaction is None else satisfaction.value,
        )
        if done is not None:
            self._land(
                done.order_number,
                reached=True,
                solved=solved,
                satisfaction=satisfaction,
                via="phone",
                note="电话回访（自动语音）",
                actor=PHONE_ACTOR,
                now=now,
            )
        return done

    def not_reached(
        self, attempt_id: int, outcome: str, now: datetime, detail: str = ""
    ) -> AttemptRow | None:
        """A phone attempt ended without reaching the citizen (``no_answer``, ``busy``, ``no_keys``,
        ``failed``); a counted one is recorded on the order, the last one closes it as unreachable."""
        done = store.finish(self.sessions, attempt_id, outcome=outcome, now=now, detail=detail)
        if done is not None and outcome in COUNTED:
            self._land(
                done.order_number,
                reached=False,
                solved=None,
                satisfaction=None,
                via="phone",
                note=_OUTCOME_NOTES[outcome],
                actor=PHONE_ACTOR,
                now=now,
            )
            self._close_if_unreachable(done.main_number, now=now, actor=PHONE_ACTOR)
        return done

    def manual(
        self,
        main_number: str,
        order_number: str,
        *,
        reached: bool,
        solved: bool | None,
        satisfaction: Satisfaction | None,
        note: str,
        actor: str,
        now: datetime,
    ) -> AttemptRow:
        """An agent's revisit by hand; the order loop is told first, so a refusal stores nothing."""
        item = self._item_of(main_number, order_number, now)
        if item.plan.state in (TargetState.REACHED, TargetState.UNREACHABLE):
            raise TicketValidationError(
                "revisit_finished",
                f"the citizen of {order_number} has already been revisited in this round",
                number=order_number,
                state=item.plan.state.value,
            )
        if item.plan.state is TargetState.CALLING:
            raise IllegalTransitionError(
                "revisit_in_progress",
                f"the centre is calling the citizen of {order_number} right now",
                number=order_number,
            )
        if not reached and (solved is not None or satisfaction is not None):
            raise TicketValidationError(
                "invalid_value", "answers are only given when the citizen was reached", field="reached"
            )
        self.loop.record_revisit(
            order_number,
            reached=reached,
            solved=solved,
            satisfaction=satisfaction,
            via="manual",
            note=note,
            actor=actor,
            now=now,
        )
        stored = store.claim(
            self.sessions,
            target=item.target,
            seq=None,
            via="manual",
            outcome="reached" if reached else "no_answer",
            actor=actor,
            now=now,
            solved=solved,
            satisfaction=None if satisfaction is None else satisfaction.value,
            note=note,
        )
        if stored is None:  # seq=None takes the next free number inside the transaction
            raise RuntimeError("manual revisit attempt not stored")
        if not reached:
            self._close_if_unreachable(main_number, now=now, actor=actor)
        return stored

    def history(self, main_number: str) -> list[AttemptRow]:
        """Every attempt for order ``main_number`` and its merged citizens, oldest first."""
        return store.attempts_of(self.sessions, main_number)

    def sweep(self, now: datetime) -> int:
        """Give up attempts that outlived ``stale_after`` and close orders whose citizen is unreachable
        but still open (a crash between the two writes); how many attempts were given up."""
        given_up = 0
        for attempt in store.under_way(self.sessions):
            facts = AttemptFacts(outcome=attempt.outcome, started_at=attempt.started_at, ended_at=None)
            if is_stale(self.policy, facts, now):
                outcome = "no_keys" if attempt.detail == IN_IVR else "failed"
                if self.not_reached(attempt.id, outcome, now, detail="gave up: no result in time"):
                    given_up += 1
        for item in self.work_list(now):
            if item.plan.state is TargetState.UNREACHABLE and not item.target.merged:
                self._close_if_unreachable(item.target.main_number, now=now, actor=PHONE_ACTOR)
        return given_up

    def _item_of(self, main_number: str, order_number: str, now: datetime) -> WorkItem:
        for item in self.work_list(now, number=main_number):
            if item.target.order_number == order_number:
                return item
        raise TicketNotFoundError(
            "revisit_not_found",
            f"order {main_number} has no citizen {order_number} waiting for a revisit",
            number=main_number,
            citizen=order_number,
        )

    def _close_if_unreachable(self, main_number: str, *, now: datetime, actor: str) -> None:
        for item in self.work_list(now, number=main_number):
            if item.target.merged or item.plan.state is not TargetState.UNREACHABLE:
                continue
            try:
                self.loop.close_unreachable(main_number, attempts=item.plan.failed, actor=actor, now=now)
            except TicketError as exc:
                log.warning("revisit: order %s not closed as unreachable: %s", main_number, exc)

    def _land(
        self,
        number: str,
        *,
        reached: bool,
        solved: bool | None,
        satisfaction: Satisfaction | None,
        via: Via,
        note: str,
        actor: str,
        now: datetime,
    ) -> None:
        try:
            self.loop.record_revisit(
                number,
                reached=reached,
                solved=solved,
                satisfaction=satisfaction,
                via=via,
                note=note,
                actor=actor,
                now=now,
            )
        except TicketError as exc:  # the order moved on meanwhile (closed by hand): the attempt stays
            log.warning("revisit of %s not recorded on the order: %s", number, exc)


_OPEN = frozenset({TargetState.PENDING, TargetState.CALLING})
_OUTCOME_NOTES = {
    "no_answer": "电话回访未接听",
    "busy": "电话回访占线",
    "no_keys": "电话回访接通但未按键",
}
