"""The prompts of a pack as the admin console lists them: text, which flows and nodes play each, its file.

A prompt's file is ``generated`` when the centre spoke it from the flow's text (it has a stamp and is
remade when that text changes), ``admin`` when an admin supplied it (an uploaded recording, or speech
generated from a text of their own: no stamp, so publishing leaves it alone) and ``missing`` otherwise.
Generating with the flow's own text makes the prompt ``generated`` again.
"""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path
from typing import Any

from ivr import prompts
from ivr.catalog import LivePack
from ivr.revisit_route import REVISIT_PROMPTS


def _stamp_file(target: Path) -> Path:
    """The stamp ``ivr.prompts`` keeps next to a generated prompt."""
    return target.with_name(f".{target.stem}.stamp")


def file_facts(sounds_dir: Path, prompt_id: str) -> dict[str, Any]:
    """Where the prompt's audio came from, its size, SHA-256 and length (None when there is no file)."""
    target = prompts.prompt_file(sounds_dir, prompt_id)
    if not target.exists():
        return {"source": "missing", "bytes": 0, "sha256": None, "seconds": None}
    data = target.read_bytes()
    try:
        with wave.open(str(target), "rb") as audio:
            seconds: float | None = round(audio.getnframes() / audio.getframerate(), 2)
    except (OSError, EOFError, wave.Error):
        seconds = None
    return {
        "source": "generated" if _stamp_file(target).exists() else "admin",
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "seconds": seconds,
    }


def _usage(pack: LivePack) -> dict[str, list[dict[str, Any]]]:
    used: dict[str, dict[str, dict[str, Any]]] = {}
    for flow in pack.flows.values():
        for node_id, node in flow.nodes.items():
            for prompt in node.prompt_ids():
                entry = used.setdefault(prompt, {}).setdefault(
                    flow.id, {"flow": flow.id, "flow_name": flow.name, "nodes": []}
                )
                entry["nodes"].append(node_id)
    return {prompt: list(by_flow.values()) for prompt, by_flow in used.items()}


def prompt_list(pack: LivePack, sounds_dir: Path) -> list[dict[str, Any]]:
    """Every prompt of the pack (then the runtime's own), with its text, users and file."""
    usage = _usage(pack)
    listed: dict[str, dict[str, Any]] = {}
    for flow in pack.flows.values():
        for prompt, text in flow.prompts.items():
            listed.setdefault(prompt, {"id": prompt, "text": text, "runtime": False})
    for prompt, text in {**prompts.RUNTIME_PROMPTS, **REVISIT_PROMPTS}.items():
        listed.setdefault(prompt, {"id": prompt, "text": text, "runtime": True})
    return [
        {**entry, "used_by": usage.get(entry["id"], []), "file": file_facts(sounds_dir, entry["id"])}
        for entry in listed.values()
    ]


def flow_text(pack: LivePack, prompt_id: str) -> str | None:
    """The text the pack (or the runtime) gives ``prompt_id``; None when it has none."""
    for flow in pack.flows.values():
        if flow.prompts.get(prompt_id):
            return flow.prompts[prompt_id]
    return {**prompts.RUNTIME_PROMPTS, **REVISIT_PROMPTS}.get(prompt_id)


def generate(sounds_dir: Path, prompt_id: str, text: str, *, own_text: bool) -> Path:
    """Speak ``text`` into the prompt's file (replacing it atomically).

    With the flow's ``own_text`` the file becomes a regular generated prompt (stamped, so a later text
    change regenerates it); any other text is kept as the admin's, like an upload.
    """
    target = prompts.prompt_file(sounds_dir, prompt_id)
    if own_text:
        target.parent.mkdir(parents=True, exist_ok=True)
        _stamp_file(target).write_text("regenerate\n")
        prompts.ensure_prompts(sounds_dir, {prompt_id: text})
        return target
    prompts.synthesise(text, target, fragment=prompt_id in prompts.FRAGMENTS)
    _stamp_file(target).unlink(missing_ok=True)
    return target
