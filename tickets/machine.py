"""The closed loop of a work order as a transition table; no I/O.

Rules: ``TRANSITIONS[status][event]`` is the only place that says what may happen next. A status
missing from a row's keys accepts no event at all. An event not listed for the current status raises
``IllegalTransitionError`` and nothing changes: callers compute the next status first and write only
when this module agreed.

The loop (国办发〔2020〕53号): intake → dispatched → signed → (handling →) replied → callback_done →
evaluated → closed. Side paths: an order answered from the knowledge base closes at intake
(直接答复); a department returns a wrongly dispatched order (退单) and the centre re-dispatches it
(改派, also allowed before anyone signed); repeat requests are merged into an earlier order (并单);
a poor evaluation sends the order back for rework (重办); a closed order can be reopened.

Steps that are recorded but keep the status (self-loops, so they are checked like any event):

- 下派 ``hand_down``: the main department changes to a lower level and the order keeps its status.
  A dispatched order stays dispatched (the lower level signs it); a signed or handling one stays so
  (the upper level already signed in time, the lower level handles it). Deadlines do not move: the
  citizen's clock runs for the whole government, not per level.
- 延期 ``request_extension`` / ``approve_extension`` / ``refuse_extension`` while signed or handling;
  an approved extension moves the deadlines, never the status.
- ``call_back_failed``: a revisit that did not reach the citizen leaves the order replied, to be
  tried again; ``close_unreachable`` closes it after the configured attempts (回访未果).
- ``merge_in``: another order was merged into this open one.
- A merged order stays ``merged`` for ever but its citizen is still revisited once the main order
  has been replied to, so ``merged`` accepts the revisit events as self-loops.

A reply may come straight from ``signed`` (handling need not be declared first).
"""

from __future__ import annotations

from collections.abc import Mapping

from tickets.errors import IllegalTransitionError
from tickets.vocab import Event, Status

_EXTENSION_STEPS = (Event.REQUEST_EXTENSION, Event.APPROVE_EXTENSION, Event.REFUSE_EXTENSION)


def _stay(status: Status, *events: Event) -> dict[Event, Status]:
    return dict.fromkeys(events, status)


TRANSITIONS: Mapping[Status, Mapping[Event, Status]] = {
    Status.INTAKE: {
        Event.DISPATCH: Status.DISPATCHED,
        Event.ANSWER_DIRECTLY: Status.CLOSED,
        Event.MERGE: Status.MERGED,
        Event.MERGE_IN: Status.INTAKE,
    },
    Status.DISPATCHED: {
        Event.SIGN: Status.SIGNED,
        Event.RETURN: Status.RETURNED,
        Event.MERGE: Status.MERGED,
        Event.REDISPATCH: Status.DISPATCHED,
        **_stay(Status.DISPATCHED, Event.HAND_DOWN, Event.MERGE_IN),
    },
    Status.SIGNED: {
        Event.START_HANDLING: Status.HANDLING,
        Event.RETURN: Status.RETURNED,
        Event.REPLY: Status.REPLIED,
        **_stay(Status.SIGNED, Event.HAND_DOWN, Event.MERGE_IN, *_EXTENSION_STEPS),
    },
    Status.HANDLING: {
        Event.REPLY: Status.REPLIED,
        **_stay(Status.HANDLING, Event.HAND_DOWN, Event.MERGE_IN, *_EXTENSION_STEPS),
    },
    Status.REPLIED: {
        Event.CALL_BACK: Status.CALLBACK_DONE,
        Event.CLOSE_UNREACHABLE: Status.CLOSED,
        **_stay(Status.REPLIED, Event.CALL_BACK_FAILED, Event.MERGE_IN),
    },
    Status.CALLBACK_DONE: {
        Event.EVALUATE: Status.EVALUATED,
        Event.CLOSE: Status.CLOSED,
        Event.MERGE_IN: Status.CALLBACK_DONE,
    },
    Status.EVALUATED: {
        Event.CLOSE: Status.CLOSED,
        Event.REDO: Status.DISPATCHED,
        Event.MERGE_IN: Status.EVALUATED,
    },
    Status.CLOSED: {Event.REOPEN: Status.DISPATCHED},
    Status.RETURNED: {
        Event.REDISPATCH: Status.DISPATCHED,
        Event.ANSWER_DIRECTLY: Status.CLOSED,
        Event.MERGE: Status.MERGED,
        Event.MERGE_IN: Status.RETURNED,
    },
    Status.MERGED: _stay(Status.MERGED, Event.CALL_BACK, Event.CALL_BACK_FAILED, Event.EVALUATE),
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
