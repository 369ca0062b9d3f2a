"""Queue configuration from YAML: the shipped file, and clear errors for a malformed one."""

from __future__ import annotations

from pathlib import Path

import pytest

from acd.errors import InvalidConfig
from acd.model import MaxWait, OverflowStep
from acd.queue_config import default_queue_configs, load_queues, load_queues_file
from ivr.flow.loader import default_pack
from ivr.flow.model import Flow
from ivr.flow.nodes import QueueNode

SPECIAL_LINES = ("enterprise", "social_security", "women_children", "elderly_services", "wage_arrears")


def _flow_queues(flows: dict[str, Flow]) -> set[str]:
    queues = {str(flow.fallback_queue) for flow in flows.values() if flow.fallback_queue}
    for flow in flows.values():
        queues |= {n.queue for n in flow.nodes.values() if isinstance(n, QueueNode)}
    return queues


def test_given_shipped_file_then_every_queue_of_the_flow_pack_is_configured() -> None:
    queues = {q.name: q for q in default_queue_configs(default_wrapup_s=15.0)}
    assert _flow_queues(default_pack()) <= set(queues)
    assert queues["accessibility"].skill == "sign_language"


def test_given_shipped_file_then_special_lines_overflow_to_general_seats() -> None:
    queues = {q.name: q for q in default_queue_configs(default_wrapup_s=15.0)}
    for name in SPECIAL_LINES:
        steps = queues[name].overflow
        assert steps, name
        assert "general" in steps[-1].skills
        assert steps[0].after_s <= 15.0
    assert queues["general"].overflow == ()
    assert queues["general"].max_wait == MaxWait(300.0, "callback")
    assert queues["accessibility"].max_wait is None


def test_given_no_wrapup_in_file_then_the_centre_default_applies() -> None:
    text = """
schema_version: 1
queues:
  - {name: general, skill: general}
  - {name: tax, skill: tax, wrapup_seconds: 3, overflow: [{after_s: 20, skills: [general]}]}
"""
    general, tax = load_queues(text, default_wrapup_s=7.5)
    assert general.wrapup_seconds == 7.5
    assert tax.wrapup_seconds == 3.0
    assert tax.overflow == (OverflowStep(20.0, ("general",), 1),)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("queues: [\n", "YAML syntax error at line"),
        ("- a\n- b\n", "must be a mapping"),
        ("schema_version: 2\nqueues: [{name: q, skill: s}]\n", "schema_version"),
        ("schema_version: 1\nqueues: []\n", "queues"),
        ("schema_version: 1\nqueues:\n  - {name: q, skil: s}\n", "(line 3)"),
        (
            "schema_version: 1\nqueues:\n  - name: q\n    skill: s\n    overflow:\n      - {after_s: -1}\n",
            "queues.0.overflow.0.after_s",
        ),
        (
            "schema_version: 1\nqueues:\n  - {name: q, skill: s, overflow: [{after_s: 30}, {after_s: 10}]}\n",
            "increasing",
        ),
        (
            "schema_version: 1\nqueues:\n  - name: q\n    skill: s\n"
            "    max_wait: {after_s: 9, kind: queue, target: x}\n",
            "unknown queue 'x'",
        ),
        ("schema_version: 1\nqueues:\n  - {name: q, skill: s, max_wait: {after_s: 9, kind: sms}}\n", "kind"),
        ("schema_version: 1\nqueues:\n  - {name: q, skill: s, strategy: luck}\n", "no strategy named 'luck'"),
        ("schema_version: 1\nqueues:\n  - {name: q, skill: s}\n  - {name: q, skill: t}\n", "appears twice"),
        ("schema_version: 1\nqueues:\n  - {name: Q q, skill: s}\n", "queues.0.name"),
    ],
)
def test_given_malformed_file_when_loaded_then_invalid_config_names_the_problem(
    text: str, fragment: str
) -> None:
    with pytest.raises(InvalidConfig) as caught:
        load_queues(text, default_wrapup_s=1.0, source="queues.yaml")
    assert fragment in str(caught.value)
    assert str(caught.value).startswith("queues.yaml")
    assert caught.value.details["source"] == "queues.yaml"


def test_given_missing_file_when_loaded_then_invalid_config(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfig, match="cannot read queue configuration"):
        load_queues_file(tmp_path / "nowhere.yaml", default_wrapup_s=1.0)
