"""The Asterisk sandbox itself: root provisioning, start, AMI, CLI, idempotent up/down, restart."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.sandbox.ami_probe import AmiProbe
from hotline.sandbox.config import DEFAULT_CONF_SRC
from hotline.sandbox.errors import SandboxError
from hotline.sandbox.instance import AsteriskSandbox, SandboxConfig
from hotline.sandbox.provision import ensure_root, root_is_ready
from hotline.settings import Settings
from tests.ports import free_port

TINY_EXTENSIONS = """[general]
static=yes

[globals]
HOTLINE_FASTAGI=agi://@@FASTAGI_HOST@@:@@FASTAGI_PORT@@

[sandbox-test]
exten => echo,1,Answer()
 same => n,Echo()
"""
TINY_QUEUES = """[general]
persistentmembers=no

[sandbox-test]
strategy=ringall
@@FALLBACK_QUEUE_MEMBERS@@
"""


def instance_pids(box: AsteriskSandbox) -> list[int]:
    """Processes whose command line mentions the instance's config file."""
    needle = box.conf_file.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline:
            found.append(int(entry.name))
    return found


def ami(box: AsteriskSandbox) -> AmiProbe:
    c = box.config
    return AmiProbe(host="127.0.0.1", port=c.ami_port, username=c.ami_username, secret=c.ami_secret)


@pytest.fixture(scope="module")
def root() -> Path:
    return ensure_root(Settings().cache_dir)


@pytest.fixture
def box(root: Path, tmp_path: Path) -> Iterator[AsteriskSandbox]:
    conf = tmp_path / "conf"
    shutil.copytree(DEFAULT_CONF_SRC, conf)
    (conf / "extensions.conf").write_text(TINY_EXTENSIONS)
    (conf / "queues.conf").write_text(TINY_QUEUES)
    config = SandboxConfig(
        instance=f"test-{tmp_path.name}"[:60],
        ami_port=free_port(),
        ami_username="tester",
        ami_secret="test-secret",
        fastagi_host="127.0.0.1",
        fastagi_port=free_port(),
        sip_port=free_port(),
        http_port=free_port(),
        extensions=("1001", "1002"),
        conf_src=conf,
    )
    sandbox = AsteriskSandbox(root=root, config=config, state_dir=tmp_path / "state")
    try:
        yield sandbox
    finally:
        sandbox.destroy()
    assert instance_pids(sandbox) == []


@pytest.mark.asterisk
def test_the_cached_root_is_complete(root: Path) -> None:
    assert root_is_ready(root)
    assert (root / "usr" / "sbin" / "asterisk").is_file()


def test_an_unmarked_tree_with_asterisk_is_adopted(tmp_path: Path) -> None:
    binary = tmp_path / "asterisk-root" / "usr" / "sbin" / "asterisk"
    binary.parent.mkdir(parents=True)
    binary.write_text("")
    assert ensure_root(tmp_path) == tmp_path / "asterisk-root"
    assert root_is_ready(tmp_path / "asterisk-root")


@pytest.mark.asterisk
def test_given_a_started_instance_then_ami_answers_with_asterisk_22(box: AsteriskSandbox) -> None:
    box.up()
    with ami(box) as session:
        settings = session.action("CoreSettings")
    assert settings["Response"] == "Success"
    assert settings["AsteriskVersion"].startswith("22.")
    assert box.cli("core show version").startswith("Asterisk 22.")
    status = box.status()
    assert status["running"] is True
    assert status["ami_port"] == box.config.ami_port
    assert box.recordings_dir.is_dir()


@pytest.mark.asterisk
def test_the_rendered_agents_reach_pjsip_and_the_queue(box: AsteriskSandbox) -> None:
    box.up()
    endpoints = box.cli("pjsip show endpoints")
    assert "1001" in endpoints
    assert "1002" in endpoints
    assert "Local/1002@hotline-agent-phones" in box.cli("queue show sandbox-test")
    assert "agi://127.0.0.1:" in box.cli("dialplan show globals")


@pytest.mark.asterisk
def test_up_twice_is_a_no_op_also_from_another_handle(box: AsteriskSandbox) -> None:
    box.up()
    pid = box.status()["pid"]
    box.up()
    twin = AsteriskSandbox(root=box.root, config=box.config, state_dir=box.state.parent.parent)
    assert twin.is_running()
    twin.up()
    assert box.status()["pid"] == pid


@pytest.mark.asterisk
def test_down_leaves_no_process_and_restart_works(box: AsteriskSandbox) -> None:
    box.up()
    assert instance_pids(box)
    box.down()
    assert instance_pids(box) == []
    assert not box.is_running()
    assert box.status()["running"] is False
    box.down()
    box.up()
    with ami(box) as session:
        assert session.action("Ping")["Response"] == "Success"
    box.down()
    assert instance_pids(box) == []


@pytest.mark.asterisk
def test_reload_picks_up_a_changed_template(box: AsteriskSandbox) -> None:
    box.up()
    queues = box.config.conf_src / "queues.conf"
    queues.write_text(queues.read_text().replace("strategy=ringall", "strategy=leastrecent"))
    box.reload()
    assert "leastrecent" in box.cli("queue show sandbox-test")


@pytest.mark.asterisk
def test_a_busy_ami_port_fails_fast_and_starts_nothing(box: AsteriskSandbox) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", box.config.ami_port))
        taken.listen()
        with pytest.raises(SandboxError) as caught:
            box.up()
    assert caught.value.error_id == "sandbox_port_busy"
    assert instance_pids(box) == []
