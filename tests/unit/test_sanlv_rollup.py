"""The pure parts of ``tickets.sanlv``: rates over zero, the roll-up over the tree, the tree order."""

from __future__ import annotations

from tickets.departments import Department, Level
from tickets.sanlv import COUNTS, empty_counts, roll_up, tree_order, with_rates

TREE = [
    Department("b_city", "乙局", None, Level.CITY),
    Department("a_city", "甲局", None, Level.CITY),
    Department("a_east", "甲局东区", "a_city", Level.DISTRICT),
    Department("a_east_s1", "东区一街道", "a_east", Level.STREET),
    Department("a_west", "甲局西区", "a_city", Level.DISTRICT),
]


def _counts(**values: int) -> dict[str, int]:
    return empty_counts() | values


def test_given_nothing_evaluated_then_rates_over_zero_are_none() -> None:
    rates = with_rates(_counts(dispatched=4, signed_on_time=3))
    assert rates["response_rate"] == 0.75
    assert rates["solve_rate"] is None
    assert rates["satisfaction_rate"] is None
    assert rates["on_time_rate"] is None


def test_given_orders_at_each_level_then_each_department_counts_its_subtree() -> None:
    own = {
        "a_city": _counts(dispatched=1),
        "a_east": _counts(dispatched=2, returns=1),
        "a_east_s1": _counts(dispatched=4, escalations=2),
        "b_city": _counts(dispatched=8),
    }
    rolled = roll_up(TREE, own)
    assert rolled["a_east_s1"]["dispatched"] == 4
    assert (rolled["a_east"]["dispatched"], rolled["a_east"]["escalations"]) == (6, 2)
    assert (rolled["a_city"]["dispatched"], rolled["a_city"]["returns"]) == (7, 1)
    assert rolled["a_west"] == empty_counts()
    assert rolled["b_city"]["dispatched"] == 8
    assert set(rolled["a_city"]) == set(COUNTS)


def test_given_a_tree_then_each_department_is_followed_by_those_below_it() -> None:
    assert [d.code for d in tree_order(TREE)] == ["a_city", "a_east", "a_east_s1", "a_west", "b_city"]
    assert [d.code for d in tree_order(TREE, "a_east")] == ["a_east", "a_east_s1"]
    assert tree_order(TREE, "unknown") == []
