"""Time segments of agents' states from ``agent_state_log``, in SQL.

Each log row holds from its ``at`` until the agent's next row (window function ``LEAD``); the last row
of an agent in the window holds until ``cap``. A *handling* is the run of rows from an agent's move
onto a call (state ``on_call`` with a call id the previous row did not have) up to their next such
move: its ``on_call`` rows are its talk, its ``wrap_up`` rows its wrap-up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, Subquery, and_, case, func, literal, or_, select

from hotline.db.models import AgentStateLog
from supervisor.kpis.sqlfn import epoch

ON_CALL = "on_call"
WRAP_UP = "wrap_up"
PAUSED = "paused"
IDLE = "idle"
LOGGED_OUT = "logged_out"


def log_rows(lo: datetime, hi: datetime, cap: datetime, *only: ColumnElement[bool]) -> Subquery:
    """Rows logged in [lo, hi) (and meeting the conditions ``only``) with their end (``until_s``, epoch
    seconds) and ``starts`` (1 when the row puts the agent on a new call)."""
    log = AgentStateLog
    order = (log.at, log.id)
    nxt = func.lead(epoch(log.at)).over(partition_by=log.agent_id, order_by=order)
    prev_state = func.lag(log.state).over(partition_by=log.agent_id, order_by=order)
    prev_call = func.lag(log.call_id).over(partition_by=log.agent_id, order_by=order)
    starts = case(
        (
            and_(
                log.state == ON_CALL,
                or_(
                    prev_state.is_(None),
                    prev_state != ON_CALL,
                    prev_call.is_(None),
                    log.call_id.is_(None),
                    prev_call != log.call_id,
                ),
            ),
            1,
        ),
        else_=0,
    )
    cap_s = literal(cap.timestamp())
    return (
        select(
            log.id,
            log.agent_id,
            log.status,
            log.state,
            log.pause_reason,
            log.call_id,
            log.at,
            epoch(log.at).label("from_s"),
            func.coalesce(nxt, cap_s).label("until_s"),
            starts.label("starts"),
        )
        .where(log.at >= lo, log.at < hi, *only)
        .subquery("log_rows")
    )


def handlings(
    lo: datetime,
    hi: datetime,
    cap: datetime,
    *,
    agents: Any = None,
    since: Any = None,
) -> Select[tuple[str | None, float, float]]:
    """Per call id: talk and wrap-up seconds of every handling of it whose rows lie in [lo, hi).

    ``agents`` (a SELECT of agent ids) and ``since`` (a scalar subquery of a time) narrow the rows read
    to those agents' rows from that time on: the caller names the agents and the earliest arrival of the
    calls it needs, so that when there are none the window reads no rows at all."""
    log = AgentStateLog
    only: list[ColumnElement[bool]] = []
    if agents is not None:
        only.append(log.agent_id.in_(agents))
    if since is not None:
        only.append(log.at >= since)
    rows = log_rows(lo, hi, cap, *only)
    grp = func.sum(rows.c.starts).over(
        partition_by=rows.c.agent_id, order_by=(rows.c.at, rows.c.id), rows=(None, 0)
    )
    dur = rows.c.until_s - rows.c.from_s
    numbered = select(
        rows.c.agent_id,
        rows.c.state,
        rows.c.call_id,
        dur.label("dur"),
        grp.label("grp"),
    ).subquery("numbered")
    talk = func.sum(case((numbered.c.state == ON_CALL, numbered.c.dur), else_=0.0))
    wrap = func.sum(case((numbered.c.state == WRAP_UP, numbered.c.dur), else_=0.0))
    call_id = func.max(case((numbered.c.state == ON_CALL, numbered.c.call_id), else_=None))
    per_handling = (
        select(call_id.label("call_id"), talk.label("talk_s"), wrap.label("wrap_s"))
        .where(numbered.c.grp > literal(0, Integer))
        .group_by(numbered.c.agent_id, numbered.c.grp)
        .subquery("per_handling")
    )
    return (
        select(
            per_handling.c.call_id,
            func.sum(per_handling.c.talk_s).label("talk_s"),
            func.sum(per_handling.c.wrap_s).label("wrap_s"),
        )
        .where(per_handling.c.call_id.is_not(None))
        .group_by(per_handling.c.call_id)
    )
