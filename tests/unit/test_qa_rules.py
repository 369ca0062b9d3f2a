"""The QA rules core (qa.rules), word matching (qa.text_match) and scoring (qa.config): pure, no I/O."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from qa.config import (
    DEFAULT_ITEMS,
    DurationRule,
    GreetingRule,
    MarksError,
    RuleSet,
    ScoreItems,
    WordRule,
    score,
)
from qa.rules import Flag, Segment, Span, inspect
from qa.text_match import find_word

GREETING = Segment("agent", 0.8, 3.0, "您好，12345，请讲。")


def _rules(**changes: object) -> RuleSet:
    return RuleSet().model_copy(update=changes)


def _by_rule(flags: list[Flag], rule: str) -> list[Flag]:
    return [f for f in flags if f.rule == rule]


def test_given_words_heard_differently_then_characters_and_pinyin_still_match() -> None:
    assert find_word("我要投訴你們", "投诉") is not None  # traditional characters
    hit = find_word("您好，幺二三四五，请讲", "12345")  # digits spoken, 1 as yao
    assert hit is not None
    assert hit.how == "pinyin"
    homophone = find_word("我要句报他们乱收费", "举报")  # a homophone of the recogniser
    assert homophone is not None
    assert homophone.how == "pinyin"
    assert find_word("我要 投 诉！", "投诉") is not None  # spaces and punctuation
    assert find_word("今天天气不错", "投诉") is None
    assert find_word("一", "衣") is None  # one syllable never matches by pinyin alone


def test_given_the_standard_greeting_in_time_then_no_greeting_flag() -> None:
    assert _by_rule(inspect([GREETING], [], RuleSet()), "greeting") == []


def test_given_the_greeting_after_the_window_or_by_the_caller_then_flagged() -> None:
    late = Segment("agent", 16.0, 18.0, "您好，12345，请讲")
    caller = Segment("caller", 1.0, 3.0, "您好，12345，请讲")
    for segments in ([late], [caller], []):
        flags = _by_rule(inspect(segments, [], RuleSet()), "greeting")
        assert len(flags) == 1
        assert flags[0].side == "agent"


def test_given_one_phrase_when_two_are_required_then_flagged_and_a_window_can_be_widened() -> None:
    once = [Segment("agent", 1.0, 2.0, "喂？")]
    assert _by_rule(inspect(once, [], RuleSet()), "greeting")
    late = [Segment("agent", 20.0, 22.0, "你好请讲")]
    wide = _rules(greeting=GreetingRule(within_s=30))
    assert _by_rule(inspect(late, [], wide), "greeting") == []


def test_given_a_forbidden_word_on_the_agent_side_only_then_one_flag_with_its_time_and_excerpt() -> None:
    segments = [
        GREETING,
        Segment("caller", 4.0, 6.0, "我不知道该找谁"),
        Segment("agent", 7.0, 9.5, "这个事情我不知道，你自己去问吧"),
    ]
    flags = _by_rule(inspect(segments, [], RuleSet()), "forbidden")
    assert len(flags) == 1
    flag = flags[0]
    assert (flag.side, flag.start_s, flag.end_s) == ("agent", 7.0, 9.5)
    assert "不知道" in flag.excerpt


def test_given_complaint_keywords_from_the_caller_then_flagged_and_not_from_the_agent() -> None:
    segments = [
        GREETING,
        Segment("caller", 4.0, 8.0, "再不处理我就向领导反映，还要找媒体曝光"),
        Segment("agent", 9.0, 12.0, "您可以投诉，我们会记录"),
    ]
    flags = _by_rule(inspect(segments, [], RuleSet()), "complaint")
    assert [(f.side, f.start_s) for f in flags] == [("caller", 4.0)]


def test_given_a_long_gap_between_both_sides_then_silence_is_flagged_once() -> None:
    segments = [
        GREETING,
        Segment("caller", 2.5, 10.0, "我家门口的路灯坏了"),  # overlaps the greeting's end
        Segment("agent", 31.0, 33.0, "好的，已经记录"),
        Segment("caller", 40.0, 41.0, "谢谢"),
    ]
    flags = _by_rule(inspect(segments, [], RuleSet()), "silence")
    assert [(f.start_s, f.end_s) for f in flags] == [(10.0, 31.0)]
    assert _by_rule(inspect(segments, [], _rules(silence=DurationRule(max_s=25))), "silence") == []


def test_given_holds_then_only_those_longer_than_the_limit_are_flagged() -> None:
    holds = [Span(20.0, 50.0), Span(60.0, 130.5)]
    flags = _by_rule(inspect([GREETING], holds, RuleSet()), "hold")
    assert [(f.start_s, f.end_s) for f in flags] == [(60.0, 130.5)]


def test_given_the_agent_talking_over_the_caller_then_overlap_is_flagged_past_the_limit() -> None:
    segments = [
        GREETING,
        Segment("caller", 4.0, 12.0, "我想问一下社保转移的手续"),
        Segment("agent", 8.0, 14.0, "这个您先听我说"),  # 4 s over the caller
        Segment("agent", 15.0, 16.0, "好"),
        Segment("caller", 15.5, 20.0, "那需要什么材料"),  # 0.5 s: a normal turn
    ]
    flags = _by_rule(inspect(segments, [], RuleSet()), "overlap")
    assert [(f.start_s, f.end_s) for f in flags] == [(8.0, 12.0)]


def test_given_rules_switched_off_then_they_flag_nothing() -> None:
    segments = [Segment("agent", 30.0, 32.0, "我不知道"), Segment("caller", 60.0, 62.0, "我要投诉")]
    off = RuleSet(
        greeting=GreetingRule(enabled=False),
        forbidden=WordRule(enabled=False, words=("不知道",)),
        complaint=WordRule(enabled=False, words=("投诉",)),
        silence=DurationRule(enabled=False, max_s=1),
        hold=DurationRule(enabled=False, max_s=1),
        overlap=DurationRule(enabled=False, max_s=1),
    )
    assert inspect(segments, [Span(0, 100)], off) == []
    assert {f.rule for f in inspect(segments, [Span(0, 100)], RuleSet())} == {
        "greeting",
        "forbidden",
        "complaint",
        "silence",
        "hold",
    }


def test_score_is_the_weighted_sum_from_0_to_100() -> None:
    keys = [i.key for i in DEFAULT_ITEMS.items]
    assert score(DEFAULT_ITEMS, dict.fromkeys(keys, 1.0)) == 100.0
    assert score(DEFAULT_ITEMS, dict.fromkeys(keys, 0.0)) == 0.0
    marks = dict.fromkeys(keys, 1.0) | {"accuracy": 0.5}  # weight 30 of 100
    assert score(DEFAULT_ITEMS, marks) == 85.0
    with pytest.raises(MarksError):
        score(DEFAULT_ITEMS, {"accuracy": 1.0})
    with pytest.raises(MarksError):
        score(DEFAULT_ITEMS, dict.fromkeys(keys, 1.5))


@pytest.mark.parametrize(
    "body",
    [
        {"items": []},
        {"items": [{"key": "a", "label": "甲", "weight": 1}, {"key": "a", "label": "乙", "weight": 2}]},
        {"items": [{"key": "a", "label": "甲", "weight": 0}]},
        {"items": [{"key": "A b", "label": "甲", "weight": 1}]},
        {"items": [{"key": "a", "label": "甲\u0000", "weight": 1}]},
    ],
)
def test_bad_scoring_items_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ScoreItems.model_validate(body)


@pytest.mark.parametrize(
    "body",
    [
        {"sample_rate": 1.5},
        {"silence": {"max_s": 0}},
        {"forbidden": {"words": [""]}},
        {"greeting": {"phrases": ["您好"], "surprise": 1}},
        {"unknown_rule": {}},
    ],
)
def test_bad_rules_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RuleSet.model_validate(body)
