"""A supervisor taking calls on the agent page sees, in the caller history of the screen-pop, a 录音 link
on the caller's earlier answered call (agents see none: recordings are for supervisors, QA and admins).

Real parts: Debian's Chromium with the browser phone, the centre over HTTP and websocket, the Asterisk
sandbox, the centre's call records.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from hotline.app import Centre
from hotline.db import repository as repo
from tests.e2e.agent_page import AGENT, AGENT_PASSWORD, Steps, admin_client, sign_in_and_register
from tests.integration.calls import CallDriver

pytestmark = [pytest.mark.browser, pytest.mark.asterisk, pytest.mark.timeout(120)]

CALLER = "13800138077"


async def test_given_an_earlier_answered_call_when_a_supervisor_takes_the_next_then_history_links_it(
    web_centre: Centre, driver: CallDriver, page: Page, artifacts: Path
) -> None:
    admin = await admin_client(web_centre)
    try:
        await admin.put_agent(
            AGENT,
            name="王班长",
            contact=f"PJSIP/{AGENT}",
            skills={"general": 1, "enterprise": 1},
            password=AGENT_PASSWORD,
            role="supervisor",
        )
    finally:
        await admin.close()
    at = datetime.now(UTC) - timedelta(hours=2)
    earlier = "earlier-answered-call"
    repo.record_call_started(
        web_centre.sessions, call_id=earlier, caller=CALLER, channel="PJSIP/t", dialed="12345", at=at
    )
    repo.update_call(web_centre.sessions, call_id=earlier, outcome="answered", answered_at=at)
    steps = Steps(page, artifacts)
    await sign_in_and_register(page, web_centre, steps)
    call = await driver.call(CALLER, keys="3")
    try:
        await expect(page.get_by_test_id("screen-pop")).to_be_visible(timeout=20_000)
        row = page.locator(f"#history-calls tr[data-call-id='{earlier}']")
        await expect(row.get_by_test_id("recording-link")).to_have_attribute(
            "href", f"/recording?call={earlier}"
        )
        await steps.shot("history-recording-link")
    finally:
        await driver.dialer.hang_up(call)
