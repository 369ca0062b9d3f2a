"""Work orders, their departments, links and history, the number counter and knowledge articles.

Rules: tables live on the shared ``hotline.db.models.Base`` so one Alembic history covers them; every
timestamp is aware UTC. ``work_orders.call_id`` refers to ``calls.call_id`` without a foreign key
(an order may be typed in before the call row is written, or come from the web). The history table
is append-only: rows are added by the repository in the same transaction as the change they record.
``knowledge_articles.title_terms``/``body_terms`` hold the character-bigram form of the text that the
full-text indexes read (FTS5 on SQLite, a GIN ``tsvector`` index on PostgreSQL, both made by the
migration ``0003_tickets``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base
from tickets.vocab import Category, Channel, Status, Urgency


def _one_of(column: str, values: type[Category | Channel | Status | Urgency]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


KNOWLEDGE_FTS_TABLE = "knowledge_fts"
PG_SEARCH_INDEX = "ix_knowledge_articles_search"
DATABASE_ONLY_OBJECTS = frozenset(
    {
        KNOWLEDGE_FTS_TABLE,
        PG_SEARCH_INDEX,
        "search_vector",
        "title_vector",
        "ix_knowledge_articles_title_search",
    }
    | {f"{KNOWLEDGE_FTS_TABLE}_{part}" for part in ("data", "idx", "content", "docsize", "config")}
)
"""Objects the migration makes that the models cannot describe: the SQLite FTS5 table with its
shadow tables and the PostgreSQL expression index. Schema comparisons must skip them."""


def include_in_comparison(name: str | None, type_: str, parent_names: object) -> bool:
    """An Alembic ``include_name`` hook that skips ``DATABASE_ONLY_OBJECTS``."""
    return name not in DATABASE_ONLY_OBJECTS


class WorkOrder(Base):
    """One citizen request (工单) from intake to close."""

    __tablename__ = "work_orders"
    __table_args__ = (
        CheckConstraint(_one_of("status", Status), name="status_known"),
        CheckConstraint(_one_of("category", Category), name="category_known"),
        CheckConstraint(_one_of("channel", Channel), name="channel_known"),
        CheckConstraint(_one_of("urgency", Urgency), name="urgency_known"),
        Index("ix_work_orders_caller_number_created_at", "caller_number", "created_at"),
        Index("ix_work_orders_created_by_created_at", "created_by", "created_at"),
        Index("ix_work_orders_status", "status"),
        Index("ix_work_orders_call_id", "call_id"),
        Index("uq_work_orders_created_by_request_key", "created_by", "request_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    call_id: Mapped[str | None] = mapped_column(String(64))
    caller_name: Mapped[str] = mapped_column(String(64))
    caller_number: Mapped[str] = mapped_column(String(32))
    contact_preference: Mapped[str] = mapped_column(String(16))
    special_group: Mapped[str] = mapped_column(String(16))
    confidential: Mapped[bool]
    channel: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(16))
    matter: Mapped[str] = mapped_column(String(100))
    matter_code: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    element_who: Mapped[str] = mapped_column(String(500))
    element_when: Mapped[str] = mapped_column(String(500))
    element_where: Mapped[str] = mapped_column(String(500))
    element_what: Mapped[str] = mapped_column(String(500))
    element_how: Mapped[str] = mapped_column(String(500))
    address: Mapped[str] = mapped_column(String(200))
    urgency: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    answered_directly: Mapped[bool]
    answer_article_id: Mapped[int | None]
    sign_due: Mapped[datetime | None]
    handle_due: Mapped[datetime | None]
    reply_due: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]
    request_key: Mapped[str | None] = mapped_column(String(64))
    """The creating client's key for this intake (``tickets.request_keys``): a retried create with the
    same key and creator finds this order instead of making another. NULL for orders made without one."""


class WorkOrderDepartment(Base):
    """A department an order is dispatched to: one ``main`` (主办), any number of ``assist`` (协办)."""

    __tablename__ = "work_order_departments"
    __table_args__ = (
        CheckConstraint("role IN ('main', 'assist')", name="role_known"),
        Index("ix_work_order_departments_department", "department"),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True)
    department: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(8))
    assigned_at: Mapped[datetime]


class WorkOrderLink(Base):
    """An earlier order this one refers to (repeat call, follow-up); ``kind`` says how."""

    __tablename__ = "work_order_links"
    __table_args__ = (Index("ix_work_order_links_linked_id", "linked_id"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True)
    linked_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]


class WorkOrderHistory(Base):
    """One event in an order's life, with the status before and after it (append-only)."""

    __tablename__ = "work_order_history"
    __table_args__ = (Index("ix_work_order_history_order_id_at", "order_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    event: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]]


class WorkOrderCounter(Base):
    """The last sequence number handed out for one local calendar day (``YYYYMMDD``)."""

    __tablename__ = "work_order_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int]


class KnowledgeArticle(Base):
    """A knowledge-base article agents answer from (直接答复)."""

    __tablename__ = "knowledge_articles"
    __table_args__ = (Index("ix_knowledge_articles_status_expires_on", "status", "expires_on"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON)
    title_terms: Mapped[str] = mapped_column(Text)
    body_terms: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), server_default="active")
    category: Mapped[str | None] = mapped_column(String(16))
    owner_department: Mapped[str | None] = mapped_column(String(32))
    expires_on: Mapped[date | None]
    version: Mapped[int] = mapped_column(server_default="1")
    updated_by: Mapped[str | None] = mapped_column(String(32))
