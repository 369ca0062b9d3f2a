"""Refusals of the supervisor routes, with a stable ``error_id`` (the desktop API's error body)."""

from __future__ import annotations

from agent_desktop.errors import DesktopError


class SupervisorError(DesktopError):
    """A supervision request refused; the HTTP layer answers ``status_code`` with the error body."""


def not_your_queue(queue: str) -> SupervisorError:
    """The call or agent is in a queue the supervisor does not supervise."""
    return SupervisorError(
        "queue_not_supervised",
        f"you do not supervise queue {queue!r}",
        status_code=403,
        details={"queue": queue},
    )


def no_session(session_id: str) -> SupervisorError:
    """No listening session of this supervisor has this id (it ended, or was never theirs)."""
    return SupervisorError(
        "no_supervision_session",
        "no such listening session",
        status_code=404,
        details={"session_id": session_id},
    )
