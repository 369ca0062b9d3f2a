"""One head again after the ten 0008 revisions that each started from 0007; later revisions build on it.

Revision ID: 0009_merge_0008
Revises: every 0008 revision
Create Date: 2026-12-06
"""

from __future__ import annotations

revision: str = "0009_merge_0008"
down_revision: tuple[str, ...] = (
    "0008_call_wrap_seconds",
    "0008_departments",
    "0008_knowledge_lifecycle",
    "0008_kpi_indexes",
    "0008_linkage110",
    "0008_order_loop",
    "0008_order_notices",
    "0008_order_supervision",
    "0008_revisits",
    "0008_sms_outbox",
)
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Nothing to change: a merge point."""


def downgrade() -> None:
    """Nothing to change: a merge point."""
