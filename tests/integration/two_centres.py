"""Two centres (app nodes) on one database, one Redis prefix and the session's Asterisk: the fixture the
cross-node tests share. Node A serves the sandbox's FastAGI port, node B listens on a free one."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.app import Centre, ensure_admin
from hotline.sandbox.instance import AsteriskSandbox
from tests.conftest import free_port
from tests.integration.conftest import WORKING_MORNING, sandbox_settings
from tests.redis_keys import drop_prefix

REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def two_centres(sandbox: AsteriskSandbox, tmp_path: Path) -> AsyncIterator[tuple[Centre, Centre]]:
    """Centres A (serving FastAGI) and B on one database, one Redis prefix and the session's Asterisk."""
    prefix = f"hotline:test:{secrets.token_hex(4)}"
    shared = {"database_url": f"sqlite:///{tmp_path / 'shared.db'}", "redis_url": REDIS_URL}
    centres = []
    for name, agi_port in (("a", sandbox.config.fastagi_port), ("b", free_port())):
        (tmp_path / name).mkdir()
        settings = sandbox_settings(
            sandbox, tmp_path / name, **shared, redis_prefix=prefix, fastagi_port=agi_port
        )
        centre = Centre(
            settings=settings,
            ami_secret=settings.ami_secret.get_secret_value(),
            clock=lambda: WORKING_MORNING,
        )
        ensure_admin(centre.sessions, settings)
        centres.append(centre)
    try:
        for centre in centres:
            await centre.start()
        yield centres[0], centres[1]
    finally:
        for centre in centres:
            await centre.stop()
        drop_prefix(REDIS_URL, prefix)
