"""Trunks and lines configuration: the shipped example, validation errors, rendering for Asterisk and
Kamailio."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from acd.queue_config import default_queue_configs
from hotline.kamailio.config import DispatchNode, KamailioConfig
from hotline.kamailio.errors import KamailioError
from hotline.kamailio.render import render_kamailio_tree
from hotline.kamailio.settings import KamailioSettings, kamailio_for_nodes
from hotline.sandbox.config import SandboxConfig
from hotline.sandbox.errors import SandboxError
from hotline.sandbox.render import render_tree
from hotline.settings import Settings
from hotline.trunks import TrunksConfigError, load_trunks, load_trunks_file
from hotline.trunks_render import kamailio_trunk_route, lines_dialplan, pjsip_trunk_blocks

GOOD = """
schema_version: 1
trunks:
  - {name: telecom, addresses: ["192.0.2.10/32", "192.0.2.0/30"], codecs: [alaw, g722], max_calls: 3}
lines:
  - {number: "12345", name: main, label: 12345 政务服务便民热线, flow: start}
  - {number: "12315", name: consumer, label: 12315 消费者投诉, queue: enterprise}
"""


def sandbox_config(**changes: object) -> SandboxConfig:
    values: dict[str, object] = {
        "instance": "pbx",
        "ami_port": 5038,
        "ami_username": "hotline",
        "ami_secret": "secret",
        "fastagi_host": "127.0.0.1",
        "fastagi_port": 4573,
        "sip_port": 5060,
        "extensions": ("1001",),
    }
    values.update(changes)
    return SandboxConfig(**values)  # type: ignore[arg-type]


def test_shipped_example_is_valid_and_its_queues_exist() -> None:
    plan = load_trunks_file()
    assert {line.number for line in plan.lines} >= {"12345", "12315", "12333", "12338"}
    plan.check_queues({q.name for q in default_queue_configs(default_wrapup_s=10)})


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (GOOD.replace("max_calls: 3", "max_calls: 0"), "trunks.0.max_calls"),
        (GOOD.replace("[alaw, g722]", "[alaw, speex]"), "trunks.0.codecs.1"),
        (GOOD.replace('"192.0.2.10/32"', '"carrier.example"'), "not an IP address"),
        (GOOD.replace("flow: start}", "flow: start, queue: general}"), "exactly one of flow or queue"),
        (GOOD.replace('"12315"', '"12345"'), "line number '12345' appears twice"),
        (GOOD.replace("消费者投诉", "投诉;举报"), "lines.1.label"),
        (GOOD.replace("schema_version: 1", "schema_version: 2"), "schema_version"),
        (GOOD + "extra: 1\n", "extra"),
        ("lines: [", "YAML syntax error"),
    ],
)
def test_bad_trunks_file_is_refused_with_the_field_and_line(text: str, fragment: str) -> None:
    with pytest.raises(TrunksConfigError) as caught:
        load_trunks(text, source="t.yaml")
    assert fragment in str(caught.value)
    assert str(caught.value).startswith("t.yaml")


def test_error_names_the_yaml_line() -> None:
    with pytest.raises(TrunksConfigError) as caught:
        load_trunks(GOOD.replace("max_calls: 3", "max_calls: -1"), source="t.yaml")
    assert "(line 4)" in str(caught.value)


def test_trunks_sharing_addresses_are_refused() -> None:
    text = GOOD.replace(
        "lines:", '  - {name: unicom, addresses: ["192.0.2.1/32"], codecs: [ulaw], max_calls: 1}\nlines:'
    )
    with pytest.raises(TrunksConfigError, match="share addresses"):
        load_trunks(text)


def test_line_naming_an_unknown_queue_is_refused() -> None:
    with pytest.raises(TrunksConfigError, match="unknown queue 'enterprise'"):
        load_trunks(GOOD).check_queues({"general"})


def test_trunk_renders_endpoint_with_codecs_dtmf_context_and_identify_by_address_and_header() -> None:
    text = pjsip_trunk_blocks(load_trunks(GOOD))
    assert "[trunk-telecom]\ntype = endpoint\ncontext = hotline-inbound\n" in text
    assert "allow = alaw,g722\ndtmf_mode = rfc4733\n" in text
    assert "match = 192.0.2.10/32\nmatch = 192.0.2.0/30\nmatch_header = X-Hotline-Trunk: telecom\n" in text


def test_lines_render_one_gosub_per_number() -> None:
    text = lines_dialplan(load_trunks(GOOD))
    assert "exten => 12315,1,Set(HOTLINE_LINE=consumer)\n" in text
    assert " same => n,Set(HOTLINE_LINE_LABEL=12315 消费者投诉)\n" in text
    assert " same => n,Set(HOTLINE_LINE_QUEUE=enterprise)\n" in text
    assert text.count("Return()") == 2


def test_kamailio_trunk_route_names_the_trunk_by_source_address() -> None:
    route = kamailio_trunk_route(load_trunks(GOOD))
    assert 'is_in_subnet("$si", "192.0.2.10/32") || is_in_subnet("$si", "192.0.2.0/30")' in route
    assert '$var(trunk) = "telecom";' in route
    assert "$var(trunk_max) = 3;" in route


def test_sandbox_renders_trunks_and_lines_from_its_trunks_file(tmp_path: Path) -> None:
    trunks = tmp_path / "trunks.yaml"
    trunks.write_text(GOOD, encoding="utf-8")
    config = sandbox_config(trunks_file=trunks)
    etc = tmp_path / "etc"
    render_tree(config.conf_src, etc, config.values(instance_dir="/i", modules_dir="/m"))
    assert "match_header = X-Hotline-Trunk: telecom" in (etc / "pjsip_trunks.conf").read_text()
    assert "exten => 12315,1," in (etc / "extensions_lines.conf").read_text()
    assert "#include pjsip_trunks.conf" in (etc / "pjsip.conf").read_text()


def test_sandbox_with_a_bad_trunks_file_fails_before_rendering(tmp_path: Path) -> None:
    trunks = tmp_path / "trunks.yaml"
    trunks.write_text("schema_version: 1\nlines: []\n", encoding="utf-8")
    with pytest.raises(SandboxError, match="conf_bad_trunks"):
        sandbox_config(trunks_file=trunks).values(instance_dir="/i", modules_dir="/m")


def test_rendered_kamailio_config_with_trunks_passes_kamailio_check(tmp_path: Path) -> None:
    kamailio = shutil.which("kamailio") or "/usr/sbin/kamailio"
    if not Path(kamailio).exists():
        pytest.skip("kamailio is not installed")
    config = KamailioConfig(nodes=(DispatchNode("pbx", "127.0.0.1", 5060),), trunks=load_trunks(GOOD).trunks)
    render_kamailio_tree(
        config.conf_src, tmp_path, config.values(run_dir=str(tmp_path), etc_dir=str(tmp_path))
    )
    check = subprocess.run(
        [kamailio, "-c", "-f", str(tmp_path / "kamailio.cfg")], capture_output=True, text=True, timeout=30
    )
    assert check.returncode == 0, check.stderr[-2000:]


def test_settings_with_a_line_naming_a_queue_the_centre_lacks_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trunks = tmp_path / "trunks.yaml"
    trunks.write_text(GOOD.replace("queue: enterprise", "queue: consumer_rights"), encoding="utf-8")
    monkeypatch.setenv("HOTLINE_TRUNKS_FILE", str(trunks))
    with pytest.raises(SandboxError, match="unknown queue 'consumer_rights'"):
        SandboxConfig.from_settings(Settings(state_dir=tmp_path))
    trunks.write_text(GOOD, encoding="utf-8")
    assert SandboxConfig.from_settings(Settings(state_dir=tmp_path)).trunks_file == trunks


def test_kamailio_for_nodes_takes_the_trunks_file_and_refuses_a_bad_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trunks = tmp_path / "trunks.yaml"
    trunks.write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("HOTLINE_TRUNKS_FILE", str(trunks))
    nodes = [sandbox_config()]
    config = kamailio_for_nodes(KamailioSettings(), nodes, app_origin="http://127.0.0.1:8080")
    assert [t.name for t in config.trunks] == ["telecom"]
    trunks.write_text(GOOD.replace("max_calls: 3", "max_calls: many"), encoding="utf-8")
    with pytest.raises(KamailioError, match=r"trunks\.0\.max_calls"):
        kamailio_for_nodes(KamailioSettings(), nodes, app_origin="http://127.0.0.1:8080")
