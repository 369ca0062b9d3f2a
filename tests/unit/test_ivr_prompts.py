"""Prompt generation (espeak-ng + sox) and admin uploads, on a temporary sounds directory."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import pytest

from ivr.prompts import (
    RUNTIME_PROMPTS,
    PromptError,
    default_prompt_texts,
    ensure_prompts,
    install_upload,
    prompt_file,
    prompt_seconds,
    sniff_format,
)

pytestmark = pytest.mark.timeout(60)


def _format(path: Path) -> tuple[int, int, int]:
    with wave.open(str(path), "rb") as audio:
        return audio.getframerate(), audio.getnchannels(), audio.getsampwidth()


def test_given_prompt_texts_when_ensured_twice_then_generated_once_as_8khz_mono_16bit(tmp_path: Path) -> None:
    [path] = ensure_prompts(tmp_path, {"welcome": "您好。"})
    assert path == tmp_path / "zh" / "hotline" / "welcome.wav"
    assert _format(path) == (8000, 1, 2)
    first = path.stat().st_mtime_ns
    ensure_prompts(tmp_path, {"welcome": "您好。"})
    assert path.stat().st_mtime_ns == first, "an unchanged text is not regenerated"
    ensure_prompts(tmp_path, {"welcome": "您好，欢迎。"})
    assert path.stat().st_mtime_ns != first, "a changed text is regenerated"


def test_given_admin_upload_when_texts_change_then_the_upload_is_kept(tmp_path: Path) -> None:
    ensure_prompts(tmp_path, {"menu": "请按一。"})
    source = tmp_path / "admin.wav"
    subprocess.run(
        ["sox", "-n", "-r", "16000", "-c", "2", str(source), "synth", "0.3", "sine", "300"], check=True
    )
    target = install_upload(tmp_path, "menu", source.read_bytes())
    uploaded = target.read_bytes()
    assert _format(target) == (8000, 1, 2)
    ensure_prompts(tmp_path, {"menu": "请按二。"})
    assert target.read_bytes() == uploaded


def test_given_an_uploaded_prompt_when_measured_then_its_playing_time(tmp_path: Path) -> None:
    source = tmp_path / "admin.wav"
    subprocess.run(
        ["sox", "-n", "-r", "16000", "-c", "2", str(source), "synth", "1.25", "sine", "300"], check=True
    )
    install_upload(tmp_path, "menu", source.read_bytes())
    assert prompt_seconds(tmp_path, "menu") == pytest.approx(1.25, abs=0.001)
    with pytest.raises(PromptError) as missing:
        prompt_seconds(tmp_path, "nothing_recorded")
    assert missing.value.error_id == "prompt_unreadable"


def test_given_bad_ids_or_bytes_when_installed_then_refused_with_stable_ids(tmp_path: Path) -> None:
    for bad in ("../etc/passwd", "/abs", "a//b", "a/./b"):
        with pytest.raises(PromptError) as refused:
            prompt_file(tmp_path, bad)
        assert refused.value.error_id == "invalid_prompt_id"
    with pytest.raises(PromptError) as garbage:
        install_upload(tmp_path, "menu", b"RIFF but not really a wave file")
    assert garbage.value.error_id == "prompt_upload_invalid"
    with pytest.raises(PromptError) as empty:
        install_upload(tmp_path, "menu", b"")
    assert empty.value.details["reason"] == "the upload is empty"
    assert list(tmp_path.rglob("*.wav")) == []


def test_given_file_headers_when_sniffed_then_sox_types() -> None:
    assert sniff_format(b"RIFF....WAVEfmt ") == "wav"
    assert sniff_format(b"fLaC\x00") == "flac"
    assert sniff_format(b"OggS\x00") == "ogg"
    assert sniff_format(b"\xff\xfb\x90") is None


def test_given_shipped_pack_when_default_texts_listed_then_every_prompt_and_runtime_prompt_is_there() -> None:
    texts = default_prompt_texts()
    for prompt in ("welcome", "main_menu", "survey", "order_number", *RUNTIME_PROMPTS):
        assert texts[prompt]
