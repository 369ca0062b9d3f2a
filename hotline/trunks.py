"""Carrier trunks and dialled numbers (lines) as data: a YAML file checked whole before anything runs.

The shipped example is ``asterisk_conf/trunks.yaml``; a centre names its own with ``HOTLINE_TRUNKS_FILE``.
A trunk is a carrier's SIP interconnect: the addresses it sends from, the codecs it speaks, RFC 4733
DTMF, the most calls it may have up at once (enforced by the Kamailio front over all nodes, and by each
node for a carrier reaching it directly) and the
dialplan context its calls land in. A line is a dialled number (12345 or an old hotline number merged
into it): its name, the label an agent sees in the screen-pop, and where it lands: the IVR flow (at
its start, or at a node of the main flow such as a department's menu: ``ivr.lines``) or straight into a
queue. Problems raise :class:`TrunksConfigError` naming the file and the YAML line.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline.yaml_lines import yaml_line

__all__ = [
    "DEFAULT_TRUNKS_PATH",
    "Line",
    "Trunk",
    "TrunkPlan",
    "TrunksConfigError",
    "TrunksSettings",
    "load_trunks",
    "load_trunks_file",
    "trunk_plan",
]

DEFAULT_TRUNKS_PATH = Path(__file__).resolve().parent.parent / "asterisk_conf" / "trunks.yaml"
TRUNK_HEADER = "X-Hotline-Trunk"

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Number = Annotated[str, StringConstraints(pattern=r"^[0-9]{3,20}$")]
Queue = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
FlowEntry = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")]
Context = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")]
# Shown in the screen-pop and carried in a UserEvent header: no separators or dialplan syntax.
Label = Annotated[str, StringConstraints(pattern=r"^[^,;\"'$\[\]{}()\\\r\n]{1,40}$")]


class TrunksConfigError(ValueError):
    """The trunks file is unreadable or wrong; ``details`` says where."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.details: dict[str, object] = details


class _Trunk(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    addresses: list[str] = Field(min_length=1)
    codecs: list[Literal["alaw", "ulaw", "g722", "g729", "opus", "gsm"]] = Field(min_length=1)
    dtmf: Literal["rfc4733"] = "rfc4733"
    max_calls: int = Field(ge=1, le=100000)
    context: Context = "hotline-inbound"

    @model_validator(mode="after")
    def _networks(self) -> _Trunk:
        for address in self.addresses:
            try:
                ipaddress.ip_network(address, strict=True)
            except ValueError as exc:
                raise ValueError(f"address {address!r} is not an IP address or network: {exc}") from None
        return self


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Number
    name: Name
    label: Label
    flow: FlowEntry | None = None
    queue: Queue | None = None

    @model_validator(mode="after")
    def _one_target(self) -> _Line:
        if (self.flow is None) == (self.queue is None):
            raise ValueError("a line lands on exactly one of flow or queue")
        return self


class _TrunksFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[1]
    trunks: list[_Trunk] = Field(default_factory=list)
    lines: list[_Line] = Field(min_length=1)


@dataclass(frozen=True)
class Trunk:
    """One carrier trunk."""

    name: str
    addresses: tuple[str, ...]
    codecs: tuple[str, ...]
    max_calls: int
    context: str = "hotline-inbound"
    dtmf: str = "rfc4733"

    @property
    def endpoint(self) -> str:
        """The Asterisk endpoint (and identify) name of the trunk."""
        return f"trunk-{self.name}"


@dataclass(frozen=True)
class Line:
    """One dialled number: ``flow`` (the IVR, from ``start`` or from that node of the main flow) or
    ``queue`` (straight to that queue, no menus)."""

    number: str
    name: str
    label: str
    flow: str | None = None
    queue: str | None = None


@dataclass(frozen=True)
class TrunkPlan:
    """Every trunk and line of a centre."""

    trunks: tuple[Trunk, ...]
    lines: tuple[Line, ...]

    def check_queues(self, known: set[str], *, source: str = "<lines>") -> None:
        """Raise if a line names a queue that is not in ``known`` (the ACD's configured queues)."""
        for line in self.lines:
            if line.queue is not None and line.queue not in known:
                raise TrunksConfigError(
                    f"{source}: line {line.number} names unknown queue {line.queue!r}",
                    source=source,
                    line_number=line.number,
                )


class TrunksSettings(BaseSettings):
    """``HOTLINE_TRUNKS_FILE``: the centre's trunks and lines (the shipped example without it)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    trunks_file: Path | None = None


def load_trunks(text: str, *, source: str = "<text>") -> TrunkPlan:
    """Parse and check a trunks file's text; raises TrunksConfigError on any problem."""
    raw = _parse(text, source)
    try:
        parsed = _TrunksFile.model_validate(raw)
    except ValidationError as exc:
        raise _schema_error(exc, text, source) from exc
    plan = TrunkPlan(
        trunks=tuple(
            Trunk(t.name, tuple(t.addresses), tuple(t.codecs), t.max_calls, t.context, t.dtmf)
            for t in parsed.trunks
        ),
        lines=tuple(Line(ln.number, ln.name, ln.label, ln.flow, ln.queue) for ln in parsed.lines),
    )
    _check_unique(plan, source)
    return plan


def load_trunks_file(path: Path | str | None = None) -> TrunkPlan:
    """Read the trunks file at ``path`` (the shipped example when None)."""
    source = Path(path) if path is not None else DEFAULT_TRUNKS_PATH
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise TrunksConfigError(
            f"cannot read trunks file {source}: {exc.strerror}", source=str(source)
        ) from exc
    return load_trunks(text, source=str(source))


def trunk_plan(settings: TrunksSettings | None = None) -> TrunkPlan:
    """The plan ``HOTLINE_TRUNKS_FILE`` names (or the shipped example)."""
    return load_trunks_file((settings or TrunksSettings()).trunks_file)


def _parse(text: str, source: str) -> Any:
    try:
        raw = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise TrunksConfigError(
            f"{source}: YAML syntax error at line {line}: {exc.problem or exc}", source=source, line=line
        ) from exc
    except yaml.YAMLError as exc:
        raise TrunksConfigError(f"{source}: YAML error: {exc}", source=source) from exc
    if not isinstance(raw, dict):
        raise TrunksConfigError(f"{source}: the trunks file must be a mapping", source=source)
    return raw


def _schema_error(exc: ValidationError, text: str, source: str) -> TrunksConfigError:
    problems = [
        {
            "loc": ".".join(str(p) for p in err["loc"]),
            "message": err["msg"],
            "line": yaml_line(text, err["loc"]),
        }
        for err in exc.errors()
    ]
    shown = "; ".join(
        f"{p['loc']}: {p['message']}" + (f" (line {p['line']})" if p["line"] else "") for p in problems[:5]
    )
    more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
    return TrunksConfigError(f"{source}: {shown}{more}", source=source, errors=problems)


def _check_unique(plan: TrunkPlan, source: str) -> None:
    for kind, values in (
        ("trunk", [t.name for t in plan.trunks]),
        ("line number", [ln.number for ln in plan.lines]),
        ("line name", [ln.name for ln in plan.lines]),
    ):
        seen: set[str] = set()
        for value in values:
            if value in seen:
                raise TrunksConfigError(
                    f"{source}: {kind} {value!r} appears twice", source=source, value=value
                )
            seen.add(value)
    owners: dict[ipaddress.IPv4Network | ipaddress.IPv6Network, str] = {}
    for trunk in plan.trunks:
        for address in trunk.addresses:
            net = ipaddress.ip_network(address)
            for other, name in owners.items():
                if net.version == other.version and net.overlaps(other):
                    raise TrunksConfigError(
                        f"{source}: trunks {name!r} and {trunk.name!r} share addresses ({other}, {net})",
                        source=source,
                    )
            owners[net] = trunk.name
