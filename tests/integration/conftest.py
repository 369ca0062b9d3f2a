"""Integration fixtures: a centre per test on the session's Asterisk sandbox (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from hotline.app import Centre, ensure_admin
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from ivr.flow import SHANGHAI
from tests.conftest import free_port
from tests.integration.calls import CallDriver

ADMIN_PASSWORD = "test-admin-password"
WORKING_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
"""A Wednesday morning: the 12345 flow pack runs its working-hours menu."""


def sandbox_settings(sandbox: AsteriskSandbox, tmp_path: Path, **overrides: object) -> Settings:
    """Settings of a centre wired to ``sandbox``, with its own SQLite database under ``tmp_path``."""
    c = sandbox.config
    values: dict[str, object] = {
        "state_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'hotline.db'}",
        "http_port": free_port(),
        "asterisk_mode": "external",
        "ami_port": c.ami_port,
        "ami_username": c.ami_username,
        "ami_secret": c.ami_secret,
        "fastagi_port": c.fastagi_port,
        "wrapup_seconds": 1.0,
        "ring_timeout_seconds": 6.0,
        "ivr_digit_timeout_seconds": 2.0,
        "admin_password": ADMIN_PASSWORD,
        "revisit_dialing": False,  # tests drive revisit calls themselves (centre.revisit_scheduler)
    }
    return Settings.model_validate(values | overrides)


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """Settings of a centre wired to the session's sandbox, with its own SQLite database."""
    return sandbox_settings(sandbox, tmp_path)


@pytest.fixture
async def centre(centre_settings: Settings) -> AsyncIterator[Centre]:
    """A running centre (AMI, FastAGI, ACD, HTTP) against the sandbox."""
    c = Centre(
        settings=centre_settings,
        ami_secret=centre_settings.ami_secret.get_secret_value(),
        clock=lambda: WORKING_MORNING,
    )
    ensure_admin(c.sessions, centre_settings)
    await c.start()
    try:
        yield c
    finally:
        await c.stop()


@pytest.fixture
async def driver(sandbox: AsteriskSandbox) -> AsyncIterator[CallDriver]:
    """Places citizen calls and watches AMI events, on its own AMI connection."""
    d = CallDriver(sandbox.config)
    await d.start()
    try:
        yield d
    finally:
        await d.close()
