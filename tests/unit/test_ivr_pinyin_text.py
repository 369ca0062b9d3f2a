"""Prompt text as the tone-numbered pinyin the espeak-ng pinyin voice reads (pure text, no audio)."""

from __future__ import annotations

import pytest

from ivr.pinyin_text import pinyin_similarity, speakable, syllables, toneless


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("转人工服务请按零。", "zhuan3 ren2 gong1 fu2 wu4 qing3 an4 ling2."),
        ("重要提示：请重新选择", "zhong4 yao4 ti2 shi4, qing3 chong2 xin1 xuan3 ze2"),
        ("您前面还有两位来电，", "nin2 qian2 mian4 hai2 you3 liang3 wei4 lai2 dian4,"),
        ("预计等待不到一分钟。", "yu4 ji4 deng3 dai4 bu2 dao4 yi4 fen1 zhong1."),
        ("便民热线", "bian4 min2 re4 xian4"),
        ("或请不要挂机", "huo4 qing3 bu2 yao4 gua4 ji1"),
        ("您的诉求", "nin2 de5 su4 qiu2"),
    ],
    ids=["menu", "polyphone_zhong", "count", "yi_sandhi", "polyphone_bian", "bu_sandhi", "neutral_tone"],
)
def test_given_chinese_when_made_speakable_then_tone_numbered_pinyin_by_phrase(text: str, line: str) -> None:
    assert speakable(text) == line


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("12345热线", "yao1 er4 san1 si4 wu3 re4 xian4"),
        ("拨打110、119或120", "bo1 da3 yao1 yao1 ling2, yao1 yao1 jiu3 huo4 yao1 er4 ling2"),
        ("工单2026111600042", "gong1 dan1 er4 ling2 er4 liu4 yao1 yao1 yao1 liu4 ling2 ling2 ling2 si4 er4"),
        ("010-12345678", "ling2 yao1 ling2 yao1 er4 san1 si4 wu3 liu4 qi1 ba1"),
        ("请按1，请按0", "qing3 an4 yi1, qing3 an4 ling2"),
        ("请按1到5进行评价", "qing3 an4 yi1 dao4 wu3 jin4 xing2 ping2 jia4"),
        ("约2分钟", "yue1 liang3 fen1 zhong1"),
        ("第2位", "di4 er4 wei4"),
        ("请按2", "qing3 an4 er4"),
        ("15秒", "shi2 wu3 miao3"),
        ("约20分钟", "yue1 er4 shi2 fen1 zhong1"),
    ],
    ids=[
        "hotline",
        "emergency",
        "order",
        "phone",
        "keys",
        "range",
        "liang",
        "ordinal",
        "key2",
        "teens",
        "tens",
    ],
)
def test_given_digits_when_made_speakable_then_read_as_a_hotline_reads_them(text: str, line: str) -> None:
    assert speakable(text) == line


def test_given_keys_and_symbols_when_made_speakable_then_named_or_dropped() -> None:
    assert speakable("按#号键或*键") == "an4 jing3 hao4 jian4 huo4 xing1 hao4 jian4"
    assert speakable("请按#") == "qing3 an4 jing3 hao4"
    assert speakable("（仅限本市）") == "jin3 xian4 ben3 shi4,"


def test_given_text_shaped_like_an_option_when_made_speakable_then_no_dash_or_path_survives() -> None:
    line = speakable("-f/etc/passwd")
    assert line == "f etc passwd"
    assert not line.startswith("-")
    assert "/" not in line


def test_given_text_when_split_then_syllables_only_and_toneless_reads_yao_as_yi() -> None:
    assert syllables("您好，12345。") == ["nin2", "hao3", "yao1", "er4", "san1", "si4", "wu3"]
    assert toneless("12345") == toneless("一二三四五") == ["yi", "er", "san", "si", "wu"]
    assert syllables("hello") == []


def test_given_two_texts_when_compared_then_similarity_by_sound_not_characters() -> None:
    assert pinyin_similarity("請按零", "请按0") == 1.0
    assert pinyin_similarity("欢迎致电", "欢迎至电") == 1.0
    assert pinyin_similarity("", "") == 1.0
    assert pinyin_similarity("", "您好") == 0.0
    assert pinyin_similarity("千万一", "请按一") == pytest.approx(1 / 3)
