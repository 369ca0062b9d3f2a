"""The simulate summary counts lost calls from the centre's own records."""

from __future__ import annotations

from typing import Any

from hotline.simulate import percentile, summarise


def test_percentile_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 99) == 3.0
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 90) == 90.0
    assert percentile(values, 100) == 100.0


def test_given_missing_record_when_summarised_then_counted_as_lost() -> None:
    records: list[dict[str, Any]] = [
        {"answered_at": "t", "outcome": "answered", "wait_seconds": 1.0, "talk_seconds": 2.0},
        {"answered_at": None, "outcome": "abandoned", "wait_seconds": 9.0, "talk_seconds": None},
        {"answered_at": None, "outcome": None, "wait_seconds": None, "talk_seconds": None},
    ]
    summary = summarise(records, offered=4, elapsed_s=1.0)
    assert (summary["answered"], summary["abandoned"], summary["lost"]) == (1, 1, 2)
    assert summary["wait_s"]["p50"] == 1.0
