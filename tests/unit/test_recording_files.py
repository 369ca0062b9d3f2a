"""Pure parts of the recordings store: node spools, names, paths kept inside the root, closed WAVs,
barge stretches and their mixing."""

from __future__ import annotations

import wave
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from recordings import files
from recordings.mixing import add_stretches
from recordings.segments import Spy


def test_spools_name_each_node_or_one_for_all() -> None:
    spools = files.Spools(files.parse_spools("ast1=/mnt/ast1/monitor, ast2=/mnt/ast2/monitor"))
    assert spools.of("ast1") == Path("/mnt/ast1/monitor")
    assert spools.of("ast2") == Path("/mnt/ast2/monitor")
    assert spools.of("ast3") is None
    shared = files.Spools(files.parse_spools("/srv/monitor"))
    assert shared.of("ast1") == shared.of("") == Path("/srv/monitor")
    with pytest.raises(ValueError, match="ast1=relative"):
        files.parse_spools("ast1=relative")


def test_names_are_safe_and_short_and_dated_paths_stay_in_the_root(tmp_path: Path) -> None:
    assert files.recording_id("ast1-1700000000.12", 1, "agent") == "ast1-1700000000.12-1-agent"
    long_id = files.recording_id("x/" * 60, 0, "caller")
    assert len(long_id) <= 64
    assert "/" not in long_id
    assert files.recording_id("x/" * 60, 0, "caller") == long_id
    at = datetime(2026, 12, 6, 23, 59, tzinfo=UTC)
    assert files.root_path("c-0-caller", at) == "2026/12/06/c-0-caller.wav"
    assert files.spool_name("c-0-caller") == "hotline-rec/c-0-caller.wav"
    assert files.inside_root(tmp_path, "2026/12/06/a.wav") == (tmp_path / "2026/12/06/a.wav").resolve()
    assert files.inside_root(tmp_path, "../outside.wav") is None
    assert files.inside_root(tmp_path, "/etc/passwd") is None


def _wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(samples.astype("<i2").tobytes())


def test_a_wav_counts_as_closed_only_when_its_header_covers_the_file(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    _wav(path, np.zeros(800))
    assert files.is_closed_wav(path)
    assert files.duration_s(path) == 0.1
    with path.open("ab") as f:
        f.write(b"\0" * 320)
    assert not files.is_closed_wav(path)
    assert not files.is_closed_wav(tmp_path / "absent.wav")


def test_barge_stretches_follow_the_modes_and_end_with_the_spy_or_the_segment() -> None:
    spy = Spy(
        spyer="s", spool_name="n", started=100.0, modes=[(0.0, "listen"), (2.0, "barge"), (5.0, "whisper")]
    )
    assert spy.barge_stretches(until=110.0) == [(2.0, 5.0)]
    spy.modes.append((7.0, "barge"))
    assert spy.barge_stretches(until=109.0) == [(2.0, 5.0), (7.0, 9.0)]
    spy.ended = 108.0
    assert spy.barge_stretches(until=120.0) == [(2.0, 5.0), (7.0, 8.0)]
    assert Spy(spyer="s", spool_name="n", started=100.0, modes=[(0.0, "listen")]).barge_stretches(200.0) == []


def test_barge_stretches_are_added_at_the_offset_with_saturation(tmp_path: Path) -> None:
    target, source = tmp_path / "t.wav", tmp_path / "s.wav"
    _wav(target, np.full(8000, 30000))
    _wav(source, np.full(8000, 10000))
    added = add_stretches(target, source, offset_s=0.25, stretches=[(0.0, 0.25), (0.5, 2.0)])
    with wave.open(str(target), "rb") as w:
        mixed = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert added == 2000 + 2000
    assert set(mixed[:2000]) == {30000}
    assert set(mixed[2000:4000]) == {32767}
    assert set(mixed[4000:6000]) == {30000}
    assert set(mixed[6000:]) == {32767}
