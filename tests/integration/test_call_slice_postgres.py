"""The end-to-end call with the centre writing to the real PostgreSQL instead of SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hotline.app import Centre, ensure_admin
from hotline.db import repository as repo
from hotline.settings import Settings
from tests.integration.calls import CallDriver, eventually, user_event
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient, frame_of
from tests.pg import scratch_database

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]


@pytest.fixture
async def pg_centre(centre_settings: Settings) -> AsyncIterator[Centre]:
    """A running centre whose records go to a scratch PostgreSQL database."""
    with scratch_database("hotline_slice") as url:
        settings = centre_settings.model_copy(update={"database_url": url})
        centre = Centre(settings=settings, ami_secret=settings.ami_secret.get_secret_value())
        ensure_admin(centre.sessions, settings)
        await centre.start()
        try:
            yield centre
        finally:
            await centre.stop()
            centre.sessions.kw["bind"].dispose()


async def test_given_postgres_when_call_answered_then_call_and_agent_states_are_in_postgres(
    pg_centre: Centre, driver: CallDriver
) -> None:
    admin = DesktopClient(pg_centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.put_agent(
        "7301",
        name="李四",
        contact="Local/7301*1*0.2@hotline-sim-agent",
        skills={"general": 1},
        password="secret-7301",
    )
    await admin.close()
    desk = DesktopClient(pg_centre.url)
    try:
        await desk.sign_in("7301", "secret-7301")
        await desk.connect()
        await desk.status("available")
        call = await driver.call("13100131000", keys="0")
        await driver.wait_event(user_event("HotlineQueued", call.call_id), timeout=20)
        await desk.wait_frame(frame_of("agent_changed", state="wrap_up"), timeout=20)
    finally:
        await desk.close()

    def finished() -> object:
        row = repo.get_call(pg_centre.sessions, call_id=call.call_id)
        return row if row is not None and row.talk_seconds is not None else None

    record = await eventually(finished)
    assert isinstance(record, repo.CallRow)
    assert (record.outcome, record.agent_id, record.queue) == ("answered", "7301", "general")
    assert "postgresql" in str(pg_centre.sessions.kw["bind"].url)
    states = {row.state for row in repo.agent_state_history(pg_centre.sessions, agent_id="7301")}
    assert {"offered", "on_call", "wrap_up"} <= states
