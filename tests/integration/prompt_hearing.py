"""What a listener makes of the generated prompts: Whisper hears a sample and its text is compared by sound.

The sample covers each kind of prompt a caller hears: the greeting with the service number, the main
menu, the post-call survey, the self-service question, a runtime answer, the hold-loop options, the
callback confirmation and a place-in-line announcement composed from fragments (played one after the
other as Asterisk plays them). Audio is the generated 8 kHz telephony file, what a caller gets.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ivr.pinyin_text import pinyin_similarity
from ivr.position_speech import POSITION_PROMPTS, announcement
from ivr.prompts import prompt_file
from recordings.asr_model import WhisperZh

SAMPLE = (
    "welcome",
    "main_menu",
    "survey",
    "order_number",
    "work_order_not_found",
    "hold_options",
    "callback_scheduled",
)
ANNOUNCEMENT = tuple(announcement(3, 170.0))
"""您前面还有两位来电，预计等待约三分钟。"""
ANNOUNCEMENT_ID = "announcement"


@dataclass(frozen=True, slots=True)
class Hearing:
    """One sampled prompt: what was written, what was heard, how alike they sound, how long it took."""

    prompt: str
    written: str
    heard: str
    similarity: float
    audio_s: float
    wall_s: float


def compose(sounds_dir: Path, prompt_ids: tuple[str, ...], target: Path) -> Path:
    """The prompts one after another in one WAV file (as Asterisk plays ``a&b&c``)."""
    sources = [str(prompt_file(sounds_dir, p)) for p in prompt_ids]
    subprocess.run(["sox", *sources, str(target)], check=True, capture_output=True, timeout=60)
    return target


def sample_audio(sounds_dir: Path, texts: dict[str, str], work: Path) -> list[tuple[str, str, Path]]:
    """(prompt id, written text, audio file) of every sampled prompt, the announcement last."""
    items = [(p, texts[p], prompt_file(sounds_dir, p)) for p in SAMPLE]
    written = "".join(POSITION_PROMPTS[p] for p in ANNOUNCEMENT)
    items.append((ANNOUNCEMENT_ID, written, compose(sounds_dir, ANNOUNCEMENT, work / "announcement.wav")))
    return items


def hear(model: WhisperZh, items: list[tuple[str, str, Path]]) -> list[Hearing]:
    """Transcribe each sampled prompt and compare it with its text by pinyin."""
    model.load()
    hearings = []
    for prompt, written, audio in items:
        start = time.perf_counter()
        heard = model.transcribe(audio)
        wall = time.perf_counter() - start
        similarity = pinyin_similarity(heard.text, written)
        hearings.append(Hearing(prompt, written, heard.text, similarity, heard.audio_s, wall))
    return hearings
