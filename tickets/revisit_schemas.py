"""Wire shapes of the revisit routes (``tickets.revisit_api``): the work list, attempts, a manual result."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints, model_validator

from tickets.revisit import WorkItem
from tickets.revisit_rules import RevisitPolicy
from tickets.revisit_store import AttemptRow
from tickets.schemas import NUMBER_PATTERN, Labelled, _In
from tickets.vocab import Satisfaction

OUTCOME_LABELS = {
    "calling": "呼叫中",
    "answered": "已接通",
    "reached": "已回访",
    "no_answer": "未接听",
    "busy": "占线",
    "no_keys": "接通未按键",
    "failed": "呼叫失败",
}
VIA_LABELS = {"phone": "电话语音", "manual": "人工"}
CONFIDENTIAL_NAME = "保密"


def _satisfaction(value: str | None) -> Labelled | None:
    return None if value is None else Labelled(value=value, label=Satisfaction(value).label)


class RevisitItemPublic(BaseModel):
    """One citizen to revisit: whose order, how to reach them (masked), where the revisit stands."""

    number: str
    """The replied order the revisit is about."""
    citizen_order: str
    """The order of this citizen: ``number`` itself, or an order merged into it."""
    merged: bool
    caller_name: str
    caller_number: str
    """Masked (``138****8000``): the centre dials, nobody needs the whole number."""
    matter: str
    order_status: Labelled
    state: Labelled
    failed_attempts: int
    max_attempts: int
    next_at: datetime | None
    automatic: bool
    """Whether the centre calls this citizen by itself; if not, an agent revisits them by hand."""
    replied_at: datetime
    contact_preference: Labelled
    special_group: Labelled

    @classmethod
    def of(cls, item: WorkItem, *, max_attempts: int) -> RevisitItemPublic:
        """The public view of a work-list line."""
        t = item.target
        return cls(
            number=t.main_number,
            citizen_order=t.order_number,
            merged=t.merged,
            caller_name=CONFIDENTIAL_NAME if t.confidential else t.caller_name,
            caller_number=item.masked_number,
            matter=t.matter,
            order_status=Labelled(value=t.main_status.value, label=t.main_status.label),
            state=Labelled(value=item.plan.state.value, label=item.plan.state.label),
            failed_attempts=item.plan.failed,
            max_attempts=max_attempts,
            next_at=item.plan.next_at,
            automatic=item.auto,
            replied_at=t.ready_at,
            contact_preference=Labelled(value=t.contact_preference.value, label=t.contact_preference.label),
            special_group=Labelled(value=t.special_group.value, label=t.special_group.label),
        )


class AttemptPublic(BaseModel):
    """One attempt: by phone or by hand, its outcome and the answers."""

    id: int
    citizen_order: str
    seq: int
    via: Labelled
    outcome: Labelled
    started_at: datetime
    ended_at: datetime | None
    solved: bool | None
    satisfaction: Labelled | None
    note: str
    actor: str

    @classmethod
    def of(cls, row: AttemptRow) -> AttemptPublic:
        """The public view of a stored attempt (the number called is not shown)."""
        return cls(
            id=row.id,
            citizen_order=row.order_number,
            seq=row.seq,
            via=Labelled(value=row.via, label=VIA_LABELS[row.via]),
            outcome=Labelled(value=row.outcome, label=OUTCOME_LABELS[row.outcome]),
            started_at=row.started_at,
            ended_at=row.ended_at,
            solved=row.solved,
            satisfaction=_satisfaction(row.satisfaction),
            note=row.note,
            actor=row.actor,
        )


class RevisitDetailPublic(BaseModel):
    """An order's citizens to revisit and every attempt made so far."""

    number: str
    citizens: list[RevisitItemPublic]
    attempts: list[AttemptPublic]


CitizenOrder = Annotated[str, StringConstraints(pattern=NUMBER_PATTERN, max_length=36)]


class ManualRevisit(_In):
    """An agent's revisit result: reached or not; when reached, solved and satisfaction."""

    citizen_order: CitizenOrder
    reached: bool
    solved: bool | None = None
    satisfaction: Satisfaction | None = None
    note: Annotated[str, StringConstraints(max_length=500)] = ""

    @model_validator(mode="after")
    def _answers_need_reach(self) -> ManualRevisit:
        if not self.reached and (self.solved is not None or self.satisfaction is not None):
            raise ValueError("solved and satisfaction are only given when the citizen was reached")
        if self.reached and self.solved is None:
            raise ValueError("a reached citizen says whether the matter is solved")
        return self


class RevisitCall(_In):
    """Which citizen of the order the centre should call now."""

    citizen_order: CitizenOrder


class RevisitPolicyPublic(BaseModel):
    """The schedule of automatic revisit calls."""

    max_attempts: int
    retry_minutes: float
    calling_hours: str
    """Local time, ``HH:MM-HH:MM``, any day of the week."""

    @classmethod
    def of(cls, policy: RevisitPolicy) -> RevisitPolicyPublic:
        """The public view of the policy."""
        hours = f"{policy.calling_from:%H:%M}-{policy.calling_until:%H:%M}"
        return cls(
            max_attempts=policy.max_attempts,
            retry_minutes=policy.retry_after.total_seconds() / 60,
            calling_hours=hours,
        )
