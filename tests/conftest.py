"""Shared fixtures: the real Asterisk sandbox, defined once here so that integration and browser tests in one
session share one instance (two definitions would start two sandboxes under the same instance name, and
the second would kill the first)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.sandbox.instance import AsteriskSandbox, SandboxConfig
from hotline.sandbox.provision import ensure_root
from hotline.settings import Settings
from ivr.prompts import ensure_default_prompts
from tests.ports import free_port

pytest_plugins = ["tests.teardown_watch"]

REPO_ROOT = Path(__file__).resolve().parent.parent

__all__ = ["REPO_ROOT", "free_port", "sandbox"]


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
