"""Queue configuration as data: a YAML file of queues, their overflow steps and maximum-wait exits.

The shipped centre reads ``acd/queues.yaml``. A file is checked whole before anything runs: its
shape (unknown keys, wrong types, a malformed step) is reported with the YAML line of the field, then
the routing rules (acd.overflow: increasing overflow waits, exit targets that exist) and strategy
names are checked. Every problem raises :class:`~acd.errors.InvalidConfig` naming the source.
``wrapup_seconds`` left out of a queue takes the centre's default; a figure left out of a queue's
``thresholds`` takes the default of :class:`~acd.thresholds.QueueThresholds`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from acd.errors import AcdError, InvalidConfig
from acd.model import MaxWait, OverflowStep, QueueConfig
from acd.overflow import Routing
from acd.strategies import make_strategy
from acd.thresholds import DIRECTIONS, Band, QueueThresholds, band_problem
from hotline.yaml_lines import yaml_line

DEFAULT_QUEUES_PATH = Path(__file__).resolve().parent / "queues.yaml"
SCHEMA_VERSION = 1

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after_s: float = Field(gt=0)
    skills: list[Name] = Field(default_factory=list)
    min_level: int = Field(default=1, ge=1)


class _MaxWait(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after_s: float = Field(gt=0)
    kind: Literal["queue", "voicemail", "callback"]
    target: str = ""


class _Band(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amber: float = Field(ge=0)
    red: float = Field(ge=0)


class _Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    waiting: _Band | None = None
    longest_wait_s: _Band | None = None
    service_level: _Band | None = None
    abandon_rate: _Band | None = None

    @model_validator(mode="after")
    def _bands_fit(self) -> _Thresholds:
        for figure in DIRECTIONS:
            band = getattr(self, figure)
            problem = None if band is None else band_problem(figure, Band(band.amber, band.red))
            if problem is not None:
                raise ValueError(f"{figure}: {problem}")
        return self

    def to_thresholds(self) -> QueueThresholds:
        defaults = QueueThresholds()
        given = {figure: getattr(self, figure) for figure in DIRECTIONS}
        return QueueThresholds(
            **{f: getattr(defaults, f) if b is None else Band(b.amber, b.red) for f, b in given.items()}
        )


class _Queue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    skill: Name
    strategy: str = "longest_idle"
    min_level: int = Field(default=1, ge=1)
    wrapup_seconds: float | None = Field(default=None, ge=0)
    overflow: list[_Step] = Field(default_factory=list)
    max_wait: _MaxWait | None = None
    surge_skills: list[Name] = Field(default_factory=list)
    thresholds: _Thresholds = Field(default_factory=_Thresholds)


class _QueuesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[1]
    queues: list[_Queue] = Field(min_length=1)


def load_queues(text: str, *, default_wrapup_s: float, source: str = "<text>") -> list[QueueConfig]:
    """Parse and check queue configuration YAML; raises InvalidConfig on any problem."""
    raw = _parse(text, source)
    try:
        parsed = _QueuesFile.model_validate(raw)
    except ValidationError as exc:
        raise _schema_error(exc, text, source) from exc
    queues = [_to_config(q, default_wrapup_s) for q in parsed.queues]
    _check(queues, source)
    return queues


def load_queues_file(path: Path | str, *, default_wrapup_s: float) -> list[QueueConfig]:
    """Read queue configuration from a YAML file."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidConfig(
            f"cannot read queue configuration {source}: {exc.strerror}", source=str(source)
        ) from exc
    return load_queues(text, default_wrapup_s=default_wrapup_s, source=str(source))


def default_queue_configs(*, default_wrapup_s: float) -> list[QueueConfig]:
    """The shipped queues of the 12345 centre (``acd/queues.yaml``)."""
    return load_queues_file(DEFAULT_QUEUES_PATH, default_wrapup_s=default_wrapup_s)


def _parse(text: str, source: str) -> Any:
    try:
        raw = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InvalidConfig(
            f"{source}: YAML syntax error at line {line}: {exc.problem or exc}", source=source, line=line
        ) from exc
    except yaml.YAMLError as exc:
        raise InvalidConfig(f"{source}: YAML error: {exc}", source=source) from exc
    if not isinstance(raw, dict):
        raise InvalidConfig(f"{source}: queue configuration must be a mapping", source=source)
    return raw


def _schema_error(exc: ValidationError, text: str, source: str) -> InvalidConfig:
    problems = []
    for err in exc.errors():
        line = yaml_line(text, err["loc"])
        problems.append({"loc": ".".join(str(p) for p in err["loc"]), "message": err["msg"], "line": line})
    shown = "; ".join(
        f"{p['loc']}: {p['message']}" + (f" (line {p['line']})" if p["line"] else "") for p in problems[:5]
    )
    more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
    return InvalidConfig(f"{source}: {shown}{more}", source=source, errors=problems)


def _to_config(queue: _Queue, default_wrapup_s: float) -> QueueConfig:
    exit_ = queue.max_wait
    return QueueConfig(
        name=queue.name,
        skill=queue.skill,
        wrapup_seconds=default_wrapup_s if queue.wrapup_seconds is None else queue.wrapup_seconds,
        strategy=queue.strategy,
        min_level=queue.min_level,
        overflow=tuple(OverflowStep(s.after_s, tuple(s.skills), s.min_level) for s in queue.overflow),
        max_wait=None if exit_ is None else MaxWait(exit_.after_s, exit_.kind, exit_.target),
        surge_skills=tuple(queue.surge_skills),
        thresholds=queue.thresholds.to_thresholds(),
    )


def _check(queues: list[QueueConfig], source: str) -> None:
    seen: set[str] = set()
    for queue in queues:
        if queue.name in seen:
            raise InvalidConfig(
                f"{source}: queue {queue.name!r} appears twice", source=source, queue=queue.name
            )
        seen.add(queue.name)
    try:
        Routing(queues)
        for queue in queues:
            make_strategy(queue.strategy)
    except AcdError as exc:
        raise InvalidConfig(f"{source}: {exc}", source=source, **exc.details) from exc
