"""Queue configuration as one canonical document: what every stored version holds and diffs compare.

A version is the YAML of ``acd/queues.yaml``'s schema with every value written out (wrap-up, strategy,
levels, the four threshold bands), keys in a fixed order, so two versions differ only where the
configuration does. Whatever an admin sends (the page's JSON or YAML text) is checked whole by
:func:`acd.queue_config.load_queues` (shape, routing rules, strategy names; InvalidConfig) and then
written out again from the checked configuration.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml

from acd.model import QueueConfig
from acd.queue_config import SCHEMA_VERSION, load_queues
from acd.thresholds import Band, QueueThresholds

FIGURES = ("waiting", "longest_wait_s", "service_level", "abandon_rate")


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _band(band: Band) -> dict[str, float | int]:
    return {"amber": _num(band.amber), "red": _num(band.red)}


def _thresholds(thresholds: QueueThresholds) -> dict[str, Any]:
    return {figure: _band(getattr(thresholds, figure)) for figure in FIGURES}


def queue_entry(queue: QueueConfig) -> dict[str, Any]:
    """One queue with every value written out, in the file's key order."""
    entry: dict[str, Any] = {
        "name": queue.name,
        "skill": queue.skill,
        "strategy": queue.strategy,
        "min_level": queue.min_level,
        "wrapup_seconds": _num(queue.wrapup_seconds),
        "overflow": [
            {"after_s": _num(s.after_s), "skills": list(s.skills), "min_level": s.min_level}
            for s in queue.overflow
        ],
    }
    if queue.max_wait is not None:
        exit_ = queue.max_wait
        entry["max_wait"] = {"after_s": _num(exit_.after_s), "kind": exit_.kind, "target": exit_.target}
    entry["surge_skills"] = list(queue.surge_skills)
    entry["thresholds"] = _thresholds(queue.thresholds)
    return entry


def document_of(queues: Sequence[QueueConfig]) -> str:
    """The canonical YAML text of ``queues``."""
    doc = {"schema_version": SCHEMA_VERSION, "queues": [queue_entry(q) for q in queues]}
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, default_flow_style=False)


def parse_document(text: str, *, default_wrapup_s: float, source: str) -> list[QueueConfig]:
    """The queues of a YAML text (a version, a file, an admin's text); InvalidConfig on any problem."""
    return load_queues(text, default_wrapup_s=default_wrapup_s, source=source)


def text_of_queues(queues: Sequence[Any]) -> str:
    """A queues list sent as JSON, as YAML text for :func:`parse_document` (JSON is YAML)."""
    return json.dumps({"schema_version": SCHEMA_VERSION, "queues": list(queues)}, ensure_ascii=False)


def canonical(text: str, *, default_wrapup_s: float, source: str) -> tuple[str, list[QueueConfig]]:
    """Check ``text`` whole and return its canonical document with the parsed queues."""
    queues = parse_document(text, default_wrapup_s=default_wrapup_s, source=source)
    return document_of(queues), queues
