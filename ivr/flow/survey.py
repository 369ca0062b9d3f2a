"""The five-level satisfaction survey as a tiny interpreter, run after the agent hangs up.

Rules: ask once; a key outside the scale or silence re-asks up to ``retries`` times, then the call
ends with no score. The result is stored with the call by the runtime.
"""

from __future__ import annotations

from ivr.flow.actions import AskDigits, Digits, Finish, SurveyResult, Timeout
from ivr.flow.errors import FlowRunError
from ivr.flow.nodes import SurveyNode


class SurveyRun:
    """``start()`` -> ``AskDigits``; ``feed(Digits | Timeout)`` -> ``AskDigits`` or ``Finish(SurveyResult)``.

    The same run is used inside a flow (a ``survey`` node) and on its own after the agent hangs up.
    """

    def __init__(self, node: SurveyNode) -> None:
        self._node = node
        self._misses = 0
        self._started = False
        self.result: SurveyResult | None = None
        self.inputs: list[str] = []

    @property
    def finished(self) -> bool:
        """Whether the survey has produced its result."""
        return self.result is not None

    def _ask(self, prompt: str) -> AskDigits:
        return AskDigits(prompt=prompt, max_digits=1, timeout_s=self._node.timeout_s)

    def start(self) -> AskDigits:
        """Ask the survey question."""
        if self._started:
            raise FlowRunError("already_started", "the survey was already started")
        self._started = True
        return self._ask(self._node.prompt)

    def feed(self, inp: Digits | Timeout) -> AskDigits | Finish:
        """Take the caller's key (or silence)."""
        if not self._started or self.result is not None or not isinstance(inp, Digits | Timeout):
            raise FlowRunError("unexpected_input", f"the survey does not expect {inp!r} now")
        key = inp.digits[:1] if isinstance(inp, Digits) else ""
        self.inputs.append(key or "timeout")
        if key in self._node.keys:
            self.result = SurveyResult(score=self._node.keys[key], key=key)
            return Finish(self.result)
        self._misses += 1
        if self._misses > self._node.retries:
            self.result = SurveyResult(score=None)
            return Finish(self.result)
        return self._ask(self._node.invalid_prompt or self._node.prompt)
