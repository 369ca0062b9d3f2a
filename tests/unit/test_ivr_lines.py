"""A line's flow entry: the main flow from its start, or from one of its nodes (ivr.lines)."""

from __future__ import annotations

from datetime import datetime

import pytest

from ivr.flow import SHANGHAI, AskDigits, CallContext, Digits, Finish, FlowRun, default_calendar, default_pack
from ivr.lines import entry_flow

NOON = datetime(2026, 11, 16, 12, 0, tzinfo=SHANGHAI)


def run_from(entry: str) -> FlowRun:
    pack = default_pack()
    main = pack["12345"]
    context = CallContext(caller="13800138000", now=NOON, calendar=default_calendar())
    return FlowRun(entry_flow(main, entry), pack, context)


def test_entry_at_the_department_menu_asks_it_first_and_key_2_reaches_its_queue() -> None:
    run = run_from("special_menu")
    action = run.start()
    assert isinstance(action, AskDigits)
    outcome = run.feed(Digits("2"))
    assert isinstance(outcome, Finish)
    assert getattr(outcome.outcome, "queue", None) == "women_children"


@pytest.mark.parametrize("entry", ["", "start", "no_such_node"])
def test_start_nothing_or_an_unknown_node_start_the_flow_as_usual(entry: str) -> None:
    main = default_pack()["12345"]
    assert entry_flow(main, entry) is main


def test_queue_line_finishes_at_once_in_its_queue() -> None:
    pack = default_pack()
    context = CallContext(caller="13800138000", now=NOON, calendar=default_calendar())
    run = FlowRun(entry_flow(pack["12345"], "", "social_security"), pack, context)
    outcome = run.start()
    assert isinstance(outcome, Finish)
    assert getattr(outcome.outcome, "queue", None) == "social_security"
