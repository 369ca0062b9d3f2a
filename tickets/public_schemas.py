"""Wire formats of the public citizen routes (``/api/public``): a matter submitted on the web and the
progress a citizen may see. Unknown fields, NUL characters, control characters and oversize text are
refused with 422 before any work is done; the progress answer carries no personal data.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from tickets import rows
from tickets.rows import NewWorkOrder
from tickets.schemas import NUMBER_PATTERN
from tickets.vocab import CATEGORIES_NEEDING_FIVE_ELEMENTS, Category, Channel, ContactPreference, SpecialGroup

PHONE_PATTERN = r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$"
"""A mainland mobile number, or a landline with its area code."""
PUBLIC_KEY_PATTERN = r"^[A-Za-z0-9_-]{32,64}$"
"""A citizen page's request key: at least 32 characters (a UUID, or 128 random bits in hex), since every
web intake shares one author and only the key and the phone number tell submissions apart."""
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
MATTER_CHARS = 24
WEB_CITIZEN = "网上来信市民"


def _text(min_length: int, max_length: int) -> object:
    return StringConstraints(
        strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=NO_CONTROL
    )


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4000)

    @model_validator(mode="before")
    @classmethod
    def _object(cls, data: object) -> object:
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


class PublicOrderIn(_In):
    """A matter a citizen submits on the public page (channel ``web``)."""

    name: Annotated[str, _text(0, 32)] = ""
    phone: Annotated[str, StringConstraints(strip_whitespace=True, pattern=PHONE_PATTERN)]
    address: Annotated[str, _text(2, 200)]
    content: Annotated[str, _text(5, 2000)]
    category: Category
    when: Annotated[str, _text(0, 64)] = ""
    request_key: Annotated[str | None, StringConstraints(pattern=PUBLIC_KEY_PATTERN)] = None
    """The page's key for this submission, the same on every try: a retried submit whose answer was
    lost answers the order already taken in (``tickets.public_api``)."""

    def scoped_key(self) -> str | None:
        """The key as stored: a digest of the phone number and the page's key, so that a key sent with
        another phone number never finds this citizen's order."""
        if self.request_key is None:
            return None
        return hashlib.sha256(f"{self.number()}|{self.request_key}".encode()).hexdigest()

    def number(self) -> str:
        """The phone number as stored (a landline's dash dropped)."""
        return self.phone.replace("-", "")

    def to_new(self, *, received: str) -> NewWorkOrder:
        """The order to take in; complaints and reports get their 五要素 from the form's fields."""
        content = self.content
        elements = rows.FiveElements()
        if self.category in CATEGORIES_NEEDING_FIVE_ELEMENTS:
            elements = rows.FiveElements(
                who=self.name or WEB_CITIZEN,
                when=self.when or received,
                where=self.address,
                what=content,
                how=content,
            )
        short = content if len(content) <= MATTER_CHARS else content[: MATTER_CHARS - 1] + "…"
        return NewWorkOrder(
            caller=rows.Caller(
                name=self.name,
                number=self.number(),
                contact_preference=ContactPreference.ANY,
                special_group=SpecialGroup.NONE,
                confidential=False,
            ),
            channel=Channel.WEB,
            category=self.category,
            matter=f"{self.category.label}：{short}",
            content=content,
            elements=elements,
            address=self.address,
        )


class PublicLookupIn(_In):
    """An order number and the last four digits of the phone it was reported with."""

    number: Annotated[str, StringConstraints(strip_whitespace=True, pattern=NUMBER_PATTERN, max_length=36)]
    phone_last4: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4}$")]


class PublicOrderCreated(BaseModel):
    """What the citizen is told after submitting: the order number to check progress with."""

    number: str
    status: str
    status_label: str
    created_at: datetime


class PublicProgress(BaseModel):
    """What anyone holding the number and the phone's last four digits may see."""

    number: str
    status: str
    status_label: str
    category_label: str
    created_at: datetime
    department: str
    reply_due: datetime | None
    replied: bool
    reply: str
    merged_into: str | None = None
    """Set when the matter was merged into another order (并单): the state, department, due time and
    reply shown are then the main order's, which handles it."""
