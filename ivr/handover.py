"""How a finished flow leaves the IVR: channel variables that route the call in the dialplan.

``HOTLINE_ROUTE`` is set last and picks the dialplan branch: ``acd`` (wait for the ACD with
``HOTLINE_QUEUE``/``PRIORITY``/``TAGS``/``SKILLS``), ``transfer`` (``HOTLINE_TRANSFER_TO`` through the
trunk context), ``message`` (``Record()`` to ``HOTLINE_MESSAGE_FILE``) or ``hangup``. A work-order
status request plays its answer here, then goes to a person like a queue outcome.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from hotline.fastagi.session import AgiSession
from ivr.catalog import LivePack
from ivr.flow import (
    Hangup,
    LeaveMessage,
    Outcome,
    SurveyResult,
    ToQueue,
    Transfer,
    WorkOrderStatus,
)
from ivr.player import ActionPlayer

NOT_FOUND_PROMPT = "work_order_not_found"
WORK_ORDER_TAG = "work_order_query"
StatusAnswer = Callable[[str | None, str], Awaitable[str | None]]
"""(keyed order number, calling number) -> the prompt that answers, or None when there is no such order."""


@dataclass(frozen=True, slots=True)
class Handover:
    """What was handed to the dialplan: the route, its variables, and the queue (acd only)."""

    route: str
    variables: dict[str, str] = field(default_factory=dict)
    queue: str | None = None
    tags: tuple[str, ...] = ()


def _queue(outcome: ToQueue) -> Handover:
    variables = {
        "HOTLINE_QUEUE": outcome.queue,
        "HOTLINE_PRIORITY": str(outcome.priority),
        "HOTLINE_TAGS": ",".join(outcome.tags),
        "HOTLINE_SKILLS": ",".join(outcome.skills),
        "HOTLINE_PREFERRED_AGENT": outcome.preferred_agent or "",
    }
    return Handover("acd", variables, outcome.queue, outcome.tags)


def _message(outcome: LeaveMessage, base: str) -> Handover:
    variables = {
        "HOTLINE_MESSAGE_FILE": base,
        "HOTLINE_MESSAGE_MAX": str(outcome.max_seconds),
        "HOTLINE_CALLBACK": "1" if outcome.callback else "0",
        "HOTLINE_TAGS": ",".join(outcome.tags),
    }
    return Handover("message", variables, None, outcome.tags)


async def plan(
    outcome: Outcome,
    *,
    pack: LivePack,
    tags: tuple[str, ...],
    player: ActionPlayer,
    session: AgiSession,
    order_status: StatusAnswer | None = None,
) -> Handover:
    """Play what the outcome itself says and decide the dialplan route (``tags``: the run's tags).

    A work-order status request plays ``order_status``'s answer (the not-found prompt without one).
    """
    if isinstance(outcome, ToQueue):
        return _queue(outcome)
    if isinstance(outcome, WorkOrderStatus):
        answer = None if order_status is None else await order_status(outcome.order_number, outcome.caller)
        await player.play(answer or NOT_FOUND_PROMPT)
        return _queue(
            ToQueue(queue=pack.main.fallback_queue, tags=(*dict.fromkeys([*tags, WORK_ORDER_TAG]),))
        )
    if isinstance(outcome, Transfer):
        return Handover("transfer", {"HOTLINE_TRANSFER_TO": outcome.number})
    if isinstance(outcome, LeaveMessage):
        if outcome.prompt:
            await player.play(outcome.prompt)
        spool = await session.get_variable("ASTSPOOLDIR") or "/var/spool/asterisk"
        return _message(outcome, f"{spool}/monitor/message-{session.uniqueid}")
    if isinstance(outcome, Hangup | SurveyResult):
        return Handover("hangup")
    raise TypeError(f"unknown outcome {outcome!r}")


async def apply(session: AgiSession, handover: Handover, *, keys: str, flow_version: str) -> None:
    """Set the route's variables, then ``HOTLINE_ROUTE``."""
    common = {"HOTLINE_KEYS": keys, "HOTLINE_FLOW_VERSION": flow_version}
    await session.set_variables(common | handover.variables | {"HOTLINE_ROUTE": handover.route})
