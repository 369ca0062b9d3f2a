"""Integration fixtures: a real Asterisk 22 sandbox shared by the session, a centre per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from hotline.app import Centre, ensure_admin
from hotline.sandbox.instance import AsteriskSandbox, SandboxConfig
from hotline.sandbox.provision import ensure_root
from hotline.settings import Settings
from ivr.flow import SHANGHAI
from ivr.prompts import ensure_default_prompts
from tests.conftest import REPO_ROOT, free_port
from tests.integration.calls import CallDriver

ADMIN_PASSWORD = "test-admin-password"
WORKING_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
"""A Wednesday morning: the 12345 flow pack runs its working-hours menu."""


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsteriskSandbox]:
    """One Asterisk instance for the whole test session, on free ports."""
    state = tmp_path_factory.mktemp("asterisk-state")
    root = ensure_root(Settings().cache_dir)
    ensure_default_prompts(root / "usr" / "share" / "asterisk" / "sounds")
    config = SandboxConfig(
        instance=f"pytest-{os.getpid()}",
        ami_port=free_port(),
        ami_username="hotline",
        ami_secret="pytest-secret",
        fastagi_host="127.0.0.1",
        fastagi_port=free_port(),
        sip_port=free_port(),
        http_port=free_port(),
        extensions=("1001", "1002", "1003"),
        conf_src=REPO_ROOT / "asterisk_conf",
        heartbeat_stale_s=6,
        max_wait_s=120,
        hold_slice_s=2,
        ring_timeout_s=8,
    )
    box = AsteriskSandbox(root=root, config=config, state_dir=state)
    box.up()
    try:
        yield box
    finally:
        box.down()


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
