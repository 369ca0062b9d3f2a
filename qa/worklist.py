"""Inspections, flags and scores: what the inspection pass stores and the QA page reads and writes.

An inspection is written once per call (a second writer, e.g. another app node, finds the row and
writes nothing). A call is on the work list when it was flagged or sampled (``state`` ``open``);
saving its score closes it (``scored``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import insert, writing
from hotline.db.models import Agent
from qa.errors import QaError
from qa.models import QaFlag, QaInspection, QaScore
from qa.rules import Flag

Sessions = sessionmaker[Session]
MAX_LIST = 500
_Query = Select[QaInspection, float]


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFacts:
    """What the work list shows of a call, copied from its record."""

    call_id: str
    started_at: datetime
    agent_id: str | None
    queue: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListFilter:
    """The work list's filters (None: any)."""

    reason: str | None = None  # flagged | sampled
    agent_id: str | None = None
    queue: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    state: str | None = None  # open | scored
    limit: int = 200


def record_inspection(
    sm: Sessions,
    call: CallFacts,
    *,
    flags: Sequence[Flag],
    sampled: bool,
    rules_version: int,
    now: datetime,
) -> bool:
    """Store the inspection of ``call`` with its flags; False when it was inspected already."""
    state = "open" if flags or sampled else "skipped"
    values = {
        "call_id": call.call_id,
        "inspected_at": now,
        "call_started_at": call.started_at,
        "agent_id": call.agent_id,
        "queue": call.queue,
        "rules_version": rules_version,
        "flag_count": len(flags),
        "sampled": sampled,
        "state": state,
    }
    with writing(sm) as s:
        stmt = (
            insert(s)(QaInspection)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["call_id"])
            .returning(QaInspection.call_id)
        )
        if s.execute(stmt).scalar_one_or_none() is None:  # rowcount is -1 here on PostgreSQL
            return False
        for f in flags:
            s.add(
                QaFlag(
                    call_id=call.call_id,
                    rule=f.rule,
                    side=f.side,
                    start_s=f.start_s,
                    end_s=f.end_s,
                    excerpt=f.excerpt[:200],
                )
            )
    return True


def _filtered(query: _Query, f: ListFilter) -> _Query:
    conditions = [QaInspection.state != "skipped"]
    if f.reason == "flagged":
        conditions.append(QaInspection.flag_count > 0)
    elif f.reason == "sampled":
        conditions.append(QaInspection.sampled.is_(True))
    if f.agent_id is not None:
        conditions.append(QaInspection.agent_id == f.agent_id)
    if f.queue is not None:
        conditions.append(QaInspection.queue == f.queue)
    if f.since is not None:
        conditions.append(QaInspection.call_started_at >= f.since)
    if f.until is not None:
        conditions.append(QaInspection.call_started_at < f.until)
    if f.state is not None:
        conditions.append(QaInspection.state == f.state)
    return query.where(*conditions)


def work_list(sm: Sessions, f: ListFilter) -> list[dict[str, Any]]:
    """Calls on the work list, newest first, with their flag rules and score."""
    query = _filtered(select(QaInspection, QaScore.score).outerjoin(QaScore), f)
    query = query.order_by(QaInspection.call_started_at.desc(), QaInspection.call_id)
    with sm() as s:
        rows = s.execute(query.limit(max(1, min(f.limit, MAX_LIST)))).all()
        ids = [r[0].call_id for r in rows]
        rules: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            for call_id, rule in s.execute(
                select(QaFlag.call_id, QaFlag.rule).where(QaFlag.call_id.in_(ids)).order_by(QaFlag.id)
            ):
                if rule not in rules[call_id]:
                    rules[call_id].append(rule)
        return [{**_inspection(i), "rules": rules[i.call_id], "score": score} for i, score in rows]


def filter_values(sm: Sessions) -> dict[str, Any]:
    """The distinct agents (id and name) and queues of the calls on the work list."""
    listed = QaInspection.state != "skipped"
    with sm() as s:
        agents = s.execute(
            select(QaInspection.agent_id, Agent.name)
            .outerjoin(Agent, Agent.agent_id == QaInspection.agent_id)
            .where(listed, QaInspection.agent_id.is_not(None))
            .distinct()
            .order_by(QaInspection.agent_id)
        ).all()
        queues = s.scalars(
            select(QaInspection.queue)
            .where(listed, QaInspection.queue.is_not(None))
            .distinct()
            .order_by(QaInspection.queue)
        ).all()
    return {
        "agents": [{"agent_id": a, "name": n or a} for a, n in agents],
        "queues": list(queues),
    }


def _inspection(i: QaInspection) -> dict[str, Any]:
    return {
        "call_id": i.call_id,
        "call_started_at": i.call_started_at,
        "inspected_at": i.inspected_at,
        "agent_id": i.agent_id,
        "queue": i.queue,
        "rules_version": i.rules_version,
        "flag_count": i.flag_count,
        "sampled": i.sampled,
        "state": i.state,
    }


def inspection_of(sm: Sessions, call_id: str) -> dict[str, Any]:
    """One inspection with its flags and score; 404 ``not_inspected`` when there is none."""
    with sm() as s:
        found = s.get(QaInspection, call_id)
        if found is None:
            raise QaError("not_inspected", "this call was not inspected", status_code=404)
        flags = s.execute(select(QaFlag).where(QaFlag.call_id == call_id).order_by(QaFlag.start_s, QaFlag.id))
        score = s.get(QaScore, call_id)
        return {
            **_inspection(found),
            "flags": [
                {"rule": f.rule, "side": f.side, "start_s": f.start_s, "end_s": f.end_s, "excerpt": f.excerpt}
                for f in flags.scalars()
            ],
            "score": None if score is None else _score(score),
        }


def _score(score: QaScore) -> dict[str, Any]:
    return {
        "items_version": score.items_version,
        "marks": dict(score.marks),
        "score": score.score,
        "comment": score.comment,
        "scored_by": score.scored_by,
        "scored_at": score.scored_at,
    }


def save_score(
    sm: Sessions,
    call_id: str,
    *,
    items_version: int,
    marks: Mapping[str, float],
    score: float,
    comment: str,
    by: str,
    now: datetime,
) -> None:
    """Store the score of an open call and close it; 404 when not on the list, 409 when scored."""
    with writing(sm) as s:
        closed = s.execute(
            update(QaInspection)
            .where(QaInspection.call_id == call_id, QaInspection.state == "open")
            .values(state="scored")
        )
        if _rowcount(closed) == 0:
            found = s.get(QaInspection, call_id)
            if found is None or found.state == "skipped":
                raise QaError("not_on_work_list", "this call is not on the QA work list", status_code=404)
            raise QaError("already_scored", "this call has been scored already", status_code=409)
        s.add(
            QaScore(
                call_id=call_id,
                items_version=items_version,
                marks=dict(marks),
                score=score,
                comment=comment,
                scored_by=by,
                scored_at=now,
            )
        )
