"""Kamailio front and sandbox cluster configuration: rendering, node derivation, dispatcher RPC parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.kamailio.config import DispatchNode, KamailioConfig
from hotline.kamailio.errors import KamailioError
from hotline.kamailio.render import render_kamailio_tree
from hotline.kamailio.rpc import parse_dispatcher_list, parse_dispatcher_loads
from hotline.sandbox.cluster import SandboxCluster, node_configs
from hotline.sandbox.config import SandboxConfig
from hotline.sandbox.errors import SandboxError
from hotline.sandbox.render import render_tree

NODES = (DispatchNode("pbx", "127.0.0.1", 5060), DispatchNode("pbx-2", "127.0.0.1", 5061))


def base_config(**changes: object) -> SandboxConfig:
    values: dict[str, object] = {
        "instance": "pbx",
        "ami_port": 5038,
        "ami_username": "hotline",
        "ami_secret": "secret",
        "fastagi_host": "127.0.0.1",
        "fastagi_port": 4573,
        "sip_port": 5060,
        "http_port": 8088,
        "extensions": ("1001",),
    }
    values.update(changes)
    return SandboxConfig(**values)  # type: ignore[arg-type]


def test_rendered_kamailio_config_has_every_node_and_no_placeholder(tmp_path: Path) -> None:
    config = KamailioConfig(nodes=NODES, sip_port=5999, ws_port=5998, ping_interval_s=1)
    written = render_kamailio_tree(config.conf_src, tmp_path, config.values(run_dir="/r", etc_dir="/e"))
    text = "\n".join(path.read_text() for path in written)
    assert "@@" not in text.replace("dispatcher@127.0.0.1", "")
    assert "1 sip:127.0.0.1:5060 0 0 duid=pbx" in text
    assert "1 sip:127.0.0.1:5061 0 0 duid=pbx-2" in text
    assert "listen=udp:127.0.0.1:5999" in text
    assert 'modparam("dispatcher", "ds_ping_interval", 1)' in text
    assert "#!define DS_ALG 4\n" in text


def test_tcp_to_the_nodes_names_the_transport_and_the_socket_to_send_from(tmp_path: Path) -> None:
    config = KamailioConfig(nodes=NODES, sip_port=5999, node_transport="tcp")
    written = render_kamailio_tree(config.conf_src, tmp_path, config.values(run_dir="/r", etc_dir="/e"))
    text = "\n".join(path.read_text() for path in written)
    assert "1 sip:127.0.0.1:5060;transport=tcp 0 0 duid=pbx;socket=tcp:127.0.0.1:5999" in text
    assert "tcp_reuse_port=yes" in text


def test_nodes_speaking_tcp_to_kamailio_use_the_tcp_transport_both_ways(tmp_path: Path) -> None:
    config = base_config(kamailio_sip_port=5999, kamailio_transport="tcp")
    render_tree(config.conf_src, tmp_path, config.values(instance_dir="/i", modules_dir="/m"))
    kamailio = (tmp_path / "pjsip_kamailio.conf").read_text()
    assert "transport = transport-udp" not in kamailio
    assert kamailio.count("transport = transport-tcp") == 2
    assert (
        "[transport-tcp]\ntype = transport\nprotocol = tcp\nbind = 127.0.0.1:5060"
        in (tmp_path / "pjsip.conf").read_text()
    )
    with pytest.raises(SandboxError):
        base_config(kamailio_transport="sctp")


def test_websocket_origin_condition_admits_only_the_configured_origins() -> None:
    config = KamailioConfig(nodes=NODES, ws_origins=("http://127.0.0.1:8080", "https://desk.example:8443"))
    assert config.origin_condition() == (
        '$hdr(Origin) == $null || $hdr(Origin) == "http://127.0.0.1:8080"'
        ' || $hdr(Origin) == "https://desk.example:8443"'
    )


def test_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "k.cfg").write_text("listen=udp:@@NOPE@@;\n")
    with pytest.raises(KamailioError) as caught:
        render_kamailio_tree(tmp_path / "src", tmp_path / "out", {})
    assert caught.value.error_id == "conf_placeholder_unknown"


@pytest.mark.parametrize(
    "changes",
    [
        {"nodes": ()},
        {"algorithm": "random"},
        {"trusted_net": "everywhere"},
        {"sip_port": 0},
        {"ws_origins": ('http://x" || 1 == 1 || "',)},
        {"node_transport": "tls"},
    ],
)
def test_bad_kamailio_config_is_refused(changes: dict[str, object]) -> None:
    values: dict[str, object] = {"nodes": NODES} | changes
    with pytest.raises(KamailioError):
        KamailioConfig(**values)  # type: ignore[arg-type]


def test_node_configs_keep_node_one_and_shift_the_others() -> None:
    base = base_config()
    first, second, third = node_configs(base, 3)
    assert first == base
    assert (second.instance, second.ami_port, second.sip_port, second.http_port) == (
        "pbx-2",
        5039,
        5061,
        8089,
    )
    assert third.instance == "pbx-3"
    assert {c.fastagi_port for c in (first, second, third)} == {4573}


def test_nodes_render_their_own_systemname_and_identify_kamailio(tmp_path: Path) -> None:
    for config in node_configs(base_config(kamailio_sip_port=5999), 2):
        etc = tmp_path / config.instance
        render_tree(config.conf_src, etc, config.values(instance_dir="/i", modules_dir="/m"))
        assert f"systemname = {config.instance}\n" in (etc / "asterisk.conf").read_text()
        assert "match = 127.0.0.1:5999" in (etc / "pjsip_kamailio.conf").read_text()
        assert "#include pjsip_kamailio.conf" in (etc / "pjsip.conf").read_text()


def test_cluster_refuses_nodes_sharing_a_port(tmp_path: Path) -> None:
    base = base_config()
    with pytest.raises(SandboxError):
        SandboxCluster(root=tmp_path, configs=[base, base], state_dir=tmp_path)
    with pytest.raises(SandboxError):
        node_configs(base, 0)


def test_dispatcher_list_is_read_per_destination() -> None:
    text = (
        "{\n\tRECORDS: {\n\t\tSET: {\n\t\t\tTARGETS: {\n"
        "\t\t\t\tDEST: {\n\t\t\t\t\tURI: sip:127.0.0.1:5061\n\t\t\t\t\tFLAGS: IP\n\t\t\t\t}\n"
        "\t\t\t\tDEST: {\n\t\t\t\t\tURI: sip:127.0.0.1:5060\n\t\t\t\t\tFLAGS: AP\n\t\t\t\t}\n"
    )
    assert parse_dispatcher_list(text) == {"sip:127.0.0.1:5061": "IP", "sip:127.0.0.1:5060": "AP"}
    loads = text.replace("FLAGS: IP", "FLAGS: IP\n\t\t\t\t\tRUNTIME: {\n\t\t\t\t\t\tDLGLOAD: 2\n\t\t\t\t\t}")
    assert parse_dispatcher_loads(loads) == {"sip:127.0.0.1:5061": 2}


def test_registrar_realm_and_rpc_port_are_rendered_and_checked(tmp_path: Path) -> None:
    config = KamailioConfig(
        nodes=NODES, rpc_port=5997, rpc_allowed_net="10.1.2.0/24", sip_realm="12345.example"
    )
    written = render_kamailio_tree(config.conf_src, tmp_path, config.values(run_dir="/r", etc_dir="/e"))
    text = "\n".join(path.read_text() for path in written)
    assert "listen=tcp:127.0.0.1:5997" in text
    assert 'is_in_subnet("$si", "10.1.2.0/24")' in text
    assert 'pv_www_authenticate("12345.example", "$var(secret)", "0")' in text
    assert config.rpc_url == "http://127.0.0.1:5997/RPC"
    for bad in ({"sip_realm": 'x"; exit'}, {"rpc_allowed_net": "anywhere"}, {"rpc_port": 0}):
        with pytest.raises(KamailioError):
            KamailioConfig(nodes=NODES, **bad)


def test_the_rpc_token_when_set_is_required_of_every_rpc_request_and_never_shown(tmp_path: Path) -> None:
    token = "t0ken-of-the-app-nodes_0123456789"
    config = KamailioConfig(nodes=NODES, rpc_token=token)
    written = render_kamailio_tree(config.conf_src, tmp_path, config.values(run_dir="/r", etc_dir="/e"))
    text = "\n".join(path.read_text() for path in written)
    assert f'if ($hdr(Authorization) != "Bearer {token}") {{' in text
    assert token not in repr(config)
    assert "401" not in KamailioConfig(nodes=NODES).values(run_dir="/r", etc_dir="/e")["RPC_TOKEN_CHECK"]
    for bad in ("short", 'x" || 1 || "' * 3, "é" * 30, "a" * 129):
        with pytest.raises(KamailioError):
            KamailioConfig(nodes=NODES, rpc_token=bad)
