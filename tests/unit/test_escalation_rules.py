"""The escalation file (tickets/data/escalation.yaml) and the checker's calendar arithmetic, without a
database: the due-soon cutoff and the 30-working-day boundary across holidays and 调休 days."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ivr.flow.calendar import shipped_calendar
from tickets.checker import DeadlineChecker
from tickets.deadlines import DEFAULT_TIME_LIMITS_PATH, DeadlinePolicy
from tickets.errors import CatalogueError
from tickets.escalation import Action, EscalationConfig, default_config
from tickets.vocab import BEIJING


def bj(y: int, m: int, d: int, h: int = 9, mi: int = 0, s: int = 0) -> datetime:
    """A Beijing-time moment."""
    return datetime(y, m, d, h, mi, s, tzinfo=BEIJING)


def checker(due_soon_working_days: int = 1) -> DeadlineChecker:
    """A checker on the shipped calendar that is never asked to touch a database."""
    config = EscalationConfig.model_validate({"deadlines": {"due_soon_working_days": due_soon_working_days}})
    policy = DeadlinePolicy.from_yaml(DEFAULT_TIME_LIMITS_PATH, calendar=shipped_calendar())
    return DeadlineChecker(sessions=cast(sessionmaker[Session], None), policy=policy, config=config)


def test_shipped_rules_are_suzhous_defaults() -> None:
    rules = default_config().rules
    assert (rules.repeat.min_orders, rules.repeat.action) == (3, Action.ESCALATE_PARENT)
    assert (rules.unresolved.working_days, rules.unresolved.action) == (30, Action.ESCALATE_PARENT)
    assert (rules.dissatisfied.min_times, rules.dissatisfied.action) == (2, Action.LEADERSHIP)
    assert default_config().deadlines.due_soon_working_days == 1


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("kind: escalation_rules\nrules: {repeat: {min_orders: 1}}\n", "min_orders"),
        ("kind: escalation_rules\nrules: {unresolved: {action: email}}\n", "action"),
        ("kind: escalation_rules\nrules: {sometimes: {}}\n", "sometimes"),
        ("kind: other\n", "kind"),
        ("kind: [\n", "escalation"),
    ],
)
def test_given_bad_file_when_loaded_then_catalogue_error_names_it(
    tmp_path: Path, text: str, needle: str
) -> None:
    path = tmp_path / "escalation.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as info:
        EscalationConfig.from_yaml(path)
    assert info.value.error_id == "escalation_invalid"
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("now", "cutoff"),
    [
        (bj(2026, 11, 18), bj(2026, 11, 19, 23, 59, 59)),  # Wednesday → end of Thursday
        (bj(2026, 11, 20), bj(2026, 11, 23, 23, 59, 59)),  # Friday → end of Monday
        (bj(2027, 2, 4), bj(2027, 2, 15, 23, 59, 59)),  # before the Spring Festival → after it
        (bj(2027, 2, 10), bj(2027, 2, 15, 23, 59, 59)),  # inside it
        (bj(2026, 2, 13), bj(2026, 2, 14, 23, 59, 59)),  # Friday → the make-up Saturday
    ],
)
def test_due_soon_cutoff_is_the_end_of_the_next_working_day(now: datetime, cutoff: datetime) -> None:
    assert checker().due_soon_cutoff(now) == cutoff


def test_given_window_zero_then_due_soon_means_by_the_end_of_today() -> None:
    assert checker(0).due_soon_cutoff(bj(2027, 2, 10, 15)) == bj(2027, 2, 11, 0)


@pytest.mark.parametrize(
    ("now", "working_days", "before"),
    [
        (bj(2026, 11, 18), 1, bj(2026, 11, 17, 0)),  # dispatched on Monday: a full Tuesday has passed
        (bj(2026, 11, 16), 1, bj(2026, 11, 13, 0)),  # Monday: Friday was the last working day
        (bj(2026, 10, 8), 1, bj(2026, 9, 30, 0)),  # National Day week holds no working day
        (bj(2026, 10, 12), 2, bj(2026, 10, 9, 0)),  # 9 Oct and the make-up Saturday 10 Oct
    ],
)
def test_unresolved_boundary_counts_working_days_only(
    now: datetime, working_days: int, before: datetime
) -> None:
    assert checker().unresolved_before(now, working_days) == before
