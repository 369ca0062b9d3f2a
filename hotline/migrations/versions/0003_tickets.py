"""Work orders (工单), their departments, links, history and numbering; the knowledge base.

On SQLite the knowledge base gets an FTS5 index (external content, kept in step by triggers); on
PostgreSQL a GIN index over the weighted ``tsvector`` of the bigram columns.

Revision ID: 0003_tickets
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_tickets"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_STATUSES = [
    "intake",
    "dispatched",
    "signed",
    "handling",
    "replied",
    "callback_done",
    "evaluated",
    "closed",
    "returned",
    "merged",
]
_CATEGORIES = ["consult", "help", "complaint", "report", "suggestion", "praise"]
_CHANNELS = ["phone", "web", "wechat", "email", "sign_language_video"]
_URGENCIES = ["normal", "urgent", "critical"]
_FTS_TRIGGERS = {
    "knowledge_fts_ai": "AFTER INSERT ON knowledge_articles BEGIN {add}; END",
    "knowledge_fts_ad": "AFTER DELETE ON knowledge_articles BEGIN {remove}; END",
    "knowledge_fts_au": "AFTER UPDATE ON knowledge_articles BEGIN {remove}; {add}; END",
}
_FTS_ADD = (
    "INSERT INTO knowledge_fts(rowid, title_terms, body_terms) "
    "VALUES (new.id, new.title_terms, new.body_terms)"
)
_FTS_REMOVE = (
    "INSERT INTO knowledge_fts(knowledge_fts, rowid, title_terms, body_terms) "
    "VALUES ('delete', old.id, old.title_terms, old.body_terms)"
)
PG_SEARCH_VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body_terms), 'B'))"
)


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _one_of(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    """Create the work-order and knowledge tables, their indexes and the full-text index."""
    _create_work_orders()
    _create_order_children()
    op.create_table(
        "work_order_counters",
        sa.Column("day", sa.String(8), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_work_order_counters"),
    )
    _create_knowledge()


def _create_work_orders() -> None:
    text_cols = [("element_" + e, 500) for e in ("who", "when", "where", "what", "how")]
    op.create_table(
        "work_orders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("call_id", sa.String(64), nullable=True),
        sa.Column("caller_name", sa.String(64), nullable=False),
        sa.Column("caller_number", sa.String(32), nullable=False),
        sa.Column("contact_preference", sa.String(16), nullable=False),
        sa.Column("special_group", sa.String(16), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("matter", sa.String(100), nullable=False),
        sa.Column("matter_code", sa.String(64), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        *[sa.Column(name, sa.String(size), nullable=False) for name, size in text_cols],
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answered_directly", sa.Boolean(), nullable=False),
        sa.Column("answer_article_id", sa.Integer(), nullable=True),
        *[sa.Column(name, _utc(), nullable=True) for name in ("sign_due", "handle_due", "reply_due")],
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("dispatched_at", _utc(), nullable=True),
        sa.Column("closed_at", _utc(), nullable=True),
        sa.CheckConstraint(_one_of("status", _STATUSES), name="ck_work_orders_status_known"),
        sa.CheckConstraint(_one_of("category", _CATEGORIES), name="ck_work_orders_category_known"),
        sa.CheckConstraint(_one_of("channel", _CHANNELS), name="ck_work_orders_channel_known"),
        sa.CheckConstraint(_one_of("urgency", _URGENCIES), name="ck_work_orders_urgency_known"),
        sa.PrimaryKeyConstraint("id", name="pk_work_orders"),
        sa.UniqueConstraint("number", name="uq_work_orders_number"),
    )
    op.create_index("ix_work_orders_caller_number_created_at", "work_orders", ["caller_number", "created_at"])
    op.create_index("ix_work_orders_created_by_created_at", "work_orders", ["created_by", "created_at"])
    op.create_index("ix_work_orders_status", "work_orders", ["status"])
    op.create_index("ix_work_orders_call_id", "work_orders", ["call_id"])


def _create_order_children() -> None:
    op.create_table(
        "work_order_departments",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("assigned_at", _utc(), nullable=False),
        sa.CheckConstraint("role IN ('main', 'assist')", name="ck_work_order_departments_role_known"),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_orders.id"],
            name="fk_work_order_departments_order_id_work_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "department", name="pk_work_order_departments"),
    )
    op.create_index("ix_work_order_departments_department", "work_order_departments", ["department"])
    op.create_table(
        "work_order_links",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("linked_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_orders.id"],
            name="fk_work_order_links_order_id_work_orders",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_id"],
            ["work_orders.id"],
            name="fk_work_order_links_linked_id_work_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "linked_id", name="pk_work_order_links"),
    )
    op.create_index("ix_work_order_links_linked_id", "work_order_links", ["linked_id"])
    op.create_table(
        "work_order_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_orders.id"],
            name="fk_work_order_history_order_id_work_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_history"),
    )
    op.create_index("ix_work_order_history_order_id_at", "work_order_history", ["order_id", "at"])


def _create_knowledge() -> None:
    op.create_table(
        "knowledge_articles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("title_terms", sa.Text(), nullable=False),
        sa.Column("body_terms", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_articles"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE knowledge_fts USING fts5(title_terms, body_terms, "
            "content='knowledge_articles', content_rowid='id')"
        )
        for name, body in _FTS_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} " + body.format(add=_FTS_ADD, remove=_FTS_REMOVE))
    elif dialect == "postgresql":
        op.execute(
            f"CREATE INDEX ix_knowledge_articles_search ON knowledge_articles USING gin ({PG_SEARCH_VECTOR})"
        )


def downgrade() -> None:
    """Drop everything this revision created."""
    if op.get_bind().dialect.name == "sqlite":
        for name in _FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS knowledge_fts")
    op.drop_table("knowledge_articles")
    op.drop_table("work_order_counters")
    op.drop_table("work_order_history")
    op.drop_table("work_order_links")
    op.drop_table("work_order_departments")
    op.drop_table("work_orders")
