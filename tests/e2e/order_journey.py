"""Parts of the whole-order journey test (tests/e2e/test_order_journey.py): a browser-ready centre on a
scratch PostgreSQL database whose revisit clock the test moves, and the centre-side steps over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from agent_desktop.phone_api import PhoneDirectory, install_phone_directory
from hotline.app import Centre, ensure_admin
from hotline.settings import Settings
from tests.e2e.agent_page import admin_client
from tests.integration.conftest import WORKING_MORNING
from tests.pg import scratch_database
from tickets.revisit_rules import RevisitPolicy, within_hours

CITIZEN_ANSWERS = "Local/{number}*600*0.5@hotline-sim-agent"
"""``HOTLINE_EXTERNAL_DIAL``: the citizen's phone answers half a second after it rings."""


class MovableClock:
    """The revisit scheduler's clock, set by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def to_calling_hours(self) -> datetime:
        """Move to a minute from the wall clock, or the next opening of the calling hours after it."""
        self.now = within_hours(RevisitPolicy(), datetime.now(UTC) + timedelta(minutes=1))
        return self.now


@asynccontextmanager
async def postgres_web_centre(settings: Settings, clock: MovableClock) -> AsyncIterator[Centre]:
    """A running centre on a scratch PostgreSQL database, with browser phones, citizens reached through
    ``CITIZEN_ANSWERS`` and revisits scheduled on ``clock`` (the test ticks the scheduler itself)."""
    with scratch_database("hotline_journey") as url:
        overrides = {"database_url": url, "external_dial": CITIZEN_ANSWERS, "revisit_dialing": False}
        s = settings.model_copy(update=overrides)
        centre = Centre(
            settings=s,
            ami_secret=s.ami_secret.get_secret_value(),
            clock=lambda: WORKING_MORNING,
            revisit_clock=clock,
        )
        ensure_admin(centre.sessions, s)
        install_phone_directory(centre.http, PhoneDirectory.from_settings(s, secrets=centre.sip_secrets))
        await centre.start()
        try:
            yield centre
        finally:
            await centre.stop()
            centre.sessions.kw["bind"].dispose()


async def dispatch(centre: Centre, number: str, main: str) -> dict[str, Any]:
    """``POST /api/work-orders/{number}/dispatch`` to ``main`` as the centre's admin; the order."""
    admin = await admin_client(centre)
    try:
        resp = await admin.http.post(
            f"/api/work-orders/{number}/dispatch", json={"departments": {"main": main}}, headers=admin.auth
        )
        assert resp.status_code == 200, resp.text
        order: dict[str, Any] = resp.json()
        return order
    finally:
        await admin.close()


async def history(centre: Centre, number: str) -> list[dict[str, Any]]:
    """``GET /api/work-orders/{number}/history`` as the centre's admin, oldest first."""
    admin = await admin_client(centre)
    try:
        resp = await admin.http.get(f"/api/work-orders/{number}/history", headers=admin.auth)
        assert resp.status_code == 200, resp.text
        entries: list[dict[str, Any]] = resp.json()
        return entries
    finally:
        await admin.close()
