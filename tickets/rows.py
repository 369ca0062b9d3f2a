"""Immutable records the work-order and knowledge data access returns; no ORM object leaves a session."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tickets.vocab import (
    Category,
    Channel,
    ContactPreference,
    DepartmentRole,
    ExtensionStatus,
    SpecialGroup,
    Status,
    Urgency,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """Who asked, and how they want to be reached."""

    name: str
    number: str
    contact_preference: ContactPreference
    special_group: SpecialGroup
    confidential: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class FiveElements:
    """五要素: who, when, where, what and how it happened (empty string = not given)."""

    who: str = ""
    when: str = ""
    where: str = ""
    what: str = ""
    how: str = ""

    def missing(self) -> list[str]:
        """The names of the elements left blank, in canonical order."""
        return [n for n in ("who", "when", "where", "what", "how") if not getattr(self, n).strip()]


@dataclass(frozen=True, slots=True, kw_only=True)
class DepartmentAssignment:
    """A department an order was dispatched to, with its part (主办/协办)."""

    department: str
    role: DepartmentRole
    assigned_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadlines:
    """When the department must sign, finish handling and reply (aware UTC)."""

    sign_due: datetime
    handle_due: datetime
    reply_due: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class NewWorkOrder:
    """Everything intake knows about a request; the repository adds number, status and times."""

    caller: Caller
    channel: Channel
    category: Category
    matter: str
    content: str
    elements: FiveElements
    address: str = ""
    urgency: Urgency = Urgency.NORMAL
    matter_code: str | None = None
    call_id: str | None = None
    linked_numbers: tuple[str, ...] = ()
    answered_directly: bool = False
    answer_article_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderRow:
    """A stored work order; every timestamp is an aware UTC datetime."""

    id: int
    number: str
    call_id: str | None
    caller: Caller
    channel: Channel
    category: Category
    matter: str
    matter_code: str | None
    content: str
    elements: FiveElements
    address: str
    urgency: Urgency
    status: Status
    answered_directly: bool
    answer_article_id: int | None
    departments: tuple[DepartmentAssignment, ...]
    linked_numbers: tuple[str, ...]
    sign_due: datetime | None
    handle_due: datetime | None
    reply_due: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    dispatched_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryRow:
    """One recorded event of an order (``created`` or a closed-loop ``Event`` value)."""

    id: int
    at: datetime
    event: str
    from_status: Status | None
    to_status: Status
    actor: str
    detail: Mapping[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleRow:
    """A knowledge-base article."""

    id: int
    title: str
    body: str
    tags: tuple[str, ...]
    created_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleHit:
    """A search result: the article and its relevance (higher is better, comparable within one search)."""

    article: ArticleRow
    score: float


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachmentRef:
    """A file attached to a reply; the portal stores the file, the order keeps this reference."""

    name: str
    content_type: str
    size: int
    sha256: str
    path: str

    def as_json(self) -> dict[str, object]:
        """The form kept in the history entry's detail."""
        return {
            "name": self.name,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "path": self.path,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtensionRow:
    """A department's request for more working days (延期申请) and the centre's decision."""

    id: int
    number: str
    department: str
    working_days: int
    reason: str
    status: ExtensionStatus
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisitTarget:
    """A citizen to call back for an order: the order itself or one merged into it."""

    number: str
    status: Status
    caller: Caller
    merged_into: str | None


__all__ = [
    "ArticleHit",
    "ArticleRow",
    "AttachmentRef",
    "Caller",
    "Deadlines",
    "DepartmentAssignment",
    "ExtensionRow",
    "FiveElements",
    "HistoryRow",
    "NewWorkOrder",
    "RevisitTarget",
    "WorkOrderRow",
]
