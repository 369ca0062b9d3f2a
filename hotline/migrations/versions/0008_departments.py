"""The department tree, department users and reply attachments, seeded with the shipped tree.

``departments`` (code, name, parent_code, level city|district|street, active) is filled with the
dispatch catalogue's departments as the city level and the example districts and streets of
``tickets/data/department_tree.yaml`` (a city edits the table afterwards; a later start adds only
what is missing). ``department_members`` ties users of role ``department`` to one department;
``work_order_attachments`` lists the files departments attach to their replies.

Revision ID: 0008_departments
Revises: 0007_supervision
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tickets.departments import load_tree, seed_rows

revision: str = "0008_departments"
down_revision: str | None = "0007_supervision"
branch_labels: str | None = None
depends_on: str | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _departments() -> sa.Table:
    return op.create_table(
        "departments",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("parent_code", sa.String(32), nullable=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("level IN ('city', 'district', 'street')", name="ck_departments_level_known"),
        sa.CheckConstraint(
            "parent_code IS NULL OR parent_code <> code", name="ck_departments_not_own_parent"
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["departments.code"], name="fk_departments_parent_code_departments"
        ),
        sa.PrimaryKeyConstraint("code", name="pk_departments"),
    )


def _members() -> None:
    op.create_table(
        "department_members",
        sa.Column("agent_id", sa.String(32), nullable=False),
        sa.Column("department_code", sa.String(32), nullable=False),
        sa.Column("is_dept_admin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.agent_id"],
            name="fk_department_members_agent_id_agents",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name="fk_department_members_department_code_departments",
        ),
        sa.PrimaryKeyConstraint("agent_id", name="pk_department_members"),
    )


def _attachments() -> None:
    op.create_table(
        "work_order_attachments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("stored_path", sa.String(200), nullable=False),
        sa.Column("uploaded_by", sa.String(32), nullable=False),
        sa.Column("uploaded_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_orders.id"],
            name="fk_work_order_attachments_order_id_work_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_attachments"),
    )


def upgrade() -> None:
    """Create the three tables and seed the department tree."""
    departments = _departments()
    op.create_index("ix_departments_parent_code", "departments", ["parent_code"])
    _members()
    op.create_index("ix_department_members_department_code", "department_members", ["department_code"])
    _attachments()
    op.create_index("ix_work_order_attachments_order_id", "work_order_attachments", ["order_id"])
    op.bulk_insert(departments, seed_rows(load_tree()))


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_index("ix_work_order_attachments_order_id", table_name="work_order_attachments")
    op.drop_table("work_order_attachments")
    op.drop_index("ix_department_members_department_code", table_name="department_members")
    op.drop_table("department_members")
    op.drop_index("ix_departments_parent_code", table_name="departments")
    op.drop_table("departments")
