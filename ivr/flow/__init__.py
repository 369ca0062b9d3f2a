"""Admin-editable IVR call flows: model, loading, validation, a pure interpreter, dry runs, calendar.

Nothing here does I/O beyond reading flow and calendar files; the FastAGI runtime executes the
interpreter's actions and feeds the caller's inputs back.
"""

from ivr.flow.actions import (
    SATISFACTION_LABELS,
    Action,
    AskDigits,
    AskSpeech,
    Digits,
    Finish,
    Hangup,
    Input,
    LeaveMessage,
    Outcome,
    PathStep,
    Play,
    Played,
    Speech,
    SurveyResult,
    Timeout,
    ToQueue,
    Transfer,
    WorkOrderStatus,
)
from ivr.flow.calendar import ChineseCalendar, default_calendar
from ivr.flow.context import SHANGHAI, CallContext, CallerAttributes, OpenWorkOrder
from ivr.flow.dryrun import DryRunResult, dry_run
from ivr.flow.errors import FlowError, FlowRunError
from ivr.flow.interpreter import FlowRun, Wait
from ivr.flow.loader import default_pack, dump_flow, load_flow, load_flow_file, load_flow_pack
from ivr.flow.model import SCHEMA_VERSION, Flow, flow_json_schema
from ivr.flow.nodes import Node, SurveyNode
from ivr.flow.survey import SurveyRun
from ivr.flow.validate import FlowIssue, IssueCode, validate_flow

__all__ = [
    "SATISFACTION_LABELS",
    "SCHEMA_VERSION",
    "SHANGHAI",
    "Action",
    "AskDigits",
    "AskSpeech",
    "CallContext",
    "CallerAttributes",
    "ChineseCalendar",
    "Digits",
    "DryRunResult",
    "Finish",
    "Flow",
    "FlowError",
    "FlowIssue",
    "FlowRun",
    "FlowRunError",
    "Hangup",
    "Input",
    "IssueCode",
    "LeaveMessage",
    "Node",
    "OpenWorkOrder",
    "Outcome",
    "PathStep",
    "Play",
    "Played",
    "Speech",
    "SurveyNode",
    "SurveyResult",
    "SurveyRun",
    "Timeout",
    "ToQueue",
    "Transfer",
    "Wait",
    "WorkOrderStatus",
    "default_calendar",
    "default_pack",
    "dry_run",
    "dump_flow",
    "flow_json_schema",
    "load_flow",
    "load_flow_file",
    "load_flow_pack",
    "validate_flow",
]
