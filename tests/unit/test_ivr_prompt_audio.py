"""The prompt tools: text reaches espeak-ng only as text, and every tool failure is a PromptError.

These run the real espeak-ng and sox (scripts/setup-system.sh) on temporary files.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ivr import prompt_audio
from ivr.prompt_audio import PromptError, phonemes, run_tool
from ivr.prompts import ensure_prompts, install_upload, prompt_file, prompt_seconds, synthesise

pytestmark = pytest.mark.timeout(60)

HELLO = "X'Au214"
"""espeak-ng's phonemes for hao3, said a hundred times by the planted file."""


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A file on the server whose content takes about a minute to read aloud."""
    path = tmp_path / "secret.txt"
    path.write_text("ni3 hao3 " * 100)
    return path


def test_given_a_prompt_text_shaped_like_an_option_when_synthesised_then_spoken_not_the_file(
    tmp_path: Path, planted: Path
) -> None:
    text = f"-f{planted}"
    synthesise(text, tmp_path / "zh" / "hotline" / "evil.wav")
    assert prompt_seconds(tmp_path, "evil") < 20.0, "the planted file was read aloud"
    assert HELLO not in phonemes(text)
    assert phonemes("您好").count(HELLO) == 1


def test_given_the_passwd_option_as_prompt_text_when_synthesised_then_a_short_spoken_text(
    tmp_path: Path,
) -> None:
    synthesise("-f/etc/passwd", tmp_path / "zh" / "hotline" / "passwd.wav")
    assert prompt_seconds(tmp_path, "passwd") < 5.0
    assert "root" not in phonemes("-f/etc/passwd")


def test_given_a_tool_that_fails_when_run_then_a_prompt_error_with_its_exit_status_and_message() -> None:
    with pytest.raises(PromptError) as failed:
        run_tool(["sox", "/nonexistent/in.wav", "/nonexistent/out.wav"], prompt="menu")
    assert failed.value.error_id == "prompt_generation_failed"
    assert failed.value.details["reason"].startswith("sox failed with exit status 2: ")
    with pytest.raises(PromptError) as missing:
        run_tool(["no-such-tool-here"], prompt="menu")
    assert missing.value.details["reason"] == "no-such-tool-here not installed (scripts/setup-system.sh)"


def test_given_a_tool_over_its_time_limit_when_run_then_a_prompt_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prompt_audio, "TOOL_TIMEOUT_S", 0.2)
    with pytest.raises(PromptError) as slow:
        run_tool(["sleep", "5"], prompt="menu")
    assert slow.value.details["reason"] == "sleep did not finish within 0.2 s"


def test_given_a_voice_espeak_lacks_when_synthesised_then_refused_instead_of_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prompt_audio, "VOICE", "cmn-latn-nosuch")
    with pytest.raises(PromptError) as refused:
        synthesise("您好。", tmp_path / "hello.wav")
    assert (
        refused.value.details["reason"] == "espeak-ng has no 'cmn-latn-nosuch' voice (package espeak-ng-data)"
    )
    assert not (tmp_path / "hello.wav").exists()


def test_given_a_text_with_nothing_to_say_when_synthesised_then_refused(tmp_path: Path) -> None:
    with pytest.raises(PromptError) as empty:
        synthesise("。。——", tmp_path / "empty.wav")
    assert empty.value.details["reason"] == "the text has nothing to speak"


def test_given_generated_and_uploaded_prompts_when_the_voice_changes_then_only_generated_ones_are_redone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = {"welcome": "您好。", "menu": "请按1。"}
    ensure_prompts(tmp_path, texts)
    upload = tmp_path / "admin.wav"
    subprocess.run(["sox", "-n", "-r", "8000", str(upload), "synth", "0.5", "sine", "300"], check=True)
    uploaded = install_upload(tmp_path, "menu", upload.read_bytes()).read_bytes()
    generated = prompt_file(tmp_path, "welcome").read_bytes()
    monkeypatch.setattr(prompt_audio, "SPEED_WPM", 150)
    ensure_prompts(tmp_path, texts)
    assert prompt_file(tmp_path, "menu").read_bytes() == uploaded, "the admin's recording stays first"
    assert prompt_file(tmp_path, "welcome").read_bytes() != generated, "a generated prompt follows the voice"
