"""Work-order use cases: the repository plus the dispatch catalogue and the time limits.

Synchronous and short: the HTTP layer runs each call in a worker thread. Department and matter
codes are checked against the catalogue here, because the database does not know the catalogue.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from tickets import knowledge, request_keys
from tickets import repository as repo
from tickets.catalogue import Catalogue, Suggestion, default_catalogue
from tickets.deadlines import DeadlinePolicy, default_policy
from tickets.errors import TicketNotFoundError, TicketValidationError
from tickets.request_keys import Intake
from tickets.rows import (
    ArticleHit,
    ArticleRow,
    Deadlines,
    FiveElements,
    HistoryRow,
    NewWorkOrder,
    WorkOrderRow,
)
from tickets.vocab import Category, Status, TimeClass, Urgency


@dataclass(frozen=True, slots=True, kw_only=True)
class Amendment:
    """Intake fields to change; ``None`` leaves a field as it is."""

    matter: str | None = None
    matter_code: str | None = None
    content: str | None = None
    address: str | None = None
    urgency: Urgency | None = None
    elements: FiveElements | None = None


@dataclass(frozen=True, slots=True)
class TicketService:
    """What the work-order API needs, built once per application."""

    sessions: sessionmaker[Session]
    catalogue: Catalogue = field(default_factory=default_catalogue)
    policy: DeadlinePolicy = field(default_factory=default_policy)
    prefix: str = repo.NUMBER_PREFIX

    def create(
        self, order: NewWorkOrder, *, created_by: str, now: datetime | None = None, receipt: bool = False
    ) -> WorkOrderRow:
        """Take in a new order; its ``matter_code``, if any, must be in the catalogue. With ``receipt``
        the citizen's receipt SMS is due with the order (``tickets.receipts``)."""
        return self.create_once(order, created_by=created_by, request_key=None, now=now, receipt=receipt).row

    def create_once(
        self,
        order: NewWorkOrder,
        *,
        created_by: str,
        request_key: str | None,
        now: datetime | None = None,
        receipt: bool = False,
    ) -> Intake:
        """``create``, made once per ``request_key`` of ``created_by`` (``tickets.request_keys``): a key
        used before answers its order, not created again."""
        if order.matter_code is not None and self.catalogue.entry(order.matter_code) is None:
            raise TicketValidationError(
                "unknown_matter",
                f"matter {order.matter_code} is not in the catalogue",
                code=order.matter_code,
            )
        return request_keys.create_once(
            self.sessions,
            order=order,
            created_by=created_by,
            request_key=request_key,
            now=now,
            zone=self.policy.zone,
            prefix=self.prefix,
            receipt=receipt,
        )

    def get(self, number: str) -> WorkOrderRow:
        """The order ``number``; ``TicketNotFoundError`` if there is none."""
        row = repo.get_work_order(self.sessions, number=number)
        if row is None:
            raise TicketNotFoundError("work_order_not_found", f"no work order {number}", number=number)
        return row

    def history(self, number: str) -> list[HistoryRow]:
        """The order's events, oldest first."""
        return repo.work_order_history(self.sessions, number=number)

    def find(
        self,
        *,
        caller_number: str | None = None,
        status: Status | None = None,
        created_by: str | None = None,
        visible_to: str | None = None,
        callers: Collection[str] = (),
        limit: int = 50,
    ) -> list[WorkOrderRow]:
        """Orders newest first; ``visible_to`` keeps a user's own orders and the non-confidential
        orders of ``callers`` (see ``tickets.access``)."""
        return repo.list_work_orders(
            self.sessions,
            caller_number=caller_number,
            status=status,
            created_by=created_by,
            visible_to=visible_to,
            callers=callers,
            limit=limit,
        )

    def amend(self, number: str, update: Amendment, *, actor: str) -> WorkOrderRow:
        """Change intake fields of an order still at intake."""
        if update.matter_code is not None and self.catalogue.entry(update.matter_code) is None:
            raise TicketValidationError(
                "unknown_matter",
                f"matter {update.matter_code} is not in the catalogue",
                code=update.matter_code,
            )
        return repo.amend_work_order(
            self.sessions,
            number=number,
            actor=actor,
            matter=update.matter,
            matter_code=update.matter_code,
            content=update.content,
            address=update.address,
            urgency=update.urgency,
            elements=update.elements,
        )

    def _matter_class(self, row: WorkOrderRow, main: str) -> TimeClass | None:
        entry = self.catalogue.entry(row.matter_code) if row.matter_code else None
        if entry is not None and entry.time_class is not None:
            return entry.time_class
        department = self.catalogue.department(main)
        return None if department is None else department.time_class

    def dispatch(
        self, number: str, *, main: str, assist: Sequence[str] = (), actor: str, now: datetime | None = None
    ) -> WorkOrderRow:
        """Dispatch to catalogue departments; deadlines start now (``now`` for tests)."""
        unknown = [c for c in (main, *assist) if self.catalogue.department(c) is None]
        if unknown:
            raise TicketValidationError(
                "unknown_department", "departments are not in the dispatch catalogue", departments=unknown
            )
        start = now if now is not None else datetime.now(UTC)

        def deadlines_for(row: WorkOrderRow) -> Deadlines:
            return self.policy.deadlines(
                start, urgency=row.urgency, category=row.category, matter_class=self._matter_class(row, main)
            )

        return repo.dispatch_work_order(
            self.sessions,
            number=number,
            main=main,
            assist=tuple(assist),
            deadlines_for=deadlines_for,
            actor=actor,
            now=start,
        )

    def suggest(self, text: str, *, category: Category | None = None, limit: int = 3) -> list[Suggestion]:
        """Catalogue entries matching ``text``, best first."""
        return self.catalogue.suggest(text, category=category, limit=limit)

    def search_knowledge(self, query: str, *, limit: int = 10) -> list[ArticleHit]:
        """Knowledge-base articles for ``query``, best first."""
        return knowledge.search_articles(self.sessions, query=query, limit=limit)

    def add_article(self, *, title: str, body: str, tags: Sequence[str], created_by: str) -> ArticleRow:
        """Store a knowledge-base article."""
        return knowledge.add_article(self.sessions, title=title, body=body, tags=tags, created_by=created_by)

    def article(self, article_id: int) -> ArticleRow:
        """One article by id."""
        return knowledge.get_article(self.sessions, article_id=article_id)
