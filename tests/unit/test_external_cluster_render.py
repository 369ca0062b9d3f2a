"""``hotline asterisk render`` and ``hotline kamailio render`` in external mode (clustered docker layout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.cli import main
from hotline.kamailio.config import DEFAULT_CONF_SRC


@pytest.fixture
def external(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """External mode, rendering under ``tmp_path``, two nodes named as their systemname."""
    for key, value in {
        "HOTLINE_ASTERISK_MODE": "external",
        "HOTLINE_AMI_SECRET": "s3cret",
        "HOTLINE_ASTERISK_ETC_ROOT": str(tmp_path),
        "HOTLINE_STATE_DIR": str(tmp_path / "state"),
        "HOTLINE_AMI_NODES": "asterisk-1=127.0.0.11:5038,asterisk-2=localhost:5038",
        "HOTLINE_SIP_PORT": "5060",
        "HOTLINE_KAMAILIO_BIND_ADDRESS": "127.0.0.10",
        "HOTLINE_KAMAILIO_SIP_PORT": "5060",
        "HOTLINE_KAMAILIO_WS_ORIGINS": "https://hotline.example",
    }.items():
        monkeypatch.setenv(key, value)
    return tmp_path


def test_kamailio_render_dispatches_to_the_ami_nodes_at_their_sip_port(
    external: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kamailio", "render"]) == 0
    conf = Path(capsys.readouterr().out.strip())
    assert conf == external / "kamailio" / "kamailio" / "etc" / "kamailio.cfg"
    listed = (conf.parent / "dispatcher.list").read_text().splitlines()
    assert "1 sip:127.0.0.11:5060 0 0 duid=asterisk-1" in listed
    assert "1 sip:127.0.0.1:5060 0 0 duid=asterisk-2" in listed
    text = conf.read_text()
    assert "listen=udp:127.0.0.10:5060" in text
    assert '"https://hotline.example"' in text
    assert "@@" not in text


def test_kamailio_render_takes_its_templates_from_the_configured_directory(
    external: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = external / "templates"
    src.mkdir()
    for name in ("kamailio.cfg", "dispatcher.list"):
        (src / name).write_text(
            (DEFAULT_CONF_SRC / name).read_text().replace("hotline SIP front", "site copy")
        )
    monkeypatch.setenv("HOTLINE_KAMAILIO_CONF_SRC", str(src))
    assert main(["kamailio", "render"]) == 0
    assert "site copy" in Path(capsys.readouterr().out.strip()).read_text()


def test_kamailio_render_without_nodes_or_with_an_unknown_host_is_refused(
    external: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOTLINE_AMI_NODES", "")
    assert main(["kamailio", "render"]) == 1
    assert "names no node" in capsys.readouterr().err
    monkeypatch.setenv("HOTLINE_AMI_NODES", "asterisk-1=no-such-host.invalid:5038")
    assert main(["kamailio", "render"]) == 1
    assert "no-such-host.invalid" in capsys.readouterr().err
    assert main(["kamailio", "up"]) == 2


def test_asterisk_render_names_the_node_and_trusts_the_configured_kamailio(
    external: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOTLINE_ASTERISK_INSTANCE", "asterisk-2")
    assert main(["asterisk", "render"]) == 0
    etc = Path(capsys.readouterr().out.strip())
    assert etc == external / "asterisk-2" / "etc"
    assert "systemname = asterisk-2" in (etc / "asterisk.conf").read_text()
    kamailio = (etc / "pjsip_kamailio.conf").read_text()
    assert "match = 127.0.0.10:5060" in kamailio
    assert "contact = sip:127.0.0.10:5060" in kamailio
