"""``hotline asterisk --nodes N`` and ``hotline kamailio``: parsing and the configs they derive."""

from __future__ import annotations

from hotline.cli import build_parser
from hotline.kamailio.commands import cluster_node_configs
from hotline.kamailio.settings import KamailioSettings, kamailio_for_nodes
from hotline.sandbox.config import SandboxConfig


def base() -> SandboxConfig:
    return SandboxConfig(
        instance="default",
        ami_port=5038,
        ami_username="hotline",
        ami_secret="secret",
        fastagi_host="127.0.0.1",
        fastagi_port=4573,
        sip_port=5060,
        http_port=8088,
        extensions=("1001",),
    )


def test_nodes_option_and_kamailio_command_parse() -> None:
    parser = build_parser()
    assert parser.parse_args(["asterisk", "up"]).nodes is None
    assert parser.parse_args(["asterisk", "up", "--nodes", "2"]).nodes == 2
    args = parser.parse_args(["kamailio", "status", "--nodes", "3"])
    assert (args.command, args.action, args.nodes) == ("kamailio", "status", 3)


def test_cluster_nodes_identify_the_configured_kamailio_and_kamailio_dispatches_to_them() -> None:
    settings = KamailioSettings(sip_port=5090, ws_port=5091, ping_interval_s=2)
    nodes = cluster_node_configs(base(), 2, settings)
    assert [(c.instance, c.sip_port, c.kamailio_sip_port) for c in nodes] == [
        ("default", 5060, 5090),
        ("default-2", 5061, 5090),
    ]
    config = kamailio_for_nodes(settings, nodes, app_origin="http://127.0.0.1:8080")
    assert [n.uri for n in config.nodes] == ["sip:127.0.0.1:5060", "sip:127.0.0.1:5061"]
    assert config.ws_origins == ("http://127.0.0.1:8080",)
    assert config.ping_interval_s == 2


def test_configured_websocket_origins_replace_the_agent_page() -> None:
    settings = KamailioSettings(ws_origins="https://desk.example, https://desk2.example:8443")
    config = kamailio_for_nodes(settings, [base()], app_origin="http://127.0.0.1:8080")
    assert config.ws_origins == ("https://desk.example", "https://desk2.example:8443")
