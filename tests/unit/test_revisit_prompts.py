"""The revisit call's prompts are generated like every other prompt and spoken as tonal Mandarin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr.catalog import LivePack
from ivr.flow import default_pack
from ivr.pinyin_text import syllables
from ivr.prompt_audio import phonemes
from ivr.prompts import ensure_prompts, prompt_seconds
from ivr.revisit_route import REVISIT_PROMPTS, digit_prompts
from ivr.service import pack_prompt_texts

pytestmark = pytest.mark.timeout(120)
TONE_MARK = re.compile(r"\d{2,3}")
"""espeak-ng's Mandarin tone contours in ``-x`` output (55, 35, 214, 51, ...)."""


def test_given_revisit_prompts_when_transcribed_then_mandarin_syllable_for_syllable() -> None:
    for prompt, text in REVISIT_PROMPTS.items():
        said = phonemes(text, prompt=prompt)
        assert "(en)" not in said, prompt
        assert len(TONE_MARK.findall(said)) == len(syllables(text)), f"{prompt}: {said}"
    assert syllables(REVISIT_PROMPTS["revisit_intro"])[5:10] == ["yao1", "er4", "san1", "si4", "wu3"]


def test_given_revisit_prompts_when_generated_then_telephony_files_of_real_length(tmp_path: Path) -> None:
    ensure_prompts(tmp_path, REVISIT_PROMPTS)
    for prompt in REVISIT_PROMPTS:
        assert prompt_seconds(tmp_path, prompt) > 0.8, prompt


def test_given_live_pack_when_prompts_listed_then_revisit_and_digit_prompts_are_among_them() -> None:
    flows = default_pack()
    texts = pack_prompt_texts(
        LivePack(pack_id="12345", version=1, flows=flows, main=next(iter(flows.values())))
    )
    assert set(REVISIT_PROMPTS) <= set(texts)
    assert all(p in texts for p in digit_prompts("0123456789"))


def test_given_order_number_when_read_then_every_digit_one_by_one() -> None:
    assert digit_prompts("12345-20261206-000017") == [f"num_{d}" for d in "1234520261206000017"]
