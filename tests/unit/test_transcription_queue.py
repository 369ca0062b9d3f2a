"""The transcription queue in process (huey in memory) on SQLite: every saved recording gets a transcript,
a failing file is marked failed without blocking the others, a restart picks up what was left, a voice
message's text lands in its work order, and transcripts are found by the knowledge base's search.

The transcriber here is a stand-in that reads a text file next to the "audio" (the Whisper path runs in
tests/integration/test_transcription_whisper.py); everything else is the real queue, store and index.
"""

from __future__ import annotations

import shutil
import threading
import time
import wave
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.bus import EventBus
from hotline.db.access import writing
from hotline.db.engine import make_engine, migrate, session_factory
from recordings.jobs import TranscriptionQueue, enqueue_recording
from recordings.models import Recording, Transcript, TranscriptSegment
from recordings.search import search_transcripts
from recordings.transcript_store import Piece, Sessions, Transcribed, counts
from recordings.transcript_voicemail import EVENT
from recordings.transcription import TranscriptionService
from recordings.transcription_messages import VoiceMessages
from tickets.models import WorkOrderHistory
from tickets.rows import Caller, FiveElements, NewWorkOrder
from tickets.service import TicketService
from tickets.vocab import Category, Channel, ContactPreference, SpecialGroup

pytestmark = pytest.mark.timeout(60)

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class TextFiles:
    """Reads ``<file>.txt``: one line per piece; raises on a file that says ``BROKEN``."""

    engine = "text-files"

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.gate = threading.Event()
        self.gate.set()

    def transcribe(self, audio: Path) -> Transcribed:
        self.gate.wait(10)
        self.seen.append(audio.name)
        if audio.read_bytes()[:4] == b"RIFF":
            return Transcribed("路灯坏了", 1.0, (Piece(0.1, 0.9, "路灯坏了"),))
        lines = audio.read_text(encoding="utf-8").splitlines()
        if lines == ["BROKEN"]:
            raise ValueError("audio could not be decoded")
        pieces = tuple(Piece(float(n), n + 0.8, line) for n, line in enumerate(lines))
        return Transcribed("".join(lines), float(len(lines)), pieces)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating takes seconds)."""
    template = tmp_path_factory.mktemp("template") / "tx.db"
    migrate(f"sqlite:///{template}")
    return template


@pytest.fixture
def sessions(tmp_path: Path, migrated: Path) -> Iterator[Sessions]:
    url = f"sqlite:///{tmp_path / 'tx.db'}"
    shutil.copyfile(migrated, tmp_path / "tx.db")
    migrate(url)
    engine = make_engine(url)
    yield session_factory(engine)
    engine.dispose()


def _saved(sessions: Sessions, root: Path, rec_id: str, lines: list[str], *, kind: str = "call") -> None:
    path = root / f"{rec_id}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    call_id, _, side = rec_id.rpartition("-")
    with writing(sessions) as s:
        s.add(
            Recording(
                recording_id=rec_id,
                call_id=call_id,
                kind=kind,
                side=side,
                segment=0,
                path=path.name,
                started_at=AT,
                ended_at=AT + timedelta(minutes=1),
                status="saved",
            )
        )


def _queue(sessions: Sessions, root: Path, transcriber: TextFiles, workers: int = 2) -> TranscriptionQueue:
    service = TranscriptionService(sessions=sessions, root=root, transcriber=transcriber, clock=lambda: AT)
    return TranscriptionQueue(service, workers=workers, clock=lambda: AT)


def _wait_for(sessions: Sessions, **expected: int) -> dict[str, int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if (found := counts(sessions)) == expected:
            return found
        time.sleep(0.05)
    return counts(sessions)


def test_given_saved_recordings_and_a_broken_one_when_swept_then_each_done_or_failed_with_its_error(
    sessions: Sessions, tmp_path: Path
) -> None:
    root = tmp_path / "rec"
    _saved(sessions, root, "c1-caller", ["你好，我要投诉小区噪音", "晚上十点以后还在施工"])
    _saved(sessions, root, "c1-agent", ["您好，12345热线", "请问具体地址"])
    _saved(sessions, root, "c2-caller", ["BROKEN"])
    _saved(sessions, root, "c3-caller", ["咨询社保卡补办"])
    queue = _queue(sessions, root, TextFiles())
    queue.start()
    try:
        assert queue.sweep() == 4
        assert _wait_for(sessions, done=3, failed=1) == {"done": 3, "failed": 1}
    finally:
        queue.stop()
    with sessions() as s:
        failed = s.get(Transcript, "c2-caller")
        assert failed is not None
        assert failed.error == "ValueError: audio could not be decoded"
        segments = s.scalars(select(TranscriptSegment).order_by(TranscriptSegment.start_s)).all()
        caller = [(g.side, g.start_s, g.end_s, g.text) for g in segments if g.recording_id == "c1-caller"]
        assert caller == [
            ("caller", 0.0, 0.8, "你好，我要投诉小区噪音"),
            ("caller", 1.0, 1.8, "晚上十点以后还在施工"),
        ]
    assert queue.sweep() == 0, "done and failed transcripts are final for the sweep"


def test_given_a_missing_file_when_transcribed_then_failed_naming_the_file(
    sessions: Sessions, tmp_path: Path
) -> None:
    root = tmp_path / "rec"
    _saved(sessions, root, "c9-caller", ["你好"])
    (root / "c9-caller.wav").unlink()
    service = TranscriptionService(sessions=sessions, root=root, transcriber=TextFiles(), clock=lambda: AT)
    assert service.run("c9-caller") == "failed"
    assert service.run("c9-caller") == "skipped"
    with sessions() as s:
        row = s.get(Transcript, "c9-caller")
        assert row is not None
        assert row.status == "failed"
        assert "c9-caller.wav" in row.error


def test_given_jobs_left_pending_by_a_stopped_process_when_a_new_queue_sweeps_then_they_are_done(
    sessions: Sessions, tmp_path: Path
) -> None:
    root = tmp_path / "rec"
    for n in range(3):
        _saved(sessions, root, f"r{n}-caller", [f"第{n}通电话"])
    stuck = TextFiles()
    stuck.gate.clear()
    first = _queue(sessions, root, stuck, workers=1)
    first.start()
    assert first.sweep() == 3
    first.stop(timeout=0.1)
    assert counts(sessions) == {"pending": 3}
    stuck.gate.set()
    second = _queue(sessions, root, TextFiles(), workers=2)
    second.start()
    try:
        assert second.sweep() == 3
        assert _wait_for(sessions, done=3) == {"done": 3}
    finally:
        second.stop()


def test_given_a_waiting_recording_when_queued_twice_then_it_is_queued_once(
    sessions: Sessions, tmp_path: Path
) -> None:
    root = tmp_path / "rec"
    _saved(sessions, root, "d1-caller", ["你好"])
    queue = _queue(sessions, root, TextFiles(), workers=0)
    queue.start()
    try:
        assert enqueue_recording("d1-caller") is True
        assert enqueue_recording("d1-caller") is False
        assert queue.sweep() == 0
        assert queue.pending() == 1
    finally:
        queue.stop()
    assert enqueue_recording("d1-caller") is False, "no queue runs any more"


def _order(sessions: Sessions, call_id: str) -> int:
    order = NewWorkOrder(
        caller=Caller(
            name="",
            number="13800138000",
            contact_preference=ContactPreference.PHONE_ONLY,
            special_group=SpecialGroup.NONE,
            confidential=False,
        ),
        channel=Channel.PHONE,
        category=Category.HELP,
        matter="留言回拨",
        content="来电留言（待分类）。",
        elements=FiveElements(),
        call_id=call_id,
    )
    return TicketService(sessions).create(order, created_by="ivr").id


def test_given_voice_messages_when_transcribed_then_their_text_is_noted_on_the_work_order_once(
    sessions: Sessions, tmp_path: Path
) -> None:
    root = tmp_path / "rec"
    _saved(sessions, root, "vm1-caller", ["我家门口的路灯坏了", "请尽快修理"], kind="voicemail")
    _saved(sessions, root, "vm2-caller", ["下水道堵了"], kind="voicemail")
    first = _order(sessions, "vm1")
    queue = _queue(sessions, root, TextFiles())
    queue.start()
    try:
        queue.sweep()
        assert _wait_for(sessions, done=2) == {"done": 2}
        second = _order(sessions, "vm2")
        queue.sweep()
        queue.sweep()
    finally:
        queue.stop()
    with sessions() as s:
        notes = s.execute(
            select(WorkOrderHistory.order_id, WorkOrderHistory.detail).where(WorkOrderHistory.event == EVENT)
        ).all()
    by_order = {order_id: detail["note"] for order_id, detail in notes}
    assert by_order == {
        first: "留言录音转写：我家门口的路灯坏了请尽快修理",
        second: "留言录音转写：下水道堵了",
    }
    assert len(notes) == 2


def test_given_transcripts_when_searched_then_bigram_matches_best_first_with_snippet_and_time(
    sessions: Sessions, tmp_path: Path
) -> None:
    root = tmp_path / "rec"
    _saved(sessions, root, "s1-caller", ["你好", "我要投诉小区噪音扰民"])
    _saved(sessions, root, "s2-caller", ["咨询噪声检测"])
    _saved(sessions, root, "s3-agent", ["您好，请讲"])
    queue = _queue(sessions, root, TextFiles())
    queue.start()
    try:
        queue.sweep()
        assert _wait_for(sessions, done=3) == {"done": 3}
    finally:
        queue.stop()
    hits = search_transcripts(sessions, query="噪音扰民")
    assert [h.recording_id for h in hits] == ["s1-caller"]
    assert (hits[0].at_s, hits[0].side, hits[0].call_id) == (1.0, "caller", "s1")
    start, end = hits[0].highlights[0]
    assert hits[0].snippet[start:end].startswith("噪音")
    assert {h.recording_id for h in search_transcripts(sessions, query="噪音 检测")} == {
        "s1-caller",
        "s2-caller",
    }
    assert {h.recording_id for h in search_transcripts(sessions, query="噪")} == {"s1-caller", "s2-caller"}
    assert search_transcripts(sessions, query="天气") == []
    assert search_transcripts(sessions, query="  ") == []


def test_given_a_recorded_voice_message_on_the_bus_when_heard_then_kept_as_voicemail_and_noted_on_its_order(
    sessions: Sessions, tmp_path: Path
) -> None:
    root, spool = tmp_path / "rec", tmp_path / "spool"
    message = spool / "msg-1.wav"
    message.parent.mkdir(parents=True)
    with wave.open(str(message), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x00" * 8000)
    order = _order(sessions, "vmcall")
    queue = _queue(sessions, root, TextFiles())
    listener = VoiceMessages(bus=EventBus(), sessions=sessions, root=root, enqueue=queue.enqueue_recording)
    queue.start()
    try:
        event = {"call_id": "vmcall", "path": str(message), "recorded": True, "at": AT.timestamp()}
        assert listener.register(event) == "vmcall-0-voicemail"
        assert listener.register(event) == "vmcall-0-voicemail", "seen twice, stored once"
        assert listener.register(event | {"call_id": "empty", "recorded": False}) is None
        assert listener.register(event | {"call_id": "gone", "path": str(spool / "none.wav")}) is None
        assert _wait_for(sessions, done=1) == {"done": 1}
    finally:
        queue.stop()
    assert message.exists(), "the file the order names stays where it is"
    with sessions() as s:
        kept = s.get_one(Recording, "vmcall-0-voicemail")
        notes = s.scalars(select(WorkOrderHistory).where(WorkOrderHistory.event == EVENT)).all()
    assert (kept.kind, kept.side, kept.status, kept.duration_s) == ("voicemail", "caller", "saved", 1.0)
    assert (root / kept.path).read_bytes() == message.read_bytes()
    assert [(n.order_id, n.detail["note"]) for n in notes] == [(order, "留言录音转写：路灯坏了")]
