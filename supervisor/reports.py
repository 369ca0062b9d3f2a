"""Daily, weekly and monthly reports per queue and per agent, built from the KPI functions.

A report covers one local (Asia/Shanghai) period: a day, a Monday-based week or a calendar month, from
local midnight to local midnight, never past now (today's report stops at the current time). Its rows
are the figures of each queue (or agent) over the whole period plus a total row; its ``intervals`` are
the whole centre's figures per hour (day) or per local day (week, month). Every figure comes from
``supervisor.kpis``, which aggregates in SQL: this module only chooses the windows and shapes the result.
Agent rows also carry the agent's average quality score of the period (``qa_score``, ``qa_scored``;
qa.report).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.models import Agent
from qa.report import qa_figures, qa_total, scores_by_agent
from supervisor.kpi_scope import EVERYTHING, KpiScope
from supervisor.kpis import AgentKpis, QueueKpis, agent_kpis, per_queue_kpis, queue_kpis

LOCAL = timezone(timedelta(hours=8), "Asia/Shanghai")
"""The centre's local time: periods start at local midnight."""
EARLIEST = date(2000, 1, 1)
"""Reports are refused for dates before this (no centre ran this software then)."""


class Period(StrEnum):
    """The span of a report."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class ReportKind(StrEnum):
    """What a report's rows are."""

    QUEUES = "queues"
    AGENTS = "agents"


@dataclasses.dataclass(frozen=True, slots=True)
class Window:
    """A report's time range, aware UTC, ``start`` inclusive and ``end`` exclusive."""

    period: Period
    day: date
    start: datetime
    end: datetime

    @property
    def interval(self) -> timedelta:
        """The breakdown step: an hour for a day's report, a day otherwise."""
        return timedelta(hours=1) if self.period is Period.DAY else timedelta(days=1)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL).astimezone(UTC)


def period_bounds(period: Period, day: date) -> tuple[date, date]:
    """The first local day of the period holding ``day`` and the first day after it."""
    if period is Period.DAY:
        return day, day + timedelta(days=1)
    if period is Period.WEEK:
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=7)
    first = day.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following


def report_window(period: Period, day: date, now: datetime) -> Window:
    """The UTC window of the ``period`` holding local ``day``, cut at ``now``; raises ValueError for a
    day before ``EARLIEST`` or after the local date of ``now``."""
    today = now.astimezone(LOCAL).date()
    if day < EARLIEST or day > today:
        raise ValueError(f"the date must be between {EARLIEST.isoformat()} and {today.isoformat()}")
    first, following = period_bounds(period, day)
    start = _local_midnight(first)
    end = min(_local_midnight(following), now.astimezone(UTC))
    return Window(period=period, day=first, start=start, end=max(end, start))


def kpi_dict(kpis: QueueKpis | AgentKpis) -> dict[str, Any]:
    """A KPI dataclass as a plain dict (datetimes kept as datetimes)."""
    return dataclasses.asdict(kpis)


def agent_names(session: Session) -> dict[str, str]:
    """Every user's display name by id."""
    return {row.agent_id: row.name for row in session.execute(select(Agent.agent_id, Agent.name))}


Sessions = sessionmaker[Session]
Part = Callable[[Session], Any]


def _centre_intervals(session: Session, window: Window, scope: KpiScope) -> list[dict[str, Any]]:
    rows = queue_kpis(
        session, start=window.start, end=window.end, interval=window.interval, queues=scope.queues
    )
    return [kpi_dict(r) for r in rows]


def _centre_total(session: Session, window: Window, scope: KpiScope) -> dict[str, Any] | None:
    totals = queue_kpis(session, start=window.start, end=window.end, queues=scope.queues)
    return kpi_dict(totals[0]) if totals else None


def _queue_rows(session: Session, window: Window, scope: KpiScope) -> list[dict[str, Any]]:
    rows = per_queue_kpis(session, start=window.start, end=window.end, queues=scope.queues or ())
    return [kpi_dict(r) for r in rows if scope.has_queue(r.queue or "")]


def _agent_rows(session: Session, window: Window, scope: KpiScope) -> list[dict[str, Any]]:
    names = agent_names(session)
    scores = scores_by_agent(session, start=window.start, end=window.end)
    rows = [
        {
            **kpi_dict(kpis),
            "name": names.get(kpis.agent_id, kpis.agent_id),
            **qa_figures(scores, kpis.agent_id),
        }
        for kpis in agent_kpis(session, start=window.start, end=window.end)
        if scope.has_agent(kpis.agent_id)
    ]
    return sorted(rows, key=lambda r: str(r["agent_id"]))


def agent_total(rows: list[dict[str, Any]], window: Window) -> dict[str, Any]:
    """The sum of agent rows, with AHT and occupancy worked out again from the sums."""
    answered = sum(int(r["answered"]) for r in rows)
    talk = sum(float(r["talk_s"]) for r in rows)
    wrap = sum(float(r["wrap_s"]) for r in rows)
    signed_in = sum(float(r["signed_in_s"]) for r in rows)
    pause: dict[str, float] = {}
    for r in rows:
        for reason, seconds in r["pause_s"].items():
            pause[reason] = pause.get(reason, 0.0) + float(seconds)
    available = signed_in - sum(pause.values())
    return {
        "agent_id": None,
        "name": "合计",
        "start": window.start,
        "end": window.end,
        "answered": answered,
        "talk_s": talk,
        "wrap_s": wrap,
        "aht_s": (talk + wrap) / answered if answered else None,
        "pause_s": dict(sorted(pause.items())),
        "signed_in_s": signed_in,
        "occupancy": (talk + wrap) / available if available > 0 else None,
        "transfers": sum(int(r["transfers"]) for r in rows),
        "three_way": sum(int(r["three_way"]) for r in rows),
        **qa_total(rows),
    }


def _read_all(sessions: Sessions, parts: dict[str, Part]) -> dict[str, Any]:
    """Run each part in its own session, all at once (each is one or two aggregate queries that the
    database can run side by side)."""

    def read(part: Part) -> Any:
        with sessions() as session:
            return part(session)

    with ThreadPoolExecutor(max_workers=len(parts), thread_name_prefix="report") as pool:
        futures = {name: pool.submit(read, part) for name, part in parts.items()}
        return {name: future.result() for name, future in futures.items()}


def build_report(
    sessions: Sessions, kind: ReportKind, window: Window, scope: KpiScope = EVERYTHING
) -> dict[str, Any]:
    """The queue or agent report of ``window``: ``rows`` per queue or agent, their ``total`` and the
    ``intervals``, within ``scope`` (``scope`` in the answer: None for the whole centre, else the queues;
    a supervisor: the queues they supervise, their calls taken together
    for the total and the breakdown, and the agents serving them; everything for an admin). The three
    parts are read side by side in separate sessions, so today's report may count a call that arrives
    meanwhile in one part and not in another."""
    head = {
        "period": str(window.period),
        "from": window.start,
        "to": window.end,
        "scope": None if scope.queues is None else sorted(scope.queues),
    }
    if window.end <= window.start:
        empty_total = agent_total([], window) if kind is ReportKind.AGENTS else None
        return {**head, "rows": [], "total": empty_total, "intervals": []}
    parts: dict[str, Part] = {"intervals": lambda s: _centre_intervals(s, window, scope)}
    if kind is ReportKind.QUEUES:
        parts |= {
            "rows": lambda s: _queue_rows(s, window, scope),
            "total": lambda s: _centre_total(s, window, scope),
        }
        got = _read_all(sessions, parts)
        return {**head, "rows": got["rows"], "total": got["total"], "intervals": got["intervals"]}
    parts["rows"] = lambda s: _agent_rows(s, window, scope)
    got = _read_all(sessions, parts)
    return {
        **head,
        "rows": got["rows"],
        "total": agent_total(got["rows"], window),
        "intervals": got["intervals"],
    }
