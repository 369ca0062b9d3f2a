"""The first-level menu: every path ends in a queue, 0 and silence reach a person."""

from __future__ import annotations

import pytest

from ivr.menu import MenuReason, default_menu, route_keys

MENU = default_menu()


@pytest.mark.parametrize(
    ("attempts", "queue", "reason"),
    [
        ([""], "general", MenuReason.SILENCE),
        (["0"], "general", MenuReason.CHOICE),
        (["3"], "enterprise", MenuReason.CHOICE),
        (["9", "3"], "enterprise", MenuReason.CHOICE),
        (["9", ""], "general", MenuReason.SILENCE),
        (["9", "8", "7"], "general", MenuReason.INVALID),
    ],
)
def test_given_keys_when_routed_then_queue_and_reason(
    attempts: list[str], queue: str, reason: MenuReason
) -> None:
    outcome = route_keys(MENU, attempts)
    assert outcome is not None
    assert (outcome.queue, outcome.reason, outcome.keys) == (queue, reason, "".join(attempts))


@pytest.mark.parametrize("attempts", [["9"], ["9", "8"], ["*"]])
def test_given_invalid_key_within_retries_when_routed_then_ask_again(attempts: list[str]) -> None:
    assert route_keys(MENU, attempts) is None


def test_every_sequence_of_invalid_keys_ends_in_person_queue_within_retries() -> None:
    attempts: list[str] = []
    for _ in range(MENU.retries + 1):
        attempts.append("7")
        outcome = route_keys(MENU, attempts)
    assert outcome is not None
    assert outcome.queue == MENU.person_queue
