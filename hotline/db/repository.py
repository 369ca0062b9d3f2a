"""Typed data access to call records (agents: ``hotline.db.agents``, re-exported here, so callers use
``repository`` alone): every function takes a ``sessionmaker`` and runs in its own short transaction
(the writes also take an open session instead: ``hotline.db.access.WriteTo``).

Callers never hold a session or commit: a function returns once its write is committed, or returns
immutable rows (``hotline.db.rows``) read in one transaction. Writes never lose a record:

- ``record_call_started`` is an upsert; a second start for the same ``call_id`` keeps the first
  values and only fills fields a placeholder left empty.
- ``update_call`` for an unknown ``call_id`` first creates a placeholder row (empty caller, channel
  and dialed; ``entered_ivr_at`` = the earliest timestamp given, else now) and then applies the update.
- ``None`` in ``update_call`` means "leave unchanged"; values are never cleared.
- ``add_call_event_once`` records a step that every app node reports (each hears the same Asterisk
  event) exactly once: the first report is written together with its changes to the call record;
  later reports of the same ``once_key`` change nothing and return ``False``.
- ``record_call_abandoned`` never overrides a later fact: a call already answered keeps its outcome
  (only its end moves later), a call already in the static fallback queue is left alone.

A call's ``kind`` is ``citizen`` unless an ``update_call(kind="consult")`` marked it as an agent's
consultation leg; ``list_calls`` (by default) and the caller's history list citizen calls only.

Refusals happen before anything is written and raise ``hotline.db.errors`` types: naive datetimes
or a survey score outside 1-5 (``InvalidValueError``), an ``agent_id`` nobody configured
(``UnknownAgentError``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal, TypedDict

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from hotline.db import call_statements as statements
from hotline.db.access import Sessions, WriteTo, aware, insert, row, writing
from hotline.db.agents import Role, agent_state_history, get_agent, list_agents, log_agent_state, upsert_agent
from hotline.db.errors import InvalidValueError, UnknownAgentError
from hotline.db.models import CITIZEN, Call, CallEvent
from hotline.db.rows import AgentRow, AgentStateRow, CallEventRow, CallRow

__all__ = [
    "AgentRow",
    "AgentStateRow",
    "CallEventRow",
    "CallKind",
    "CallRow",
    "CallUpdate",
    "Outcome",
    "Role",
    "add_call_event",
    "add_call_event_once",
    "agent_state_history",
    "call_events",
    "calls_from_caller",
    "count_calls_from_caller",
    "get_agent",
    "get_call",
    "list_agents",
    "list_calls",
    "log_agent_state",
    "record_call_abandoned",
    "record_call_started",
    "update_call",
    "upsert_agent",
]

Outcome = Literal["answered", "abandoned", "fallback", "ivr_hangup"]
CallKind = Literal["citizen", "consult"]


def record_call_started(
    sm: WriteTo, *, call_id: str, caller: str, channel: str, dialed: str, at: datetime
) -> None:
    """Record a call entering the IVR; repeating it for the same ``call_id`` is harmless."""
    at = aware(at, "at")
    with writing(sm) as s:
        s.execute(
            statements.call_started(_dialect(s)),
            {
                "call_id": call_id,
                "caller": caller,
                "channel": channel,
                "dialed": dialed,
                "ivr_keys": "",
                "entered_ivr_at": at,
            },
        )


def _dialect(s: Session) -> str:
    return s.get_bind().dialect.name


def _upsert_call(s: Session, call_id: str, at: datetime, changes: Mapping[str, Any]) -> None:
    """Create the record (a placeholder entered at ``at``) with ``changes``, or apply them to it."""
    params = {**statements.PLACEHOLDER, "entered_ivr_at": at, **changes, "call_id": call_id}
    s.execute(statements.call_upsert(_dialect(s), frozenset(changes)), params)


def _ensure_call(s: Session, call_id: str, at: datetime) -> None:
    _upsert_call(s, call_id, at, {})


def _check_agent(s: Session, agent_id: str, call_id: str) -> None:
    """Refuse an agent nobody configured (agents found once are not looked up again in ``s``)."""
    known: set[str] = s.info.setdefault("hotline_known_agents", set())
    if agent_id in known:
        return
    if s.execute(statements.AGENT_KNOWN, {"agent_id": agent_id}).first() is None:
        raise UnknownAgentError(
            "unknown_agent", f"agent {agent_id} is not configured", agent_id=agent_id, call_id=call_id
        )
    known.add(agent_id)


def _check_call_fields(changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        if isinstance(value, datetime):
            changes[name] = aware(value, name)
    score = changes.get("survey_score")
    if score is not None and not 1 <= score <= 5:
        raise InvalidValueError(
            "invalid_value", "survey_score must be 1-5", field="survey_score", value=score
        )


class CallUpdate(TypedDict, total=False):
    """Fields of a call record to set (see ``update_call``)."""

    queue: str
    ivr_keys: str
    ivr_flow_version: str
    queued_at: datetime
    offered_at: datetime
    answered_at: datetime
    ended_at: datetime
    agent_id: str
    outcome: Outcome
    wait_seconds: float
    talk_seconds: float
    recording_path: str
    survey_score: int
    kind: CallKind
    confidential: bool


def _checked(changes: Mapping[str, object]) -> dict[str, Any]:
    """The given (not ``None``) fields, validated; timestamps converted to UTC."""
    given = {k: v for k, v in changes.items() if v is not None}
    _check_call_fields(given)
    return given


def _apply(s: Session, call_id: str, changes: dict[str, Any], *, at: datetime | None = None) -> None:
    """Refuse an unconfigured agent, create the row if needed (earliest stamp given, else ``at`` or
    now), then write ``changes`` (already ``_checked``)."""
    agent_id = changes.get("agent_id")
    if agent_id is not None:
        _check_agent(s, agent_id, call_id)
    stamps = [v for v in changes.values() if isinstance(v, datetime)]
    _upsert_call(s, call_id, min(stamps, default=at or datetime.now(UTC)), changes)


def update_call(
    sm: WriteTo,
    *,
    call_id: str,
    queue: str | None = None,
    ivr_keys: str | None = None,
    ivr_flow_version: str | None = None,
    queued_at: datetime | None = None,
    offered_at: datetime | None = None,
    answered_at: datetime | None = None,
    ended_at: datetime | None = None,
    agent_id: str | None = None,
    outcome: Outcome | None = None,
    wait_seconds: float | None = None,
    talk_seconds: float | None = None,
    recording_path: str | None = None,
    survey_score: int | None = None,
    kind: CallKind | None = None,
    confidential: bool | None = None,
) -> None:
    """Set the given fields of call ``call_id`` (``None`` = unchanged), creating the row if needed."""
    given = {
        "queue": queue,
        "ivr_keys": ivr_keys,
        "ivr_flow_version": ivr_flow_version,
        "queued_at": queued_at,
        "offered_at": offered_at,
        "answered_at": answered_at,
        "ended_at": ended_at,
        "agent_id": agent_id,
        "outcome": outcome,
        "wait_seconds": wait_seconds,
        "talk_seconds": talk_seconds,
        "recording_path": recording_path,
        "survey_score": survey_score,
        "kind": kind,
        "confidential": confidential,
    }
    changes = _checked(given)
    with writing(sm) as s:
        _apply(s, call_id, changes)


def record_call_abandoned(
    sm: WriteTo, *, call_id: str, ended_at: datetime, wait_seconds: float, outcome: str = "abandoned"
) -> None:
    """The caller left the ACD without (or no longer) talking to an agent.

    Without an outcome yet the call becomes ``outcome``: ``abandoned``, or ``node_failure`` when the
    Asterisk node holding the call died (end and wait set). A call already
    ``answered`` (transferred back to a queue, answered in the fallback queue, or answered through
    another app node, which then did not see the talk end) keeps its outcome and its wait; its end
    becomes ``ended_at`` unless a later end is recorded, and a talk time not yet recorded is the time
    from its answer to that end. Any other outcome (``fallback``: the caller is now in the static
    queue, whose own records finish the call) is kept untouched. So the result does not depend on
    which app node's report arrives first.
    """
    ended_at = aware(ended_at, "ended_at")
    with writing(sm) as s:
        _ensure_call(s, call_id, ended_at)
        s.execute(
            update(Call)
            .where(Call.call_id == call_id, Call.outcome.is_(None))
            .values(outcome=outcome, ended_at=ended_at, wait_seconds=wait_seconds)
        )
        s.execute(
            update(Call)
            .where(
                Call.call_id == call_id,
                Call.outcome == "answered",
                or_(Call.ended_at.is_(None), Call.ended_at < ended_at),
            )
            .values(ended_at=ended_at)
        )
        answered = s.execute(
            select(Call.answered_at).where(
                Call.call_id == call_id,
                Call.outcome == "answered",
                Call.talk_seconds.is_(None),
                Call.answered_at.is_not(None),
            )
        ).scalar_one_or_none()
        if answered is not None:
            talk = max(0.0, (ended_at - answered).total_seconds())
            s.execute(
                update(Call)
                .where(Call.call_id == call_id, Call.talk_seconds.is_(None))
                .values(talk_seconds=talk)
            )


def add_call_event(
    sm: WriteTo, *, call_id: str, kind: str, at: datetime, detail: Mapping[str, object] | None = None
) -> None:
    """Append one event to a call's history (the call row need not exist)."""
    at = aware(at, "at")
    with writing(sm) as s:
        s.execute(
            statements.EVENT_INSERT,
            {"call_id": call_id, "kind": kind, "at": at, "detail": dict(detail or {})},
        )


def add_call_event_once(
    sm: WriteTo,
    *,
    call_id: str,
    once_key: str,
    kind: str,
    at: datetime,
    detail: Mapping[str, object] | None = None,
    call: CallUpdate | None = None,
) -> bool:
    """Append the event and apply ``call`` to the record, unless ``(call_id, once_key)`` is recorded.

    One transaction: the event is inserted if absent (a concurrent insert of the same key by another
    node waits for it, then finds it) and ``call`` is applied only when this insert happened.
    Returns whether it did. A refusal (naive datetime, unconfigured agent) leaves nothing written.
    """
    at = aware(at, "at")
    changes = _checked(call or {})
    with writing(sm) as s:
        stmt = insert(s)(CallEvent).values(
            call_id=call_id, kind=kind, at=at, detail=dict(detail or {}), once_key=once_key
        )
        stmt = stmt.on_conflict_do_nothing(index_elements=[CallEvent.call_id, CallEvent.once_key])
        if s.scalar(stmt.returning(CallEvent.id)) is None:
            return False
        _apply(s, call_id, changes, at=at)
        return True


def get_call(sm: Sessions, *, call_id: str) -> CallRow | None:
    """The call ``call_id``, or ``None``."""
    with sm() as s:
        call = s.get(Call, call_id)
        return None if call is None else row(CallRow, call)


def list_calls(
    sm: Sessions,
    *,
    since: datetime | None = None,
    caller_prefix: str | None = None,
    limit: int = 1000,
    kind: CallKind | None = "citizen",
) -> list[CallRow]:
    """Calls newest first (by ``entered_ivr_at``), optionally from ``since`` on and by caller prefix.

    Citizen calls only unless ``kind`` asks for consultations (``consult``) or everything (``None``).
    """
    query = select(Call).order_by(Call.entered_ivr_at.desc(), Call.call_id.desc()).limit(max(0, limit))
    if kind is not None:
        query = query.where(Call.kind == kind)
    if since is not None:
        query = query.where(Call.entered_ivr_at >= aware(since, "since"))
    if caller_prefix:
        query = query.where(Call.caller.startswith(caller_prefix, autoescape=True))
    with sm() as s:
        return [row(CallRow, c) for c in s.scalars(query)]


def _from_caller(
    caller: str, *, since: datetime, before: datetime, exclude_call_id: str | None
) -> list[ColumnElement[bool]]:
    where = [
        Call.caller == caller,
        Call.kind == CITIZEN,
        Call.entered_ivr_at >= aware(since, "since"),
        Call.entered_ivr_at < aware(before, "before"),
    ]
    if exclude_call_id is not None:
        where.append(Call.call_id != exclude_call_id)
    return where


def calls_from_caller(
    sm: Sessions,
    *,
    caller: str,
    since: datetime,
    before: datetime,
    exclude_call_id: str | None = None,
    limit: int = 20,
) -> list[CallRow]:
    """Citizen calls from exactly ``caller`` that entered in ``[since, before)``, newest first, at most
    ``limit`` (an agent's consultation legs carry the citizen's number but are not the citizen's calls)."""
    where = _from_caller(caller, since=since, before=before, exclude_call_id=exclude_call_id)
    query = (
        select(Call)
        .where(*where)
        .order_by(Call.entered_ivr_at.desc(), Call.call_id.desc())
        .limit(max(0, limit))
    )
    with sm() as s:
        return [row(CallRow, c) for c in s.scalars(query)]


def count_calls_from_caller(
    sm: Sessions, *, caller: str, since: datetime, before: datetime, exclude_call_id: str | None = None
) -> int:
    """How many citizen calls from exactly ``caller`` entered in ``[since, before)``."""
    where = _from_caller(caller, since=since, before=before, exclude_call_id=exclude_call_id)
    with sm() as s:
        return int(s.scalar(select(func.count()).select_from(Call).where(*where)) or 0)


def call_events(sm: Sessions, *, call_id: str) -> list[CallEventRow]:
    """A call's events in the order they happened."""
    query = select(CallEvent).where(CallEvent.call_id == call_id).order_by(CallEvent.at, CallEvent.id)
    with sm() as s:
        return [row(CallEventRow, e) for e in s.scalars(query)]
