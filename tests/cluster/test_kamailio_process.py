"""The Kamailio process on its own (no Asterisk behind it): start, lost pid file, stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.kamailio.config import DispatchNode, KamailioConfig
from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.process import alive
from tests.conftest import free_port

pytestmark = [pytest.mark.cluster]


def test_up_after_a_lost_pid_file_replaces_the_leftover_and_down_leaves_nothing(tmp_path: Path) -> None:
    config = KamailioConfig(
        name="lone",
        sip_port=free_port(),
        ws_port=free_port(),
        nodes=(DispatchNode("gone", "127.0.0.1", free_port()),),
    )
    box = KamailioSandbox(config=config, state_dir=tmp_path)
    box.up()
    first = box.status()["pid"]
    assert isinstance(first, int)
    box.pid_file.unlink()
    assert not box.is_running()
    box.up()
    second = box.status()["pid"]
    box.down()
    assert second != first
    assert not alive(first)
    assert isinstance(second, int)
    assert not alive(second)
    assert box.status()["running"] is False
