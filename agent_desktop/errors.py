"""Errors the desktop API reports with a stable ``error_id``.

Every refusal of the HTTP API, whatever raised it, answers with the same body:
``{"error_id": ..., "message": ..., "details": {...}}`` (see :func:`error_body`).
"""

from __future__ import annotations

from collections.abc import Mapping


class DesktopError(Exception):
    """A request the desktop layer refuses; mapped to an HTTP status by the API."""

    def __init__(
        self,
        error_id: str,
        message: str,
        *,
        status_code: int = 400,
        details: dict[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.status_code = status_code
        self.details = details or {}
        self.headers = dict(headers or {})


def error_body(error_id: str, message: str, details: object) -> dict[str, object]:
    """The one error body of the HTTP API."""
    return {"error_id": error_id, "message": message, "details": details}
