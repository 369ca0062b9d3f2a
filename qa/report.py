"""QA scores in the agent reports: each agent's average score over the calls of a period."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qa.models import QaInspection, QaScore


def scores_by_agent(session: Session, *, start: datetime, end: datetime) -> dict[str, tuple[float, int]]:
    """Per agent, the average score and the number of scored calls that started in [start, end)."""
    query = (
        select(QaInspection.agent_id, func.avg(QaScore.score), func.count())
        .join(QaScore, QaScore.call_id == QaInspection.call_id)
        .where(
            QaInspection.agent_id.is_not(None),
            QaInspection.call_started_at >= start,
            QaInspection.call_started_at < end,
        )
        .group_by(QaInspection.agent_id)
    )
    return {str(a): (round(float(avg), 1), int(n)) for a, avg, n in session.execute(query)}


def qa_figures(scores: Mapping[str, tuple[float, int]], agent_id: str) -> dict[str, Any]:
    """The report fields of one agent: ``qa_score`` (None when no call was scored) and ``qa_scored``."""
    avg, n = scores.get(agent_id, (None, 0))
    return {"qa_score": avg, "qa_scored": n}


def qa_total(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The total row's fields: the average over every scored call of the rows."""
    pairs = [(float(r["qa_score"]), int(r["qa_scored"])) for r in rows if r.get("qa_score") is not None]
    n = sum(c for _, c in pairs)
    return {"qa_score": round(sum(s * c for s, c in pairs) / n, 1) if n else None, "qa_scored": n}
