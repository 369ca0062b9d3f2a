"""Turning one recording file into timed Mandarin text with Whisper base (faster-whisper).

Call recordings hold one side each, padded with silence while the other side talks; the voice
activity filter bundled with faster-whisper (Silero) drops the silence first, which keeps the
decoding time to the speech and stops Whisper from inventing text in the gaps; Whisper's own
no-speech test is off (it scored robotic and telephone speech as silence and dropped it). Decoding is greedy
at temperature 0 (repeatable), in Mandarin, with segment timestamps; each segment is converted to
simplified characters. ``parallel`` decodes may run at once (one per transcription worker), each on
one core.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from recordings.speech_model import to_simplified, whisper_model
from recordings.transcript_store import Piece, Transcribed

ENGINE = "whisper-base"


class Transcriber(Protocol):
    """Anything that turns an audio file into timed text."""

    engine: str

    def transcribe(self, audio: Path) -> Transcribed:
        """The text of ``audio`` with its timed pieces; raises on a file it cannot read."""
        ...


class WhisperTranscriber:
    """Whisper base, loaded on the first file (shared by every worker of the process)."""

    engine = ENGINE

    def __init__(self, cache_dir: Path, *, parallel: int = 1) -> None:
        self.cache_dir = cache_dir
        self.parallel = max(1, parallel)

    def transcribe(self, audio: Path) -> Transcribed:
        """Decode ``audio`` (any file ffmpeg reads: WAV at 8 kHz from Asterisk)."""
        model = whisper_model(self.cache_dir, parallel=self.parallel)
        segments, info = model.transcribe(
            str(audio),
            language="zh",
            temperature=0.0,
            beam_size=1,
            condition_on_previous_text=False,
            no_repeat_ngram_size=3,
            no_speech_threshold=None,
            vad_filter=True,
        )
        pieces = []
        for segment in segments:
            text = to_simplified(segment.text.strip())
            if text:
                pieces.append(Piece(float(segment.start), float(segment.end), text))
        return Transcribed(
            text="".join(p.text for p in pieces), audio_s=float(info.duration), pieces=tuple(pieces)
        )
