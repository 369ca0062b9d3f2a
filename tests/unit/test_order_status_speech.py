"""The work-order status answer: what it says for each state, who may hear it, how it is spoken."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.order_status import ensure_spoken, prompt_id_for
from ivr.order_status_speech import (
    CONFIDENTIAL_TEXT,
    OrderFacts,
    answer_text,
    due_date,
    order_number_from_digits,
    same_number,
    status_text,
)
from ivr.pinyin_text import syllables
from ivr.prompt_audio import phonemes
from ivr.prompts import prompt_file, prompt_seconds
from tickets.vocab import Status

pytestmark = pytest.mark.timeout(120)
TONE_MARK = re.compile(r"\d{2,3}")
NUMBER = "12345-20261116-000042"
DUE = datetime(2026, 12, 7, 16, 30, tzinfo=UTC)
"""Half past midnight on 8 December in China."""


def facts(status: Status, **overrides: object) -> OrderFacts:
    values: dict[str, object] = {
        "number": NUMBER,
        "status": status,
        "department": "姑苏区住房和城乡建设局",
        "reply_due": DUE,
        "caller_number": "13800001234",
    }
    return OrderFacts(**(values | overrides))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("digits", "number"),
    [
        ("1234520261116000042", NUMBER),
        ("12345202611161234567", "12345-20261116-1234567"),
        ("123452026111", None),
        ("12345202611160", "12345-20261116-0"),
        ("99999202611160000042", None),
        ("12345#2026", None),
        ("", None),
    ],
)
def test_given_keyed_digits_when_read_then_stored_number_or_none(digits: str, number: str | None) -> None:
    assert order_number_from_digits(digits, prefix="12345") == number


def test_given_dispatched_order_then_number_state_department_and_due_date_in_order() -> None:
    text = status_text(facts(Status.DISPATCHED))
    assert text == (
        "您查询的工单，编号12345，20261116，000042，当前状态：已派单。"
        "承办单位：姑苏区住房和城乡建设局。答复期限：12月8日。正在为您转接人工服务，请稍候。"
    )


@pytest.mark.parametrize(
    ("status", "state", "department", "due"),
    [
        (Status.INTAKE, "已受理，正在分派承办单位", False, False),
        (Status.SIGNED, "已签收", True, True),
        (Status.HANDLING, "办理中", True, True),
        (Status.REPLIED, "已答复", True, False),
        (Status.CLOSED, "已办结", True, False),
        (Status.RETURNED, "正在重新分派承办单位", False, False),
        (Status.MERGED, "已与相同诉求的工单合并办理", False, False),
    ],
)
def test_given_each_state_then_said_in_plain_chinese_with_department_and_due_when_they_apply(
    status: Status, state: str, department: bool, due: bool
) -> None:
    text = status_text(facts(status))
    assert f"当前状态：{state}。" in text
    assert ("承办单位：" in text) is department
    assert ("12月8日" in text) is due


def test_given_no_department_or_due_yet_then_those_parts_are_left_out() -> None:
    text = status_text(facts(Status.DISPATCHED, department="", reply_due=None))
    assert "承办单位" not in text
    assert "答复期限" not in text


def test_given_due_time_then_the_china_calendar_day() -> None:
    assert due_date(DUE) == "12月8日"
    assert due_date(datetime(2027, 1, 1, 3, 0, tzinfo=UTC)) == "1月1日"


@pytest.mark.parametrize(
    ("calling", "told"),
    [
        ("13800001234", True),
        ("+8613800001234", True),
        ("008613800001234", True),
        ("13800001235", False),
        ("", False),
        ("anonymous", False),
    ],
)
def test_given_confidential_order_then_told_only_to_the_reporting_number(calling: str, told: bool) -> None:
    text = answer_text(facts(Status.HANDLING, confidential=True), calling)
    assert (text == CONFIDENTIAL_TEXT) is not told
    assert ("姑苏区" in text) is told


def test_given_ordinary_order_then_anyone_hears_it() -> None:
    assert "办理中" in answer_text(facts(Status.HANDLING), "")


def test_given_empty_numbers_then_they_never_match() -> None:
    assert not same_number("", "")
    assert same_number("138-0000-1234", "13800001234")


def test_given_answer_when_transcribed_then_mandarin_with_the_number_digit_by_digit() -> None:
    for text in (status_text(facts(Status.DISPATCHED)), CONFIDENTIAL_TEXT):
        said = phonemes(text)
        assert "(en)" not in said, said
        assert len(TONE_MARK.findall(said)) == len(syllables(text)), said
    spoken = syllables(status_text(facts(Status.DISPATCHED)))
    assert spoken[8:13] == ["yao1", "er4", "san1", "si4", "wu3"]
    assert spoken[-18:-14] == ["shi2", "er4", "yue4", "ba1"]


def test_given_answer_when_spoken_twice_then_generated_once_as_a_telephony_prompt(tmp_path: Path) -> None:
    text = status_text(facts(Status.HANDLING))
    prompt = ensure_spoken(tmp_path, text)
    assert prompt == prompt_id_for(text)
    assert prompt.startswith("order_status/")
    made = prompt_file(tmp_path, prompt).stat().st_mtime_ns
    assert prompt_seconds(tmp_path, prompt) > 5.0
    assert ensure_spoken(tmp_path, text) == prompt
    assert prompt_file(tmp_path, prompt).stat().st_mtime_ns == made, "the cached file is reused"
    assert prompt_id_for(CONFIDENTIAL_TEXT) != prompt


def test_given_more_answers_than_kept_then_the_oldest_go_and_the_new_one_stays(tmp_path: Path) -> None:
    texts = [status_text(facts(Status.HANDLING, department=f"第{i}街道办事处")) for i in range(3)]
    made = [ensure_spoken(tmp_path, text, keep=2) for text in texts[:2]]
    oldest = prompt_file(tmp_path, made[0])
    os.utime(oldest, (1, 1))
    newest = ensure_spoken(tmp_path, texts[2], keep=2)
    assert not oldest.exists()
    assert prompt_file(tmp_path, made[1]).exists()
    assert prompt_file(tmp_path, newest).exists()
