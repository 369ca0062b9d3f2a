"""The Core statements of the writes every call makes (its record, its events, its agent's states),
built once per dialect (and per set of fields) and executed with parameters.

Built per write through the ORM, such a statement cost several times its SQL: construction, cache
key, ORM compile state, unit of work; the recorder makes some twenty of them per call. The
statements here are plain Core on the mapped tables, so column types still apply (UTC timestamps,
JSON details) and the results are those of the ORM statements they replace.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any, cast

from sqlalchemy import Insert, Select, Table, Update, bindparam, case, func, select
from sqlalchemy.dialects import postgresql, sqlite

from hotline.db.models import Agent, AgentStateLog, Call, CallEvent

__all__ = [
    "AGENT_KNOWN",
    "AGENT_STATE_INSERT",
    "CALLS",
    "EVENT_INSERT",
    "PLACEHOLDER",
    "WRAP_ADD",
    "call_started",
    "call_upsert",
]

CALLS = cast(Table, Call.__table__)
_EVENTS = cast(Table, CallEvent.__table__)
_AGENTS = cast(Table, Agent.__table__)
_AGENT_STATES = cast(Table, AgentStateLog.__table__)

EVENT_INSERT: Insert = _EVENTS.insert()
"""One call event: parameters ``call_id``, ``kind``, ``at``, ``detail``."""

AGENT_STATE_INSERT: Insert = _AGENT_STATES.insert()
"""One agent status/state change: the columns of ``agent_state_log`` but ``id``."""

AGENT_KNOWN: Select[tuple[str]] = select(_AGENTS.c.agent_id).where(
    _AGENTS.c.agent_id == bindparam("agent_id")
)
"""The agent ``agent_id`` if configured."""

WRAP_ADD: Update = (
    CALLS.update()
    .where(CALLS.c.call_id == bindparam("target"))
    .values(wrap_seconds=func.coalesce(CALLS.c.wrap_seconds, 0.0) + bindparam("seconds"))
)
"""Add ``seconds`` of wrap-up to the call ``target``."""

PLACEHOLDER: dict[str, Any] = {"caller": "", "channel": "", "dialed": "", "ivr_keys": ""}
"""What a call record created by a later step than its start holds until the start arrives."""


def _insert(dialect: str) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CALLS)


@cache
def call_started(dialect: str) -> Insert:
    """Upsert of a call entering the IVR (parameters ``call_id``, ``caller``, ``channel``, ``dialed``,
    ``ivr_keys``, ``entered_ivr_at``): a placeholder's blank fields are filled, the earliest entry kept."""
    stmt = _insert(dialect)
    table, new = CALLS.c, stmt.excluded
    return cast(
        Insert,
        stmt.on_conflict_do_update(
            index_elements=[table.call_id],
            set_={
                "caller": func.coalesce(func.nullif(table.caller, ""), new.caller),
                "channel": func.coalesce(func.nullif(table.channel, ""), new.channel),
                "dialed": func.coalesce(func.nullif(table.dialed, ""), new.dialed),
                "entered_ivr_at": case(
                    (new.entered_ivr_at < table.entered_ivr_at, new.entered_ivr_at),
                    else_=table.entered_ivr_at,
                ),
            },
        ),
    )


@lru_cache(maxsize=512)
def call_upsert(dialect: str, fields: frozenset[str]) -> Insert:
    """Insert of a call record (parameters: ``call_id``, ``entered_ivr_at``, ``PLACEHOLDER``'s and
    ``fields``) that, when the record exists, sets only ``fields`` (none: leaves it as it is)."""
    stmt = _insert(dialect)
    if not fields:
        return cast(Insert, stmt.on_conflict_do_nothing(index_elements=[CALLS.c.call_id]))
    return cast(
        Insert,
        stmt.on_conflict_do_update(
            index_elements=[CALLS.c.call_id], set_={f: stmt.excluded[f] for f in sorted(fields)}
        ),
    )
