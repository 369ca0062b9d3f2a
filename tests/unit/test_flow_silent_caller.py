"""A silent caller of the shipped 12345 pack reaches a person within the 转人工时长 of first-tier cities.

The time is computed, not clocked: a dry run of a caller who says and presses nothing, every prompt as
long as its rendered audio (espeak-ng + sox, as the centre generates it) and every question waiting its
whole timeout. A live call adds only the IVR's own processing, and is faster where the runtime caps
question timeouts or a speech question stops listening at silence. The emergency notice, an admin
switch for incidents, plays on top of this when it is on.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ivr.flow import CallerAttributes, Flow, OpenWorkOrder, ToQueue, default_pack, dry_run, load_flow_pack
from ivr.flow.dryrun import seconds_to_outcome
from ivr.flow.loader import DEFAULT_PACK_PATH
from ivr.flow.nodes import SpeechMenuNode
from ivr.prompts import ensure_prompts, prompt_seconds

pytestmark = pytest.mark.timeout(60)

TO_PERSON_KPI_S = 37.9
"""转人工时长 (call answered to a human) of first-tier cities in 2020, see DOMAIN-12345."""
WORKDAY = datetime(2026, 11, 16, 10, 0)
HOLIDAY_NIGHT = datetime(2026, 10, 1, 22, 0)
REPEAT = CallerAttributes(repeat_caller=True, open_work_orders=(OpenWorkOrder("2026111600042", "1007"),))
PACK = default_pack()


@pytest.fixture(scope="module")
def prompt_lengths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    """Seconds each prompt of the shipped pack plays, rendered as the centre renders them."""
    sounds: Path = tmp_path_factory.mktemp("sounds")
    texts = {name: text for flow in PACK.values() for name, text in flow.prompts.items() if text}
    ensure_prompts(sounds, texts)
    return {name: prompt_seconds(sounds, name) for name in texts}


def silent_seconds(pack: dict[str, Flow], lengths: dict[str, float], **kwargs: Any) -> tuple[float, Any]:
    """Seconds from answer to the outcome for a silent caller, and that outcome."""
    result = dry_run(pack["12345"], pack, caller="13800138000", keys=[], **kwargs)
    return seconds_to_outcome(result, lengths), result.outcome


@pytest.mark.parametrize(
    ("kwargs", "queue"),
    [
        ({"at": WORKDAY}, "general"),
        ({"at": WORKDAY, "speech_available": True}, "general"),
        ({"at": WORKDAY, "flags": {"surge": True}}, "surge"),
        ({"at": WORKDAY, "attributes": REPEAT}, "general"),
        ({"at": HOLIDAY_NIGHT}, "general"),
    ],
    ids=["working_hours", "speech", "surge", "repeat_caller", "out_of_hours"],
)
def test_given_the_shipped_pack_when_a_caller_stays_silent_then_a_person_within_the_kpi(
    prompt_lengths: dict[str, float], kwargs: dict[str, Any], queue: str
) -> None:
    seconds, outcome = silent_seconds(PACK, prompt_lengths, **kwargs)
    assert isinstance(outcome, ToQueue)
    assert outcome.queue == queue
    assert seconds <= TO_PERSON_KPI_S, f"a silent caller waits {seconds:.1f} s for a person"


def test_given_the_main_menu_reasked_on_silence_when_timed_then_over_the_kpi(
    prompt_lengths: dict[str, float],
) -> None:
    source = DEFAULT_PACK_PATH.read_text(encoding="utf-8")
    assert source.count("    silence_retries: 0\n") == 3
    reasking = load_flow_pack(source.replace("    silence_retries: 0\n", ""))
    seconds, outcome = silent_seconds(reasking, prompt_lengths, at=WORKDAY)
    assert outcome == ToQueue("general")
    assert seconds > TO_PERSON_KPI_S
    shipped, _ = silent_seconds(PACK, prompt_lengths, at=WORKDAY)
    menu = PACK["12345"].nodes["main_menu"]
    assert isinstance(menu, SpeechMenuNode)
    assert seconds - shipped == pytest.approx(prompt_lengths["main_menu"] + menu.timeout_s)
