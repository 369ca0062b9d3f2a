"""The flow interpreter: a pure state machine, state + input -> action (h11 style, no I/O).

Rules:
- The runtime calls ``start()`` once, executes the returned action, and feeds back exactly one input of
  the kind that action expects (table ``_ACCEPTS``); any other input raises ``FlowRunError`` and leaves
  the state unchanged. After ``Finish`` nothing more is accepted.
- Nodes that need no caller input (condition, set_tags, subflow, return) are followed at once, at most
  ``_MAX_AUTO_STEPS`` in a row.
- A menu re-asks on an invalid key or silence up to ``retries`` times in all, silence alone at most
  ``silence_retries`` times, then goes to ``on_invalid`` or ``on_timeout``. A digit that cuts a prompt
  short is typed ahead into the next menu.
- Whatever cannot go on (unknown node or flow, ``return`` from the top flow, too many inputs or steps)
  ends in the main flow's ``fallback_queue``: a person, never dead air.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from ivr.flow.actions import (
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
from ivr.flow.context import CallContext
from ivr.flow.errors import FlowRunError
from ivr.flow.model import Flow
from ivr.flow.nodes import (
    CollectDigitsNode,
    ConditionNode,
    HangupNode,
    LeaveMessageNode,
    MenuNode,
    Node,
    PlayNode,
    QueueNode,
    ReturnNode,
    SetTagsNode,
    SpeechMenuNode,
    SubflowNode,
    SurveyNode,
    TransferNode,
    WorkOrderStatusNode,
)
from ivr.flow.predicates import evaluate
from ivr.flow.survey import SurveyRun


class Wait(StrEnum):
    """What the run is waiting for."""

    IDLE = "idle"
    PLAY = "play"
    DIGITS = "digits"
    SPEECH = "speech"
    DONE = "done"


_ACCEPTS: dict[Wait, tuple[type[Any], ...]] = {
    Wait.IDLE: (),
    Wait.PLAY: (Played,),
    Wait.DIGITS: (Digits, Timeout),
    Wait.SPEECH: (Speech, Digits, Timeout),
    Wait.DONE: (),
}
_WAIT_AFTER: dict[type[Any], Wait] = {
    Play: Wait.PLAY,
    AskDigits: Wait.DIGITS,
    AskSpeech: Wait.SPEECH,
    Finish: Wait.DONE,
}
_MAX_AUTO_STEPS = 200
_MAX_SUBFLOW_DEPTH = 8

Step = str | Action
Menu = MenuNode | SpeechMenuNode


class FlowRun:
    """One call through a flow. ``path``, ``tags``, ``variables`` and ``outcome`` record what happened."""

    def __init__(self, flow: Flow, flows: Mapping[str, Flow] | None, context: CallContext) -> None:
        self._main = flow
        self._flows: dict[str, Flow] = {**(flows or {}), flow.id: flow}
        self._flow = flow
        self._ctx = context
        self._node_id = flow.start
        self._stack: list[tuple[str, str]] = []
        self._wait = Wait.IDLE
        self._misses = 0
        self._silences = 0
        self._pending: str | None = None
        self._survey: SurveyRun | None = None
        self._inputs = 0
        self.path: list[PathStep] = []
        self.tags: list[str] = []
        self.variables: dict[str, str] = {}
        self.outcome: Outcome | None = None
        self.survey_result: SurveyResult | None = None
        self.errors: list[str] = []
        self._enter_by_type: dict[type[Any], Callable[[Any], Step]] = {
            PlayNode: self._enter_play,
            MenuNode: self._enter_menu,
            SpeechMenuNode: self._enter_menu,
            CollectDigitsNode: self._enter_collect,
            ConditionNode: self._enter_condition,
            SetTagsNode: self._enter_set_tags,
            QueueNode: self._enter_queue,
            TransferNode: lambda n: Finish(Transfer(number=n.number)),
            LeaveMessageNode: self._enter_leave_message,
            WorkOrderStatusNode: self._enter_work_order_status,
            HangupNode: lambda n: Finish(Hangup()),
            SurveyNode: self._enter_survey,
            SubflowNode: self._enter_subflow,
            ReturnNode: self._enter_return,
        }

    @property
    def wait(self) -> Wait:
        """What the run expects next."""
        return self._wait

    @property
    def finished(self) -> bool:
        """Whether the run has produced its ``Finish``."""
        return self._wait is Wait.DONE

    @property
    def position(self) -> tuple[str, str]:
        """The current ``(flow id, node id)``."""
        return self._flow.id, self._node_id

    def start(self) -> Action:
        """Begin the run at the flow's start node."""
        if self._wait is not Wait.IDLE:
            raise FlowRunError("already_started", "start() was already called", {"wait": self._wait.value})
        return self._go(self._main.start)

    def feed(self, inp: Input) -> Action:
        """Feed the result of the last action; returns the next action."""
        if not isinstance(inp, _ACCEPTS[self._wait]):
            raise FlowRunError(
                "unexpected_input",
                f"{type(inp).__name__} is not expected while waiting for {self._wait.value}",
                {"wait": self._wait.value, "input": type(inp).__name__},
            )
        self._inputs += 1
        if self._inputs > self._main.max_inputs:
            return self._go(self._fallback("input_limit"))
        return self._go(self._react(self._flow.nodes[self._node_id], inp))

    def _go(self, step: Step) -> Action:
        for _ in range(_MAX_AUTO_STEPS):
            if not isinstance(step, str):
                return self._emit(step)
            node = self._flow.nodes.get(step)
            if node is None:
                step = self._fallback(f"unknown_node:{self._flow.id}:{step}")
                continue
            self._node_id, self._misses, self._silences = step, 0, 0
            self.path.append(PathStep(self._flow.id, step))
            step = self._enter_by_type[type(node)](node)
        return self._emit(self._fallback("auto_step_limit"))

    def _emit(self, action: Action) -> Action:
        self._wait = _WAIT_AFTER[type(action)]
        if isinstance(action, Finish):
            self.outcome = action.outcome
        return action

    def _note(self, label: str) -> None:
        last = self.path[-1]
        self.path[-1] = PathStep(last.flow_id, last.node_id, (*last.inputs, label))

    def _fallback(self, reason: str) -> Finish:
        self.errors.append(reason)
        tags = tuple(dict.fromkeys([*self.tags, "ivr_fallback"]))
        return Finish(ToQueue(queue=self._main.fallback_queue, tags=tags))

    def _enter_play(self, node: PlayNode) -> Step:
        self._pending = None
        return Play(prompt=node.prompt, interruptible_digits=node.interruptible_digits)

    def _enter_menu(self, node: Menu) -> Step:
        if self._pending:
            key, self._pending = self._pending, None
            return self._menu_key(node, key)
        return self._ask(node)

    def _enter_collect(self, node: CollectDigitsNode) -> Step:
        self._pending = None
        return self._ask(node)

    def _enter_condition(self, node: ConditionNode) -> Step:
        hours = self._flow.working_hours or self._main.working_hours
        result = evaluate(node.test, self._ctx, working_hours=hours, flags=self._flow.flags)
        self._note("then" if result else "else")
        return node.then if result else node.else_

    def _enter_set_tags(self, node: SetTagsNode) -> Step:
        self.tags = list(dict.fromkeys([*self.tags, *node.tags]))
        return node.next

    def _enter_queue(self, node: QueueNode) -> Step:
        orders = self._ctx.attributes.open_work_orders
        agent = orders[0].agent if node.prefer_previous_agent and orders else None
        return Finish(
            ToQueue(
                queue=node.queue,
                skills=tuple(node.skills),
                priority=node.priority,
                tags=tuple(dict.fromkeys([*self.tags, *node.tags])),
                preferred_agent=agent,
            )
        )

    def _enter_leave_message(self, node: LeaveMessageNode) -> Step:
        tags = tuple(dict.fromkeys([*self.tags, *node.tags]))
        return Finish(
            LeaveMessage(callback=node.callback, prompt=node.prompt, max_seconds=node.max_seconds, tags=tags)
        )

    def _enter_work_order_status(self, node: WorkOrderStatusNode) -> Step:
        orders = self._ctx.attributes.open_work_orders
        if node.variable is not None:
            number = self.variables.get(node.variable)
        else:
            number = orders[0].number if orders else None
        return Finish(WorkOrderStatus(order_number=number, caller=self._ctx.caller))

    def _enter_survey(self, node: SurveyNode) -> Step:
        self._pending = None
        self._survey = SurveyRun(node)
        return self._survey.start()

    def _enter_subflow(self, node: SubflowNode) -> Step:
        sub = self._flows.get(node.flow)
        if sub is None:
            return self._fallback(f"unknown_flow:{node.flow}")
        if len(self._stack) >= _MAX_SUBFLOW_DEPTH:
            return self._fallback("subflow_depth")
        self._stack.append((self._flow.id, node.next))
        self._flow = sub
        return sub.start

    def _enter_return(self, node: ReturnNode) -> Step:
        if not self._stack:
            return self._fallback("return_from_main_flow")
        flow_id, next_id = self._stack.pop()
        self._flow = self._flows[flow_id]
        return next_id

    def _ask(self, node: Menu | CollectDigitsNode) -> Action:
        if isinstance(node, CollectDigitsNode):
            return AskDigits(node.prompt, node.max_digits, node.timeout_s, node.terminator)
        if isinstance(node, SpeechMenuNode) and self._ctx.speech_available:
            keywords = {k: tuple(v) for k, v in node.keywords.items()}
            return AskSpeech(node.prompt, keywords, node.timeout_s, "".join(node.options))
        return AskDigits(node.prompt, 1, node.timeout_s, None)

    def _react(self, node: Node, inp: Input) -> Step:
        if isinstance(inp, Played):
            return self._after_play(node, inp.digit)
        if isinstance(node, SurveyNode) and isinstance(inp, Digits | Timeout):
            return self._survey_input(node, inp)
        if isinstance(node, CollectDigitsNode):
            digits = inp.digits if isinstance(inp, Digits) else ""
            return self._collect_input(node, digits)
        if isinstance(node, MenuNode | SpeechMenuNode):
            return self._menu_input(node, inp)
        return self._fallback(f"input_at_{node.type}")

    def _after_play(self, node: Node, digit: str | None) -> Step:
        if isinstance(node, PlayNode):
            self._pending = digit or None
            return node.next
        if digit and isinstance(node, MenuNode | SpeechMenuNode):
            return self._menu_key(node, digit)
        if isinstance(node, MenuNode | SpeechMenuNode | CollectDigitsNode):
            return self._ask(node)
        return self._fallback(f"played_at_{node.type}")

    def _menu_input(self, node: Menu, inp: Input) -> Step:
        if isinstance(inp, Speech):
            if inp.choice is not None and inp.choice in node.options:
                self._note(f"speech:{inp.choice}")
                return node.options[inp.choice]
            return self._miss(node, f"speech:{inp.choice or '?'}", node.on_invalid)
        if isinstance(inp, Digits) and inp.digits:
            return self._menu_key(node, inp.digits)
        return self._miss(node, "timeout", node.on_timeout)

    def _menu_key(self, node: Menu, key: str) -> Step:
        if key in node.options:
            self._note(key)
            return node.options[key]
        return self._miss(node, key, node.on_invalid)

    def _miss(self, node: Menu | CollectDigitsNode, label: str, target: str) -> Step:
        self._note(label)
        self._misses += 1
        used_up = self._misses > node.retries
        if label == "timeout" and isinstance(node, MenuNode | SpeechMenuNode):
            self._silences += 1
            used_up = used_up or self._silences > node.silence_limit
        if used_up:
            return target
        if node.invalid_prompt and label != "timeout":
            digits = "".join(node.options) if isinstance(node, MenuNode | SpeechMenuNode) else ""
            return Play(prompt=node.invalid_prompt, interruptible_digits=digits)
        return self._ask(node)

    def _collect_input(self, node: CollectDigitsNode, digits: str) -> Step:
        if node.terminator:
            digits = digits.rstrip(node.terminator)
        if digits.isdigit() and node.min_digits <= len(digits) <= node.max_digits:
            self._note(digits)
            self.variables[node.variable] = digits
            return node.next
        return self._miss(node, digits or "timeout", node.on_invalid)

    def _survey_input(self, node: SurveyNode, inp: Digits | Timeout) -> Step:
        if self._survey is None:
            return self._fallback("survey_not_started")
        action = self._survey.feed(inp)
        self._note(self._survey.inputs[-1])
        if isinstance(action, AskDigits):
            return action
        self.survey_result = self._survey.result
        return node.next if node.next else Finish(Hangup())
