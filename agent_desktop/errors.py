"""Errors the desktop API reports with a stable ``error_id``."""

from __future__ import annotations


class DesktopError(Exception):
    """A request the desktop layer refuses; mapped to an HTTP status by the API."""

    def __init__(
        self, error_id: str, message: str, *, status_code: int = 400, details: dict[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.status_code = status_code
        self.details = details or {}
