"""Typed chat refusals; the HTTP layer and the citizen socket report them as the one error body."""

from __future__ import annotations

from typing import Any


class ChatError(Exception):
    """A chat request that cannot be served; ``status_code`` for HTTP."""

    def __init__(self, error_id: str, message: str, *, status_code: int = 409, **details: Any) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.status_code = status_code
        self.details = details


def not_found(session_id: str) -> ChatError:
    """No such chat (or not the caller's)."""
    return ChatError("chat_not_found", f"no chat {session_id}", status_code=404, session_id=session_id)


def not_yours(session_id: str) -> ChatError:
    """The chat is not handled by the agent asking."""
    return ChatError("chat_not_yours", f"chat {session_id} is not handled by you", session_id=session_id)
