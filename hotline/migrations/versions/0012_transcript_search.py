"""Transcript search: transcript_search rows of bigram terms, FTS5 on SQLite, tsvector + GIN on PostgreSQL.

Revision ID: 0012_transcript_search
Revises: 0011_admin_changes
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012_transcript_search"
down_revision: str | None = "0011_admin_changes"
branch_labels: str | None = None
depends_on: str | None = None

_TRIGGERS = {
    "transcript_fts_ai": "AFTER INSERT ON transcript_search BEGIN {add}; END",
    "transcript_fts_ad": "AFTER DELETE ON transcript_search BEGIN {remove}; END",
    "transcript_fts_au": "AFTER UPDATE ON transcript_search BEGIN {remove}; {add}; END",
}
_ADD = "INSERT INTO transcript_fts(rowid, terms) VALUES (new.id, new.terms)"
_REMOVE = "INSERT INTO transcript_fts(transcript_fts, rowid, terms) VALUES ('delete', old.id, old.terms)"


def upgrade() -> None:
    """Create the table and the dialect's full-text index over it."""
    op.create_table(
        "transcript_search",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recording_id", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.recording_id"],
            name=op.f("fk_transcript_search_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_search")),
        sa.UniqueConstraint("recording_id", name=op.f("uq_transcript_search_recording_id")),
    )
    op.create_index(op.f("ix_transcript_search_started_at"), "transcript_search", ["started_at"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE transcript_fts USING fts5(terms, "
            "content='transcript_search', content_rowid='id')"
        )
        for name, body in _TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} " + body.format(add=_ADD, remove=_REMOVE))
    elif dialect == "postgresql":
        op.execute(
            "ALTER TABLE transcript_search ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, terms)) STORED"
        )
        op.execute("CREATE INDEX ix_transcript_search_vector ON transcript_search USING gin (search_vector)")


def downgrade() -> None:
    """Drop the index and the table."""
    if op.get_bind().dialect.name == "sqlite":
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS transcript_fts")
    op.drop_index(op.f("ix_transcript_search_started_at"), table_name="transcript_search")
    op.drop_table("transcript_search")
