"""Revisit calls (回访) through the real Asterisk sandbox, the centre's scheduler, dialer and IVR.

The citizen is ``HOTLINE_EXTERNAL_DIAL``'s Local channel into ``[hotline-sim-agent]``: it answers after
half a second (``*600*0.5``) or rings until the Originate times out (``*-1*0.2``). The test's AMI link
plays the citizen's keys as DTMF on the revisit channel when the IVR asks a question. The scheduler's
clock is injected, so retries two hours apart take seconds.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hotline.ami.client import AmiEvent
from hotline.app import Centre, ensure_admin
from hotline.sandbox.instance import AsteriskSandbox
from tests.integration.calls import CallDriver, channel_starting, eventually
from tests.integration.conftest import ADMIN_PASSWORD, WORKING_MORNING, sandbox_settings
from tests.integration.desktop import DesktopClient
from tests.revisit_support import events, replied_order
from tickets import repository as repo
from tickets import revisit_store
from tickets.revisit_dialer import ACTION_PREFIX
from tickets.vocab import BEIJING, SpecialGroup, Status

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(180)]

ANSWERS = "Local/{number}*600*0.5@hotline-sim-agent"
NEVER_ANSWERS = "Local/{number}*-1*0.2@hotline-sim-agent"
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=BEIJING)


@dataclass
class Clock:
    """The revisit scheduler's clock, moved by the test."""

    now: datetime = T0 + timedelta(hours=3)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Citizen:
    """Presses ``keys`` in turn, one per question the revisit IVR asks; records the prompts played."""

    driver: CallDriver
    keys: list[str]
    prompts: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.driver.ami.on_event("AGIExecStart", self._on_agi)

    async def _on_agi(self, event: AmiEvent) -> None:
        if not event.get("Uniqueid", "").startswith(ACTION_PREFIX):
            return
        command = event.get("Command", "")
        played = next(
            (w.strip('"').removeprefix("hotline/") for w in command.split() if "hotline/" in w), None
        )
        if played is not None:
            self.prompts.append(played)
        if command.upper().startswith("GET DATA") and self.keys:
            await asyncio.sleep(0.3)
            digit = self.keys.pop(0)
            await self.driver.ami.send_action(
                {
                    "Action": "PlayDTMF",
                    "Channel": event.get("Channel", ""),
                    "Digit": digit,
                    "Duration": "120",
                    "Receive": "true",
                }
            )


def _built(sandbox: AsteriskSandbox, tmp_path: Path, clock: Clock, **overrides: object) -> Centre:
    settings = sandbox_settings(sandbox, tmp_path, **({"revisit_dialing": False} | overrides))
    centre = Centre(
        settings=settings,
        ami_secret=settings.ami_secret.get_secret_value(),
        clock=lambda: WORKING_MORNING,
        revisit_clock=clock,
    )
    ensure_admin(centre.sessions, settings)
    return centre


async def _centre(sandbox: AsteriskSandbox, tmp_path: Path, clock: Clock, **overrides: object) -> Centre:
    centre = _built(sandbox, tmp_path, clock, **overrides)
    await centre.start()
    return centre


@pytest.fixture
def clock() -> Clock:
    """11:00 in Beijing on a Wednesday, an hour after the orders were replied to."""
    return Clock()


@pytest.fixture
async def answering_centre(sandbox: AsteriskSandbox, tmp_path: Path, clock: Clock) -> AsyncIterator[Centre]:
    """A centre whose outside calls are answered."""
    centre = await _centre(sandbox, tmp_path, clock, external_dial=ANSWERS)
    try:
        yield centre
    finally:
        await centre.stop()


@pytest.fixture
async def unanswered_centre(sandbox: AsteriskSandbox, tmp_path: Path, clock: Clock) -> AsyncIterator[Centre]:
    """A centre whose outside calls ring for 2 seconds and are never answered; one revisit call at a time."""
    centre = await _centre(
        sandbox,
        tmp_path,
        clock,
        external_dial=NEVER_ANSWERS,
        ring_timeout_seconds=2.0,
        revisit_concurrency=1,
    )
    try:
        yield centre
    finally:
        await centre.stop()


def _status(centre: Centre, number: str) -> Status:
    row = repo.get_work_order(centre.sessions, number=number)
    assert row is not None
    return row.status


async def _ended(centre: Centre, attempt_id: int) -> revisit_store.AttemptRow:
    def finished() -> revisit_store.AttemptRow | None:
        row = revisit_store.get_attempt(centre.sessions, attempt_id)
        return row if row is not None and row.outcome not in ("calling", "answered") else None

    found = await eventually(finished, timeout=45)
    assert isinstance(found, revisit_store.AttemptRow)
    return found


async def _failure_recorded(centre: Centre, attempt: revisit_store.AttemptRow) -> None:
    """Wait until the order's history counts this failed attempt (the loop writes after the attempt)."""
    await eventually(
        lambda: events(centre.sessions, attempt.order_number).count("call_back_failed") >= attempt.seq
    )


async def test_given_replied_order_when_citizen_presses_1_then_1_then_solved_satisfied_and_closed(
    answering_centre: Centre, driver: CallDriver
) -> None:
    centre = answering_centre
    number = replied_order(centre.sessions, "13800138000", at=T0)
    citizen = Citizen(driver, keys=["1", "1"])
    launched = await centre.revisit_scheduler.tick()
    assert [a.order_number for a in launched] == [number]
    attempt = await _ended(centre, launched[0].id)
    assert (attempt.outcome, attempt.solved, attempt.satisfaction, attempt.via) == (
        "reached",
        True,
        "satisfied",
        "phone",
    )
    await eventually(lambda: events(centre.sessions, number)[-3:] == ["call_back", "evaluate", "close"])
    evaluate = repo.work_order_history(centre.sessions, number=number)[-2].detail
    assert (evaluate["solved"], evaluate["satisfaction"], evaluate["via"]) == (True, "satisfied", "phone")
    assert _status(centre, number) is Status.CLOSED
    digits = [p.removeprefix("num_") for p in citizen.prompts if p.startswith("num_")]
    assert "".join(digits) == number.replace("-", ""), "the order number is read digit by digit"
    assert citizen.prompts[0] == "revisit_intro"
    assert [p for p in citizen.prompts if p.startswith("revisit_")][1:] == [
        "revisit_solved",
        "revisit_satisfaction",
        "revisit_thanks",
    ]


async def test_given_invalid_key_when_asked_then_question_repeated_once_and_answer_taken(
    answering_centre: Centre, driver: CallDriver
) -> None:
    centre = answering_centre
    number = replied_order(centre.sessions, "13900139000", at=T0)
    citizen = Citizen(driver, keys=["7", "2", "3"])
    launched = await centre.revisit_scheduler.tick()
    attempt = await _ended(centre, launched[0].id)
    assert (attempt.outcome, attempt.solved, attempt.satisfaction) == ("reached", False, "dissatisfied")
    asked = [p for p in citizen.prompts if p in ("revisit_solved", "revisit_again", "revisit_satisfaction")]
    assert asked == ["revisit_solved", "revisit_again", "revisit_solved", "revisit_satisfaction"]
    await eventually(lambda: _status(centre, number) is not Status.REPLIED)
    assert _status(centre, number) is Status.EVALUATED, "a dissatisfied citizen leaves it open for 重办"


async def test_given_citizen_never_answers_when_retried_then_three_attempts_and_closed_unreachable(
    unanswered_centre: Centre, clock: Clock
) -> None:
    centre = unanswered_centre
    first = replied_order(centre.sessions, "13700137000", at=T0)
    second = replied_order(centre.sessions, "13600136000", at=T0)
    launched_per_tick: list[int] = []
    for _ in range(15):
        launched = await centre.revisit_scheduler.tick()
        launched_per_tick.append(len(launched))
        if launched:
            assert await centre.revisit_scheduler.tick() == [], "one revisit call at a time"
            ended = await _ended(centre, launched[0].id)
            assert ended.outcome == "no_answer"
            await _failure_recorded(centre, ended)
        else:
            clock.now += timedelta(hours=2, minutes=1)
        if _status(centre, first) is Status.CLOSED and _status(centre, second) is Status.CLOSED:
            break
    assert max(launched_per_tick) == 1
    for number in (first, second):
        assert events(centre.sessions, number)[-4:] == ["call_back_failed"] * 3 + ["close_unreachable"]
        attempts = centre.revisits.history(number)
        assert [a.outcome for a in attempts] == ["no_answer"] * 3
        gaps = [b.started_at - a.started_at for a, b in itertools.pairwise(attempts)]
        assert all(gap >= timedelta(hours=2) for gap in gaps)
    assert centre.revisits.work_list(clock.now) == []


async def test_given_signed_in_agent_when_calling_from_the_list_then_agent_phone_rings_then_the_citizen(
    answering_centre: Centre, driver: CallDriver
) -> None:
    centre = answering_centre
    number = replied_order(centre.sessions, "13500135000", at=T0, group=SpecialGroup.ELDERLY)
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.put_agent(
        "7402",
        name="钱七",
        contact="Local/7402*30*0.2@hotline-sim-agent",
        skills={"general": 1},
        password="pw-7402",
    )
    await admin.close()
    desk = DesktopClient(centre.url)
    try:
        await desk.sign_in("7402", "pw-7402")
        await desk.connect()
        placed = await desk.http.post(
            f"/api/revisits/{number}/call", json={"citizen_order": number}, headers=desk.auth
        )
        assert placed.status_code == 202, placed.text
        agent_leg = await driver.wait_event(channel_starting("Local/7402*"), timeout=20)
        citizen_leg = await driver.wait_event(channel_starting("Local/13500135000*"), timeout=20)
        assert citizen_leg.at > agent_leg.at, "the agent first, then the citizen"
        named = await driver.wait_event(
            lambda e: (
                e.get("Channel", "").startswith("Local/7402*")
                and e.get("CallerIDNum", "") not in ("", "<unknown>")
            )
        )
        assert named.event.get("CallerIDNum") == "135****5000", "the agent's phone shows the number masked"
        for seen in (agent_leg, citizen_leg):
            await driver.hang_up(seen.event.get("Channel", ""))
    finally:
        await desk.close()
    assert events(centre.sessions, number)[-1] == "reply", "the agent records the result by hand"


async def test_given_dialing_on_when_the_centre_starts_then_its_scheduler_calls_the_citizen_by_itself(
    sandbox: AsteriskSandbox, tmp_path: Path, clock: Clock, driver: CallDriver
) -> None:
    centre = _built(sandbox, tmp_path, clock, external_dial=ANSWERS, revisit_dialing=True)
    number = replied_order(centre.sessions, "13300133000", at=T0)
    Citizen(driver, keys=["2", "2"])
    await centre.start()
    try:
        await eventually(lambda: _status(centre, number) is Status.CLOSED, timeout=60)
        assert events(centre.sessions, number)[-3:] == ["call_back", "evaluate", "close"]
        evaluate = repo.work_order_history(centre.sessions, number=number)[-2].detail
        assert (evaluate["solved"], evaluate["satisfaction"]) == (False, "basically_satisfied")
    finally:
        await centre.stop()
