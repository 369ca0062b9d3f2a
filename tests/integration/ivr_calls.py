"""Scripted citizens for IVR tests: each key (or spoken answer) waits for the prompt it answers.

A script is a list of steps. A step ``("main_menu", "2")`` presses 2 shortly after the IVR starts
playing prompt ``hotline/main_menu`` on that call; ``("main_menu", Say(file))`` speaks ``file`` (a path
inside the Asterisk root) once the IVR starts recording the answer to that prompt; ``("@Record", "#")``
presses # a moment after the dialplan starts application ``Record`` on the call (after its beep).
Steps are taken in order, so a repeated prompt (a retry) needs a step per time it is answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from dataclasses import dataclass, field

from hotline.ami.client import AmiClient, AmiEvent
from hotline.ami.messages import AmiError

PROMPT_DIR = "hotline/"
APP_DELAY_S = 1.5


@dataclass(frozen=True)
class Say:
    """Speak a recording (path inside the Asterisk root, without extension) into the call."""

    file: str


Step = tuple[str, "str | Say"]


@dataclass
class ScriptedCall:
    """One citizen call and what happened to its script."""

    caller: str
    steps: list[Step]
    call_id: str
    local_id: str
    local_channel: str = ""
    taken: list[tuple[float, Step]] = field(default_factory=list)
    prompts: list[tuple[float, str]] = field(default_factory=list)
    last_prompt: str = ""


def _prompt_of(command: str) -> str | None:
    """The prompt an AGI command plays (not a file list the hold loop's position route hands back)."""
    if command.upper().startswith("SET VARIABLE"):
        return None
    start = command.find(f'"{PROMPT_DIR}')
    if start < 0:
        return None
    rest = command[start + 1 + len(PROMPT_DIR) :]
    end = min((i for i in (rest.find('"'), rest.find(" ")) if i >= 0), default=len(rest))
    return rest[:end]


class ScriptedDialer:
    """Places calls to 12345 and plays each call's script against the prompts it hears."""

    def __init__(self, ami: AmiClient, *, delay_s: float = 0.3) -> None:
        self._ami = ami
        self._delay_s = delay_s
        self.calls: dict[str, ScriptedCall] = {}
        self._by_local: dict[str, ScriptedCall] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        ami.on_event("Newchannel", self._on_new_channel)
        ami.on_event("AGIExecStart", self._on_agi)
        ami.on_event("Newexten", self._on_dialplan)

    async def dial(
        self, caller: str, steps: list[Step] | None = None, patience_s: float = 120.0
    ) -> ScriptedCall:
        """Originate one citizen call from ``caller``."""
        local_id = f"ivr-{secrets.token_hex(6)}"
        call = ScriptedCall(
            caller=caller, steps=list(steps or []), call_id=f"{local_id}-in", local_id=local_id
        )
        self.calls[call.call_id] = call
        self._by_local[local_id] = call
        await self._ami.originate(
            channel="Local/12345@hotline-inbound/n",
            context="hotline-sim-citizen",
            exten="s",
            priority=1,
            caller_id=f'"市民" <{caller}>',
            variables={"HOTLINE_PATIENCE": f"{patience_s:g}"},
            channel_id=local_id,
            other_channel_id=call.call_id,
            timeout_ms=30000,
        )
        return call

    async def hang_up(self, call: ScriptedCall) -> None:
        """The citizen hangs up (nothing happens when the call has already ended)."""
        if call.local_channel:
            with contextlib.suppress(AmiError):
                await self._ami.send_action({"Action": "Hangup", "Channel": call.local_channel})

    def _on_new_channel(self, event: AmiEvent) -> None:
        call = self._by_local.get(event.get("Uniqueid", ""))
        if call is not None:
            call.local_channel = event.get("Channel", "")

    def _on_agi(self, event: AmiEvent) -> None:
        call = self.calls.get(event.get("Uniqueid", ""))
        if call is None:
            return
        command = event.get("Command", "")
        prompt = _prompt_of(command)
        if prompt is not None:
            call.prompts.append((time.monotonic(), prompt))
            call.last_prompt = prompt
        if not call.steps:
            return
        wanted, action = call.steps[0]
        recording = command.upper().startswith("RECORD FILE")
        if isinstance(action, Say) and recording and call.last_prompt == wanted:
            self._take(call, self._say(call, action))
        elif not isinstance(action, Say) and prompt == wanted:
            self._take(call, self._press(call, action))

    def _on_dialplan(self, event: AmiEvent) -> None:
        call = self.calls.get(event.get("Uniqueid", ""))
        if call is None or not call.steps:
            return
        wanted, action = call.steps[0]
        if isinstance(action, str) and wanted == "@" + event.get("Application", ""):
            self._take(call, self._press(call, action, after_s=APP_DELAY_S))

    def _take(self, call: ScriptedCall, work: object) -> None:
        call.taken.append((time.monotonic(), call.steps.pop(0)))
        assert asyncio.iscoroutine(work)
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _press(self, call: ScriptedCall, digits: str, after_s: float | None = None) -> None:
        await asyncio.sleep(self._delay_s if after_s is None else after_s)
        for digit in digits:
            await self._ami.send_action(
                {"Action": "PlayDTMF", "Channel": call.local_channel, "Digit": digit, "Duration": "120"}
            )

    async def _say(self, call: ScriptedCall, say: Say) -> None:
        await self._ami.send_action(
            {"Action": "Setvar", "Channel": call.local_channel, "Variable": "HOTLINE_SAY", "Value": say.file}
        )
        await self._ami.send_action(
            {
                "Action": "Redirect",
                "Channel": call.local_channel,
                "Context": "hotline-sim-speaker",
                "Exten": "s",
                "Priority": "1",
            }
        )

    async def settle(self) -> None:
        """Wait for key presses still being sent."""
        await asyncio.gather(*self._tasks, return_exceptions=True)
