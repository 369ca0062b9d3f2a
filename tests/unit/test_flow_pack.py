"""The default 12345 pack, branch by branch through dry runs, plus properties over random callers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.flow import (
    CallerAttributes,
    DryRunResult,
    Finish,
    LeaveMessage,
    OpenWorkOrder,
    SurveyNode,
    SurveyResult,
    SurveyRun,
    ToQueue,
    WorkOrderStatus,
    default_pack,
    dry_run,
)
from ivr.flow.actions import AskDigits, AskSpeech, Digits, Play

PACK = default_pack()
MAIN = PACK["12345"]
WORKDAY = datetime(2026, 11, 16, 10, 0)  # a Monday
HOLIDAY_NIGHT = datetime(2026, 10, 1, 22, 0)
CALLER = "13800138000"
PREFIX = ["welcome", "emergency_check", "elderly_check", "hours_check", "repeat_check"]


def call(keys: list[str], at: datetime = WORKDAY, **kwargs: Any) -> DryRunResult:
    return dry_run(MAIN, PACK, caller=CALLER, at=at, keys=keys, **kwargs)


@pytest.mark.parametrize(
    ("keys", "queue", "skills"),
    [
        (["0"], "general", ()),
        ([], "general", ()),
        (["3"], "enterprise", ("enterprise",)),
        (["4"], "accessibility", ("sign_language",)),
        (["2", "1"], "social_security", ("social_security",)),
        (["2", "2"], "women_children", ("women_children",)),
        (["2", "3"], "elderly_services", ("elderly_services",)),
        (["2", "4"], "wage_arrears", ("wage_arrears",)),
        (["2", "0"], "general", ()),
        (["2"], "general", ()),
        (["7", "8"], "general", ()),
        (["7", "3"], "enterprise", ("enterprise",)),
        (["2", "9", "9"], "general", ()),
    ],
)
def test_given_working_hours_when_keys_pressed_then_queue(
    keys: list[str], queue: str, skills: tuple[str]
) -> None:
    result = call(keys)
    assert isinstance(result.outcome, ToQueue)
    assert (result.outcome.queue, result.outcome.skills) == (queue, skills)
    assert result.node_ids[:6] == [*PREFIX, "main_menu"]


def test_enterprise_line_carries_its_tag_and_exact_path() -> None:
    result = call(["3"])
    assert result.node_ids == [*PREFIX, "main_menu", "enterprise_queue"]
    assert result.path[5].inputs == ("3",)
    assert result.outcome == ToQueue("enterprise", ("enterprise",), 0, ("business_environment",))


def test_given_a_key_during_welcome_when_pressed_then_typed_ahead_into_the_menu() -> None:
    result = call(["3"])
    assert result.actions[0].interruptible_digits == "01234"  # type: ignore[union-attr]
    assert len(result.actions) == 2


def test_given_the_surge_switch_on_when_asking_for_a_person_then_surge_queue() -> None:
    assert call(["0"], flags={"surge": True}).outcome == ToQueue("surge", tags=("surge",))
    assert call(["3"], flags={"surge": True}).outcome.queue == "enterprise"  # type: ignore[union-attr]


def test_given_an_emergency_announcement_when_on_then_played_before_the_menu() -> None:
    result = call(["0"], flags={"emergency_announcement": True})
    assert result.node_ids[:3] == ["welcome", "emergency_check", "emergency_notice"]
    assert "emergency_notice" not in call(["0"]).node_ids


def test_given_an_elderly_caller_when_calling_then_straight_to_a_person_with_priority() -> None:
    for at in (WORKDAY, HOLIDAY_NIGHT):
        result = call(["3"], at=at, attributes=CallerAttributes(elderly=True))
        assert result.outcome == ToQueue("general", priority=10, tags=("elderly",))
        assert not any(MAIN.nodes[n].type.endswith("menu") for n in result.node_ids)


REPEAT = CallerAttributes(repeat_caller=True, open_work_orders=(OpenWorkOrder("2026111600042", "1007"),))


@pytest.mark.parametrize(
    ("keys", "outcome"),
    [
        (["1"], WorkOrderStatus("2026111600042", CALLER)),
        (["2"], ToQueue("general", tags=("repeat_caller",), preferred_agent="1007")),
        (["0"], ToQueue("general")),
        ([], ToQueue("general")),
        (["5", "6"], ToQueue("general")),
    ],
)
def test_given_a_repeat_caller_with_an_open_order_when_choosing_then_status_or_agent(
    keys: list[str], outcome: Any
) -> None:
    result = call(keys, attributes=REPEAT)
    assert result.node_ids[5:7] == ["open_order_check", "repeat_menu"]
    assert result.outcome == outcome


def _prompts(result: DryRunResult) -> list[str]:
    return [a.prompt for a in result.actions if isinstance(a, Play | AskDigits | AskSpeech)]


@pytest.mark.parametrize(
    ("kwargs", "menu"),
    [
        ({}, "main_menu"),
        ({"speech_available": True}, "main_menu"),
        ({"attributes": REPEAT}, "repeat_menu"),
        ({"at": HOLIDAY_NIGHT}, "off_hours_menu"),
    ],
)
def test_given_silence_in_the_first_menu_when_calling_then_a_person_without_the_menu_again(
    kwargs: dict[str, Any], menu: str
) -> None:
    result = call([], **kwargs)
    assert _prompts(result) == ["welcome", menu]
    assert isinstance(result.outcome, ToQueue)
    assert result.outcome.queue == "general"


def test_given_a_wrong_key_in_the_main_menu_when_pressed_then_reasked_once_then_a_person() -> None:
    result = call(["7"])
    assert _prompts(result) == ["welcome", "main_menu", "invalid_input", "main_menu"]
    assert result.outcome == ToQueue("general")
    assert call(["7", "3"]).outcome.queue == "enterprise"  # type: ignore[union-attr]


def test_given_a_repeat_caller_without_open_order_when_calling_then_main_menu() -> None:
    result = call(["3"], attributes=CallerAttributes(repeat_caller=True))
    assert result.node_ids[5:7] == ["open_order_check", "main_menu"]


def test_given_an_order_number_when_self_querying_then_status_lookup() -> None:
    result = call(["1", "20261116042#"])
    assert result.outcome == WorkOrderStatus("20261116042", CALLER)
    assert [(s.flow_id, s.node_id) for s in result.path[-3:]] == [
        ("12345", "order_query"),
        ("work_order_query", "ask_order"),
        ("work_order_query", "lookup"),
    ]


def test_given_a_wrong_order_number_twice_when_self_querying_then_back_to_a_person() -> None:
    result = call(["1", "12#", "34#"])
    assert result.outcome == ToQueue("general")
    assert result.node_ids[-4:] == ["ask_order", "back_to_person", "to_person", "general_queue"]


def test_given_a_holiday_night_when_pressing_3_then_1_then_message_with_callback() -> None:
    result = call(["3", "1"], at=HOLIDAY_NIGHT)
    assert result.node_ids == [
        "welcome", "emergency_check", "elderly_check", "hours_check", "off_hours_tag", "off_hours_menu",
        "leave_message",
    ]  # fmt: skip
    assert result.path[5].inputs == ("3", "1")
    assert result.outcome == LeaveMessage(callback=True, prompt="leave_message", tags=("out_of_hours",))


@pytest.mark.parametrize(
    ("at", "in_hours"),
    [
        (datetime(2026, 11, 14, 10, 0), False),  # a normal Saturday
        (datetime(2026, 10, 10, 10, 0), True),  # make-up working day (Saturday)
        (datetime(2026, 11, 16, 7, 59), False),
        (datetime(2026, 11, 16, 19, 59), True),
        (datetime(2026, 11, 16, 20, 0), False),
    ],
)
def test_given_calendar_and_clock_when_calling_then_in_or_out_of_hours(at: datetime, in_hours: bool) -> None:
    result = call(["0"], at=at)
    assert result.path[3].inputs == (("then",) if in_hours else ("else",))
    expected_tags = () if in_hours else ("out_of_hours",)
    assert result.outcome == ToQueue("general", tags=expected_tags)


def test_given_out_of_hours_when_silent_then_duty_person() -> None:
    assert call([], at=HOLIDAY_NIGHT).outcome == ToQueue("general", tags=("out_of_hours",))


def test_given_a_speech_model_when_saying_a_keyword_then_same_route_as_the_key() -> None:
    result = call(["say:3"], speech_available=True)
    assert result.outcome.queue == "enterprise"  # type: ignore[union-attr]
    assert result.path[5].inputs == ("speech:3",)
    assert call(["say:", "say:"], speech_available=True).outcome == ToQueue("general")


def test_post_call_survey_of_the_pack() -> None:
    assert MAIN.post_call_survey is not None
    node = MAIN.nodes[MAIN.post_call_survey]
    assert isinstance(node, SurveyNode)
    survey = SurveyRun(node)
    survey.start()
    assert survey.feed(Digits("2")) == Finish(SurveyResult(4, "2"))


KEYS = st.sampled_from(["0", "1", "2", "3", "4", "5", "9", "*", "#", "12", "20261116042#", "say:3", "say:"])
MOMENTS = st.sampled_from(
    [
        WORKDAY,
        HOLIDAY_NIGHT,
        datetime(2026, 11, 14, 3, 0),
        datetime(2026, 10, 10, 9, 0),
        datetime(2025, 1, 28, 12),
    ]
)
PROFILES = st.builds(
    CallerAttributes,
    elderly=st.booleans(),
    repeat_caller=st.booleans(),
    open_work_orders=st.sampled_from([(), (OpenWorkOrder("1", None),)]),
    vip=st.booleans(),
)
FLAGS = st.fixed_dictionaries({"surge": st.booleans(), "emergency_announcement": st.booleans()})


@settings(max_examples=150, deadline=None)
@given(keys=st.lists(KEYS, max_size=10), at=MOMENTS, profile=PROFILES, flags=FLAGS, speech=st.booleans())
def test_property_any_keys_end_in_a_finish_within_a_bound(
    keys: list[str], at: datetime, profile: CallerAttributes, flags: dict[str, bool], speech: bool
) -> None:
    result = call(keys, at=at, attributes=profile, flags=flags, speech_available=speech, max_actions=60)
    assert isinstance(result.actions[-1], Finish)
    assert len(result.actions) <= 2 * len(keys) + 8
    assert len(result.path) <= 3 * len(keys) + 12


@settings(max_examples=100, deadline=None)
@given(at=MOMENTS, profile=PROFILES, flags=FLAGS, speech=st.booleans())
def test_property_silence_always_ends_with_a_person(
    at: datetime, profile: CallerAttributes, flags: dict[str, bool], speech: bool
) -> None:
    result = call([], at=at, attributes=profile, flags=flags, speech_available=speech)
    assert isinstance(result.outcome, ToQueue)
    assert result.outcome.queue in {"general", "surge"}
