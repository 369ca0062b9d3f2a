"""The pure interpreter: inputs in, actions out, illegal inputs refused, every failure ends at a person."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ivr.flow import (
    SHANGHAI,
    AskDigits,
    AskSpeech,
    CallContext,
    CallerAttributes,
    Digits,
    Finish,
    Flow,
    FlowRun,
    FlowRunError,
    Hangup,
    LeaveMessage,
    Play,
    Played,
    Speech,
    SurveyNode,
    SurveyResult,
    SurveyRun,
    Timeout,
    ToQueue,
    Transfer,
    Wait,
    default_calendar,
    dry_run,
)
from ivr.flow.dryrun import seconds_to_outcome

NOON = datetime(2026, 11, 16, 12, 0, tzinfo=SHANGHAI)


def make(nodes: dict[str, Any], start: str = "m", **extra: Any) -> Flow:
    prompts = ["p", "bad", "survey"]
    doc = {"id": "f", "name": "f", "schema_version": 1, "start": start, "prompts": prompts, "nodes": nodes}
    return Flow.model_validate({**doc, **extra})


def ctx(**kwargs: Any) -> CallContext:
    return CallContext(caller=kwargs.pop("caller", "13800138000"), now=kwargs.pop("now", NOON),
                       calendar=default_calendar(), **kwargs)  # fmt: skip


PERSON = {"type": "queue", "queue": "general"}
MENU = {
    "m": {
        "type": "menu",
        "prompt": "p",
        "options": {"1": "bye", "2": "out", "9": "m", "0": "person"},
        "invalid_prompt": "bad",
        "retries": 1,
        "on_timeout": "person",
        "on_invalid": "person",
    },
    "bye": {"type": "hangup"},
    "out": {"type": "transfer", "number": "110"},
    "person": PERSON,
}


def test_given_a_menu_when_started_then_asks_one_digit() -> None:
    run = FlowRun(make(MENU), None, ctx())
    assert run.start() == AskDigits("p", 1, 5.0, None)
    assert run.wait is Wait.DIGITS
    assert run.feed(Digits("2")) == Finish(Transfer("110"))
    assert run.finished
    assert run.outcome == Transfer("110")
    assert [(s.node_id, s.inputs) for s in run.path] == [("m", ("2",)), ("out", ())]


def test_given_an_invalid_key_when_fed_then_invalid_prompt_interruptible_then_retry() -> None:
    run = FlowRun(make(MENU), None, ctx())
    run.start()
    assert run.feed(Digits("7")) == Play("bad", "1290")
    assert run.feed(Played("1")) == Finish(Hangup())


def test_given_invalid_keys_beyond_retries_when_fed_then_person() -> None:
    run = FlowRun(make(MENU), None, ctx())
    run.start()
    run.feed(Digits("7"))
    assert run.feed(Played(None)) == AskDigits("p", 1, 5.0, None)
    assert run.feed(Digits("8")) == Finish(ToQueue("general"))
    assert run.path[0].inputs == ("7", "8")


def test_given_silence_when_fed_then_reask_once_then_person() -> None:
    run = FlowRun(make(MENU), None, ctx())
    run.start()
    assert run.feed(Timeout()) == AskDigits("p", 1, 5.0, None)
    assert run.feed(Digits("")) == Finish(ToQueue("general"))


def menu_with(**fields: Any) -> dict[str, Any]:
    """The nodes of ``MENU`` with ``fields`` changed on the menu."""
    nodes: dict[str, Any] = dict(MENU)
    nodes["m"] = {**nodes["m"], **fields}
    return nodes


def test_given_no_silence_retries_when_silent_then_person_at_once_but_a_wrong_key_is_reasked() -> None:
    nodes = menu_with(silence_retries=0)
    silent = FlowRun(make(nodes), None, ctx())
    silent.start()
    assert silent.feed(Timeout()) == Finish(ToQueue("general"))
    assert silent.path[0].inputs == ("timeout",)
    wrong = FlowRun(make(nodes), None, ctx())
    wrong.start()
    assert wrong.feed(Digits("7")) == Play("bad", "1290")
    assert wrong.feed(Played(None)) == AskDigits("p", 1, 5.0, None)
    assert wrong.feed(Timeout()) == Finish(ToQueue("general"))


@pytest.mark.parametrize(
    ("inputs", "asks"),
    [
        ([Timeout(), Timeout()], 2),
        ([Timeout(), Digits("7"), Timeout()], 3),
        ([Digits("7"), Timeout(), Digits("8")], 3),
    ],
)
def test_given_fewer_silence_retries_than_retries_when_missing_then_each_limit_holds(
    inputs: list[Any], asks: int
) -> None:
    nodes = menu_with(retries=2, silence_retries=1)
    run = FlowRun(make(nodes), None, ctx())
    actions: list[Any] = [run.start()]
    for inp in inputs:
        while isinstance(actions[-1], Play):
            actions.append(run.feed(Played(None)))
        actions.append(run.feed(inp))
    assert actions[-1] == Finish(ToQueue("general"))
    assert sum(isinstance(a, AskDigits) for a in actions) == asks


@pytest.mark.parametrize("bad", [Played(None), Speech("1")])
def test_given_an_unexpected_input_when_fed_then_refused_and_state_kept(bad: Any) -> None:
    run = FlowRun(make(MENU), None, ctx())
    run.start()
    with pytest.raises(FlowRunError) as info:
        run.feed(bad)
    assert info.value.error_id == "unexpected_input"
    assert run.feed(Digits("1")) == Finish(Hangup())
    with pytest.raises(FlowRunError):
        run.feed(Digits("1"))


def test_given_a_run_when_started_twice_or_fed_first_then_refused() -> None:
    run = FlowRun(make(MENU), None, ctx())
    with pytest.raises(FlowRunError):
        run.feed(Digits("1"))
    run.start()
    with pytest.raises(FlowRunError) as info:
        run.start()
    assert info.value.error_id == "already_started"


def test_given_a_naive_now_when_building_context_then_refused() -> None:
    with pytest.raises(FlowRunError) as info:
        ctx(now=datetime(2026, 1, 1, 12))
    assert info.value.error_id == "naive_datetime"


def test_given_endless_menu_reentry_when_inputs_exceed_limit_then_fallback_queue() -> None:
    run = FlowRun(make(MENU, max_inputs=5), None, ctx())
    run.start()
    actions = [run.feed(Digits("9")) for _ in range(5)]
    assert actions[-1] == AskDigits("p", 1, 5.0, None)
    assert run.feed(Digits("9")) == Finish(ToQueue("general", tags=("ivr_fallback",)))
    assert run.errors == ["input_limit"]


def test_given_a_loop_without_input_when_run_then_fallback_after_step_limit() -> None:
    nodes = {
        "a": {"type": "set_tags", "tags": ["x"], "next": "b"},
        "b": {"type": "condition", "test": {"kind": "caller", "attribute": "vip"}, "then": "a", "else": "a"},
    }
    run = FlowRun(make(nodes, start="a", fallback_queue="duty"), None, ctx())
    assert run.start() == Finish(ToQueue("duty", tags=("x", "ivr_fallback")))
    assert run.errors == ["auto_step_limit"]


@pytest.mark.parametrize(
    ("nodes", "error"),
    [
        ({"a": {"type": "subflow", "flow": "ghost", "next": "a"}}, "unknown_flow:ghost"),
        ({"a": {"type": "return"}}, "return_from_main_flow"),
        ({"a": {"type": "play", "prompt": "p", "next": "ghost"}}, "unknown_node:f:ghost"),
    ],
)
def test_given_a_broken_flow_when_run_then_fallback_queue(nodes: dict[str, Any], error: str) -> None:
    result = dry_run(make(nodes, start="a"), caller="1", at=NOON, keys=[])
    assert result.outcome == ToQueue("general", tags=("ivr_fallback",))


def test_given_a_subflow_when_it_returns_then_caller_continues_at_next() -> None:
    sub = Flow.model_validate(
        {"id": "s", "name": "s", "schema_version": 1, "start": "t", "prompts": [],
         "nodes": {"t": {"type": "set_tags", "tags": ["in_sub"], "next": "r"}, "r": {"type": "return"}}}
    )  # fmt: skip
    main = make({"a": {"type": "subflow", "flow": "s", "next": "person"}, "person": PERSON}, start="a")
    result = dry_run(main, {"s": sub}, caller="1", at=NOON, keys=[])
    assert [(s.flow_id, s.node_id) for s in result.path] == [
        ("f", "a"),
        ("s", "t"),
        ("s", "r"),
        ("f", "person"),
    ]
    assert result.outcome == ToQueue("general", tags=("in_sub",))


SPEECH = {
    "m": {
        "type": "speech_menu",
        "prompt": "p",
        "options": {"1": "bye", "0": "person"},
        "keywords": {"1": ["再见"], "0": ["人工"]},
        "on_timeout": "person",
        "on_invalid": "person",
    },
    "bye": {"type": "hangup"},
    "person": PERSON,
}


def test_given_a_speech_model_when_speech_menu_then_ask_speech_and_accept_choice_or_digits() -> None:
    run = FlowRun(make(SPEECH), None, ctx(speech_available=True))
    assert run.start() == AskSpeech("p", {"1": ("再见",), "0": ("人工",)}, 5.0, "10")
    assert run.feed(Speech(None)) == AskSpeech("p", {"1": ("再见",), "0": ("人工",)}, 5.0, "10")
    assert run.feed(Speech("1")) == Finish(Hangup())
    assert run.path[0].inputs == ("speech:?", "speech:1")
    digits_run = FlowRun(make(SPEECH), None, ctx(speech_available=True))
    digits_run.start()
    assert digits_run.feed(Digits("0")) == Finish(ToQueue("general"))


def test_given_no_speech_model_when_speech_menu_then_dtmf_only() -> None:
    run = FlowRun(make(SPEECH), None, ctx())
    assert run.start() == AskDigits("p", 1, 5.0, None)
    with pytest.raises(FlowRunError):
        run.feed(Speech("1"))


COLLECT = {
    "c": {
        "type": "collect_digits",
        "prompt": "p",
        "min_digits": 4,
        "max_digits": 6,
        "variable": "order",
        "invalid_prompt": "bad",
        "next": "status",
        "on_invalid": "person",
    },
    "status": {"type": "work_order_status", "variable": "order"},
    "person": PERSON,
}


def test_given_collect_digits_when_too_short_then_reprompt_then_value_stored() -> None:
    run = FlowRun(make(COLLECT, start="c"), None, ctx())
    assert run.start() == AskDigits("p", 6, 10.0, "#")
    assert run.feed(Digits("12#")) == Play("bad", "")
    assert run.feed(Played(None)) == AskDigits("p", 6, 10.0, "#")
    action = run.feed(Digits("123456#"))
    assert isinstance(action, Finish)
    assert run.variables == {"order": "123456"}
    assert action.outcome == run.outcome


def test_given_collect_digits_when_always_wrong_then_on_invalid() -> None:
    result = dry_run(make(COLLECT, start="c"), caller="1", at=NOON, keys=["1234567", "abc"])
    assert result.outcome == ToQueue("general")
    assert result.path[0].inputs == ("1234567", "abc")


def test_given_typeahead_during_a_prompt_when_menu_follows_then_key_used() -> None:
    nodes = {"hi": {"type": "play", "prompt": "p", "next": "m", "interruptible_digits": "12"}, **MENU}
    run = FlowRun(make(nodes, start="hi"), None, ctx())
    assert run.start() == Play("p", "12")
    assert run.feed(Played("1")) == Finish(Hangup())


@pytest.mark.parametrize(
    ("test", "kwargs", "expected"),
    [
        ({"kind": "time_of_day", "ranges": [{"start": "22:00", "end": "06:00"}]}, {}, "else"),
        ({"kind": "time_of_day", "ranges": [{"start": "22:00", "end": "06:00"}]},
         {"now": datetime(2026, 11, 16, 23, 30, tzinfo=SHANGHAI)}, "then"),
        ({"kind": "time_of_day", "ranges": [{"start": "11:00", "end": "13:00"}]},
         {"now": datetime(2026, 11, 16, 4, 0, tzinfo=UTC)}, "then"),
        ({"kind": "working_day"}, {}, "then"),
        ({"kind": "working_day"}, {"now": datetime(2026, 10, 1, 12, tzinfo=SHANGHAI)}, "else"),
        ({"kind": "caller_prefix", "prefixes": ["0311", "138"]}, {}, "then"),
        ({"kind": "caller_prefix", "prefixes": ["0311"]}, {}, "else"),
        ({"kind": "caller", "attribute": "vip"}, {"attributes": CallerAttributes(vip=True)}, "then"),
        ({"kind": "caller", "attribute": "has_open_work_order"}, {}, "else"),
        ({"kind": "flag", "flag": "surge"}, {}, "else"),
        ({"kind": "flag", "flag": "surge"}, {"flags": {"surge": True}}, "then"),
    ],
)  # fmt: skip
def test_given_a_condition_when_evaluated_then_branch(
    test: dict[str, Any], kwargs: Any, expected: str
) -> None:
    nodes = {"c": {"type": "condition", "test": test, "then": "yes", "else": "no"},
             "yes": {"type": "hangup"}, "no": PERSON}  # fmt: skip
    run = FlowRun(make(nodes, start="c", flags={"surge": False}), None, ctx(**kwargs))
    run.start()
    assert run.path[0].inputs == (expected,)


def test_given_leave_message_when_reached_then_callback_and_tags() -> None:
    nodes = {
        "t": {"type": "set_tags", "tags": ["night"], "next": "lm"},
        "lm": {"type": "leave_message", "callback": False, "tags": ["msg"], "max_seconds": 60},
    }
    result = dry_run(make(nodes, start="t"), caller="1", at=NOON, keys=[])
    assert result.outcome == LeaveMessage(callback=False, prompt=None, max_seconds=60, tags=("night", "msg"))
    assert result.tags == ("night",)


SURVEY = SurveyNode.model_validate({"type": "survey", "prompt": "survey", "invalid_prompt": "bad"})


@pytest.mark.parametrize(
    ("inputs", "score", "label"),
    [
        ([Digits("1")], 5, "非常满意"),
        ([Digits("5")], 1, "非常不满意"),
        ([Digits("9"), Digits("3")], 3, "基本满意"),
        ([Timeout(), Timeout()], None, None),
    ],
)
def test_given_survey_keys_when_run_after_hangup_then_result(
    inputs: list[Any], score: Any, label: Any
) -> None:
    survey = SurveyRun(SURVEY)
    action: Any = survey.start()
    assert action == AskDigits("survey", 1, 8.0)
    for inp in inputs:
        action = survey.feed(inp)
    assert action == Finish(SurveyResult(score=score, key=inputs[-1].digits if score else None))
    assert survey.finished
    assert SurveyResult(score).label == label


def test_given_a_survey_node_in_a_flow_when_answered_then_stored_and_flow_continues() -> None:
    nodes = {"s": {"type": "survey", "prompt": "survey", "next": "bye"}, "bye": {"type": "hangup"}}
    result = dry_run(make(nodes, start="s"), caller="1", at=NOON, keys=["2"])
    assert result.survey == SurveyResult(4, "2")
    assert result.outcome == Hangup()
    with pytest.raises(FlowRunError):
        SurveyRun(SURVEY).feed(Digits("1"))


def test_given_a_dry_run_when_timed_then_prompts_in_full_plus_every_silent_timeout() -> None:
    nodes = {"hi": {"type": "play", "prompt": "p", "next": "m", "interruptible_digits": "1"}, **MENU}
    flow = make(nodes, start="hi")
    lengths = {"p": 4.0, "bad": 1.5}
    silent = dry_run(flow, caller="1", at=NOON, keys=[])
    assert seconds_to_outcome(silent, lengths) == 4.0 + 2 * (4.0 + 5.0)
    wrong_then_silent = dry_run(flow, caller="1", at=NOON, keys=["7"])
    assert seconds_to_outcome(wrong_then_silent, lengths) == 4.0 + 4.0 + 1.5 + 4.0 + 5.0
    assert seconds_to_outcome(dry_run(flow, caller="1", at=NOON, keys=["2"]), lengths) == 8.0
    with pytest.raises(FlowRunError) as info:
        seconds_to_outcome(silent, {"bad": 1.5})
    assert info.value.error_id == "unknown_prompt_length"
