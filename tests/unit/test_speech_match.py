"""Menu replies match options by characters, pinyin (homophones, traditional characters), near pinyin."""

from __future__ import annotations

import pytest

from ivr.speech_match import match_choice, simplified, syllable_agreement

MENU = {
    "1": ("工单", "进度", "查询"),
    "2": ("社保", "欠薪"),
    "3": ("企业", "营商环境", "办企业"),
    "0": ("人工", "转人工", "话务员"),
    "9": ("投诉",),
}


@pytest.mark.parametrize(
    ("heard", "choice"),
    [
        ("我要判企业。", "3"),  # characters: 企业 inside a misheard phrase
        ("我 要 转人工", "0"),  # spaces between words (vosk)
        ("投訴", "9"),  # traditional characters
        ("头诉", "9"),  # a homophone: tou su
        ("剩人工。", "0"),  # characters 人工 win before any sound comparison
        ("营上环境", "3"),  # pinyin: ying shang huan jing
        ("营商还进", "3"),  # near pinyin: ying shang huan jin, three of four equal
    ],
)
def test_given_a_recognised_reply_when_matched_then_the_option_it_names(heard: str, choice: str) -> None:
    assert match_choice(heard, MENU) == choice


@pytest.mark.parametrize("heard", ["", "。", "天气", "去", "体验骗", "我要 go to"])
def test_given_a_reply_naming_no_option_when_matched_then_none(heard: str) -> None:
    assert match_choice(heard, MENU) is None


def test_given_two_keywords_in_a_reply_when_matched_then_the_longer_one_wins() -> None:
    assert match_choice("我要办企业", {"a": ("企业",), "b": ("办企业",)}) == "b"


def test_given_syllables_when_compared_then_equal_one_shared_final_or_initial_half_else_zero() -> None:
    assert syllable_agreement("shang", "shang") == 1.0
    assert syllable_agreement("shang", "zhang") == 0.5
    assert syllable_agreement("shang", "shi") == 0.5
    assert syllable_agreement("shang", "ku") == 0.0


def test_given_traditional_text_with_punctuation_when_simplified_then_plain_simplified_characters() -> None:
    assert simplified("我要 投訴，謝謝。") == "我要投诉谢谢"
