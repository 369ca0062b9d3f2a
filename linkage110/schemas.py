"""The bodies of the 110 interface (v1), both directions; their JSON Schema is served at ``/schema``.

Every body refuses unknown fields, NUL characters and oversized text; the receiving side validates the
raw JSON against these models after the signature check, so a hostile body is a 422 and stores nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints, model_validator

from tickets.vocab import Category, Urgency

__all__ = [
    "HandoffAck",
    "HandoffCaller",
    "HandoffIn",
    "HandoffOrder",
    "HandoffRequest",
    "HandoffState",
    "TransferAck",
    "TransferCaller",
    "TransferIn",
    "schemas",
]

Key = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{8,64}$")]
Reference = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+*\-]{0,32}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Content = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Matter = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _no_nul(value: object) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        _no_nul(item)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=8000)

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        _no_nul(data)
        return data


class HandoffCaller(_Body):
    """The caller as 110 receives them: masked unless 110 is entitled (``masked`` says which)."""

    name: Name
    number: Phone
    masked: bool
    confidential: bool


class HandoffOrder(_Body):
    """The standard fields of the order handed off."""

    number: Annotated[str, StringConstraints(max_length=36)]
    created_at: AwareDatetime
    caller: HandoffCaller
    address: Short
    content: Content
    matter: Annotated[str, StringConstraints(max_length=100)]
    category: Category
    category_label: str
    urgency: Urgency
    urgency_label: str


class HandoffIn(_Body):
    """12345 → 110: a police matter handed off (POST ``<110>/v1/handoffs``)."""

    idempotency_key: Key
    order: HandoffOrder
    reason: Short
    sent_by: Annotated[str, StringConstraints(max_length=32)]
    sent_at: AwareDatetime


class HandoffAck(_Body):
    """110's acknowledgement of a hand-off: its own reference for the police ticket (警单)."""

    idempotency_key: Key
    reference: Reference
    received_at: AwareDatetime


class HandoffRequest(_Body):
    """An agent's or supervisor's request to hand an order off to 110."""

    reason: Short = ""


class HandoffState(BaseModel):
    """Where a hand-off's delivery stands."""

    idempotency_key: str
    order_number: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    reference: str | None
    created_by: str
    created_at: datetime
    delivered_at: datetime | None


class TransferCaller(_Body):
    """The citizen as 110 knows them."""

    name: Name = ""
    number: Phone = ""


class TransferElements(_Body):
    """五要素 as 110 recorded them (complaints and reports need all five)."""

    who: Short = ""
    when: Short = ""
    where: Short = ""
    what: Short = ""
    how: Short = ""


class TransferIn(_Body):
    """110 → 12345: a non-police matter transferred (POST ``/api/linkage/110/v1/transfers``)."""

    idempotency_key: Key
    reference: Reference
    received_at: AwareDatetime
    caller: TransferCaller
    address: Short = ""
    content: Content
    matter: Matter
    category: Category = Category.HELP
    urgency: Urgency = Urgency.NORMAL
    elements: TransferElements = TransferElements()


class TransferAck(BaseModel):
    """12345's acknowledgement of a transfer: the order it became."""

    idempotency_key: str
    reference: str
    order_number: str
    received_at: datetime


def schemas() -> dict[str, Any]:
    """The JSON Schema of every body of the interface, by name."""
    models: dict[str, type[BaseModel]] = {
        "handoff": HandoffIn,
        "handoff_ack": HandoffAck,
        "transfer": TransferIn,
        "transfer_ack": TransferAck,
    }
    return {name: model.model_json_schema() for name, model in models.items()}
