"""One head again: the eight 0012 revisions that each started from 0011, and 0002_ivr_flows, which started
from 0001 beside 0003 and was never merged. Later revisions build on it.

Revision ID: 0013_merge_0012
Revises: every 0012 revision and 0002_ivr_flows
Create Date: 2026-12-06
"""

from __future__ import annotations

revision: str = "0013_merge_0012"
down_revision: tuple[str, ...] = (
    "0002_ivr_flows",
    "0012_chat",
    "0012_directory",
    "0012_opening_hours",
    "0012_order_request_keys",
    "0012_qa",
    "0012_queue_versions",
    "0012_transcript_search",
    "0012_video_calls",
)
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Nothing to change: a merge point."""


def downgrade() -> None:
    """Nothing to change: a merge point."""
