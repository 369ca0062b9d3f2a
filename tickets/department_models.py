"""The department tree, the users who act for a department, and the files departments attach to replies.

Rules: ``departments`` is a three-level tree (city → district → street/community); a node's
``parent_code`` is one level up (checked by ``tickets.departments.validate_tree`` before anything is
written). Codes are the ones work orders name in ``work_order_departments.department``.
``department_members`` ties a user of role ``department`` (``agents.agent_id``) to one department;
``is_dept_admin`` lets them manage the users of their department and its subtree; a disabled member
keeps their row (``active`` false) so the history still names them. ``work_order_attachments`` lists
the files stored with a reply (``stored_path`` is relative to the attachment store's root).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base

LEVELS = ("city", "district", "street")


class DepartmentNode(Base):
    """One department of the tree (承办单位)."""

    __tablename__ = "departments"
    __table_args__ = (
        CheckConstraint(f"level IN ({', '.join(repr(v) for v in LEVELS)})", name="level_known"),
        CheckConstraint("parent_code IS NULL OR parent_code <> code", name="not_own_parent"),
        Index("ix_departments_parent_code", "parent_code"),
    )

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    level: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool]


class DepartmentMember(Base):
    """A user acting for one department."""

    __tablename__ = "department_members"
    __table_args__ = (Index("ix_department_members_department_code", "department_code"),)

    agent_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("agents.agent_id", ondelete="CASCADE"), primary_key=True
    )
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    is_dept_admin: Mapped[bool]
    active: Mapped[bool]
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WorkOrderAttachment(Base):
    """A file a department attached to its reply to an order."""

    __tablename__ = "work_order_attachments"
    __table_args__ = (Index("ix_work_order_attachments_order_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    department: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(32))
    uploaded_at: Mapped[datetime]
