"""The closed loop of a work order as a transition table; no I/O.

Rules: ``TRANSITIONS[status][event]`` is the only place that says what may happen next. A status
missing from a row's keys accepts no event at all (``merged`` is terminal). An event not listed
for the current status raises ``IllegalTransitionError`` and nothing changes: callers compute the
next status first and write only when this module agreed.

The loop (国办发〔2020〕53号): intake → dispatched → signed → handling → replied → callback_done →
evaluated → closed. Side paths: an order answered from the knowledge base closes at intake
(直接答复); a department returns a wrongly dispatched order (退单) and the centre re-dispatches it
(改派); repeat requests are merged into an earlier order (并单); a poor evaluation sends the order
back for rework (重办); a closed order can be reopened.
"""

from __future__ import annotations

from collections.abc import Mapping

from tickets.errors import IllegalTransitionError
from tickets.vocab import Event, Status

TRANSITIONS: Mapping[Status, Mapping[Event, Status]] = {
    Status.INTAKE: {
        Event.DISPATCH: Status.DISPATCHED,
        Event.ANSWER_DIRECTLY: Status.CLOSED,
        Event.MERGE: Status.MERGED,
    },
    Status.DISPATCHED: {
        Event.SIGN: Status.SIGNED,
        Event.RETURN: Status.RETURNED,
        Event.MERGE: Status.MERGED,
    },
    Status.SIGNED: {Event.START_HANDLING: Status.HANDLING, Event.RETURN: Status.RETURNED},
    Status.HANDLING: {Event.REPLY: Status.REPLIED},
    Status.REPLIED: {Event.CALL_BACK: Status.CALLBACK_DONE},
    Status.CALLBACK_DONE: {Event.EVALUATE: Status.EVALUATED},
    Status.EVALUATED: {Event.CLOSE: Status.CLOSED, Event.REDO: Status.DISPATCHED},
    Status.CLOSED: {Event.REOPEN: Status.DISPATCHED},
    Status.RETURNED: {
        Event.REDISPATCH: Status.DISPATCHED,
        Event.ANSWER_DIRECTLY: Status.CLOSED,
        Event.MERGE: Status.MERGED,
    },
    Status.MERGED: {},
}


def next_status(status: Status, event: Event) -> Status:
    """The status after ``event`` happens in ``status``; ``IllegalTransitionError`` if it may not."""
    allowed = TRANSITIONS[status]
    if event not in allowed:
        raise IllegalTransitionError(
            "illegal_transition",
            f"a work order in status {status.value} does not accept {event.value}",
            status=status.value,
            event=event.value,
            allowed=sorted(e.value for e in allowed),
        )
    return allowed[event]


def allowed_events(status: Status) -> list[Event]:
    """The events ``status`` accepts, in table order."""
    return list(TRANSITIONS[status])
