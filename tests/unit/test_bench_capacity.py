"""Pure parts of bench/capacity.py: percentiles, CPU from /proc stat text, the rate search, the tally."""

from __future__ import annotations

import pytest

from bench.capacity import parse_args
from bench.capacity_ledger import BenchCall, Ledger, apply_records, lost_outcomes, tally, watched
from bench.capacity_stats import (
    StepResult,
    agents_for,
    cpu_pct,
    passed,
    percentile,
    search_outcome,
    stat_ticks,
)

PUBLISHED = {
    "setup",
    "calls",
    "cps",
    "concurrent_peak",
    "answered",
    "lost",
    "asa_s_p50",
    "asa_s_p99",
    "cpu_pct",
}


def step(cps: float, *, lost: int = 0, p99: float | None = 0.5, abandoned: int = 0) -> StepResult:
    calls = int(cps * 10)
    return StepResult(
        setup="ours_1node",
        calls=calls,
        cps=cps,
        concurrent_peak=calls,
        answered=calls - lost - abandoned,
        lost=lost,
        asa_s_p50=0.1,
        asa_s_p99=p99,
        cpu_pct=50.0,
        abandoned=abandoned,
    )


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 99) == 3.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([float(v) for v in range(1, 101)], 99) == pytest.approx(99.01)
    with pytest.raises(ValueError, match="within"):
        percentile([1.0], 101)


def test_stat_ticks_reads_utime_and_stime_past_a_command_with_spaces() -> None:
    stat = "1234 (asterisk (x) y) S 1 2 3 4 5 6 7 8 9 10 170 30 0 0 20 0 1 0 100"
    assert stat_ticks(stat) == 200


def test_cpu_pct_is_one_core_per_hundred() -> None:
    assert cpu_pct(200, 2.0, hz=100) == 100.0
    assert cpu_pct(50, 1.0, hz=100) == 50.0
    assert cpu_pct(10, 0.0, hz=100) == 0.0


def test_search_reports_the_highest_rate_before_the_first_failure() -> None:
    limit = 5.0
    steps = [step(5), step(10), step(20, lost=1), step(30)]
    best = search_outcome(steps, limit)
    assert best is not None
    assert best.cps == 10
    assert search_outcome([step(5, p99=9.0)], limit) is None
    assert not passed(step(5, abandoned=1), limit)
    assert not passed(step(5, p99=None), limit)
    assert passed(step(5), limit)


def test_report_has_exactly_the_published_keys() -> None:
    assert set(step(5).report()) == PUBLISHED


def test_agents_cover_the_offered_load() -> None:
    assert agents_for(20, 8.0, 0.1) == 215
    assert agents_for(0.1, 0.0, 0.0) == 1


def test_tally_counts_unanswered_and_never_ended_calls_as_lost() -> None:
    answered = BenchCall("1", "cit-a", 0.0, seen=True, ended=True, answered=True, wait_s=0.2, ended_at=3.0)
    gave_up = BenchCall("2", "cit-b", 0.0, seen=True, ended=True, gave_up=True)
    stuck = BenchCall("3", "cit-c", 0.0, seen=True, answered=True)
    unseen = BenchCall("4", "cit-d", 0.0)
    t = tally([answered, gave_up, stuck, unseen])
    assert (t.calls, t.answered, t.gave_up, t.lost) == (4, 1, 1, 2)
    assert t.waits == [0.2]
    assert t.durations == [3.0]


def test_records_mark_answers_and_abandons_by_caller() -> None:
    calls = [BenchCall(c, f"cit-{c}", 0.0, seen=True, ended=True) for c in ("1", "2", "3")]
    apply_records(
        calls,
        [
            {"caller": "1", "answered_at": "t", "wait_seconds": 1.5},
            {"caller": "2", "ended_at": "t", "outcome": "abandoned"},
            {"caller": "3", "ended_at": "t", "outcome": "ivr_hangup"},
        ],
    )
    assert [(c.answered, c.wait_s, c.gave_up) for c in calls] == [
        (True, 1.5, False),
        (False, None, True),
        (False, None, False),
    ]


def test_only_the_citizen_half_is_watched() -> None:
    assert [watched(u) for u in ("cit-0123abcd", "capq-0123abcd")] == [True, True]
    assert [watched(u) for u in ("cit-0123abcd-in", "capq-0123abcd-c", "node-1.7")] == [False] * 3


def test_rates_are_tried_rising_and_all_setups_by_default() -> None:
    args = parse_args(["--rates", "20,5,10"])
    assert args.rates == [5.0, 10.0, 20.0]
    assert args.setup == [
        "ours_1node",
        "ours_2nodes",
        "ours_1node_kamailio",
        "ours_2nodes_kamailio",
        "app_queue_1node",
        "app_queue_direct_1node",
    ]


def test_reconcile_ends_calls_asterisk_no_longer_lists() -> None:
    ledger = Ledger()
    up, gone, unseen = (ledger.place(f"139{n}", f"cit-{n}") for n in ("a", "b", "c"))
    for call in (up, gone):
        call.seen = True
    ledger.live = 2
    ledger.reconcile("139", {"cit-a"})
    assert [(c.seen, c.ended) for c in (up, gone, unseen)] == [(True, False), (True, True), (True, True)]
    assert ledger.live == 1
    assert ledger.open_calls("139") == 1


def test_lost_outcomes_name_how_unanswered_calls_ended() -> None:
    calls = [BenchCall(c, f"cit-{c}", 0.0, seen=True, ended=True) for c in ("1", "2", "3", "4")]
    apply_records(
        calls,
        [
            {"caller": "1", "answered_at": "t", "ended_at": "t", "outcome": "answered"},
            {"caller": "2", "ended_at": "t", "outcome": "ivr_hangup"},
            {"caller": "3"},
        ],
    )
    assert lost_outcomes(calls) == {"ivr_hangup": 1, "open": 1, "no_record": 1}
