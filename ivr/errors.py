"""Errors the IVR reports across a boundary (HTTP, logs), with a stable ``error_id`` and ``details``."""

from __future__ import annotations

from typing import Any


class IvrError(Exception):
    """A refused IVR operation; ``status_code`` is what the HTTP layer answers with."""

    status_code = 400

    def __init__(
        self,
        error_id: str,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.message = message
        self.details: dict[str, Any] = details or {}
        if status_code is not None:
            self.status_code = status_code
