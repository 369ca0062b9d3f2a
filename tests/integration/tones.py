"""What a simulated party hears: steady tones played into calls and found again in recordings.

Each party of a test call is a Local channel whose dialplan half runs ``[hotline-sim-tone]`` (a steady
tone of EXTEN Hz). MixMonitor's receive feed (``r()``) on that half records exactly what the party hears,
without its own tone. The tones are found with a windowed FFT in the 8 kHz recording.
"""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path

import numpy as np

from hotline.sandbox.instance import AsteriskSandbox
from tests.integration.calls import CallDriver, eventually

HEARD_DB = -40.0
"""A tone at or above this level (dB relative to full scale) is heard."""
SILENT_DB = -55.0
"""A tone below this level is not heard."""


TONE_SECONDS = 60
RATE = 8000


def write_tone_files(sandbox: AsteriskSandbox, freqs: Iterable[int]) -> None:
    """The sound files ``[hotline-sim-tone]`` plays: ``hotline-tone-<Hz>.wav`` in the monitor spool."""
    t = np.arange(TONE_SECONDS * RATE) / RATE
    for freq in freqs:
        path = sandbox.recordings_dir / f"hotline-tone-{freq}.wav"
        if path.exists():
            continue
        samples = (0.3 * 32767 * np.sin(2 * np.pi * freq * t)).astype("<i2")
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(samples.tobytes())


def tone_levels(path: Path, freqs: Iterable[int], *, skip_s: float = 0.3) -> dict[int, float]:
    """Level in dBFS of each of ``freqs`` (Hz) in the mono 16-bit WAV at ``path``."""
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    samples = samples[int(skip_s * rate) :] / 32768.0
    if samples.size < rate // 4:
        raise AssertionError(f"{path.name}: only {samples.size} samples recorded")
    window = np.hanning(samples.size)
    spectrum = np.abs(np.fft.rfft(samples * window)) * 2.0 / window.sum()
    bins = np.fft.rfftfreq(samples.size, 1.0 / rate)
    levels: dict[int, float] = {}
    for freq in freqs:
        near = (bins > freq - 15) & (bins < freq + 15)
        peak = float(spectrum[near].max()) if near.any() else 0.0
        levels[freq] = 20.0 * np.log10(max(peak, 1e-9))
    return levels


def heard(levels: Mapping[int, float]) -> set[int]:
    """The tones of ``levels`` that are clearly heard; raises when one is neither heard nor silent."""
    unclear = {f: round(db, 1) for f, db in levels.items() if SILENT_DB <= db < HEARD_DB}
    if unclear:
        raise AssertionError(f"tones neither clearly heard nor silent: {unclear} (all: {levels})")
    return {f for f, db in levels.items() if db >= HEARD_DB}


class Ears:
    """Records what each party hears, phase by phase, with AMI MixMonitor on their channels."""

    def __init__(self, sandbox: AsteriskSandbox, driver: CallDriver, channels: Mapping[str, str]) -> None:
        self._sandbox = sandbox
        self._driver = driver
        self._channels = dict(channels)

    async def record(self, phase: str, seconds: float = 2.0) -> dict[str, Path]:
        """Record ``seconds`` of what every party hears; the host path of each party's file."""
        files: dict[str, Path] = {}
        for who, channel in self._channels.items():
            name = f"ears-{phase}-{who}-{channel}.wav"
            inside = f"{self._sandbox.instance_dir}/spool/monitor/{name}"
            await self._driver.ami.send_action(
                {"Action": "MixMonitor", "Channel": channel, "Options": f"r({inside})"}
            )
            files[who] = self._sandbox.recordings_dir / name
        await asyncio.sleep(seconds)
        for channel in self._channels.values():
            await self._driver.ami.send_action({"Action": "StopMixMonitor", "Channel": channel})
        for path in files.values():
            await eventually(partial(_complete, path), timeout=10.0)
        return files

    async def who_hears(self, phase: str, tones: Mapping[str, int]) -> dict[str, set[str]]:
        """For every party, the parties (named by ``tones``: party -> its tone) it hears in ``phase``."""
        names = {freq: who for who, freq in tones.items()}
        files = await self.record(phase)
        return {who: {names[f] for f in heard(tone_levels(path, names))} for who, path in files.items()}


def _complete(path: Path) -> bool:
    if not path.exists() or path.stat().st_size <= 44:
        return False
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes() > 0
    except (wave.Error, EOFError):
        return False
