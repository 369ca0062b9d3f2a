"""Adds a barging supervisor's voice into the centre side of a recording, where the citizen heard it.

ChanSpy's barge mixes the supervisor into what the citizen hears after the citizen's own MixMonitor
has taken its copy (audiohook spies see a frame before whisper sources are added), so the centre
side lacks it. The supervisor's leg is recorded on its own (its ``r()`` feed: what the supervisor
says) and the stretches spent in barge mode are added into the centre side here, at the offset the
spy started at, with saturation. Both files are 16-bit mono WAV at the same rate (Asterisk's slin).
"""

from __future__ import annotations

import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def add_stretches(
    target: Path, source: Path, *, offset_s: float, stretches: Sequence[tuple[float, float]]
) -> int:
    """Add ``source``'s samples in ``stretches`` (seconds from the source's start) into ``target`` at
    ``offset_s`` + the same times; rewrites ``target`` and returns the number of samples added."""
    with wave.open(str(target), "rb") as t:
        params = t.getparams()
        base = np.frombuffer(t.readframes(t.getnframes()), dtype="<i2").astype(np.int32)
    with wave.open(str(source), "rb") as s:
        if s.getframerate() != params.framerate or s.getsampwidth() != 2 or s.getnchannels() != 1:
            raise ValueError(f"{source.name}: not 16-bit mono at {params.framerate} Hz")
        voice = np.frombuffer(s.readframes(s.getnframes()), dtype="<i2").astype(np.int32)
    rate = params.framerate
    added = 0
    for start_s, end_s in stretches:
        first = max(0, int(start_s * rate))
        last = min(voice.size, int(end_s * rate))
        at = int((offset_s + start_s) * rate)
        if at < 0:
            first, at = first - at, 0
        count = min(last - first, base.size - at)
        if count <= 0:
            continue
        base[at : at + count] += voice[first : first + count]
        added += count
    mixed = np.clip(base, -32768, 32767).astype("<i2")
    with wave.open(str(target), "wb") as out:
        out.setparams(params)
        out.writeframes(mixed.tobytes())
    return added
