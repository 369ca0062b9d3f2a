"""Default Mandarin prompts, generated at install with espeak-ng and converted with sox.

Files are written as 8 kHz mono 16-bit WAV (what Asterisk plays without transcoding surprises) under
``<sounds>/zh/hotline/``. A prompt is regenerated only when its text changes, so an admin's replacement
(a file without our text stamp) is left alone.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

DEFAULT_PROMPTS: Mapping[str, str] = {
    "welcome": "您好，欢迎致电12345政务服务便民热线。",
    "menu": "人工服务请按0，企业服务请按3。",
    "invalid": "输入有误，请重新选择。",
}


class PromptError(Exception):
    """A prompt could not be generated."""

    error_id = "prompt_generation_failed"

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"prompt {name!r}: {reason}")
        self.details: dict[str, object] = {"prompt": name, "reason": reason}


def _stamp(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _synthesise(text: str, target: Path) -> None:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        raise PromptError(target.stem, "espeak-ng and sox are required (scripts/setup-system.sh)")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(
            ["espeak-ng", "-v", "cmn", "-s", "190", "-w", str(raw), text],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["sox", "-V1", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(target), "norm", "-3"],
            check=True,
            capture_output=True,
        )


def ensure_default_prompts(sounds_dir: Path, prompts: Mapping[str, str] = DEFAULT_PROMPTS) -> list[Path]:
    """Generate missing or outdated default prompts; return the paths of all of them."""
    out_dir = sounds_dir / "zh" / "hotline"
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, text in prompts.items():
        target = out_dir / f"{name}.wav"
        stamp_file = out_dir / f".{name}.stamp"
        wanted = _stamp(text)
        admin_replaced = target.exists() and not stamp_file.exists()
        current = stamp_file.read_text().strip() if stamp_file.exists() else ""
        if not admin_replaced and (current != wanted or not target.exists()):
            _synthesise(text, target)
            stamp_file.write_text(wanted + "\n")
        paths.append(target)
    return paths
