"""Speech menus with Whisper base (faster-whisper): the installable engine for Mandarin.

Whisper is not limited to a grammar the way vosk is, so the menu's keywords are given to it as the
text that came before (``initial_prompt``): on short robotic or telephone replies this is what turns
"去" into "企业". Silence is cut out first by the voice activity filter bundled with faster-whisper
(Silero), so a caller who says nothing is heard as nothing rather than as the keywords themselves.
Decoding is greedy with a fixed temperature, so the same recording always gives the same answer.
The reply is then matched against the options by characters and by pinyin (``ivr.speech_match``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ivr.speech import Heard
from ivr.speech_match import match_choice
from recordings.speech_model import to_simplified, whisper_model

log = logging.getLogger(__name__)

PARALLEL_REPLIES = 2
"""Replies decoded at once (more calls wait their turn for a second or two)."""


def keyword_hint(keywords: Mapping[str, tuple[str, ...]]) -> str:
    """The menu's keywords as the text Whisper is told came before the reply."""
    words = list(dict.fromkeys(w.replace(" ", "") for ws in keywords.values() for w in ws))
    return "、".join(w for w in words if w) + "。" if words else ""


class WhisperEngine:
    """Whisper base shared by every call; ``recognise`` runs in a worker thread."""

    name = "whisper"

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self._model: Any = None

    @property
    def available(self) -> bool:
        """Whether the model is loaded."""
        return self._model is not None

    def load(self) -> bool:
        """Load the model (blocking, seconds the first time); False (logged) when it cannot be."""
        if self._model is not None:
            return True
        try:
            self._model = whisper_model(self.cache_dir, parallel=PARALLEL_REPLIES)
        except Exception:
            log.exception("Whisper model could not be loaded: speech menus take DTMF only")
            return False
        log.info("Whisper speech model loaded from %s", self.cache_dir)
        return True

    async def load_in_background(self) -> bool:
        """``load`` in a worker thread."""
        return await asyncio.to_thread(self.load)

    def recognise(self, wav_file: Path, keywords: Mapping[str, tuple[str, ...]]) -> Heard:
        """Decode a recorded reply and match it against the menu's keywords."""
        if self._model is None:
            return Heard("", None)
        segments, _ = self._model.transcribe(
            str(wav_file),
            language="zh",
            temperature=0.0,
            beam_size=1,
            without_timestamps=True,
            condition_on_previous_text=False,
            no_repeat_ngram_size=3,
            initial_prompt=keyword_hint(keywords) or None,
            vad_filter=True,
        )
        text = to_simplified("".join(segment.text for segment in segments).strip())
        return Heard(text, match_choice(text, keywords))

    async def recognise_async(self, wav_file: Path, keywords: Mapping[str, tuple[str, ...]]) -> Heard:
        """``recognise`` in a worker thread."""
        return await asyncio.to_thread(self.recognise, wav_file, keywords)
