"""A flow version number as the flow API accepts it: within the range of the database column
(``ivr_flow_versions.version`` is a 32-bit ``INTEGER`` on PostgreSQL), so a larger number is a 422
rather than an error from the database."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_VERSION = 2**31 - 1
VersionNumber = Annotated[int, Field(ge=1, le=MAX_VERSION)]
