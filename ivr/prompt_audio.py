"""The tools that make prompt audio: espeak-ng speaks Mandarin pinyin, sox converts for telephony.

Every tool runs with a time limit, gets no user text on its command line (espeak-ng reads the pinyin
line on standard input, sox only sees paths this module chose), and fails with a ``PromptError`` whose
reason names the tool, its exit status or time limit, and the start of what it wrote to stderr.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ivr.errors import IvrError
from ivr.pinyin_text import speakable

VOICE = "cmn-latn-pinyin"
SPEED_WPM = 175
"""espeak-ng's rate for the pinyin voice (its default); about 4 syllables a second."""
TELEPHONY_FORMAT = ("-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer")
TOOL_TIMEOUT_S = 60.0
"""Longest any one espeak-ng or sox run may take (a long menu renders in well under a second)."""


class PromptError(IvrError):
    """A prompt could not be generated or converted."""

    def __init__(self, prompt: str, reason: str, *, error_id: str = "prompt_generation_failed") -> None:
        super().__init__(error_id, f"prompt {prompt!r}: {reason}", {"prompt": prompt, "reason": reason})


def run_tool(argv: list[str], *, prompt: str, stdin: str | None = None) -> str:
    """Run one tool with the time limit; its stdout, or a ``PromptError`` saying why it failed."""
    tool = argv[0]
    if shutil.which(tool) is None:
        raise PromptError(prompt, f"{tool} not installed (scripts/setup-system.sh)")
    try:
        done = subprocess.run(
            argv, input=stdin, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise PromptError(prompt, f"{tool} did not finish within {TOOL_TIMEOUT_S:g} s") from exc
    except OSError as exc:
        raise PromptError(prompt, f"{tool} could not run: {exc}") from exc
    if done.returncode != 0:
        detail = done.stderr.strip()[:300] or "no message"
        raise PromptError(prompt, f"{tool} failed with exit status {done.returncode}: {detail}")
    return done.stdout


def voice_signature() -> str:
    """The voice settings a generated prompt depends on (part of its stamp)."""
    return f"{VOICE}|{SPEED_WPM}"


def espeak_argv(*options: str, prompt: str) -> list[str]:
    """espeak-ng with the prompt voice and rate, reading its text from standard input.

    espeak-ng silently falls back to its English default for a voice it lacks, so the voice is
    looked up first (once per process) and a missing one is a ``PromptError``.
    """
    try:
        voices = _installed_voices()
    except PromptError as exc:
        raise PromptError(prompt, exc.details["reason"]) from exc
    if VOICE not in voices:
        raise PromptError(prompt, f"espeak-ng has no {VOICE!r} voice (package espeak-ng-data)")
    return ["espeak-ng", "-v", VOICE, "-s", str(SPEED_WPM), *options, "--stdin"]


@functools.cache
def _installed_voices() -> frozenset[str]:
    listing = run_tool(["espeak-ng", "--voices"], prompt="espeak-ng --voices")
    return frozenset(line.split()[1] for line in listing.splitlines()[1:] if len(line.split()) > 1)


def speak(text: str, wav: Path, *, prompt: str) -> None:
    """Speak the Chinese ``text`` as pinyin into the WAV file ``wav`` (espeak-ng's own format)."""
    line = speakable(text)
    if not line:
        raise PromptError(prompt, "the text has nothing to speak")
    run_tool(espeak_argv("-w", str(wav), prompt=prompt), prompt=prompt, stdin=line)
    if not wav.exists() or wav.stat().st_size <= 44:
        raise PromptError(prompt, "espeak-ng wrote no audio")


def phonemes(text: str, *, prompt: str = "phonemes") -> str:
    """espeak-ng's phoneme transcription (``-x``) of what ``speak`` says for ``text``."""
    return run_tool(espeak_argv("-q", "-x", prompt=prompt), prompt=prompt, stdin=speakable(text))


def to_telephony(
    source: Path, target: Path, *, kind: str | None, prompt: str, effects: tuple[str, ...] = ()
) -> None:
    """Convert ``source`` to 8 kHz mono 16-bit WAV at ``target`` atomically (sox ``effects`` first).

    sox runs in repeatable mode (``-R``): its dither noise is seeded, so the same text always gives
    the same file (and the same recognition result in tests).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".wav")
    os.close(fd)
    typed = ["-t", kind] if kind else []
    argv = ["sox", "-V1", "-R", *typed, str(source), *TELEPHONY_FORMAT]
    try:
        run_tool([*argv, tmp_name, *effects, "norm", "-3"], prompt=prompt)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
