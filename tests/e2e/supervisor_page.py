"""Steps shared by the browser tests of the supervisor page: users, sign-in, rows of the live tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, ViewportSize, expect

from acd.queue_config import DEFAULT_QUEUES_PATH
from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from tests.conftest import REPO_ROOT
from tests.e2e.agent_page import Steps
from tests.integration.conftest import sandbox_settings
from tests.integration.supervision import add_user, set_queues

SUPERVISOR = "1002"
"""A supervisor whose id is an agent extension: their browser phone is PJSIP/1002."""
SIM_AGENT_PHONE = "Local/7001*120*0.5@hotline-sim-agent"
"""A simulated agent phone: rings half a second, answers, talks up to two minutes."""
WIDE: ViewportSize = {"width": 1400, "height": 1100}


async def create_supervisor(centre: Centre, queues: list[str]) -> None:
    """Supervisor ``SUPERVISOR`` (password ``pw-1002``, no configured phone) of ``queues``."""
    await add_user(centre, SUPERVISOR, role="supervisor", contact="", skills={})
    await set_queues(centre, SUPERVISOR, queues)


async def sign_in(page: Page, centre: Centre, user_id: str, password: str) -> None:
    """Open ``/supervisor`` and sign in."""
    await page.goto(centre.url + "supervisor")
    await page.fill("input[name=user_id]", user_id)
    await page.fill("input[name=password]", password)
    await page.click("#signin-form button[type=submit]")


async def open_board(page: Page, centre: Centre, steps: Steps, *, phone: bool = False) -> None:
    """Sign the supervisor in on a wide page; wait for the first figures (and the registered phone)."""
    await page.set_viewport_size(WIDE)
    await sign_in(page, centre, SUPERVISOR, f"pw-{SUPERVISOR}")
    await expect(page.get_by_test_id("conn")).to_have_text("已连接")
    await expect(page.get_by_test_id("figures-at")).not_to_be_empty(timeout=15_000)
    if phone:
        await expect(page.get_by_test_id("phone-status")).to_have_attribute("data-state", "registered")
    await steps.shot("board")


def queue_cell(page: Page, queue: str, field: str) -> Locator:
    """One figure of a queue's row."""
    return page.locator(f"#queue-rows tr[data-queue='{queue}'] td[data-field='{field}']")


def agent_row(page: Page, agent_id: str) -> Locator:
    """An agent's row of the agent table."""
    return page.locator(f"#agent-rows tr[data-agent='{agent_id}']")


def agent_cell(page: Page, agent_id: str, field: str) -> Locator:
    """One figure of an agent's row."""
    return agent_row(page, agent_id).locator(f"td[data-field='{field}']")


def kpi_cell(page: Page, queue: str, field: str) -> Locator:
    """One of today's figures of a queue's row in the KPI table."""
    return page.locator(f"#kpi-rows tr[data-queue='{queue}'] td[data-field='{field}']")


CHARTS_BUNDLE = REPO_ROOT / "agent_desktop" / "static" / "vendor" / "echarts.min.js"


STRICT_GENERAL = {
    "waiting: {amber: 5, red: 15}": "waiting: {amber: 1, red: 2}",
    "longest_wait_s: {amber: 15, red: 60}": "longest_wait_s: {amber: 3, red: 600}",
}
"""The shipped queue file with the general line's thresholds lowered: one waiting caller is amber, two red."""


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The browser tests' centre settings; a test parametrised with replacements gets its own queue file
    (the shipped one with those replacements)."""
    c = sandbox.config
    replacements: dict[str, str] | None = getattr(request, "param", None)
    queues_file = None
    if replacements:
        text = DEFAULT_QUEUES_PATH.read_text(encoding="utf-8")
        for old, new in replacements.items():
            assert old in text, old
            text = text.replace(old, new)
        queues_file = tmp_path / "queues.yaml"
        queues_file.write_text(text, encoding="utf-8")
    return sandbox_settings(
        sandbox,
        tmp_path,
        asterisk_http_port=c.http_port,
        agent_extensions=",".join(c.extensions),
        wrapup_seconds=3.0,
        ring_timeout_seconds=15.0,
        queues_file=queues_file,
    )


@pytest.fixture(autouse=True)
def charts_bundled() -> None:
    """The page's chart library is bundled (``make web``)."""
    if not CHARTS_BUNDLE.exists():
        pytest.fail(f"{CHARTS_BUNDLE.name} is missing: run `make web`")
