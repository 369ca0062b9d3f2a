"""The one error type of quality inspection, mapped to the common error body by the HTTP layer."""

from __future__ import annotations

from agent_desktop.errors import DesktopError


class QaError(DesktopError):
    """A refused QA request: a stable ``error_id``, a message and ``details``."""
