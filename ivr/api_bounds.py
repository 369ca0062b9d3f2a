"""Bounds on flow API inputs, so that a value the storage or the calendar cannot hold is a 422 rather
than an error from the database or from date arithmetic.

- A flow version number fits ``ivr_flow_versions.version``, a 32-bit ``INTEGER`` on PostgreSQL.
- A dry run's call time lies between 1970 and 9000: the flow looks back over the caller's recent calls
  and ahead over working days, and near year 1 or 9999 that arithmetic overflows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

MAX_VERSION = 2**31 - 1
VersionNumber = Annotated[int, Field(ge=1, le=MAX_VERSION)]
EARLIEST_YEAR = 1970
LATEST_YEAR = 8999


def _within_calendar(at: datetime) -> datetime:
    if not EARLIEST_YEAR <= at.year <= LATEST_YEAR:
        raise ValueError(f"the call time must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return at


CallTime = Annotated[datetime, AfterValidator(_within_calendar)]
