"""Typed errors the data-access functions raise; each carries a stable ``error_id`` and ``details``."""

from __future__ import annotations


class RepositoryError(Exception):
    """A write or query the database layer refuses before touching the database."""

    def __init__(self, error_id: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.details: dict[str, object] = details


class InvalidValueError(RepositoryError, ValueError):
    """An argument is out of range or not UTC-aware (``error_id``: ``invalid_value``, ``naive_datetime``)."""


class UnknownAgentError(RepositoryError, LookupError):
    """A call record names an agent that is not configured (``error_id``: ``unknown_agent``)."""
