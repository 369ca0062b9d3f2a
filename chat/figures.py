"""Chats as their own channel in the live figures: per queue, chats waiting and in progress now (from
the ACD's state) and today's chats from the records (``chat_sessions``: offered, answered, abandoned,
mean wait of the answered ones). Today is the Beijing day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from acd.chats import is_chat
from acd.engine import AcdEngine
from acd.model import CallState
from chat.models import CHANNEL, ChatSession
from hotline.db.access import Sessions

LOCAL = ZoneInfo("Asia/Shanghai")


def day_start(now: float) -> datetime:
    """Midnight (Beijing) of the day of ``now``, in UTC."""
    local = datetime.fromtimestamp(now, LOCAL)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def chat_figures(sm: Sessions, engine: AcdEngine, now: float) -> dict[str, Any]:
    """Per queue: ``waiting`` and ``active`` chats now, and today's ``offered``, ``answered``,
    ``abandoned`` and ``mean_wait_s``."""
    live: dict[str, dict[str, int]] = {q: {"waiting": 0, "active": 0} for q in engine.queues}
    for call in engine.store.iter_calls():
        if is_chat(call) and call.queue in live:
            kind = "waiting" if call.state is CallState.WAITING else "active"
            live[call.queue][kind] += 1
    since = day_start(now)
    with sm() as s:
        rows = s.execute(
            select(
                ChatSession.queue,
                func.count(),
                func.sum(case((ChatSession.outcome == "answered", 1), else_=0)),
                func.sum(case((ChatSession.outcome == "abandoned", 1), else_=0)),
                func.avg(case((ChatSession.outcome == "answered", ChatSession.wait_seconds), else_=None)),
            )
            .where(ChatSession.queued_at >= since, ChatSession.queued_at < since + timedelta(days=1))
            .group_by(ChatSession.queue)
        ).all()
    today = {r[0]: r for r in rows}
    queues = []
    for name in sorted(set(live) | set(today)):
        r = today.get(name)
        queues.append(
            {
                "queue": name,
                "channel": CHANNEL,
                **live.get(name, {"waiting": 0, "active": 0}),
                "offered": int(r[1]) if r else 0,
                "answered": int(r[2] or 0) if r else 0,
                "abandoned": int(r[3] or 0) if r else 0,
                "mean_wait_s": round(float(r[4]), 1) if r and r[4] is not None else None,
            }
        )
    return {"channel": CHANNEL, "since": since.isoformat(), "queues": queues}
