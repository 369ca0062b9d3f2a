"""The versioned flow document, its JSON Schema, and loading from YAML or JSON text.

Loading checks structure only (types, fields, formats); graph problems such as an unknown target or a
menu without a way to a person are reported by ``validate_flow`` as a list of issues, so an admin sees
all of them at once.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ivr.flow.nodes import FlowId, Node, NodeId, PromptId, QueueId
from ivr.flow.predicates import TimeRange, VarName

SCHEMA_VERSION = 1


def _prompts_as_mapping(value: Any) -> Any:
    if isinstance(value, list):
        return {str(p): "" for p in value}
    return value


class Flow(BaseModel):
    """An admin-editable call flow.

    ``prompts`` maps every prompt id the flow plays to its default text (empty when the recording is
    supplied by hand), so prompts can be generated. ``flags`` are admin switches with their defaults
    (emergency announcement, surge seats). ``fallback_queue`` is where a call goes when the flow cannot
    go on; ``max_inputs`` bounds the caller inputs of one run before that happens.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: FlowId
    name: str = Field(min_length=1)
    schema_version: Literal[1]
    start: NodeId
    max_menu_depth: int = Field(default=2, ge=1, le=5)
    prompts: Annotated[dict[PromptId, str], BeforeValidator(_prompts_as_mapping)] = Field(
        default_factory=dict
    )
    flags: dict[VarName, bool] = Field(default_factory=dict)
    working_hours: list[TimeRange] = Field(default_factory=list)
    fallback_queue: QueueId = "general"
    max_inputs: int = Field(default=20, ge=1, le=200)
    post_call_survey: NodeId | None = None
    nodes: dict[NodeId, Node] = Field(min_length=1)


def flow_json_schema() -> dict[str, Any]:
    """The JSON Schema of a flow document (draft 2020-12, as pydantic emits it)."""
    schema = Flow.model_json_schema(by_alias=True)
    schema["$id"] = f"https://hotline.invalid/schemas/flow-v{SCHEMA_VERSION}.json"
    return schema
