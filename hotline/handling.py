"""An agent's handling of a call followed through ``agent.changed`` events, so the wrap-up seconds of
the call can be written to its record when the wrap-up ends (``calls.wrap_seconds``, read by the KPIs
of docs/KPIS.md instead of working handle times out from ``agent_state_log``).

A handling starts when the agent's state becomes ``on_call`` with a call id (after any other state, or
with another call id) and ends when the agent leaves ``wrap_up`` (or leaves ``on_call`` for a state
other than ``wrap_up``: no wrap-up, 0 s). Status changes within wrap-up (a pause chosen during it) do
not end it. When the events show a gap (on a call, then on another call without leaving the first),
nothing is written: the record keeps NULL and the KPIs read the state log for that call.
"""

from __future__ import annotations

from dataclasses import dataclass

ON_CALL = "on_call"
WRAP_UP = "wrap_up"


@dataclass
class _Handling:
    call_id: str
    wrap_since: float | None = None


class HandlingTracker:
    """Per agent, the handling in progress; ``changed`` returns the wrap-up that just ended."""

    def __init__(self) -> None:
        self._current: dict[str, _Handling] = {}

    def changed(self, agent_id: str, state: str, call_id: str | None, at: float) -> tuple[str, float] | None:
        """Apply one state change of ``agent_id`` at ``at`` (epoch seconds); the call id and wrap-up
        seconds of a handling it ended, if it ended one."""
        ended: tuple[str, float] | None = None
        cur = self._current.pop(agent_id, None)
        if cur is not None:
            if cur.wrap_since is not None:
                if state == WRAP_UP:
                    self._current[agent_id] = cur
                    return None
                ended = (cur.call_id, max(0.0, at - cur.wrap_since))
            elif state == WRAP_UP:
                cur.wrap_since = at
                self._current[agent_id] = cur
                return None
            elif state == ON_CALL and call_id == cur.call_id:
                self._current[agent_id] = cur
                return None
            elif state != ON_CALL:
                ended = (cur.call_id, 0.0)
        if state == ON_CALL and call_id:
            self._current[agent_id] = _Handling(call_id)
        return ended
