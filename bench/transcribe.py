"""Transcription throughput: generated Mandarin call recordings through the job queue on this machine.

Each generated call is a conversation between a citizen and an agent (sentences a 12345 call has),
spoken by espeak-ng's Mandarin pinyin voice, at 8 kHz, as two files the way the call recording
leaves them: the caller side and the agent side, each silent while the other party talks. The files
are registered as saved recordings in a scratch SQLite database and transcribed by the in-process
job queue (``recordings.jobs``, one worker per core) with Whisper base, int8, one thread per worker.
Prints one JSON line:

    {"engine", "audio_s", "wall_s", "rtf", "calls_per_core_hour"}

``audio_s`` is the audio of every file (both sides), ``rtf`` the decoding time per second of audio
per core (wall time x workers / audio), ``calls_per_core_hour`` how many such calls (both sides) one
core transcribes in an hour. The model loads before the clock starts. On a shared machine the wall
time also counts other processes' turns on the cores, so the process's own CPU seconds over the same
stretch (and the RTF they give) go to standard error as a second JSON line.

    .venv/bin/python -m bench.transcribe [--calls 8] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotline.db.access import writing
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.settings import Settings
from ivr.prompt_audio import speak, to_telephony
from recordings.jobs import TranscriptionQueue
from recordings.models import Recording
from recordings.speech_model import whisper_model
from recordings.transcriber import WhisperTranscriber
from recordings.transcript_store import Sessions
from recordings.transcription import TranscriptionService

CONVERSATIONS = (
    (
        ("agent", "您好，这里是12345政务服务便民热线，请问有什么可以帮您？"),
        ("caller", "你好，我家楼下的饭店每天晚上噪音很大，影响休息。"),
        ("agent", "请问您的具体地址是哪里？"),
        ("caller", "在人民路一百号，三单元。"),
        ("agent", "好的，我们会转给相关部门处理，请保持电话畅通。"),
        ("caller", "好的，谢谢。"),
    ),
    (
        ("agent", "您好，12345热线，请讲。"),
        ("caller", "我想咨询一下社保卡怎么补办。"),
        ("agent", "您可以带上身份证到附近的社保服务中心办理。"),
        ("caller", "需要多长时间？"),
        ("agent", "一般七个工作日可以拿到新卡。"),
    ),
    (
        ("agent", "您好，请问有什么可以帮您？"),
        ("caller", "我要投诉，小区物业不给修电梯，已经坏了一个月了。"),
        ("agent", "非常理解您的心情，我们马上为您登记工单。"),
        ("caller", "希望尽快解决，家里有老人。"),
        ("agent", "好的，工单号稍后会短信发给您。"),
    ),
)
GAP_S = 0.6
RATE = 8000


def _frames(path: Path) -> bytes:
    with wave.open(str(path), "rb") as w:
        return w.readframes(w.getnframes())


def _write(path: Path, frames: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(frames)


def make_call(work: Path, name: str, turns: tuple[tuple[str, str], ...]) -> tuple[Path, Path, float]:
    """The caller-side and agent-side files of one conversation, and its length in seconds."""
    work.mkdir(parents=True, exist_ok=True)
    sides = {"caller": bytearray(), "agent": bytearray()}
    gap = b"\x00\x00" * int(RATE * GAP_S)
    for n, (who, line) in enumerate(turns):
        raw, wav = work / f"{name}-{n}.raw.wav", work / f"{name}-{n}.wav"
        speak(line, raw, prompt=name)
        to_telephony(raw, wav, kind=None, prompt=name)
        said = _frames(wav)
        raw.unlink()
        wav.unlink()
        for side, buffer in sides.items():
            buffer.extend(said if side == who else b"\x00" * len(said))
            buffer.extend(gap)
    caller, agent = work / f"{name}-caller.wav", work / f"{name}-agent.wav"
    _write(caller, bytes(sides["caller"]))
    _write(agent, bytes(sides["agent"]))
    return caller, agent, len(sides["caller"]) / 2 / RATE


def register(sessions: Sessions, root: Path, call_id: str, files: dict[str, Path], at: datetime) -> None:
    """Saved recording rows for the files of one call (paths relative to ``root``)."""
    with writing(sessions) as s:
        for side, path in files.items():
            s.add(
                Recording(
                    recording_id=f"{call_id}-0-{side}",
                    call_id=call_id,
                    kind="call",
                    side=side,
                    segment=0,
                    path=str(path.relative_to(root)),
                    started_at=at,
                    ended_at=at + timedelta(minutes=1),
                    duration_s=1.0,
                    status="saved",
                )
            )


def run(calls: int, workers: int) -> dict[str, object]:
    """Generate, queue and transcribe; the JSON figures."""
    cache = Settings().cache_dir
    with tempfile.TemporaryDirectory(prefix="bench-transcribe-") as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'bench.db'}"
        migrate(url)
        engine = make_engine(url)
        sessions = session_factory(engine)
        root = work / "recordings"
        at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        for n in range(calls):
            turns = CONVERSATIONS[n % len(CONVERSATIONS)]
            caller, agent, _ = make_call(root, f"call{n}", turns)
            register(sessions, root, f"bench{n}", {"caller": caller, "agent": agent}, at)
        whisper_model(cache, parallel=workers)
        service = TranscriptionService(
            sessions=sessions, root=root, transcriber=WhisperTranscriber(cache, parallel=workers)
        )
        queue = TranscriptionQueue(service, workers=workers)
        started, cpu_before = time.perf_counter(), _cpu_s()
        queue.start()
        queue.sweep()
        while sum(service.finished.values()) < calls * 2:
            time.sleep(0.2)
        wall, cpu = time.perf_counter() - started, _cpu_s() - cpu_before
        queue.stop()
        engine.dispose()
        if service.finished["failed"]:
            raise SystemExit(f"{service.finished['failed']} files failed")
        audio = service.audio_s
        print(json.dumps({"cpu_s": round(cpu, 1), "cpu_rtf": round(cpu / audio, 3)}), file=sys.stderr)
        return {
            "engine": service.transcriber.engine,
            "audio_s": round(audio, 1),
            "wall_s": round(wall, 1),
            "rtf": round(wall * workers / audio, 3),
            "calls_per_core_hour": round(calls / (wall * workers / 3600), 1),
        }


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    """Run the benchmark and print its JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=6)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(json.dumps(run(args.calls, args.workers)))


if __name__ == "__main__":
    main()
