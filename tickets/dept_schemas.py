"""Request and response bodies of the department portal's API (``/api/dept/...``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tickets.departments import CODE_PATTERN, Department
from tickets.dept_inbox import AttachmentRow, Countdown
from tickets.dept_members import Member
from tickets.rows import ExtensionRow, WorkOrderRow
from tickets.schemas import Labelled, WorkOrderPublic
from tickets.vocab import Category, Status, Urgency

NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
USER_ID_PATTERN = r"^[0-9A-Za-z_-]{1,32}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReturnIn(_In):
    """退单: why the order is not this department's."""

    reason: str = Field(min_length=1, max_length=500, pattern=NO_CONTROL)


class ExtensionIn(_In):
    """延期申请: how many more working days, and why."""

    working_days: int = Field(ge=1, le=60)
    reason: str = Field(min_length=1, max_length=500, pattern=NO_CONTROL)


class HandDownIn(_In):
    """下派 to a department below the acting one."""

    to_department: str = Field(pattern=CODE_PATTERN)


class UserIn(_In):
    """A department user as a department admin or the centre admin saves them."""

    name: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL)
    department: str = Field(pattern=CODE_PATTERN)
    password: str | None = Field(default=None, min_length=8, max_length=128)
    is_dept_admin: bool = False


class DepartmentOut(BaseModel):
    """A node of the department tree."""

    code: str
    name: str
    parent_code: str | None
    level: Labelled
    active: bool

    @classmethod
    def of(cls, d: Department) -> DepartmentOut:
        """From a tree node."""
        return cls(
            code=d.code,
            name=d.name,
            parent_code=d.parent_code,
            level=Labelled(value=d.level.value, label=d.level.label),
            active=d.active,
        )


class MemberOut(BaseModel):
    """A department user."""

    user_id: str
    name: str
    department: str
    department_name: str
    is_dept_admin: bool
    active: bool
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, m: Member, names: dict[str, str]) -> MemberOut:
        """From a membership; ``names`` maps department codes to names."""
        return cls(
            user_id=m.agent_id,
            name=m.name,
            department=m.department,
            department_name=names.get(m.department, m.department),
            is_dept_admin=m.is_dept_admin,
            active=m.active,
            created_by=m.created_by,
            created_at=m.created_at,
        )


class MeOut(BaseModel):
    """The signed-in department user, their department and the departments below it."""

    user_id: str
    name: str
    is_dept_admin: bool
    department: DepartmentOut
    subtree: list[DepartmentOut]


class CountdownOut(BaseModel):
    """Time left until a deadline; ``level`` is ok, soon (under one working day) or overdue."""

    due: datetime
    seconds_left: float
    working_days_left: float
    level: str

    @classmethod
    def of(cls, c: Countdown | None) -> CountdownOut | None:
        """From a countdown (None stays None)."""
        if c is None:
            return None
        days = round(c.working_seconds_left / 86400, 2)
        return cls(due=c.due, seconds_left=round(c.seconds_left), working_days_left=days, level=c.level)


class InboxItemOut(BaseModel):
    """One order of the inbox."""

    number: str
    status: Labelled
    category: Labelled
    urgency: Labelled
    matter: str
    address: str
    main_department: str | None
    main_department_name: str
    dispatched_at: datetime | None
    countdowns: dict[str, CountdownOut | None]


class AttachmentOut(BaseModel):
    """A reply attachment, downloadable at ``url``."""

    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    department: str
    uploaded_by: str
    uploaded_at: datetime
    url: str

    @classmethod
    def of(cls, a: AttachmentRow, number: str) -> AttachmentOut:
        """From a stored attachment of order ``number``."""
        return cls(
            id=a.id,
            name=a.name,
            content_type=a.content_type,
            size=a.size,
            sha256=a.sha256,
            department=a.department,
            uploaded_by=a.uploaded_by,
            uploaded_at=a.uploaded_at,
            url=f"/api/dept/orders/{number}/attachments/{a.id}",
        )


class ExtensionOut(BaseModel):
    """A 延期申请 and the centre's decision."""

    id: int
    number: str
    department: str
    working_days: int
    reason: str
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str

    @classmethod
    def of(cls, x: ExtensionRow) -> ExtensionOut:
        """From an extension row."""
        return cls(
            id=x.id,
            number=x.number,
            department=x.department,
            working_days=x.working_days,
            reason=x.reason,
            status=str(x.status),
            requested_by=x.requested_by,
            requested_at=x.requested_at,
            decided_by=x.decided_by,
            decided_at=x.decided_at,
            note=x.note,
        )


class OrderDetailOut(BaseModel):
    """One order in the acting department's scope, with what the portal offers for it."""

    order: WorkOrderPublic
    main_department: str | None
    countdowns: dict[str, CountdownOut | None]
    return_due: datetime | None
    attachments: list[AttachmentOut]
    extensions: list[ExtensionOut]
    hand_down_to: list[DepartmentOut]
    department_names: dict[str, str]


def inbox_item(
    row: WorkOrderRow, main: str | None, names: dict[str, str], countdowns: dict[str, CountdownOut | None]
) -> InboxItemOut:
    """The inbox line of ``row``."""

    def labelled(value: Status | Category | Urgency) -> Labelled:
        return Labelled(value=value.value, label=value.label)

    return InboxItemOut(
        number=row.number,
        status=labelled(row.status),
        category=labelled(row.category),
        urgency=labelled(row.urgency),
        matter=row.matter,
        address=row.address,
        main_department=main,
        main_department_name=names.get(main or "", main or ""),
        dispatched_at=row.dispatched_at,
        countdowns=countdowns,
    )
