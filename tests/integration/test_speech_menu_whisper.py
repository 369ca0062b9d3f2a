"""Speech menus on a live call with the Whisper engine: Mandarin replies choose the branch, keys still work.

The caller's replies are Mandarin spoken by espeak-ng's pinyin voice (as the prompts are made), at
8 kHz, played into the call; the centre records each reply over AGI and decodes it with Whisper base
(the PyPI model, ``HOTLINE_SPEECH_ENGINE=whisper``). Whisper writes 我要办企业 as 我要判企业 on this
voice; the option is found by its keyword 企业 all the same.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from ivr.prompt_audio import speak, to_telephony
from ivr.speech import Heard
from ivr.speech_whisper import WhisperEngine
from tests.integration.calls import CallDriver
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient
from tests.integration.ivr_calls import Say, ScriptedDialer
from tests.integration.ivr_support import SetClock, call_row, queued, start_centre, where

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(300)]

SHORT_PROMPT = ("    prompt: main_menu\n    options:", "    prompt: test/speech_menu\n    options:")
PROMPT_TEXT = ("prompts:\n", "prompts:\n  test/speech_menu: 请说出您要办理的事项。\n")


@pytest.fixture
async def whisper_centre(centre_settings: Settings, sandbox: AsteriskSandbox) -> AsyncIterator[Centre]:
    """A centre whose speech menus use Whisper, listening up to 5 s (the production default)."""
    listen = {"speech_engine": "whisper", "vosk_model_path": "", "ivr_digit_timeout_seconds": 5.0}
    settings = centre_settings.model_copy(update=listen)
    centre = await start_centre(settings, sandbox, SetClock())
    try:
        assert await centre.ivr.speech_ready()
        assert isinstance(centre.ivr.speech, WhisperEngine)
        yield centre
    finally:
        await centre.stop()


async def _publish_short_prompt(centre: Centre) -> None:
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    try:
        draft = (await admin.http.post("/api/ivr/flows", json={}, headers=admin.auth)).json()
        source = draft["source"]
        for old, new in (SHORT_PROMPT, PROMPT_TEXT):
            assert old in source
            source = source.replace(old, new, 1)
        await admin.http.put(
            f"/api/ivr/flows/{draft['version']}", json={"source": source}, headers=admin.auth
        )
        published = await admin.http.post(f"/api/ivr/flows/{draft['version']}/publish", headers=admin.auth)
        assert published.status_code == 200, published.text
    finally:
        await admin.close()


def _spoken(sandbox: AsteriskSandbox, text: str) -> tuple[str, Path]:
    """Mandarin ``text`` in the pinyin voice as 8 kHz WAV in the spool: (path inside the root, host path)."""
    name = f"say-{secrets.token_hex(4)}"
    host = sandbox.recordings_dir / f"{name}.wav"
    raw = host.with_suffix(".raw.wav")
    speak(text, raw, prompt=name)
    to_telephony(raw, host, kind=None, prompt=name)
    raw.unlink()
    return f"{sandbox.instance_dir}/spool/monitor/{name}", host


async def test_given_whisper_speech_menu_when_caller_says_mandarin_or_presses_a_key_then_each_routes(
    whisper_centre: Centre, sandbox: AsteriskSandbox, driver: CallDriver
) -> None:
    await _publish_short_prompt(whisper_centre)
    enterprise_file, enterprise_host = _spoken(sandbox, "我要办企业")
    access_file, access_host = _spoken(sandbox, "无障碍")
    dialer = ScriptedDialer(driver.ami)
    try:
        enterprise = await dialer.dial("13100000011", [("test/speech_menu", Say(enterprise_file))])
        accessible = await dialer.dial("13100000012", [("test/speech_menu", Say(access_file))])
        pressed = await dialer.dial("13100000013", [("test/speech_menu", "3")])
        assert where(await queued(driver, enterprise, timeout=120)) == (
            "enterprise",
            "0",
            "business_environment",
        )
        assert where(await queued(driver, accessible, timeout=120))[0] == "accessibility"
        assert where(await queued(driver, pressed, timeout=120)) == (
            "enterprise",
            "0",
            "business_environment",
        )
        assert (await call_row(whisper_centre, enterprise.call_id)).ivr_keys == "say:3"
        assert (await call_row(whisper_centre, accessible.call_id)).ivr_keys == "say:4"
        assert (await call_row(whisper_centre, pressed.call_id)).ivr_keys == "3"
        for call in (enterprise, accessible, pressed):
            await dialer.hang_up(call)
    finally:
        enterprise_host.unlink(missing_ok=True)
        access_host.unlink(missing_ok=True)


MENU = {"3": ("企业", "营商环境", "办企业"), "0": ("人工", "转人工", "话务员")}


def test_given_a_silent_or_noisy_reply_when_whisper_decodes_then_nothing_is_heard(
    tmp_path: Path,
) -> None:
    engine = WhisperEngine(Settings().cache_dir)
    assert engine.load()
    quiet = tmp_path / "quiet.wav"
    synth = ["synth", "3", "whitenoise", "vol", "0.003"]
    subprocess.run(["sox", "-n", "-R", "-r", "8000", "-c", "1", "-b", "16", str(quiet), *synth], check=True)
    heard = engine.recognise(quiet, MENU)
    assert heard == Heard("", None), "the keywords given as context are not made up from silence"
    spoken = tmp_path / "say.wav"
    speak("转人工", tmp_path / "say.raw.wav", prompt="say")
    to_telephony(tmp_path / "say.raw.wav", spoken, kind=None, prompt="say")
    assert engine.recognise(spoken, MENU).choice == "0"
