"""Typed refusals of the ACD core; each carries a stable ``error_id`` and a JSON-able ``details`` dict."""

from __future__ import annotations


class AcdError(Exception):
    """Base of every ACD refusal; the core's state is unchanged when one is raised."""

    error_id: str = "acd_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.details: dict[str, object] = details


class IllegalTransition(AcdError):
    """The event does not apply to the agent's or the call's current state."""

    error_id = "illegal_transition"


class UnknownAgent(AcdError):
    """No agent with this id has ever logged in."""

    error_id = "unknown_agent"


class UnknownCall(AcdError):
    """No live call with this id (never queued, or already ended)."""

    error_id = "unknown_call"


class UnknownQueue(AcdError):
    """The call names a queue that is not configured."""

    error_id = "unknown_queue"


class UnknownStrategy(AcdError):
    """A queue is configured with a strategy name that is not registered."""

    error_id = "unknown_strategy"


class UnknownPauseReason(AcdError):
    """The pause reason is not in the centre's configured list."""

    error_id = "unknown_pause_reason"


class StaleState(AcdError):
    """Another node changed the agent or call since it was read; nothing was written, retry."""

    error_id = "stale_state"


class InvalidConfig(AcdError):
    """Queue or policy configuration that the engine refuses to run with."""

    error_id = "invalid_config"
