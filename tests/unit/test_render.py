"""Config rendering: placeholders, comments, errors, computed agent blocks, instance values."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from hotline.sandbox.config import DEFAULT_CONF_SRC, SandboxConfig
from hotline.sandbox.errors import SandboxError
from hotline.sandbox.render import agent_blocks, render_text, render_tree
from hotline.settings import Settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def config(**overrides: object) -> SandboxConfig:
    fields: dict[str, object] = {
        "instance": "unit",
        "ami_port": 5038,
        "ami_username": "hotline",
        "ami_secret": "s3cret",
        "fastagi_host": "127.0.0.1",
        "fastagi_port": 4573,
        "sip_port": 5060,
        "extensions": ("1001", "1002"),
    }
    fields.update(overrides)
    return SandboxConfig(**fields)  # type: ignore[arg-type]


def test_given_nested_templates_when_rendered_then_every_file_is_filled_and_private(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    write(src / "a.conf", "port=@@PORT@@\nhost=@@HOST@@:@@PORT@@\n")
    write(src / "sub" / "b.conf", "[@@USER@@]\n")
    write(src / ".hidden", "@@NOPE@@")
    written = render_tree(src, dst, {"PORT": "5038", "HOST": "127.0.0.1", "USER": "hotline"})
    assert written == [dst / "a.conf", dst / "sub" / "b.conf"]
    assert (dst / "a.conf").read_text() == "port=5038\nhost=127.0.0.1:5038\n"
    assert (dst / "sub" / "b.conf").read_text() == "[hotline]\n"
    assert stat.S_IMODE((dst / "a.conf").stat().st_mode) == 0o600
    assert not (dst / ".hidden").exists()


def test_given_unknown_placeholder_when_rendered_then_error_names_file_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    write(src / "a.conf", "ok=@@KNOWN@@\n")
    bad = write(src / "b.conf", "x=@@MISSING_ONE@@\n")
    with pytest.raises(SandboxError) as caught:
        render_tree(src, dst, {"KNOWN": "1"})
    assert caught.value.error_id == "conf_placeholder_unknown"
    assert caught.value.details == {"file": str(bad), "name": "MISSING_ONE"}
    assert not dst.exists()


@pytest.mark.parametrize(
    ("text", "values"),
    [("x=@@lower@@\n", {}), ("x=@@A@@\n", {"A": "@@B@@"}), ("x=@@@@\n", {})],
)
def test_given_text_still_looking_like_a_placeholder_when_rendered_then_error(
    text: str, values: dict[str, str]
) -> None:
    with pytest.raises(SandboxError) as caught:
        render_text(text, values, source="t.conf")
    assert caught.value.error_id == "conf_placeholder_unreplaced"
    assert caught.value.details["file"] == "t.conf"


def test_placeholders_in_comments_are_left_alone_but_escaped_semicolons_are_not_comments() -> None:
    text = "; rendered by hotline (@@NAME@@ placeholders)\nx=@@A@@ ; see @@OTHER@@\ny=a\\;@@A@@\n"
    out = render_text(text, {"A": "1"}, source="t.conf")
    assert out == "; rendered by hotline (@@NAME@@ placeholders)\nx=1 ; see @@OTHER@@\ny=a\\;1\n"


def test_missing_template_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SandboxError) as caught:
        render_tree(tmp_path / "nope", tmp_path / "dst", {})
    assert caught.value.error_id == "conf_src_missing"


def test_agent_blocks_give_one_fallback_member_per_extension_in_order() -> None:
    blocks = agent_blocks(["1001", "1002", "2001"])
    assert blocks["FALLBACK_QUEUE_MEMBERS"].splitlines() == [
        "member => Local/1001@hotline-agent-phones/n",
        "member => Local/1002@hotline-agent-phones/n",
        "member => Local/2001@hotline-agent-phones/n",
    ]


def test_agent_blocks_give_endpoint_and_aor_per_extension_and_no_password() -> None:
    text = agent_blocks(["1001", "1002"])["PJSIP_AGENT_ENDPOINTS"]
    for ext in ("1001", "1002"):
        assert text.count(f"[{ext}]\n") == 2
        assert f"aors={ext}\n" in text
        assert f"auth={ext}\n" in text
    assert text.count("type=endpoint") == text.count("type=aor") == 2
    assert "type=auth" not in text
    assert "password" not in text


@pytest.mark.parametrize("ext", ["10 01", "1001]\n[evil", ""])
def test_agent_blocks_reject_unsafe_extensions(ext: str) -> None:
    with pytest.raises(SandboxError) as caught:
        agent_blocks([ext])
    assert caught.value.error_id == "conf_bad_extension"


def test_the_repository_templates_render_with_the_instance_values(tmp_path: Path) -> None:
    values = config().values(instance_dir="/etc/hotline/unit", modules_dir="/usr/lib/asterisk/modules")
    written = render_tree(DEFAULT_CONF_SRC, tmp_path, values)
    names = {p.name for p in written}
    assert {"asterisk.conf", "manager.conf", "pjsip.conf", "modules.conf"} <= names
    manager = (tmp_path / "manager.conf").read_text()
    assert "port = 5038" in manager
    assert "[hotline]\nsecret = s3cret" in manager
    assert "astdbdir => /etc/hotline/unit/db" in (tmp_path / "asterisk.conf").read_text()
    assert "password" not in (tmp_path / "pjsip.conf").read_text()
    assert "auth = astdb,hotline-pjsip" in (tmp_path / "sorcery.conf").read_text()
    assert "rtpstart = 10000\nrtpend = 19999\n" in (tmp_path / "rtp.conf").read_text()


@pytest.mark.parametrize(
    "overrides",
    [
        {"instance": "../x"},
        {"instance": ""},
        {"ami_secret": ""},
        {"ami_secret": "a\nb"},
        {"ami_port": 0},
        {"rtp_start": 10001},
        {"rtp_start": 20000, "rtp_end": 19999},
        {"rtp_end": 70000},
        {"rtp_start": 80},
    ],
)
def test_config_rejects_unsafe_values(overrides: dict[str, object]) -> None:
    with pytest.raises(SandboxError) as caught:
        config(**overrides)
    assert caught.value.error_id == "sandbox_bad_config"


def test_from_settings_generates_the_ami_secret_once_and_keeps_it_private(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, asterisk_instance="one", agent_extensions="1001-1003")
    first = SandboxConfig.from_settings(settings)
    second = SandboxConfig.from_settings(settings)
    stored = tmp_path / "asterisk" / "one" / "ami-secret"
    assert first.ami_secret == second.ami_secret == stored.read_text().strip()
    assert len(first.ami_secret) >= 24
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert first.extensions == ("1001", "1002", "1003")
    other = SandboxConfig.from_settings(Settings(state_dir=tmp_path, asterisk_instance="two"))
    assert other.ami_secret != first.ami_secret


def test_from_settings_uses_a_configured_secret(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, ami_secret="given-secret")
    assert SandboxConfig.from_settings(settings).ami_secret == "given-secret"
    assert not (tmp_path / "asterisk").exists()
