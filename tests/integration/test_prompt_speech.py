"""Every shipped prompt is spoken as tonal Mandarin, and a listener hears roughly what was written.

The phoneme check spies on the real synthesis: every espeak-ng run made while the centre generates its
default prompts (the flow pack, the runtime, hold-loop, callback, survey and position prompts) is run
again exactly as it was, asking espeak-ng for its phonemes (``-x``) instead of audio. Spoken Mandarin has
one tone mark per syllable and no language switch; the ``cmn`` voice these prompts used before switched
to English rules (``(en)``) for every character, and spelled-out letters add tone marks of their own.

The listening check transcribes a sample of the generated 8 kHz prompts with Whisper base
(``recordings.asr_model``) and compares heard and written text by toneless pinyin. Whisper base hears
robotic speech poorly and its result swings with inaudible changes (sox's dither noise, now seeded),
so the bar is the sample's mean similarity, set from measurements on this machine
(``python -m bench.prompt_speech [--before-fix]``, five runs each with different dither noise): the
pinyin voice scored means of 0.24-0.36, the old ``cmn`` voice 0.06-0.12 on the same sample. 0.18 lies
midway, 0.06 from either.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hotline.settings import Settings
from ivr.pinyin_text import syllables
from ivr.prompts import default_prompt_texts, ensure_default_prompts, ensure_prompts, prompt_seconds
from recordings.asr_model import WhisperZh
from tests.integration.prompt_hearing import ANNOUNCEMENT, SAMPLE, Hearing, hear, sample_audio

pytestmark = pytest.mark.timeout(600)

MEAN_SIMILARITY_MIN = 0.18
TONE_MARK = re.compile(r"\d{2,3}")
"""espeak-ng's Mandarin tone contours in ``-x`` output: 55, 35, 214, 21, 51, 11, ..."""


def _as_phonemes(argv: list[str]) -> list[str]:
    """The same espeak-ng command printing phonemes (``-q -x``) instead of writing a WAV file."""
    out = list(argv)
    if "-w" in out:
        at = out.index("-w")
        del out[at : at + 2]
    return [out[0], "-q", "-x", *out[1:]]


@pytest.fixture
def espeak_runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], str | None]]:
    """Every espeak-ng command (and its standard input) run while the fixture is active."""
    runs: list[tuple[list[str], str | None]] = []
    real: Callable[..., Any] = subprocess.run

    def spy(argv: list[str], *args: Any, **kwargs: Any) -> Any:
        if argv and argv[0] == "espeak-ng" and "-w" in argv:
            runs.append((list(argv), kwargs.get("input")))
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    return runs


def test_given_every_shipped_prompt_when_synthesised_then_tonal_mandarin_syllable_for_syllable(
    tmp_path: Path, espeak_runs: list[tuple[list[str], str | None]]
) -> None:
    texts = default_prompt_texts()
    ensure_default_prompts(tmp_path)
    assert len(espeak_runs) == len(texts), "one espeak-ng run per prompt"
    wrong: dict[str, str] = {}
    for (prompt, text), (argv, stdin) in zip(texts.items(), espeak_runs, strict=True):
        assert prompt_seconds(tmp_path, prompt) > 0.2
        said = subprocess.run(
            _as_phonemes(argv), input=stdin, capture_output=True, text=True, timeout=60
        ).stdout
        if "(en)" in said or len(TONE_MARK.findall(said)) != len(syllables(text)):
            wrong[prompt] = said.strip()
    assert wrong == {}, "prompts not spoken as Mandarin syllables"


@pytest.fixture(scope="module")
def hearings(tmp_path_factory: pytest.TempPathFactory) -> list[Hearing]:
    """The sampled prompts, generated as the centre generates them and heard by Whisper base."""
    sounds = tmp_path_factory.mktemp("sounds")
    texts = default_prompt_texts()
    ensure_prompts(sounds, {p: texts[p] for p in (*SAMPLE, *ANNOUNCEMENT)})
    return hear(WhisperZh(Settings().cache_dir), sample_audio(sounds, texts, sounds))


def test_given_sampled_prompts_when_heard_by_whisper_then_close_to_the_written_text_by_pinyin(
    hearings: list[Hearing],
) -> None:
    mean = sum(h.similarity for h in hearings) / len(hearings)
    report = "\n".join(f"{h.prompt}: {h.similarity:.2f} heard {h.heard!r}" for h in hearings)
    assert mean >= MEAN_SIMILARITY_MIN, f"mean similarity {mean:.2f}\n{report}"
    assert len(hearings) == len(SAMPLE) + 1
