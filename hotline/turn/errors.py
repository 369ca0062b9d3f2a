"""The one error type the TURN server raises across its boundary."""

from __future__ import annotations


class TurnError(Exception):
    """A TURN server operation failed; ``error_id`` is stable, ``details`` says what and where."""

    def __init__(self, error_id: str, message: str, /, **details: object) -> None:
        super().__init__(f"{error_id}: {message}")
        self.error_id = error_id
        self.details: dict[str, object] = dict(details)
