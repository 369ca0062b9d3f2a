"""The speech engine a centre's settings choose for its speech menus.

``HOTLINE_SPEECH_ENGINE``: ``whisper`` (Whisper base from the PyPI parts, the default for Mandarin),
``vosk`` (the Kaldi model directory ``HOTLINE_VOSK_MODEL_PATH``, e.g. the official Chinese model a
centre unpacks itself) or ``off`` (speech menus take DTMF only). Left empty it is ``vosk`` when a vosk
model directory is set and ``whisper`` otherwise. One engine object per process and choice, so that
every centre in a process shares a loaded model.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ivr.speech import SpeechEngine, VoskEngine
from ivr.speech_whisper import WhisperEngine

ENGINES = ("whisper", "vosk", "off")


class SpeechEngineChoiceError(ValueError):
    """``HOTLINE_SPEECH_ENGINE`` names no known engine."""


def engine_name(engine: str, vosk_model_path: str) -> str:
    """The engine in use for the setting ``engine`` (empty: chosen by whether a vosk model is set)."""
    chosen = engine.strip().lower() or ("vosk" if vosk_model_path else "whisper")
    if chosen not in ENGINES:
        raise SpeechEngineChoiceError(
            f"HOTLINE_SPEECH_ENGINE={engine!r}: expected one of {', '.join(ENGINES)}"
        )
    return chosen


def build_speech_engine(engine: str, *, vosk_model_path: str, cache_dir: Path) -> SpeechEngine | None:
    """The shared engine for these settings; None when speech menus are off."""
    chosen = engine_name(engine, vosk_model_path)
    if chosen == "off":
        return None
    if chosen == "vosk":
        return _vosk(vosk_model_path)
    return _whisper(cache_dir.resolve())


@functools.cache
def _vosk(model_path: str) -> VoskEngine:
    return VoskEngine(model_path)


@functools.cache
def _whisper(cache_dir: Path) -> WhisperEngine:
    return WhisperEngine(cache_dir)
