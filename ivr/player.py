"""Executes the interpreter's actions on a live call over FastAGI and reports the caller's input.

``Play`` is ``STREAM FILE`` (its escape digits type ahead), ``AskDigits`` is ``GET DATA``, ``AskSpeech``
plays the prompt (any option key cuts it short), then records a short answer with ``RECORD FILE``
into the instance's monitor directory (inside the Asterisk root; ``host_path`` maps it to the host),
decodes it and deletes it. Only a ``(dtmf)`` reply of ``RECORD FILE`` carries a key: after a
``(timeout)`` its ``result`` is whatever ``ast_waitfor`` last returned (milliseconds left, often 1).
Without a loaded model, or when the recording fails, a speech question waits for a key instead, so
the caller is never stuck.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Callable
from pathlib import Path

from hotline.fastagi.protocol import quote
from hotline.fastagi.session import AgiSession
from ivr.flow import AskDigits, AskSpeech, Digits, Input, Play, Played, Speech, Timeout
from ivr.speech import SpeechEngine

log = logging.getLogger(__name__)

PROMPT_DIR = "hotline"
SILENCE_S = 2
HostPath = Callable[[str], Path]


def identity_path(chroot_path: str) -> Path:
    """For an Asterisk that shares the host's file system."""
    return Path(chroot_path)


ANY_KEY = "0123456789*#"
"""Every key stops a speech question's prompt and its recording, as a key menu takes any key: a key the
menu does not offer is then refused by the flow (invalid input) instead of being drowned in the
recording, which read as silence (a caller pressing 9 twice was sent on as if silent)."""


class ActionPlayer:
    """One call's prompt player and input collector; ``keys`` keeps every key and spoken choice."""

    def __init__(
        self,
        session: AgiSession,
        *,
        speech: SpeechEngine | None = None,
        host_path: HostPath = identity_path,
        max_wait_s: float | None = None,
    ) -> None:
        self._session = session
        self._speech = speech
        self._host_path = host_path
        self._max_wait_s = max_wait_s
        self._spool: str | None = None
        self.keys: list[str] = []

    def _ms(self, seconds: float) -> int:
        limit = seconds if self._max_wait_s is None else min(seconds, self._max_wait_s)
        return max(1, math.ceil(limit * 1000))

    async def perform(self, action: Play | AskDigits | AskSpeech) -> Input:
        """Run one action; the input the interpreter expects back."""
        if isinstance(action, Play):
            return await self.play(action.prompt, action.interruptible_digits)
        if isinstance(action, AskDigits):
            return await self.ask_digits(action)
        return await self.ask_speech(action)

    async def play(self, prompt: str, digits: str = "") -> Played:
        """Play a prompt; the digit that cut it short, if any."""
        digit = await self._session.stream_file(f"{PROMPT_DIR}/{prompt}", escape_digits=digits)
        if digit:
            self.keys.append(digit)
        return Played(digit or None)

    async def ask_digits(self, action: AskDigits) -> Digits | Timeout:
        """Play the prompt and collect digits."""
        got = await self._session.get_data(
            f"{PROMPT_DIR}/{action.prompt}",
            timeout_ms=self._ms(action.timeout_s),
            max_digits=action.max_digits,
        )
        if not got:
            return Timeout()
        self.keys.append(got)
        return Digits(got)

    async def ask_speech(self, action: AskSpeech) -> Digits | Speech | Timeout:
        """Play the prompt, then listen for a keyword or a key."""
        digit = await self._session.stream_file(f"{PROMPT_DIR}/{action.prompt}", escape_digits=ANY_KEY)
        if digit:
            self.keys.append(digit)
            return Digits(digit)
        base = await self._recording_base()
        if self._speech is None or not self._speech.available or base is None:
            return await self._wait_key(action)
        return await self._listen(action, base)

    async def _wait_key(self, action: AskSpeech) -> Digits | Timeout:
        digit = await self._session.wait_for_digit(self._ms(action.timeout_s))
        if not digit:
            return Timeout()
        self.keys.append(digit)
        return Digits(digit)

    async def _recording_base(self) -> str | None:
        if self._spool is None:
            self._spool = await self._session.get_variable("ASTSPOOLDIR") or ""
        if not self._spool:
            return None
        return f"{self._spool}/monitor/ivr-speech-{self._session.uniqueid}-{secrets.token_hex(3)}"

    async def _listen(self, action: AskSpeech, base: str) -> Digits | Speech | Timeout:
        assert self._speech is not None
        ms = self._ms(action.timeout_s)
        line = f"RECORD FILE {quote(base)} wav {quote(ANY_KEY)} {ms} s={SILENCE_S}"
        result = await self._session.command(line, timeout=30.0 + ms / 1000)
        if result.data == "dtmf" and result.result > 0:
            self.keys.append(chr(result.result))
            return Digits(chr(result.result))
        host = self._host_path(f"{base}.wav")
        if result.result < 0 or not host.exists():
            log.warning(
                "speech recording failed on %s (%s); treated as silence", self._session.channel, result
            )
            return Timeout()
        try:
            heard = await self._speech.recognise_async(host, action.keywords)
        finally:
            host.unlink(missing_ok=True)
        log.info("speech on %s -> %s", self._session.channel, heard.choice)
        log.debug("speech on %s heard %r", self._session.channel, heard.text)
        if not heard.text:
            return Timeout()
        self.keys.append(f"say:{heard.choice or '?'}")
        return Speech(heard.choice)
