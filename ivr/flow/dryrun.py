"""Dry runs: drive the real interpreter with a scripted caller, for admins and tests.

The script is a list of keys. Each ``AskDigits`` or ``AskSpeech`` takes the next key (``"say:<choice>"``
is a recognised keyword, ``"say:"`` speech that matched nothing); a single key that may interrupt a
``Play`` cuts it short. When the keys run out the caller is silent.

``seconds_to_outcome`` turns a dry run into the time the caller spends in the IVR, from prompt lengths
and question timeouts: for a silent caller, the time from answer to a person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ivr.flow.actions import (
    Action,
    AskDigits,
    AskSpeech,
    Digits,
    Finish,
    Input,
    Outcome,
    PathStep,
    Play,
    Played,
    Speech,
    SurveyResult,
    Timeout,
)
from ivr.flow.calendar import ChineseCalendar, default_calendar
from ivr.flow.context import SHANGHAI, CallContext, CallerAttributes
from ivr.flow.errors import FlowRunError
from ivr.flow.interpreter import FlowRun
from ivr.flow.model import Flow

SAY = "say:"


@dataclass(frozen=True, slots=True)
class DryRunResult:
    """Where a scripted call went: nodes with inputs, the outcome, tags, variables and every action."""

    path: tuple[PathStep, ...]
    outcome: Outcome
    tags: tuple[str, ...]
    variables: Mapping[str, str] = field(default_factory=dict)
    actions: tuple[Action, ...] = ()
    survey: SurveyResult | None = None
    unused_keys: tuple[str, ...] = ()
    inputs: tuple[Input, ...] = ()
    """What the caller gave back to each action but the last (``actions[i]`` got ``inputs[i]``)."""

    @property
    def node_ids(self) -> list[str]:
        """The visited node ids, in order."""
        return [step.node_id for step in self.path]


def _next_input(action: Action, keys: list[str]) -> Input:
    if isinstance(action, Play):
        if keys and len(keys[0]) == 1 and keys[0] in action.interruptible_digits:
            return Played(keys.pop(0))
        return Played(None)
    if not keys:
        return Timeout()
    key = keys.pop(0)
    if key.startswith(SAY):
        if isinstance(action, AskSpeech):
            return Speech(key[len(SAY) :] or None)
        return Timeout()
    return Digits(key)


def dry_run(
    flow: Flow,
    flows: Mapping[str, Flow] | None = None,
    *,
    caller: str,
    at: datetime,
    keys: Sequence[str],
    attributes: CallerAttributes | None = None,
    calendar: ChineseCalendar | None = None,
    flags: Mapping[str, bool] | None = None,
    speech_available: bool = False,
    max_actions: int = 500,
) -> DryRunResult:
    """Run ``flow`` for a caller at ``at`` (naive means Asia/Shanghai) pressing ``keys``."""
    context = CallContext(
        caller=caller,
        now=at if at.tzinfo else at.replace(tzinfo=SHANGHAI),
        calendar=calendar or default_calendar(),
        attributes=attributes or CallerAttributes(),
        flags=dict(flags or {}),
        speech_available=speech_available,
    )
    run = FlowRun(flow, flows, context)
    remaining = list(keys)
    actions = [run.start()]
    inputs: list[Input] = []
    while not isinstance(actions[-1], Finish):
        if len(actions) >= max_actions:
            raise FlowRunError("dry_run_limit", f"no Finish after {max_actions} actions", {"path": run.path})
        assert isinstance(actions[-1], Play | AskDigits | AskSpeech)
        inputs.append(_next_input(actions[-1], remaining))
        actions.append(run.feed(inputs[-1]))
    return DryRunResult(
        path=tuple(run.path),
        outcome=actions[-1].outcome,
        tags=tuple(run.tags),
        variables=dict(run.variables),
        actions=tuple(actions),
        survey=run.survey_result,
        unused_keys=tuple(remaining),
        inputs=tuple(inputs),
    )


def seconds_to_outcome(result: DryRunResult, prompt_seconds: Mapping[str, float]) -> float:
    """Seconds from answer to the outcome: every prompt played to its end, every silence a full timeout.

    For a silent caller this is the time to the queue (plus the IVR's own processing, and less where
    the runtime caps question timeouts or a speech question stops listening early). An answer is counted
    as given the moment its prompt ends. Prompts the outcome plays itself (a work-order status, the
    message prompt) are not counted. ``prompt_seconds`` maps each prompt id to its length.
    """
    total = 0.0
    for action, answer in zip(result.actions, result.inputs, strict=False):
        if not isinstance(action, Play | AskDigits | AskSpeech):
            continue
        if action.prompt not in prompt_seconds:
            msg = f"the length of prompt {action.prompt!r} is not known"
            raise FlowRunError("unknown_prompt_length", msg, {"prompt": action.prompt})
        total += prompt_seconds[action.prompt]
        if isinstance(action, AskDigits | AskSpeech) and isinstance(answer, Timeout):
            total += action.timeout_s
    return total
