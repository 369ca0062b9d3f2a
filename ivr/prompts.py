"""Prompts: Mandarin defaults generated with espeak-ng + sox, and admin uploads converted with sox.

Generated prompts are spoken by espeak-ng's pinyin voice from the tone-numbered pinyin of their text
(``ivr.pinyin_text``): Debian 12's voice for Chinese characters reads them with English letter rules.
The text goes to espeak-ng on standard input, never as an argument, so a prompt text that looks like an
option (``-f/etc/passwd``) is only ever spoken; every tool runs with a time limit and a failure is a
``PromptError`` that says which tool failed and why.

Files are 8 kHz mono 16-bit WAV (what Asterisk plays without transcoding surprises) under
``<sounds>/zh/hotline/<prompt id>.wav``. A generated prompt carries a stamp file with the hash of its
spoken form and voice settings and is regenerated only when those change; an admin upload removes the
stamp, so generation leaves it alone and the recording stays the prompt callers hear. Files are written
to a temporary name and renamed into place, so Asterisk never plays a half-written prompt. Fragments that
are played one after another (the place in line and wait announcement, ``ivr.position_speech``) lose
espeak-ng's trailing silence and keep a short pause instead, longer after a comma or full stop, so a
composed sentence does not stutter.
"""

from __future__ import annotations

import hashlib
import tempfile
import wave
from collections.abc import Mapping
from pathlib import Path

from ivr.pinyin_text import speakable
from ivr.position_speech import POSITION_PROMPTS
from ivr.prompt_audio import PromptError as PromptError
from ivr.prompt_audio import speak, to_telephony, voice_signature

RUNTIME_PROMPTS: Mapping[str, str] = {
    "work_order_not_found": "未查询到该工单的办理信息，正在为您转接人工服务，请稍候。",
    "message_thanks": "您的留言已记录，我们将尽快处理，感谢您的来电，再见。",
    "survey_thanks": "感谢您的评价，再见。",
    "degraded_notice": "请稍候，正在为您转接人工服务。",
    "hold_options": "坐席正忙，请稍候。如需回拨，请按1。",
    "callback_scheduled": "已为您登记回拨，您的排队顺序保留，请挂机等候来电，再见。",
    "recording_notice": "您好，本次通话将被录音。",
    **POSITION_PROMPTS,
}
FRAGMENTS = frozenset(POSITION_PROMPTS)
"""Prompts generated without trailing silence, to be joined into sentences."""
FRAGMENT_PAUSE_S = 0.05
CLAUSE_PAUSE_S = 0.3
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"RIFF", "wav"),
    (b"fLaC", "flac"),
    (b"OggS", "ogg"),
    (b"FORM", "aiff"),
    (b".snd", "au"),
    (b"#!AMR", "amr-nb"),
    (b"caff", "caf"),
)


def prompt_file(sounds_dir: Path, prompt_id: str) -> Path:
    """Where prompt ``prompt_id`` lives; ids with ``..`` or a leading ``/`` are refused."""
    parts = prompt_id.split("/")
    if not prompt_id or prompt_id.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise PromptError(prompt_id, "not a valid prompt id", error_id="invalid_prompt_id")
    return sounds_dir / "zh" / "hotline" / f"{prompt_id}.wav"


def _stamp(text: str, *, fragment: bool = False) -> str:
    fragment_parts = ["fragment", str(FRAGMENT_PAUSE_S), str(CLAUSE_PAUSE_S)] if fragment else []
    parts = [voice_signature(), speakable(text), *fragment_parts]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _trim_effects(text: str) -> list[str]:
    """sox effects that cut the trailing silence and leave a pause fitting the punctuation."""
    pause = CLAUSE_PAUSE_S if text.rstrip()[-1:] in ("，", "。", ",", ".") else FRAGMENT_PAUSE_S
    return ["reverse", "silence", "1", "0.01", "1%", "reverse", "pad", "0", f"{pause:g}"]


def _stamp_file(target: Path) -> Path:
    return target.with_name(f".{target.stem}.stamp")


def synthesise(text: str, target: Path, *, fragment: bool = False) -> None:
    """Speak ``text`` in Mandarin (pinyin voice) into ``target``; a ``fragment`` loses its silences."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        speak(text, raw, prompt=target.stem)
        effects = tuple(_trim_effects(text)) if fragment else ()
        to_telephony(raw, target, kind=None, prompt=target.stem, effects=effects)


def default_prompt_texts() -> dict[str, str]:
    """Every prompt of the shipped flow pack plus the prompts the runtime itself plays."""
    from ivr.flow import default_pack

    texts: dict[str, str] = {}
    for flow in default_pack().values():
        texts.update({k: v for k, v in flow.prompts.items() if v})
    return texts | dict(RUNTIME_PROMPTS)


def ensure_prompts(sounds_dir: Path, prompts: Mapping[str, str]) -> list[Path]:
    """Generate missing or outdated prompts (empty text: recorded by hand, skipped); return all paths."""
    paths: list[Path] = []
    for name, text in prompts.items():
        target = prompt_file(sounds_dir, name)
        paths.append(target)
        if not text:
            continue
        stamp = _stamp_file(target)
        admin_replaced = target.exists() and not stamp.exists()
        current = stamp.read_text().strip() if stamp.exists() else ""
        wanted = _stamp(text, fragment=name in FRAGMENTS)
        if not admin_replaced and (current != wanted or not target.exists()):
            synthesise(text, target, fragment=name in FRAGMENTS)
            stamp.write_text(wanted + "\n")
    return paths


def ensure_default_prompts(sounds_dir: Path, prompts: Mapping[str, str] | None = None) -> list[Path]:
    """``ensure_prompts`` for the shipped pack and runtime prompts (or the given ones)."""
    return ensure_prompts(sounds_dir, default_prompt_texts() if prompts is None else prompts)


def sniff_format(data: bytes) -> str | None:
    """The sox type of an uploaded file from its first bytes (None: let sox guess from the name)."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


def install_upload(sounds_dir: Path, prompt_id: str, data: bytes, *, kind: str | None = None) -> Path:
    """Convert an uploaded recording and install it as prompt ``prompt_id`` (replacing the generated one)."""
    target = prompt_file(sounds_dir, prompt_id)
    if not data:
        raise PromptError(prompt_id, "the upload is empty", error_id="prompt_upload_invalid")
    kind = kind or sniff_format(data)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"upload.{kind or 'wav'}"
        source.write_bytes(data)
        try:
            to_telephony(source, target, kind=kind, prompt=prompt_id)
        except PromptError as exc:
            raise PromptError(prompt_id, exc.details["reason"], error_id="prompt_upload_invalid") from exc
    _stamp_file(target).unlink(missing_ok=True)
    return target


def prompt_seconds(sounds_dir: Path, prompt_id: str) -> float:
    """How long prompt ``prompt_id`` plays, from its WAV file (generated or uploaded)."""
    path = prompt_file(sounds_dir, prompt_id)
    try:
        with wave.open(str(path), "rb") as audio:
            return audio.getnframes() / audio.getframerate()
    except (OSError, EOFError, wave.Error) as exc:
        raise PromptError(prompt_id, f"cannot read its length: {exc}", error_id="prompt_unreadable") from exc


def has_recording(sounds_dir: Path, prompt_id: str) -> bool:
    """Whether a file for ``prompt_id`` exists."""
    try:
        return prompt_file(sounds_dir, prompt_id).exists()
    except PromptError:
        return False
