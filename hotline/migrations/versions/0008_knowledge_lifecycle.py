"""Knowledge-base lifecycle: status (active/retired), category, owner department, expiry date,
version number and editor on ``knowledge_articles``; the earlier texts in ``knowledge_article_versions``.

On PostgreSQL the weighted bigram ``tsvector`` becomes a stored generated column ``search_vector``
with the GIN index on it, so ranking reads the stored vector instead of rebuilding it per row, and
the title's bigrams get their own small vector ``title_vector`` (GIN-indexed) for the title-first
search stage.

Revision ID: 0008_knowledge_lifecycle
Revises: 0007_supervision
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_knowledge_lifecycle"
down_revision: str | None = "0007_supervision"
branch_labels: str | None = None
depends_on: str | None = None

_VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body_terms), 'B')"
)


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the lifecycle columns, the version table and (PostgreSQL) the stored search vector."""
    op.add_column(
        "knowledge_articles", sa.Column("status", sa.String(16), nullable=False, server_default="active")
    )
    op.add_column("knowledge_articles", sa.Column("category", sa.String(16), nullable=True))
    op.add_column("knowledge_articles", sa.Column("owner_department", sa.String(32), nullable=True))
    op.add_column("knowledge_articles", sa.Column("expires_on", sa.Date(), nullable=True))
    op.add_column(
        "knowledge_articles", sa.Column("version", sa.Integer(), nullable=False, server_default="1")
    )
    op.add_column("knowledge_articles", sa.Column("updated_by", sa.String(32), nullable=True))
    op.create_index("ix_knowledge_articles_status_expires_on", "knowledge_articles", ["status", "expires_on"])
    op.create_table(
        "knowledge_article_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(16), nullable=True),
        sa.Column("owner_department", sa.String(32), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("edited_by", sa.String(32), nullable=False),
        sa.Column("edited_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["knowledge_articles.id"],
            name="fk_knowledge_article_versions_article_id_knowledge_articles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_article_versions"),
        sa.UniqueConstraint("article_id", "version", name="uq_knowledge_article_versions_article_id_version"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_knowledge_articles_search")
        op.execute(
            "ALTER TABLE knowledge_articles ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({_VECTOR}) STORED"
        )
        op.execute(
            "CREATE INDEX ix_knowledge_articles_search ON knowledge_articles USING gin (search_vector)"
        )
        op.execute(
            "ALTER TABLE knowledge_articles ADD COLUMN title_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, title_terms)) STORED"
        )
        op.execute(
            "CREATE INDEX ix_knowledge_articles_title_search ON knowledge_articles USING gin (title_vector)"
        )


def downgrade() -> None:
    """Drop what this revision added; PostgreSQL gets the expression index back."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_knowledge_articles_title_search")
        op.execute("ALTER TABLE knowledge_articles DROP COLUMN title_vector")
        op.execute("DROP INDEX IF EXISTS ix_knowledge_articles_search")
        op.execute("ALTER TABLE knowledge_articles DROP COLUMN search_vector")
        op.execute(f"CREATE INDEX ix_knowledge_articles_search ON knowledge_articles USING gin (({_VECTOR}))")
    op.drop_table("knowledge_article_versions")
    op.drop_index("ix_knowledge_articles_status_expires_on", table_name="knowledge_articles")
    for column in ("updated_by", "version", "expires_on", "owner_department", "category", "status"):
        op.drop_column("knowledge_articles", column)
