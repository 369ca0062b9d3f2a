"""Queue thresholds in the queue configuration: defaults, partial blocks, and refusals that name the line."""

from __future__ import annotations

import pytest

from acd.errors import InvalidConfig
from acd.queue_config import default_queue_configs, load_queues
from acd.thresholds import Band, QueueThresholds, thresholds_public


def _one(block: str) -> QueueThresholds:
    text = f"schema_version: 1\nqueues:\n  - name: general\n    skill: general\n{block}"
    (queue,) = load_queues(text, default_wrapup_s=5.0)
    return queue.thresholds


def test_given_no_thresholds_block_then_every_figure_takes_its_default() -> None:
    assert _one("") == QueueThresholds()
    assert QueueThresholds().service_level == Band(0.8, 0.6)


def test_given_a_partial_block_then_only_its_figures_change() -> None:
    got = _one("    thresholds:\n      waiting: {amber: 1, red: 2}\n")
    assert got.waiting == Band(1.0, 2.0)
    assert got.longest_wait_s == QueueThresholds().longest_wait_s
    assert got.abandon_rate == QueueThresholds().abandon_rate


def test_given_the_shipped_file_then_general_tolerates_more_waiting_callers() -> None:
    queues = {q.name: q.thresholds for q in default_queue_configs(default_wrapup_s=5.0)}
    assert queues["general"].waiting == Band(5.0, 15.0)
    assert queues["surge"] == QueueThresholds()


@pytest.mark.parametrize(
    ("block", "fragment"),
    [
        ("      waiting: {amber: 10, red: 3}\n", "waiting: amber must not be above red"),
        ("      service_level: {amber: 0.6, red: 0.8}\n", "service_level: amber must not be below red"),
        ("      abandon_rate: {amber: 5, red: 10}\n", "a rate is a fraction between 0 and 1"),
        ("      waiting: {amber: -1, red: 3}\n", "greater than or equal to 0"),
        ("      waiting: {amber: 1}\n", "red: Field required"),
        ("      queue_length: {amber: 1, red: 2}\n", "Extra inputs are not permitted"),
    ],
)
def test_given_bad_thresholds_then_the_file_is_refused_with_the_line(block: str, fragment: str) -> None:
    with pytest.raises(InvalidConfig) as caught:
        _one("    thresholds:\n" + block)
    assert fragment in str(caught.value)
    assert "(line 6)" in str(caught.value)


def test_public_view_names_the_direction_of_each_figure() -> None:
    view = thresholds_public(QueueThresholds())
    assert view["service_level"] == {"amber": 0.8, "red": 0.6, "direction": "lower_is_worse"}
    assert view["waiting"]["direction"] == "higher_is_worse"
    assert set(view) == {"waiting", "longest_wait_s", "service_level", "abandon_rate"}
