"""What the interpreter asks of the runtime (actions), how a flow ends (outcomes), what comes back (inputs).

The runtime executes one action, then feeds exactly one input back:
``Play`` -> ``Played``; ``AskDigits`` -> ``Digits`` or ``Timeout``; ``AskSpeech`` -> ``Speech``,
``Digits`` or ``Timeout``; ``Finish`` -> nothing (the run is over).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SATISFACTION_LABELS: Mapping[int, str] = {
    5: "非常满意",
    4: "满意",
    3: "基本满意",
    2: "不满意",
    1: "非常不满意",
}


@dataclass(frozen=True, slots=True)
class ToQueue:
    """Hand the call to the ACD: a person answers."""

    queue: str
    skills: tuple[str, ...] = ()
    priority: int = 0
    tags: tuple[str, ...] = ()
    preferred_agent: str | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    """Transfer the call to an outside number."""

    number: str


@dataclass(frozen=True, slots=True)
class LeaveMessage:
    """Record a message that becomes a work order; ``callback`` promises a call back."""

    callback: bool
    prompt: str | None = None
    max_seconds: int = 120
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WorkOrderStatus:
    """Look up a work order and read its status to the caller."""

    order_number: str | None
    caller: str


@dataclass(frozen=True, slots=True)
class Hangup:
    """End the call."""


@dataclass(frozen=True, slots=True)
class SurveyResult:
    """A satisfaction answer: ``score`` 5 (非常满意) … 1 (非常不满意), None when not answered."""

    score: int | None
    key: str | None = None

    @property
    def label(self) -> str | None:
        """The five-level label of the score."""
        return SATISFACTION_LABELS.get(self.score) if self.score is not None else None


Outcome = ToQueue | Transfer | LeaveMessage | WorkOrderStatus | Hangup | SurveyResult


@dataclass(frozen=True, slots=True)
class Play:
    """Play a prompt; digits in ``interruptible_digits`` stop it and are reported back."""

    prompt: str
    interruptible_digits: str = ""


@dataclass(frozen=True, slots=True)
class AskDigits:
    """Play a prompt and collect up to ``max_digits`` DTMF digits."""

    prompt: str
    max_digits: int
    timeout_s: float
    terminator: str | None = None


@dataclass(frozen=True, slots=True)
class AskSpeech:
    """Play a prompt and listen; a heard keyword maps to its choice key. DTMF in ``digits`` also counts."""

    prompt: str
    keywords: Mapping[str, tuple[str, ...]] = field(hash=False)
    timeout_s: float
    digits: str = ""


@dataclass(frozen=True, slots=True)
class Finish:
    """The run is over."""

    outcome: Outcome


Action = Play | AskDigits | AskSpeech | Finish


@dataclass(frozen=True, slots=True)
class Played:
    """A prompt finished, or was cut short by ``digit``."""

    digit: str | None = None


@dataclass(frozen=True, slots=True)
class Digits:
    """Digits the caller entered (without the terminator is fine; it is stripped)."""

    digits: str


@dataclass(frozen=True, slots=True)
class Timeout:
    """The caller said and pressed nothing."""


@dataclass(frozen=True, slots=True)
class Speech:
    """What the recogniser heard: a choice key, or None when nothing matched a keyword."""

    choice: str | None


Input = Played | Digits | Timeout | Speech


@dataclass(frozen=True, slots=True)
class PathStep:
    """One node visited by a run, with the inputs (or branch) taken there."""

    flow_id: str
    node_id: str
    inputs: tuple[str, ...] = ()
