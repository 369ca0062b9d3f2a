"""Queue KPIs from ``calls`` (one row per call), ``call_events`` (callbacks, exits to voicemail,
transfers, three-way calls) and ``agent_state_log`` (handle times), aggregated in SQL.

A call belongs to the interval of its queue entry: ``queued_at``, or for a call that reached only the
static fallback queue (no ``queued_at``) its ``entered_ivr_at``. See docs/KPIS.md for every rule.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, exists, func, literal, or_, select, union
from sqlalchemy.orm import Session

from hotline.db.models import CITIZEN, Call, CallEvent
from hotline.guest_models import VideoCall
from supervisor.kpis.intervals import boundaries, check_range, origin
from supervisor.kpis.model import DEFAULT_SETTINGS, KpiRangeError, KpiSettings, QueueKpis, ratio
from supervisor.kpis.segments import handlings
from supervisor.kpis.sqlfn import epoch, floor_int

FALLBACK_QUEUE = "hotline-fallback"
"""``calls.queue`` of a call that went to Asterisk's static fallback queue."""
EMERGENCY_NUMBERS = ("110", "119", "120", "122")
TRANSFER_KINDS = ("queue", "agent", "attended", "number")
"""``transferred`` event kinds that hand the caller on (``three_way`` keeps the agent on the call)."""

_ZERO = {
    "offered": 0,
    "answered": 0,
    "answered_in_sl": 0,
    "abandoned": 0,
    "short_abandoned": 0,
    "callbacks": 0,
    "wait_sum": None,
    "handle_sum": None,
    "handled": 0,
    "transfers": 0,
    "three_way_110": 0,
    "three_way_departments": 0,
}


@dataclass(frozen=True)
class _Slice:
    start: datetime
    end: datetime
    queue: str | None
    queues: frozenset[str] | None = None
    """With ``queue`` None: only calls of these queues (None: every queue)."""


def _entry() -> ColumnElement[datetime]:
    return func.coalesce(Call.queued_at, Call.entered_ivr_at)


def _in_slice(s: _Slice) -> ColumnElement[bool]:
    entered = or_(
        and_(Call.queued_at >= s.start, Call.queued_at < s.end),
        and_(
            Call.queued_at.is_(None),
            Call.queue == FALLBACK_QUEUE,
            Call.entered_ivr_at >= s.start,
            Call.entered_ivr_at < s.end,
        ),
    )
    voice = ~exists().where(VideoCall.call_id == Call.call_id)  # video calls are their own channel
    cond = and_(Call.kind == CITIZEN, voice, entered)
    if s.queue is not None:
        return and_(cond, Call.queue == s.queue)
    if s.queues is not None:
        return and_(cond, Call.queue.in_(sorted(s.queues)))
    return cond


def _event_flags(s: _Slice, horizon: timedelta) -> Any:
    """Per call of the slice: callback booked, sent to voicemail, transfers and three-way calls. Only
    events within ``horizon`` of the slice are read (through the index on kind and time)."""
    e = CallEvent
    reason = e.detail["reason"].as_string()
    how = e.detail["kind"].as_string()
    target = e.detail["target"].as_string()
    transferred = e.kind == "transferred"
    three_way = and_(transferred, how == "three_way")

    def flag(cond: ColumnElement[bool]) -> Any:
        return func.max(case((cond, 1), else_=0))

    def count(cond: ColumnElement[bool]) -> Any:
        return func.sum(case((cond, 1), else_=0))

    return (
        select(
            e.call_id,
            flag(and_(e.kind == "waiting", reason == "callback")).label("callback"),
            flag(and_(e.kind == "ended", reason == "exited")).label("exited"),
            count(and_(transferred, how.in_(TRANSFER_KINDS))).label("transfers"),
            count(and_(three_way, target.in_(EMERGENCY_NUMBERS))).label("tw110"),
            count(and_(three_way, target.not_in(EMERGENCY_NUMBERS))).label("twdep"),
        )
        .where(
            e.kind.in_(("waiting", "ended", "transferred")),
            e.at >= s.start - horizon,
            e.at < s.end + horizon,
            e.call_id.in_(select(Call.call_id).where(_in_slice(s))),
        )
        .group_by(e.call_id)
        .subquery("flags")
    )


def _recorded() -> ColumnElement[bool]:
    """The call's record holds its handle time (talk and wrap-up), written by the recorder."""
    return and_(Call.talk_seconds.is_not(None), Call.wrap_seconds.is_not(None))


def _handled_from_log(s: _Slice, settings: KpiSettings, now: datetime) -> Any:
    """Talk and wrap-up per call from ``agent_state_log``, for the answered calls of the slice whose
    record lacks them (older records, calls still on). Only the rows of the agents those calls were
    connected to, from the earliest of their arrivals on, are read: none when there are no such calls."""
    pending = and_(_in_slice(s), Call.outcome == "answered", ~_recorded())
    pending_ids = select(Call.call_id).where(pending)
    e = CallEvent
    agents = union(
        select(Call.agent_id.label("agent_id")).where(pending, Call.agent_id.is_not(None)),
        select(e.detail["agent_id"].as_string().label("agent_id")).where(
            e.kind == "connected",
            e.at >= s.start,
            e.at < s.end + settings.handle_horizon,
            e.call_id.in_(pending_ids),
        ),
    )
    # an expression, not the bare indexed column: min() of that would walk the whole index
    arrived = func.coalesce(Call.entered_ivr_at, Call.queued_at)
    since = select(func.min(arrived)).where(pending).scalar_subquery()
    hi = s.end + settings.handle_horizon
    return handlings(s.start, hi, min(hi, now), agents=agents, since=since).subquery("handled")


def _per_call(s: _Slice, settings: KpiSettings, now: datetime, step: timedelta | None) -> Any:
    flags = _event_flags(s, settings.handle_horizon)
    handled = _handled_from_log(s, settings, now)
    entry_s = epoch(_entry())
    callback = func.coalesce(flags.c.callback, 0) == 1
    left = and_(
        Call.outcome.in_(("abandoned", "fallback")),
        Call.ended_at.is_not(None),
        ~callback,
        func.coalesce(flags.c.exited, 0) == 0,
    )
    end_wait = epoch(Call.ended_at) - entry_s
    short = and_(left, end_wait <= literal(settings.short_abandon_s, Float))
    answered = Call.outcome == "answered"
    wait = epoch(Call.answered_at) - entry_s
    if step is None:
        bucket: Any = literal(0)
    else:
        first = origin(s.start, step, settings.zone).timestamp()
        bucket = floor_int((entry_s - literal(first, Float)) / literal(step.total_seconds(), Float))
    return (
        select(
            Call.queue.label("queue"),
            bucket.label("bucket"),
            case((short, 1), else_=0).label("short"),
            case((and_(answered, ~short), 1), else_=0).label("answered"),
            case((and_(answered, wait <= literal(settings.service_level_s, Float)), 1), else_=0).label(
                "in_sl"
            ),
            case((and_(left, ~short), 1), else_=0).label("abandoned"),
            case((callback, 1), else_=0).label("callback"),
            case((answered, wait), else_=None).label("wait"),
            case(
                (and_(answered, _recorded()), Call.talk_seconds + Call.wrap_seconds),
                (answered, handled.c.talk_s + handled.c.wrap_s),
                else_=None,
            ).label("handle"),
            func.coalesce(flags.c.transfers, 0).label("transfers"),
            func.coalesce(flags.c.tw110, 0).label("tw110"),
            func.coalesce(flags.c.twdep, 0).label("twdep"),
        )
        .select_from(Call)
        .outerjoin(flags, flags.c.call_id == Call.call_id)
        .outerjoin(handled, handled.c.call_id == Call.call_id)
        .where(_in_slice(s))
        .subquery("per_call")
    )


def _aggregate(session: Session, per_call: Any, by: Sequence[Any]) -> Sequence[Any]:
    c = per_call.c
    stmt = select(
        *by,
        func.sum(1 - c.short).label("offered"),
        func.sum(c.answered).label("answered"),
        func.sum(c.in_sl).label("answered_in_sl"),
        func.sum(c.abandoned).label("abandoned"),
        func.sum(c.short).label("short_abandoned"),
        func.sum(c.callback).label("callbacks"),
        func.sum(c.wait).label("wait_sum"),
        func.sum(c.handle).label("handle_sum"),
        func.count(c.handle).label("handled"),
        func.sum(c.transfers).label("transfers"),
        func.sum(c.tw110).label("three_way_110"),
        func.sum(c.twdep).label("three_way_departments"),
    ).group_by(*by)
    return session.execute(stmt).all()


def _build(queue: str | None, start: datetime, end: datetime, f: dict[str, Any]) -> QueueKpis:
    answered = int(f["answered"] or 0)
    offered = int(f["offered"] or 0)
    handled = int(f["handled"] or 0)
    return QueueKpis(
        queue=queue,
        start=start,
        end=end,
        offered=offered,
        answered=answered,
        answered_in_sl=int(f["answered_in_sl"] or 0),
        abandoned=int(f["abandoned"] or 0),
        short_abandoned=int(f["short_abandoned"] or 0),
        callbacks=int(f["callbacks"] or 0),
        service_level=ratio(int(f["answered_in_sl"] or 0), answered),
        answer_rate=ratio(answered, offered),
        abandon_rate=ratio(int(f["abandoned"] or 0), offered),
        asa_s=None if answered == 0 else round(float(f["wait_sum"] or 0.0) / answered, 1),
        aht_s=None if handled == 0 else round(float(f["handle_sum"] or 0.0) / handled, 1),
        transfers=int(f["transfers"] or 0),
        three_way_110=int(f["three_way_110"] or 0),
        three_way_departments=int(f["three_way_departments"] or 0),
    )


def queue_kpis(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    queue: str | None = None,
    interval: timedelta | None = None,
    settings: KpiSettings = DEFAULT_SETTINGS,
    now: datetime | None = None,
    queues: Collection[str] | None = None,
) -> list[QueueKpis]:
    """KPIs of ``queue`` (None: the whole centre, or with ``queues`` the calls of those queues taken
    together) over [start, end): one row, or with ``interval`` one row per interval (local boundaries;
    empty intervals included, each clipped to [start, end))."""
    check_range(start, end)
    if interval is not None and interval <= timedelta(0):
        raise KpiRangeError("interval must be positive")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    among = None if queue is not None or queues is None else frozenset(queues)
    per_call = _per_call(_Slice(start, end, queue, among), settings, now or datetime.now(UTC), interval)
    rows = {int(r.bucket): r._asdict() for r in _aggregate(session, per_call, [per_call.c.bucket])}
    if interval is None:
        return [_build(queue, start, end, rows.get(0, _ZERO))]
    out = []
    for i, first in enumerate(boundaries(start, end, interval, settings.zone)):
        lo, hi = max(first.astimezone(UTC), start), min((first + interval).astimezone(UTC), end)
        out.append(_build(queue, lo, hi, rows.get(i, _ZERO)))
    return out


def per_queue_kpis(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    settings: KpiSettings = DEFAULT_SETTINGS,
    now: datetime | None = None,
    queues: Iterable[str] = (),
) -> list[QueueKpis]:
    """One row per queue that had calls entering it in [start, end), and per name in ``queues``
    (zeros when it had none), by queue name (one query)."""
    check_range(start, end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    per_call = _per_call(_Slice(start, end, None), settings, now or datetime.now(UTC), None)
    rows = _aggregate(session, per_call, [per_call.c.queue])
    found = {str(r.queue): r._asdict() for r in rows if r.queue is not None}
    names = sorted(set(found) | set(queues))
    return [_build(name, start, end, found.get(name, _ZERO)) for name in names]
