"""并单 suggestions: earlier orders that are likely the same matter as a given order.

A candidate is an order created within ``window_days`` before the given one (or after it), not
itself merged, that has the same caller number, or the same address (as stored: intake strips
it) and category with similar text.

Similarity is the Jaccard index of the character bigrams of the content (the terms the knowledge
search indexes, ``tickets.knowledge.bigrams``, less a few that every request uses such as 反映 or
问题; the matter is left out, as same-category orders often share it). Chinese has no spaces
between words, bigrams need no dictionary or extra dependency, and a repeat complaint about the
same thing shares its key bigrams (油烟, 噪音, 路灯) even when worded differently (measured:
0.25–0.29 between two wordings of one restaurant's fumes and noise, 0.0–0.04 against other
matters at that address). Same-caller candidates are all shown (a caller's other orders are few),
ranked by similarity; same-address ones only from ``min_similarity`` on, because one busy address
has many unrelated matters.

``find_like`` answers the same for an order still being typed (a ``Probe``: caller number, address,
category and content, as of now), so the agent's form can list suggestions before saving.

The two look-ups use the indexes on ``(caller_number, created_at)`` and ``(address, created_at)``
and read at most ``SCAN_LIMIT`` rows each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, sessionmaker

from tickets.errors import TicketNotFoundError
from tickets.knowledge_text import bigrams
from tickets.models import WorkOrder
from tickets.rowmap import work_order_rows
from tickets.rows import WorkOrderRow
from tickets.vocab import Status

DEFAULT_WINDOW_DAYS = 30
DEFAULT_MIN_SIMILARITY = 0.1
STOP_BIGRAMS = frozenset(
    {
        "反映",
        "问题",
        "投诉",
        "举报",
        "市民",
        "来电",
        "影响",
        "希望",
        "要求",
        "处理",
        "解决",
        "相关",
        "部门",
        "情况",
    }
)
"""Bigrams of the words nearly every request uses; they say nothing about the matter."""
SCAN_LIMIT = 200
SAME_CALLER = "same_caller"
SAME_ADDRESS = "same_address"


@dataclass(frozen=True, slots=True, kw_only=True)
class Duplicate:
    """A likely duplicate of an order: why it matched and how similar its text is (0..1)."""

    order: WorkOrderRow
    reasons: tuple[str, ...]
    similarity: float


def terms(content: str) -> set[str]:
    """The bigrams of an order's text that similarity compares (``STOP_BIGRAMS`` left out)."""
    return set(bigrams(content)) - STOP_BIGRAMS


def similarity(a: set[str], b: set[str]) -> float:
    """Jaccard index of two term sets (0 when both are empty)."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """What the look-ups compare: an order's caller number, address, category, text and time."""

    caller_number: str
    address: str
    category: str
    content: str
    created_at: datetime
    order_id: int | None = None
    """The order itself, left out of its own suggestions (None for an order not saved yet)."""

    @classmethod
    def of(cls, wo: WorkOrder) -> Probe:
        """The probe of a saved order."""
        return cls(
            caller_number=wo.caller_number,
            address=wo.address,
            category=wo.category,
            content=wo.content,
            created_at=wo.created_at,
            order_id=wo.id,
        )


@dataclass(frozen=True, slots=True)
class DuplicateFinder:
    """Finds likely duplicates; the window and threshold are configurable."""

    sessions: sessionmaker[Session]
    window_days: int = DEFAULT_WINDOW_DAYS
    min_similarity: float = DEFAULT_MIN_SIMILARITY

    def find(self, number: str, *, window_days: int | None = None, limit: int = 10) -> list[Duplicate]:
        """Likely duplicates of order ``number``, best first."""
        with self.sessions() as s:
            base = s.scalars(select(WorkOrder).where(WorkOrder.number == number)).one_or_none()
            if base is None:
                raise TicketNotFoundError("work_order_not_found", f"no work order {number}", number=number)
            return self._find(s, Probe.of(base), window_days, limit)

    def find_like(self, probe: Probe, *, window_days: int | None = None, limit: int = 10) -> list[Duplicate]:
        """Likely duplicates of an order described by ``probe`` (not saved yet), best first."""
        with self.sessions() as s:
            return self._find(s, probe, window_days, limit)

    def _find(self, s: Session, probe: Probe, window_days: int | None, limit: int) -> list[Duplicate]:
        days = self.window_days if window_days is None else window_days
        found = self._candidates(s, probe, timedelta(days=days))
        base_terms = terms(probe.content)
        scored: list[tuple[WorkOrder, tuple[str, ...], float]] = []
        for wo, reasons in found.values():
            score = similarity(base_terms, terms(wo.content))
            if SAME_CALLER in reasons or score >= self.min_similarity:
                scored.append((wo, reasons, round(score, 3)))
        scored.sort(key=lambda t: (-len(t[1]), -t[2], -t[0].created_at.timestamp(), t[0].id))
        scored = scored[: max(0, limit)]
        rows = work_order_rows(s, [wo for wo, _, _ in scored])
        return [Duplicate(order=r, reasons=t[1], similarity=t[2]) for r, t in zip(rows, scored, strict=True)]

    def _candidates(
        self, s: Session, base: Probe, window: timedelta
    ) -> dict[int, tuple[WorkOrder, tuple[str, ...]]]:
        def near(query: ColumnElement[bool]) -> list[WorkOrder]:
            q = (
                select(WorkOrder)
                .where(query)
                .where(WorkOrder.status != Status.MERGED.value)
                .where(WorkOrder.created_at >= base.created_at - window)
                .where(WorkOrder.created_at <= base.created_at + window)
                .order_by(WorkOrder.created_at.desc())
                .limit(SCAN_LIMIT)
            )
            if base.order_id is not None:
                q = q.where(WorkOrder.id != base.order_id)
            return list(s.scalars(q))

        found: dict[int, tuple[WorkOrder, tuple[str, ...]]] = {}
        if base.caller_number.strip():
            for wo in near(WorkOrder.caller_number == base.caller_number):
                found[wo.id] = (wo, (SAME_CALLER,))
        if base.address.strip():
            same_place = (WorkOrder.address == base.address) & (WorkOrder.category == base.category)
            for wo in near(same_place):
                reasons = found.get(wo.id, (wo, ()))[1]
                found[wo.id] = (wo, (*reasons, SAME_ADDRESS))
        return found
