"""Wire formats of the centre's order-loop routes (``tickets.loop_api``) and of 并单 suggestions.

Inputs refuse unknown fields, NUL characters and oversized text (``tickets.schemas._In``), so a
hostile payload gets a 422 ``invalid_request`` before any work is done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from tickets.duplicates import Duplicate
from tickets.rows import ExtensionRow, RevisitTarget
from tickets.schemas import DepartmentsIn, Labelled, Number, WorkOrderPublic, _In
from tickets.vocab import Satisfaction

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class RedispatchIn(_In):
    """改派: the new 主办 and 协办 departments."""

    departments: DepartmentsIn


class DecisionIn(_In):
    """The centre's note on an extension decision."""

    note: Note = ""


class RevisitIn(_In):
    """A revisit done by hand (回访 + 评价)."""

    reached: bool
    solved: bool | None = None
    satisfaction: Satisfaction | None = None
    note: Note = ""

    @model_validator(mode="after")
    def _evaluated_only_when_reached(self) -> RevisitIn:
        if not self.reached and (self.solved is not None or self.satisfaction is not None):
            raise ValueError("an unreached citizen gives no evaluation")
        return self


class CloseIn(_In):
    """办结 with an optional note."""

    note: Note = ""


class ReopenIn(_In):
    """重办 with its reason."""

    reason: Reason


class MergeIn(_In):
    """并单: the orders to merge into this one."""

    others: list[Number] = Field(min_length=1, max_length=20)


class ExtensionPublic(BaseModel):
    """A 延期申请 and its decision."""

    id: int
    number: str
    department: str
    working_days: int
    reason: str
    status: Labelled
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str

    @classmethod
    def of(cls, x: ExtensionRow) -> ExtensionPublic:
        """From a loop row."""
        return cls(
            id=x.id,
            number=x.number,
            department=x.department,
            working_days=x.working_days,
            reason=x.reason,
            status=Labelled(value=x.status.value, label=x.status.label),
            requested_by=x.requested_by,
            requested_at=x.requested_at,
            decided_by=x.decided_by,
            decided_at=x.decided_at,
            note=x.note,
        )


class RevisitTargetPublic(BaseModel):
    """A citizen to call back: the order's own caller or that of an order merged into it."""

    number: str
    status: Labelled
    caller_name: str
    caller_number: str
    contact_preference: Labelled
    confidential: bool
    merged_into: str | None

    @classmethod
    def of(cls, t: RevisitTarget) -> RevisitTargetPublic:
        """From a loop row (the caller as the reader may see it)."""
        c = t.caller
        return cls(
            number=t.number,
            status=Labelled(value=t.status.value, label=t.status.label),
            caller_name=c.name,
            caller_number=c.number,
            contact_preference=Labelled(value=c.contact_preference.value, label=c.contact_preference.label),
            confidential=c.confidential,
            merged_into=t.merged_into,
        )


class DuplicatePublic(BaseModel):
    """A likely duplicate (并单 suggestion)."""

    number: str
    status: Labelled
    category: Labelled
    matter: str
    content: str
    address: str
    caller_name: str
    caller_number: str
    created_at: datetime
    reasons: list[str]
    similarity: float

    @classmethod
    def of(cls, d: Duplicate) -> DuplicatePublic:
        """From a suggestion (the order as the reader may see it)."""
        o = d.order
        return cls(
            number=o.number,
            status=Labelled(value=o.status.value, label=o.status.label),
            category=Labelled(value=o.category.value, label=o.category.label),
            matter=o.matter,
            content=o.content,
            address=o.address,
            caller_name=o.caller.name,
            caller_number=o.caller.number,
            created_at=o.created_at,
            reasons=list(d.reasons),
            similarity=d.similarity,
        )


class WorkOrderCreated(WorkOrderPublic):
    """A new order with the 并单 suggestions for it."""

    duplicates: list[DuplicatePublic] = Field(default_factory=list)
