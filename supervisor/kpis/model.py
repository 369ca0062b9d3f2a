"""The KPI records (one queue or the whole centre over a time range; one agent) and their settings.

The definitions are stated in docs/KPIS.md; the functions of this package compute them in SQL. Rates are
derived here from the counts, so every consumer (API, live frames, reports) derives them alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DEFINITIONS = "docs/KPIS.md v1"
"""Which definitions the figures follow (sent with every API answer and live frame)."""


class KpiRangeError(ValueError):
    """A time range or interval the KPI functions refuse (naive times, end not after start)."""


@dataclass(frozen=True)
class KpiSettings:
    """Thresholds and time rules of the KPIs (defaults: GB/T 33358 15 s, 5 s short abandons, Beijing time)."""

    service_level_s: float = 15.0
    short_abandon_s: float = 5.0
    timezone: str = "Asia/Shanghai"
    handle_horizon: timedelta = timedelta(hours=3)
    """A call's handling (talk, wrap-up) and events are looked for up to this long after the range."""
    state_lookback: timedelta = timedelta(hours=24)
    """An agent's state at the start of a range is taken from log rows up to this long before it."""
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.service_level_s <= 3600 or not 0 <= self.short_abandon_s <= 600:
            raise ValueError("service level must be in (0, 3600] s and short abandons in [0, 600] s")
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> KpiSettings:
        """Settings from ``HOTLINE_KPI_SERVICE_LEVEL_S``, ``HOTLINE_KPI_SHORT_ABANDON_S`` and
        ``HOTLINE_KPI_TIMEZONE`` (each optional); a malformed value raises ValueError naming it."""
        given: dict[str, Any] = {}
        for name, key in (("service_level_s", "SERVICE_LEVEL_S"), ("short_abandon_s", "SHORT_ABANDON_S")):
            raw = environ.get(f"HOTLINE_KPI_{key}")
            if raw is not None:
                try:
                    given[name] = float(raw)
                except ValueError:
                    raise ValueError(f"HOTLINE_KPI_{key} must be a number of seconds, not {raw!r}") from None
        if "HOTLINE_KPI_TIMEZONE" in environ:
            given["timezone"] = environ["HOTLINE_KPI_TIMEZONE"]
        return cls(**given)


DEFAULT_SETTINGS = KpiSettings()
"""The settings used when a caller gives none."""


@dataclass(frozen=True)
class QueueKpis:
    """One queue (or every queue: ``queue`` None) over [start, end); see docs/KPIS.md."""

    queue: str | None
    start: datetime
    end: datetime
    offered: int
    answered: int
    answered_in_sl: int
    abandoned: int
    short_abandoned: int
    callbacks: int
    service_level: float | None
    answer_rate: float | None
    abandon_rate: float | None
    asa_s: float | None
    aht_s: float | None
    transfers: int
    three_way_110: int
    three_way_departments: int


@dataclass(frozen=True)
class AgentKpis:
    """One agent over [start, end); see docs/KPIS.md."""

    agent_id: str
    start: datetime
    end: datetime
    answered: int
    talk_s: float
    wrap_s: float
    aht_s: float | None
    pause_s: dict[str, float]
    signed_in_s: float
    occupancy: float | None
    transfers: int
    three_way: int


def ratio(part: float, whole: float) -> float | None:
    """``part / whole`` rounded to 4 places, None when ``whole`` is 0."""
    return None if whole == 0 else round(part / whole, 4)


def kpis_dict(kpis: QueueKpis | AgentKpis) -> dict[str, Any]:
    """A JSON-ready dict of a record (datetimes as ISO 8601)."""
    out = asdict(kpis)
    out["start"] = kpis.start.isoformat()
    out["end"] = kpis.end.isoformat()
    return out
