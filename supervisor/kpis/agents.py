"""Agent KPIs from ``agent_state_log`` (time in each state, clipped to the range) and ``call_events``
(transfers and three-way calls, credited to the agent the call was connected to when it happened)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, and_, case, func, literal, select
from sqlalchemy.orm import Session

from hotline.db.models import CallEvent
from supervisor.kpis.intervals import check_range
from supervisor.kpis.model import DEFAULT_SETTINGS, AgentKpis, KpiSettings, ratio
from supervisor.kpis.queues import TRANSFER_KINDS
from supervisor.kpis.segments import IDLE, LOGGED_OUT, ON_CALL, PAUSED, WRAP_UP, log_rows


def _clipped(rows: Any, start: datetime, end: datetime) -> Any:
    lo, hi = literal(start.timestamp(), Float), literal(end.timestamp(), Float)
    begin = case((rows.c.from_s > lo, rows.c.from_s), else_=lo)
    finish = case((rows.c.until_s < hi, rows.c.until_s), else_=hi)
    return case((finish > begin, finish - begin), else_=0.0)


def _times(
    session: Session,
    start: datetime,
    end: datetime,
    cap: datetime,
    agent: str | None,
    settings: KpiSettings,
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Per agent: signed-in, talk, wrap-up and paused seconds and calls taken; and pause seconds by
    reason. One pass over the log (grouped by agent and, for paused time, by reason)."""
    rows = log_rows(start - settings.state_lookback, end, cap)
    dur = _clipped(rows, start, end)
    lo = literal(start.timestamp(), Float)

    def total(cond: Any) -> Any:
        return func.sum(case((cond, dur), else_=0.0))

    paused = and_(rows.c.status == PAUSED, rows.c.state == IDLE)
    is_pause = case((paused, 1), else_=0)
    reason = case((paused, func.coalesce(rows.c.pause_reason, "")), else_=None)
    stmt = select(
        rows.c.agent_id,
        is_pause.label("is_pause"),
        reason.label("reason"),
        total(rows.c.status != LOGGED_OUT).label("signed_in_s"),
        total(rows.c.state == ON_CALL).label("talk_s"),
        total(rows.c.state == WRAP_UP).label("wrap_s"),
        func.sum(dur).label("all_s"),
        func.sum(case((and_(rows.c.starts == 1, rows.c.from_s >= lo), 1), else_=0)).label("answered"),
    ).group_by(rows.c.agent_id, is_pause, reason)
    if agent is not None:
        stmt = stmt.where(rows.c.agent_id == agent)
    times: dict[str, dict[str, float]] = {}
    by_reason: dict[str, dict[str, float]] = defaultdict(dict)
    for r in session.execute(stmt):
        f = times.setdefault(str(r.agent_id), dict.fromkeys(_SUMS, 0.0))
        for name in ("signed_in_s", "talk_s", "wrap_s", "answered"):
            f[name] += float(getattr(r, name) or 0.0)
        if r.is_pause:
            f["paused_s"] += float(r.all_s or 0.0)
            if float(r.all_s or 0.0) > 0:
                by_reason[str(r.agent_id)][str(r.reason)] = round(float(r.all_s), 1)
    return times, by_reason


_SUMS = ("signed_in_s", "talk_s", "wrap_s", "paused_s", "answered")


def _transfers(session: Session, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    """Per agent: transfers and three-way calls started in [start, end)."""
    t, c = CallEvent.__table__.alias("t"), CallEvent.__table__.alias("c")
    agent = (
        select(c.c.detail["agent_id"].as_string())
        .where(c.c.call_id == t.c.call_id, c.c.kind == "connected", c.c.at <= t.c.at)
        .order_by(c.c.at.desc(), c.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    how = t.c.detail["kind"].as_string()
    stmt = (
        select(agent.label("agent_id"), how.label("how"), func.count().label("n"))
        .where(t.c.kind == "transferred", t.c.at >= start, t.c.at < end)
        .group_by(agent, how)
    )
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"transfers": 0, "three_way": 0})
    for r in session.execute(stmt):
        if r.agent_id is None:
            continue
        key = "three_way" if r.how == "three_way" else "transfers" if r.how in TRANSFER_KINDS else None
        if key is not None:
            out[str(r.agent_id)][key] += int(r.n)
    return out


def agent_kpis(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    agent_id: str | None = None,
    settings: KpiSettings = DEFAULT_SETTINGS,
    now: datetime | None = None,
) -> list[AgentKpis]:
    """KPIs of every agent with logged state in [start, end) (or of ``agent_id``), by agent id.

    Time in a state is clipped to [start, end) and to ``now`` (the last row of an agent holds until
    then); ``answered`` counts moves onto a call in the range."""
    check_range(start, end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    cap = min(end, now or datetime.now(UTC))
    times, pauses = _times(session, start, end, cap, agent_id, settings)
    moves = _transfers(session, start, end)
    out = []
    for agent in sorted(times):
        f = times[agent]
        talk, wrap = float(f["talk_s"] or 0.0), float(f["wrap_s"] or 0.0)
        signed_in, paused = float(f["signed_in_s"] or 0.0), float(f["paused_s"] or 0.0)
        answered = int(f["answered"] or 0)
        if signed_in <= 0 and answered == 0 and agent not in moves:
            continue
        out.append(
            AgentKpis(
                agent_id=agent,
                start=start,
                end=end,
                answered=answered,
                talk_s=round(talk, 1),
                wrap_s=round(wrap, 1),
                aht_s=None if answered == 0 else round((talk + wrap) / answered, 1),
                pause_s=pauses.get(agent, {}),
                signed_in_s=round(signed_in, 1),
                occupancy=ratio(talk + wrap, signed_in - paused) if signed_in - paused > 0 else None,
                transfers=moves[agent]["transfers"] if agent in moves else 0,
                three_way=moves[agent]["three_way"] if agent in moves else 0,
            )
        )
    return out
