"""Node types of a call flow, a union discriminated on ``type``.

Every node lists its outgoing edges (``targets``) and the prompts it plays (``prompt_ids``), so the
validator and the interpreter never need to know field names. Terminal nodes end the flow: they hand the
call to the ACD (``queue``), to another number (``transfer``), to a recorded message that becomes a work
order (``leave_message``), to a status read-out (``work_order_status``), hang up, or ``return`` from a
subflow to the node after the ``subflow`` node that called it.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ivr.flow.predicates import Test, VarName

NodeId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")]
FlowId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")]
PromptId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,127}$")]
QueueId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Digit = Annotated[str, StringConstraints(pattern=r"^[0-9*#]$")]
DigitSet = Annotated[str, StringConstraints(pattern=r"^[0-9*#]*$")]

DEFAULT_SURVEY_KEYS: dict[str, int] = {"1": 5, "2": 4, "3": 3, "4": 2, "5": 1}


class NodeBase(BaseModel):
    """Fields and helpers shared by every node."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True)
    terminal: ClassVar[bool] = False

    label: str = ""

    def targets(self) -> list[tuple[str, str]]:
        """Outgoing edges as ``(field, node id)`` pairs."""
        return []

    def prompt_ids(self) -> list[str]:
        """Prompt ids this node plays."""
        return []


class PlayNode(NodeBase):
    """Play a prompt, then go on; a digit in ``interruptible_digits`` cuts it short and types ahead."""

    type: Literal["play"]
    prompt: PromptId
    next: NodeId
    interruptible_digits: DigitSet = ""

    def targets(self) -> list[tuple[str, str]]:
        return [("next", self.next)]

    def prompt_ids(self) -> list[str]:
        return [self.prompt]


class _MenuFields(NodeBase):
    """Fields of both menu types.

    ``retries`` bounds the re-asks of a menu over all misses; ``silence_retries`` (default: the same as
    ``retries``) bounds those after silence alone, so a long menu can send a silent caller to a person
    at once while a wrong key is still re-asked.
    """

    prompt: PromptId
    options: dict[Digit, NodeId] = Field(min_length=1)
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    retries: int = Field(default=1, ge=0, le=5)
    silence_retries: int | None = Field(default=None, ge=0, le=5)
    invalid_prompt: PromptId | None = None
    on_timeout: NodeId
    on_invalid: NodeId

    @model_validator(mode="after")
    def _check_silence_retries(self) -> _MenuFields:
        if self.silence_retries is not None and self.silence_retries > self.retries:
            raise ValueError(
                f"silence_retries {self.silence_retries} is greater than retries {self.retries}, "
                "which bounds every re-ask"
            )
        return self

    @property
    def silence_limit(self) -> int:
        """How many times silence is re-asked before ``on_timeout``."""
        return self.retries if self.silence_retries is None else self.silence_retries

    def targets(self) -> list[tuple[str, str]]:
        out = [(f"options.{k}", v) for k, v in self.options.items()]
        return [*out, ("on_timeout", self.on_timeout), ("on_invalid", self.on_invalid)]

    def prompt_ids(self) -> list[str]:
        return [self.prompt] + ([self.invalid_prompt] if self.invalid_prompt else [])


class MenuNode(_MenuFields):
    """A DTMF menu; silence, once re-asked ``silence_limit`` times, goes to ``on_timeout`` (a person)."""

    type: Literal["menu"]


class SpeechMenuNode(_MenuFields):
    """A menu answered by voice or DTMF; a spoken keyword selects the option with the same key."""

    type: Literal["speech_menu"]
    keywords: dict[Digit, list[Annotated[str, StringConstraints(min_length=1)]]] = Field(min_length=1)


class CollectDigitsNode(NodeBase):
    """Collect a number (e.g. a work-order number) into ``variable``."""

    type: Literal["collect_digits"]
    prompt: PromptId
    min_digits: int = Field(default=1, ge=1, le=32)
    max_digits: int = Field(default=20, ge=1, le=32)
    terminator: Literal["#", "*"] | None = "#"
    variable: VarName
    timeout_s: float = Field(default=10.0, gt=0, le=60)
    retries: int = Field(default=1, ge=0, le=5)
    invalid_prompt: PromptId | None = None
    next: NodeId
    on_invalid: NodeId

    @model_validator(mode="after")
    def _check_lengths(self) -> CollectDigitsNode:
        if self.min_digits > self.max_digits:
            raise ValueError(f"min_digits {self.min_digits} is greater than max_digits {self.max_digits}")
        return self

    def targets(self) -> list[tuple[str, str]]:
        return [("next", self.next), ("on_invalid", self.on_invalid)]

    def prompt_ids(self) -> list[str]:
        return [self.prompt] + ([self.invalid_prompt] if self.invalid_prompt else [])


class ConditionNode(NodeBase):
    """Branch on a test: ``then`` when true, ``else`` when false."""

    type: Literal["condition"]
    test: Test
    then: NodeId
    else_: NodeId = Field(alias="else")

    def targets(self) -> list[tuple[str, str]]:
        return [("then", self.then), ("else", self.else_)]


class SetTagsNode(NodeBase):
    """Add tags to the call (carried to the queue or the work order)."""

    type: Literal["set_tags"]
    tags: list[Tag] = Field(min_length=1)
    next: NodeId

    def targets(self) -> list[tuple[str, str]]:
        return [("next", self.next)]


class QueueNode(NodeBase):
    """Hand the call to the ACD (a person). Terminal."""

    terminal: ClassVar[bool] = True
    type: Literal["queue"]
    queue: QueueId
    skills: list[Tag] = Field(default_factory=list)
    priority: int = Field(default=0, ge=0, le=100)
    tags: list[Tag] = Field(default_factory=list)
    prefer_previous_agent: bool = False


class TransferNode(NodeBase):
    """Transfer to an outside number (a sub-centre, 110 linkage). Terminal."""

    terminal: ClassVar[bool] = True
    type: Literal["transfer"]
    number: Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{3,20}$")]


class LeaveMessageNode(NodeBase):
    """Record a message that becomes a work order, optionally promising a callback. Terminal."""

    terminal: ClassVar[bool] = True
    type: Literal["leave_message"]
    prompt: PromptId | None = None
    callback: bool = True
    max_seconds: int = Field(default=120, ge=10, le=600)
    tags: list[Tag] = Field(default_factory=list)

    def prompt_ids(self) -> list[str]:
        return [self.prompt] if self.prompt else []


class WorkOrderStatusNode(NodeBase):
    """Look up and read out a work order's status. Terminal.

    The order number comes from a variable filled by ``collect_digits`` or, with ``use_open_order``,
    from the caller's most recent open work order.
    """

    terminal: ClassVar[bool] = True
    type: Literal["work_order_status"]
    variable: VarName | None = None
    use_open_order: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> WorkOrderStatusNode:
        if (self.variable is None) == (not self.use_open_order):
            raise ValueError("set exactly one of 'variable' and 'use_open_order: true'")
        return self


class SurveyNode(NodeBase):
    """Five-level satisfaction survey; ``keys`` map DTMF to a score (5 非常满意 … 1 非常不满意)."""

    type: Literal["survey"]
    prompt: PromptId
    invalid_prompt: PromptId | None = None
    timeout_s: float = Field(default=8.0, gt=0, le=60)
    retries: int = Field(default=1, ge=0, le=5)
    keys: dict[Digit, Annotated[int, Field(ge=1, le=5)]] = Field(
        default_factory=lambda: dict(DEFAULT_SURVEY_KEYS), min_length=1
    )
    next: NodeId | None = None

    def targets(self) -> list[tuple[str, str]]:
        return [("next", self.next)] if self.next else []

    def prompt_ids(self) -> list[str]:
        return [self.prompt] + ([self.invalid_prompt] if self.invalid_prompt else [])


class HangupNode(NodeBase):
    """End the call. Terminal."""

    terminal: ClassVar[bool] = True
    type: Literal["hangup"]


class SubflowNode(NodeBase):
    """Run another flow from its start; its ``return`` node continues here at ``next``."""

    type: Literal["subflow"]
    flow: FlowId
    next: NodeId

    def targets(self) -> list[tuple[str, str]]:
        return [("next", self.next)]


class ReturnNode(NodeBase):
    """Leave a subflow and continue in the calling flow. Terminal within its own flow."""

    terminal: ClassVar[bool] = True
    type: Literal["return"]


Node = Annotated[
    PlayNode
    | MenuNode
    | SpeechMenuNode
    | CollectDigitsNode
    | ConditionNode
    | SetTagsNode
    | QueueNode
    | TransferNode
    | LeaveMessageNode
    | WorkOrderStatusNode
    | SurveyNode
    | HangupNode
    | SubflowNode
    | ReturnNode,
    Field(discriminator="type"),
]
AnyMenu = MenuNode | SpeechMenuNode
