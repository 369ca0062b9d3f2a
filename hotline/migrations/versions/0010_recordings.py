"""Recordings and their transcripts (recordings.models).

Revision ID: 0010_recordings
Revises: 0009_merge_0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010_recordings"
down_revision: str | None = "0009_merge_0008"
branch_labels: str | None = None
depends_on: str | None = None


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _recordings() -> None:
    op.create_table(
        "recordings",
        sa.Column("recording_id", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=True),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Double(), nullable=True),
        sa.Column("bytes", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.CheckConstraint(_one_of("kind", ("call", "voicemail")), name="ck_recordings_recording_kind_known"),
        sa.CheckConstraint(_one_of("side", ("caller", "agent")), name="ck_recordings_recording_side_known"),
        sa.CheckConstraint(
            _one_of("status", ("recording", "saved", "missing", "deleted")),
            name="ck_recordings_recording_status_known",
        ),
        sa.PrimaryKeyConstraint("recording_id", name=op.f("pk_recordings")),
    )
    op.create_index(op.f("ix_recordings_call_id"), "recordings", ["call_id"])
    op.create_index(op.f("ix_recordings_started_at"), "recordings", ["started_at"])


def _transcripts() -> None:
    op.create_table(
        "transcripts",
        sa.Column("recording_id", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("audio_s", sa.Double(), nullable=True),
        sa.Column("wall_s", sa.Double(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            _one_of("status", ("pending", "done", "failed")), name="ck_transcripts_transcript_status_known"
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.recording_id"],
            name=op.f("fk_transcripts_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recording_id", name=op.f("pk_transcripts")),
    )
    op.create_index(op.f("ix_transcripts_status"), "transcripts", ["status"])
    op.create_table(
        "transcript_segments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recording_id", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("start_s", sa.Double(), nullable=False),
        sa.Column("end_s", sa.Double(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.recording_id"],
            name=op.f("fk_transcript_segments_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_segments")),
    )
    op.create_index(op.f("ix_transcript_segments_call_id"), "transcript_segments", ["call_id"])
    op.create_index(op.f("ix_transcript_segments_recording_id"), "transcript_segments", ["recording_id"])


def upgrade() -> None:
    """Create the three tables."""
    _recordings()
    _transcripts()


def downgrade() -> None:
    """Drop them."""
    op.drop_table("transcript_segments")
    op.drop_table("transcripts")
    op.drop_table("recordings")
