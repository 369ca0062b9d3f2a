"""The console script: OpenAPI output and config rendering for an external Asterisk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline.cli import main, render_external
from hotline.settings import Settings


def test_openapi_prints_the_desktop_api(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["openapi"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["info"]["title"] == "hotline"
    for path in ("/api/sessions", "/api/me/status", "/api/agents/{agent_id}", "/api/calls"):
        assert path in doc["paths"]


def test_given_external_mode_when_rendered_then_config_is_complete(tmp_path: Path) -> None:
    settings = Settings(
        asterisk_mode="external",
        ami_secret="s3cret",
        asterisk_etc_root=tmp_path,
        asterisk_instance="conf",
        fastagi_host="app",
        agent_extensions="1001-1003",
        state_dir=tmp_path / "state",
    )
    etc = render_external(settings)
    assert etc == tmp_path / "conf" / "etc"
    manager = (etc / "manager.conf").read_text()
    assert "secret = s3cret" in manager
    assert "agi://app:4573" in (etc / "extensions.conf").read_text()
    queues = (etc / "queues.conf").read_text()
    assert "Local/1003@hotline-agent-phones/n" in queues
    for conf in etc.iterdir():
        live = [line.split(";", 1)[0] for line in conf.read_text().splitlines()]
        assert not [line for line in live if "@@" in line], conf.name
    assert str(tmp_path / "conf") in (etc / "asterisk.conf").read_text()


def test_given_external_mode_when_asked_to_start_then_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_ASTERISK_MODE", "external")
    assert main(["asterisk", "up"]) == 2


def test_given_invalid_queues_file_when_run_then_refused_with_the_problem_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    queues = tmp_path / "queues.yaml"
    queues.write_text("schema_version: 1\nqueues:\n  - {name: general, skill: general, strategy: coin_toss}")
    monkeypatch.setenv("HOTLINE_QUEUES_FILE", str(queues))
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path / "state"))
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hotline: ")
    assert "coin_toss" in err
    assert not (tmp_path / "state").exists()
