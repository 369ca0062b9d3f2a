"""One loaded Whisper model per process and purpose, shared by every caller of ``whisper_model``.

Loading Whisper base takes seconds (joining and checking the PyPI parts the first time, see
``recordings.asr_model``); speech menus and the transcription workers each ask for the model with the
number of decodes they run at once (CTranslate2's ``num_workers``: that many threads may decode in
parallel, each on ``cpu_threads`` cores), and get the same object every time after the first.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from recordings.asr_model import ensure_model

_LOCK = threading.Lock()
_MODELS: dict[tuple[Path, int, int], Any] = {}


def whisper_model(cache_dir: Path, *, parallel: int = 1, cpu_threads: int = 1) -> Any:
    """The int8 CPU Whisper base model under ``cache_dir``, loaded on first use (blocking)."""
    key = (cache_dir.resolve(), max(1, parallel), max(1, cpu_threads))
    with _LOCK:
        model = _MODELS.get(key)
        if model is None:
            from faster_whisper import WhisperModel

            model = WhisperModel(
                str(ensure_model(cache_dir)),
                device="cpu",
                compute_type="int8",
                cpu_threads=key[2],
                num_workers=key[1],
            )
            _MODELS[key] = model
        return model


def to_simplified(text: str) -> str:
    """``text`` with traditional characters converted to simplified (Whisper writes both)."""
    return str(_converter().convert(text))


_CONVERTER: list[Any] = []


def _converter() -> Any:
    with _LOCK:
        if not _CONVERTER:
            import opencc

            _CONVERTER.append(opencc.OpenCC("t2s"))
        return _CONVERTER[0]
