"""Errors the work-order layer raises; each carries a stable ``error_id`` and a ``details`` dict."""

from __future__ import annotations


class TicketError(Exception):
    """A request about work orders or the knowledge base that is refused."""

    status_code = 400

    def __init__(self, error_id: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.details: dict[str, object] = details


class TicketValidationError(TicketError, ValueError):
    """Well-formed input that is not acceptable (``five_elements_missing``, ``unknown_department``)."""

    status_code = 422


class TicketNotFoundError(TicketError, LookupError):
    """No work order or article with that key (``work_order_not_found``, ``article_not_found``)."""

    status_code = 404


class IllegalTransitionError(TicketError):
    """The event is not allowed in the order's current status (``illegal_transition``)."""

    status_code = 409


class CatalogueError(TicketError):
    """A dispatch catalogue or time-limit file that cannot be loaded (``catalogue_invalid``)."""

    status_code = 500
