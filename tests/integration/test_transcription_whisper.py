"""Transcription with the real parts: Whisper base on generated Mandarin call audio, the job queue on
Redis, transcripts and their search index on PostgreSQL, and ``hotline transcribe`` backfilling.

The audio is a conversation spoken by espeak-ng's pinyin voice at 8 kHz, one file per side, each silent
while the other party talks, as the call recording leaves them (``bench.transcribe.make_call``).
Whisper base hears this robotic speech poorly, so the text itself is not compared; what is checked is
that each side's speech is found where it was spoken (timestamps) and that the stored text is found
again by the search.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import wave
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.transcribe import CONVERSATIONS, make_call, register
from hotline.cli import main
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.settings import Settings
from recordings.jobs import TranscriptionQueue
from recordings.models import Recording, Transcript, TranscriptSegment
from recordings.search import search_transcripts
from recordings.transcriber import WhisperTranscriber
from recordings.transcript_store import Sessions, counts
from recordings.transcript_voicemail import EVENT
from recordings.transcription import TranscriptionService
from tests.pg import scratch_database
from tickets.models import WorkOrderHistory
from tickets.rows import Caller, FiveElements, NewWorkOrder
from tickets.service import TicketService
from tickets.vocab import Category, Channel, ContactPreference, SpecialGroup

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(600)]

REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A migrated scratch PostgreSQL database."""
    with scratch_database("hotline_tx") as url:
        migrate(url)
        yield url


def _wait_done(sessions: Sessions, total: int) -> dict[str, int]:
    deadline = time.monotonic() + 480
    while time.monotonic() < deadline:
        found = counts(sessions)
        if found.get("done", 0) + found.get("failed", 0) >= total:
            return found
        time.sleep(0.5)
    return counts(sessions)


def test_given_a_recorded_call_when_queued_on_redis_then_each_side_is_transcribed_with_times_and_searchable(
    pg_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "recordings"
    turns = CONVERSATIONS[1]
    caller, agent, seconds = make_call(root, "call", turns)
    engine = make_engine(pg_url)
    sessions = session_factory(engine)
    register(sessions, root, "c1", {"caller": caller, "agent": agent}, AT)
    transcriber = WhisperTranscriber(Settings().cache_dir, parallel=2)
    service = TranscriptionService(sessions=sessions, root=root, transcriber=transcriber)
    queue = TranscriptionQueue(
        service, workers=2, redis_url=REDIS_URL, name=f"pytest-{secrets.token_hex(4)}:transcribe"
    )
    queue.start()
    try:
        assert queue.sweep() == 2
        assert _wait_done(sessions, 2) == {"done": 2}
    finally:
        queue.huey.storage.flush_all()
        queue.stop()
    with sessions() as s:
        segments = s.scalars(select(TranscriptSegment).order_by(TranscriptSegment.start_s)).all()
        transcripts = {t.recording_id: t for t in s.scalars(select(Transcript))}
    first_agent_turn_s = _spoken_seconds(turns[0][1], root)
    by_side = {side: [g for g in segments if g.side == side] for side in ("caller", "agent")}
    assert by_side["agent"], "the agent side is heard"
    assert by_side["caller"], "the caller side is heard"
    assert by_side["agent"][0].start_s < 1.0, "the agent speaks first"
    assert by_side["caller"][0].start_s >= first_agent_turn_s - 0.5, (
        "the caller is silent while the agent speaks"
    )
    assert all(0 <= g.start_s < g.end_s <= seconds + 0.5 for g in segments)
    assert {t.status for t in transcripts.values()} == {"done"}
    assert all(
        t.engine == "whisper-base" and t.audio_s == pytest.approx(seconds, abs=0.1)
        for t in transcripts.values()
    )
    heard = transcripts["c1-0-caller"].text
    assert len(heard) >= 2
    hits = search_transcripts(sessions, query=heard[:4])
    assert "c1-0-caller" in [h.recording_id for h in hits]
    engine.dispose()


def _spoken_seconds(line: str, work: Path) -> float:
    from ivr.prompt_audio import speak, to_telephony

    raw, wav = work / "probe.raw.wav", work / "probe.wav"
    speak(line, raw, prompt="probe")
    to_telephony(raw, wav, kind=None, prompt="probe")
    with wave.open(str(wav), "rb") as w:
        return w.getnframes() / w.getframerate()


def test_given_a_voice_message_and_a_broken_file_when_backfilled_then_the_order_has_the_text_and_exit_1(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "recordings"
    message, _, _ = make_call(root, "vm", (("caller", "我家门口的路灯坏了。"),))
    broken = root / "broken.wav"
    broken.write_bytes(b"RIFF not really a wave file")
    engine = make_engine(pg_url)
    sessions = session_factory(engine)
    register(sessions, root, "vm1", {"caller": message}, AT)
    register(sessions, root, "old", {"caller": broken}, AT)
    with sessions.begin() as s:
        s.get_one(Recording, "vm1-0-caller").kind = "voicemail"
        s.get_one(Recording, "old-0-caller").started_at = datetime(2026, 11, 1, tzinfo=UTC)
    register(sessions, root, "bad", {"caller": broken}, AT)
    order = TicketService(sessions).create(_message_order("vm1"), created_by="ivr")
    monkeypatch.setenv("HOTLINE_DATABASE_URL", pg_url)
    monkeypatch.setenv("HOTLINE_RECORDINGS_DIR", str(root))
    assert main(["transcribe", "--since", "2026-11-30", "--workers", "1"]) == 1
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["done"], summary["failed"], summary["skipped"]) == (1, 1, 0)
    with sessions() as s:
        notes = s.scalars(select(WorkOrderHistory).where(WorkOrderHistory.event == EVENT)).all()
        failed = s.get_one(Transcript, "bad-0-caller")
        assert s.get(Transcript, "old-0-caller") is None, "before --since: left alone"
    assert [(n.order_id, n.detail["recording_id"]) for n in notes] == [(order.id, "vm1-0-caller")]
    assert notes[0].detail["note"].startswith("留言录音转写：")
    assert failed.status == "failed"
    assert failed.error
    assert main(["transcribe", "--since", "2026-11-30"]) == 0, "nothing left to do: failed ones stay failed"
    engine.dispose()


def _message_order(call_id: str) -> NewWorkOrder:
    return NewWorkOrder(
        caller=Caller(
            name="",
            number="13800138000",
            contact_preference=ContactPreference.ANY,
            special_group=SpecialGroup.NONE,
            confidential=False,
        ),
        channel=Channel.PHONE,
        category=Category.HELP,
        matter="留言",
        content="来电留言（待分类）。",
        elements=FiveElements(),
        call_id=call_id,
    )
