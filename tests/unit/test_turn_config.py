"""The rendered coturn configuration, its secret, and where a centre's ICE servers come from."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from hotline.settings import Settings
from hotline.turn.commands import cmd_turn
from hotline.turn.config import DENIED_PEER_RANGES, TurnConfig
from hotline.turn.errors import TurnError
from hotline.turn.process import TurnServer
from hotline.turn.settings import ice_servers_from_settings, sandbox_turn_server


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_given_config_when_rendered_then_rest_auth_hardening_and_peer_rules_are_set(tmp_path: Path) -> None:
    config = TurnConfig(
        listen_address="192.0.2.10", port=3479, allowed_peers=("10.0.0.5", "10.0.1.1-10.0.1.9")
    )
    server = TurnServer(config=config, state_dir=tmp_path)
    lines = server.render().read_text().splitlines()
    secret = server.secret()
    for line in ("use-auth-secret", f"static-auth-secret={secret}", "realm=hotline.local", "fingerprint"):
        assert line in lines
    for line in ("no-cli", "no-multicast-peers", "listening-ip=192.0.2.10", "listening-port=3479"):
        assert line in lines
    assert "min-port=49160" in lines
    assert "max-port=49359" in lines
    assert {f"denied-peer-ip={rng}" for rng in DENIED_PEER_RANGES} <= set(lines)
    allowed = [lines.index("allowed-peer-ip=10.0.0.5"), lines.index("allowed-peer-ip=10.0.1.1-10.0.1.9")]
    assert max(allowed) < min(i for i, line in enumerate(lines) if line.startswith("denied-peer-ip="))
    assert not any("@@" in line for line in lines)
    assert mode(server.conf_file) == 0o600
    assert mode(server.state / "static-auth-secret") == 0o600
    assert mode(server.state) == 0o700


def test_given_secret_once_generated_when_rendering_again_then_same_secret(tmp_path: Path) -> None:
    server = TurnServer(config=TurnConfig(), state_dir=tmp_path)
    first = server.secret()
    server.render()
    assert server.secret() == first
    assert len(first) >= 32
    assert TurnServer(config=TurnConfig(), state_dir=tmp_path / "other").secret() != first


@pytest.mark.parametrize(
    "fields",
    [
        {"listen_address": "not-an-ip"},
        {"allowed_peers": ("10.0.0.1-nope",)},
        {"relay_min_port": 5000, "relay_max_port": 4000},
        {"port": 49200},
        {"realm": "bad realm\nno-auth"},
        {"name": "../x"},
    ],
)
def test_given_bad_field_when_making_config_then_refused(fields: dict[str, object]) -> None:
    with pytest.raises(TurnError):
        TurnConfig(**fields)  # type: ignore[arg-type]


def test_given_external_turn_settings_when_listing_ice_servers_then_external_urls_and_secret(
    tmp_path: Path,
) -> None:
    settings = Settings(
        state_dir=tmp_path,
        turn_urls="turn:turn.example:3478?transport=udp, turn:turn.example:3478?transport=tcp",
        turn_secret="centre-secret",
        stun_urls="stun:stun.example:3478",
        turn_credential_ttl_seconds=600,
    )
    ice = ice_servers_from_settings(settings)
    assert list(ice.turn_urls) == [
        "turn:turn.example:3478?transport=udp",
        "turn:turn.example:3478?transport=tcp",
    ]
    assert list(ice.stun_urls) == ["stun:stun.example:3478"]
    assert ice.secret == "centre-secret"
    assert ice.ttl_s == 600


def test_given_sandbox_turn_set_up_or_not_when_listing_ice_servers_then_own_server_only_once_set_up(
    tmp_path: Path,
) -> None:
    settings = Settings(state_dir=tmp_path, asterisk_mode="sandbox")
    assert ice_servers_from_settings(settings).for_user("1001") == []
    secret = sandbox_turn_server(settings).secret()
    ice = ice_servers_from_settings(settings)
    assert ice.secret == secret
    assert list(ice.turn_urls) == ["turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"]
    assert list(ice.stun_urls) == ["stun:127.0.0.1:3478"]


def test_given_state_dir_when_hotline_turn_render_then_prints_the_private_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cmd_turn(Settings(state_dir=tmp_path), "render") == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed == tmp_path / "turn" / "turn" / "etc" / "turnserver.conf"
    assert mode(printed) == 0o600
