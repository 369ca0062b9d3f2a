"""Retention of citizens' personal data: after a configurable period, personal fields are anonymised.

Defaults (``HOTLINE_RETENTION_*`` environment variables, in days):

- ``CALLS_DAYS`` = 1095 (3 years): a call record keeps its caller number for three years, then the
  number and channel name are blanked; times, queue, outcome and agent stay for statistics. Three
  years is the span 12345 centres commonly keep handled requests available for repeat-caller checks,
  supervision reviews and complaints about the handling, and the usual minimum filing period of
  short-term work records.
- ``WORK_ORDERS_DAYS`` = 1095 (3 years) after an order is closed: name, number, address, content and
  the five elements are blanked; number, category, matter, departments, deadlines and history stay.
  Open orders are never anonymised.
- ``RECORDINGS_DAYS`` = 180: recordings older than this lose their files (``recordings.retention``:
  rows marked ``deleted``, ``calls.recording_path`` cleared) when the job is given the recordings root;
  ``recordings_due`` counts the calls whose recording is due.

A centre bound by a longer local archiving rule raises the periods. The job is idempotent (rows get
``anonymised_at``); ``dry_run`` only counts. The app runs it every ``INTERVAL_HOURS`` (24); the CLI
runs it once: ``hotline retention run [--dry-run]``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import WRITE_OPTION
from hotline.db.models import Call
from recordings.retention import delete_expired
from tickets.models import WorkOrder
from tickets.vocab import Status

log = logging.getLogger(__name__)

ANONYMISED_TEXT = "（已按保存期限匿名化）"
DONE = (Status.CLOSED.value, Status.MERGED.value)


class RetentionPolicy(BaseSettings):
    """How long personal data is kept, in days (see the module rules)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_RETENTION_", extra="ignore")

    calls_days: int = Field(default=3 * 365, ge=1)
    work_orders_days: int = Field(default=3 * 365, ge=1)
    recordings_days: int = Field(default=180, ge=1)
    interval_hours: float = Field(default=24.0, gt=0)


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What one run anonymised (or, dry, would anonymise)."""

    dry_run: bool
    calls: int
    work_orders: int
    recordings_due: int
    recordings_deleted: int = 0

    def as_dict(self) -> dict[str, object]:
        """For JSON output."""
        return {
            "dry_run": self.dry_run,
            "calls": self.calls,
            "work_orders": self.work_orders,
            "recordings_due": self.recordings_due,
            "recordings_deleted": self.recordings_deleted,
        }


def _calls_due(cutoff: datetime) -> ColumnElement[bool]:
    return (Call.entered_ivr_at < cutoff) & Call.anonymised_at.is_(None)


def _orders_due(cutoff: datetime) -> ColumnElement[bool]:
    return WorkOrder.status.in_(DONE) & (WorkOrder.closed_at < cutoff) & WorkOrder.anonymised_at.is_(None)


def _count(s: Session, model: type[Call] | type[WorkOrder], where: ColumnElement[bool]) -> int:
    return int(s.scalar(select(func.count()).select_from(model).where(where)) or 0)


def run_retention(
    sm: sessionmaker[Session],
    policy: RetentionPolicy,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    recordings_root: Path | None = None,
) -> RetentionReport:
    """Anonymise personal fields past their period, in one transaction; counts only when ``dry_run``.
    With ``recordings_root``, recording files past their period are deleted too."""
    now = now or datetime.now(UTC)
    calls_cut = now - timedelta(days=policy.calls_days)
    orders_cut = now - timedelta(days=policy.work_orders_days)
    rec_cut = now - timedelta(days=policy.recordings_days)
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        calls = _count(s, Call, _calls_due(calls_cut))
        orders = _count(s, WorkOrder, _orders_due(orders_cut))
        recordings = _count(s, Call, (Call.entered_ivr_at < rec_cut) & Call.recording_path.is_not(None))
        deleted = 0
        if recordings_root is not None and not dry_run:
            deleted = delete_expired(s, recordings_root, rec_cut)
        if not dry_run:
            s.execute(
                update(Call).where(_calls_due(calls_cut)).values(caller="", channel="", anonymised_at=now)
            )
            blank = {f"element_{n}": "" for n in ("who", "when", "where", "what", "how")}
            s.execute(
                update(WorkOrder)
                .where(_orders_due(orders_cut))
                .values(caller_name="", caller_number="", address="", content=ANONYMISED_TEXT, **blank)
                .values(anonymised_at=now)
            )
    return RetentionReport(
        dry_run=dry_run,
        calls=calls,
        work_orders=orders,
        recordings_due=recordings,
        recordings_deleted=deleted,
    )


async def run_periodically(
    sm: sessionmaker[Session], policy: RetentionPolicy, *, recordings_root: Path | None = None
) -> None:
    """Run the retention job now and then every ``interval_hours`` until cancelled; a failed run is
    logged and tried again at the next interval."""
    while True:
        try:
            report = await asyncio.to_thread(run_retention, sm, policy, recordings_root=recordings_root)
            log.info("retention: %s", report.as_dict())
        except Exception:
            log.exception("retention run failed; trying again in %.1f h", policy.interval_hours)
        await asyncio.sleep(policy.interval_hours * 3600)
