"""Wire formats of the work-order and knowledge API: Create / Update / Public per resource.

Every string has a size limit and every enumerated field is validated; unknown fields and NUL
characters are refused, so a hostile or mistaken payload gets a 422 (``invalid_request``) before any
work is done.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from tickets import rows
from tickets.catalogue import Suggestion
from tickets.request_keys import REQUEST_KEY_PATTERN
from tickets.rows import ArticleHit, ArticleRow, HistoryRow, NewWorkOrder, WorkOrderRow
from tickets.service import Amendment
from tickets.vocab import (
    Category,
    Channel,
    ContactPreference,
    DepartmentRole,
    SpecialGroup,
    Status,
    Urgency,
)

NUMBER_PATTERN = r"^[0-9A-Za-z]{1,16}-[0-9]{8}-[0-9]{6,9}$"
CODE_PATTERN = r"^[a-z][a-z0-9_.]{1,63}$"
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Number = Annotated[str, StringConstraints(pattern=NUMBER_PATTERN, max_length=36)]
DepartmentCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
PhoneNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\-]{0,32}$")]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


def _refuse_nul(value: object) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
    elif isinstance(value, dict):
        for item in value.values():
            _refuse_nul(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item)


class _In(BaseModel):
    """Refuses unknown fields and NUL characters anywhere (PostgreSQL cannot store them in text; SQLite
    could, so both backends refuse them here alike)."""

    model_config = ConfigDict(extra="forbid", str_max_length=20_000)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: object) -> object:
        _refuse_nul(data)
        return data


class CallerIn(_In):
    """The caller as intake records them."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = ""
    number: PhoneNumber = ""
    contact_preference: ContactPreference = ContactPreference.ANY
    special_group: SpecialGroup = SpecialGroup.NONE
    confidential: bool = False


class FiveElementsIn(_In):
    """五要素; complaints and reports need all five."""

    who: Text = ""
    when: Text = ""
    where: Text = ""
    what: Text = ""
    how: Text = ""


class WorkOrderCreate(_In):
    """A new order, typically typed in by the agent during a call."""

    call_id: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z._-]{1,64}$")] | None = None
    caller: CallerIn
    channel: Channel = Channel.PHONE
    category: Category
    matter: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    matter_code: Annotated[str, StringConstraints(pattern=CODE_PATTERN)] | None = None
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    elements: FiveElementsIn = Field(default_factory=FiveElementsIn)
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    urgency: Urgency = Urgency.NORMAL
    linked_numbers: list[Number] = Field(default_factory=list, max_length=20)
    answered_directly: bool = False
    answer_article_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    request_key: str | None = None
    """The client's key for this intake (``tickets.request_keys``): the same key on every save attempt of
    one form, so a retried save answers the order already made instead of making another."""

    @field_validator("request_key")
    @classmethod
    def _request_key_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(REQUEST_KEY_PATTERN, value):
            raise ValueError("request_key must be 16 to 64 characters of A-Z, a-z, 0-9, '_' and '-'")
        return value

    def to_new(self) -> NewWorkOrder:
        """The domain form of this request."""
        c, e = self.caller, self.elements
        return NewWorkOrder(
            caller=rows.Caller(
                name=c.name,
                number=c.number,
                contact_preference=c.contact_preference,
                special_group=c.special_group,
                confidential=c.confidential,
            ),
            channel=self.channel,
            category=self.category,
            matter=self.matter,
            matter_code=self.matter_code,
            content=self.content,
            elements=rows.FiveElements(who=e.who, when=e.when, where=e.where, what=e.what, how=e.how),
            address=self.address,
            urgency=self.urgency,
            call_id=self.call_id,
            linked_numbers=tuple(self.linked_numbers),
            answered_directly=self.answered_directly,
            answer_article_id=self.answer_article_id,
        )


class DepartmentsIn(_In):
    """主办 (one) and 协办 (up to eight) departments, by catalogue code."""

    main: DepartmentCode
    assist: list[DepartmentCode] = Field(default_factory=list, max_length=8)


class WorkOrderDispatch(_In):
    """Where to send an order."""

    departments: DepartmentsIn


class WorkOrderUpdate(_In):
    """Fields a later step may change while the order is still at intake (all optional)."""

    matter: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = (
        None
    )
    matter_code: Annotated[str, StringConstraints(pattern=CODE_PATTERN)] | None = None
    content: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)] | None
    ) = None
    elements: FiveElementsIn | None = None
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    urgency: Urgency | None = None

    def to_amendment(self) -> Amendment:
        """The domain form of this change."""
        e = self.elements
        return Amendment(
            matter=self.matter,
            matter_code=self.matter_code,
            content=self.content,
            address=self.address,
            urgency=self.urgency,
            elements=None
            if e is None
            else rows.FiveElements(who=e.who, when=e.when, where=e.where, what=e.what, how=e.how),
        )


class Labelled(BaseModel):
    """An enumerated value with its Chinese label."""

    value: str
    label: str


def _labelled(value: Category | Channel | Urgency | Status | ContactPreference | SpecialGroup) -> Labelled:
    return Labelled(value=value.value, label=value.label)


class CallerPublic(BaseModel):
    """The caller as stored."""

    name: str
    number: str
    contact_preference: Labelled
    special_group: Labelled
    confidential: bool


class DepartmentPublic(BaseModel):
    """A department an order went to."""

    code: str
    name: str
    role: DepartmentRole
    assigned_at: datetime


class HistoryPublic(BaseModel):
    """One event of an order."""

    at: datetime
    event: str
    from_status: Status | None
    to_status: Status
    actor: str
    detail: dict[str, object]

    @classmethod
    def of(cls, h: HistoryRow) -> HistoryPublic:
        """From a repository row."""
        return cls(
            at=h.at,
            event=h.event,
            from_status=h.from_status,
            to_status=h.to_status,
            actor=h.actor,
            detail=dict(h.detail),
        )


class WorkOrderPublic(BaseModel):
    """A work order as the API shows it."""

    number: str
    call_id: str | None
    caller: CallerPublic
    channel: Labelled
    category: Labelled
    matter: str
    matter_code: str | None
    content: str
    elements: dict[str, str]
    address: str
    urgency: Labelled
    status: Labelled
    answered_directly: bool
    answer_article_id: int | None
    departments: list[DepartmentPublic]
    linked_numbers: list[str]
    sign_due: datetime | None
    handle_due: datetime | None
    reply_due: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    dispatched_at: datetime | None
    closed_at: datetime | None
    history: list[HistoryPublic] = Field(default_factory=list)

    @classmethod
    def of(
        cls, row: WorkOrderRow, *, names: dict[str, str], history: list[HistoryRow] | None = None
    ) -> WorkOrderPublic:
        """From a repository row; ``names`` maps department codes to display names."""
        c, e = row.caller, row.elements
        return cls(
            number=row.number,
            call_id=row.call_id,
            caller=CallerPublic(
                name=c.name,
                number=c.number,
                contact_preference=_labelled(c.contact_preference),
                special_group=_labelled(c.special_group),
                confidential=c.confidential,
            ),
            channel=_labelled(row.channel),
            category=_labelled(row.category),
            matter=row.matter,
            matter_code=row.matter_code,
            content=row.content,
            elements={"who": e.who, "when": e.when, "where": e.where, "what": e.what, "how": e.how},
            address=row.address,
            urgency=_labelled(row.urgency),
            status=_labelled(row.status),
            answered_directly=row.answered_directly,
            answer_article_id=row.answer_article_id,
            departments=[
                DepartmentPublic(
                    code=d.department,
                    name=names.get(d.department, d.department),
                    role=d.role,
                    assigned_at=d.assigned_at,
                )
                for d in row.departments
            ],
            linked_numbers=list(row.linked_numbers),
            sign_due=row.sign_due,
            handle_due=row.handle_due,
            reply_due=row.reply_due,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
            dispatched_at=row.dispatched_at,
            closed_at=row.closed_at,
            history=[HistoryPublic.of(h) for h in history or []],
        )


class DepartmentSuggestionPublic(BaseModel):
    """A catalogue match for free text."""

    department: str
    department_name: str
    assist: list[str]
    matter_code: str
    matter: str
    score: float
    matched: list[str]
    police_linkage: bool

    @classmethod
    def of(cls, s: Suggestion) -> DepartmentSuggestionPublic:
        """From a catalogue suggestion."""
        return cls(
            department=s.department.code,
            department_name=s.department.name,
            assist=list(s.entry.assist),
            matter_code=s.entry.code,
            matter=s.entry.matter,
            score=s.score,
            matched=list(s.matched),
            police_linkage=s.department.police_linkage,
        )


class ArticleCreate(_In):
    """A new knowledge-base article."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    body: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class ArticlePublic(BaseModel):
    """A knowledge-base article."""

    id: int
    title: str
    body: str
    tags: list[str]
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, a: ArticleRow) -> ArticlePublic:
        """From a repository row."""
        return cls(
            id=a.id,
            title=a.title,
            body=a.body,
            tags=list(a.tags),
            created_by=a.created_by,
            created_at=a.created_at,
            updated_at=a.updated_at,
        )


class ArticleHitPublic(BaseModel):
    """A search result."""

    article: ArticlePublic
    score: float

    @classmethod
    def of(cls, hit: ArticleHit) -> ArticleHitPublic:
        """From a search hit."""
        return cls(article=ArticlePublic.of(hit.article), score=hit.score)
