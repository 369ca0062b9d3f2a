"""Errors raised by the flow core; each carries a stable ``error_id`` and a ``details`` dict."""

from __future__ import annotations

from typing import Any


class FlowError(Exception):
    """A flow (or calendar) document could not be parsed or does not match the schema."""

    def __init__(self, error_id: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.message = message
        self.details: dict[str, Any] = details or {}


class FlowRunError(Exception):
    """The interpreter was driven wrongly (an input it does not expect, a naive datetime)."""

    def __init__(self, error_id: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.message = message
        self.details: dict[str, Any] = details or {}
