"""The speech engine comes from the settings: whisper by default, vosk with a model directory, or off."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.speech import VoskEngine
from ivr.speech_engines import SpeechEngineChoiceError, build_speech_engine, engine_name
from ivr.speech_whisper import WhisperEngine, keyword_hint


def test_given_no_choice_when_resolved_then_vosk_with_a_model_directory_else_whisper() -> None:
    assert engine_name("", "") == "whisper"
    assert engine_name("", "/models/vosk-model-cn-0.22") == "vosk"
    assert engine_name(" Whisper ", "/models/vosk-model-cn-0.22") == "whisper"
    assert engine_name("off", "") == "off"


def test_given_an_unknown_engine_when_resolved_then_an_error_naming_the_setting() -> None:
    with pytest.raises(SpeechEngineChoiceError, match="HOTLINE_SPEECH_ENGINE"):
        engine_name("kaldi", "")


def test_given_settings_when_built_then_one_shared_engine_per_choice(tmp_path: Path) -> None:
    whisper = build_speech_engine("whisper", vosk_model_path="", cache_dir=tmp_path)
    assert isinstance(whisper, WhisperEngine)
    assert build_speech_engine("", vosk_model_path="", cache_dir=tmp_path) is whisper
    vosk = build_speech_engine("vosk", vosk_model_path=str(tmp_path / "none"), cache_dir=tmp_path)
    assert isinstance(vosk, VoskEngine)
    assert build_speech_engine("off", vosk_model_path="", cache_dir=tmp_path) is None


def test_given_a_vosk_engine_without_a_model_directory_when_loaded_then_unavailable(tmp_path: Path) -> None:
    engine = build_speech_engine("vosk", vosk_model_path=str(tmp_path / "missing"), cache_dir=tmp_path)
    assert engine is not None
    assert engine.load() is False
    assert engine.available is False


def test_given_menu_keywords_when_hinted_then_each_once_in_order() -> None:
    hint = keyword_hint({"1": ("工单", "查询"), "0": ("人工", "工单"), "3": ("办 企业",)})
    assert hint == "工单、查询、人工、办企业。"
    assert keyword_hint({}) == ""
