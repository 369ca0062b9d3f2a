"""FastAGI route ``revisit``: the automatic revisit call (回访) asks a citizen about their replied order.

The centre originated the call into ``[hotline-revisit]`` with the attempt id as the route's argument
(``tickets.revisit_dialer``). The citizen hears the order number digit by digit, is asked whether the
matter is solved (1 已解决, 2 未解决) and how satisfied they are (1 满意, 2 基本满意, 3 不满意); a missing or
invalid key repeats a question once. Whatever happens (answers, silence, a hang-up half-way), the
answers given so far are handed to ``RevisitAnswers.finished`` exactly once; no answer at all means the
citizen was not reached.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol, TypeVar

from hotline.fastagi.server import AgiError, AgiHangup, AgiSession
from ivr.flow import AskDigits, Digits
from ivr.player import ActionPlayer
from ivr.position_speech import DIGITS
from ivr.runtime import IvrDeps

log = logging.getLogger(__name__)

INTRO = "revisit_intro"
SOLVED = "revisit_solved"
SATISFACTION = "revisit_satisfaction"
AGAIN = "revisit_again"
THANKS = "revisit_thanks"
GOODBYE = "revisit_goodbye"
REVISIT_PROMPTS: Mapping[str, str] = {
    INTRO: "您好，这里是12345政务服务便民热线，现在对您反映的问题进行回访。您的工单编号是",
    SOLVED: "请问您反映的问题是否已经解决？已解决请按1，未解决请按2。",
    SATISFACTION: "请您对办理结果进行评价。满意请按1，基本满意请按2，不满意请按3。",
    AGAIN: "对不起，没有收到有效的按键，请重新选择。",
    THANKS: "感谢您的评价，祝您生活愉快，再见。",
    GOODBYE: "感谢您的接听，再见。",
}
"""Prompt id -> text of the revisit call; the digits reuse the runtime's ``num_0`` … ``num_9``."""
SOLVED_KEYS: Mapping[str, bool] = {"1": True, "2": False}
SATISFACTION_KEYS: Mapping[str, str] = {"1": "satisfied", "2": "basically_satisfied", "3": "dissatisfied"}
ANSWER_TIMEOUT_S = 6.0
T = TypeVar("T")


class RevisitAnswers(Protocol):
    """Where the revisit IVR gets its attempt and leaves the answers (``tickets.revisit_dialer``)."""

    async def answered(self, attempt_id: int) -> str | None:
        """The citizen is on the line: the order number to read out, or None for an unknown attempt."""
        ...

    async def finished(self, attempt_id: int, *, solved: bool | None, satisfaction: str | None) -> None:
        """The call is over with these answers (None: not given)."""
        ...


def digit_prompts(number: str) -> list[str]:
    """The prompts that read the digits of ``number`` one by one (other characters are skipped)."""
    return [DIGITS[int(ch)] for ch in number if ch.isascii() and ch.isdigit()]


async def ask(player: ActionPlayer, prompt: str, keys: Mapping[str, T]) -> T | None:
    """Ask once, and once more after a missing or invalid key; the answer, or None."""
    for attempt in range(2):
        if attempt:
            await player.play(AGAIN)
        got = await player.ask_digits(AskDigits(prompt=prompt, max_digits=1, timeout_s=ANSWER_TIMEOUT_S))
        if isinstance(got, Digits) and got.digits[:1] in keys:
            return keys[got.digits[:1]]
    return None


class RevisitRoute:
    """The FastAGI handler of revisit calls (argument: the attempt id)."""

    def __init__(self, deps: IvrDeps, answers: RevisitAnswers) -> None:
        self.deps = deps
        self.answers = answers

    async def __call__(self, session: AgiSession) -> None:
        """Read the order number, ask both questions, hand the answers over."""
        raw = session.args[0] if session.args else ""
        if not raw.isdigit():
            log.warning("revisit route called without an attempt id (%r)", raw)
            return
        attempt_id = int(raw)
        number = await self.answers.answered(attempt_id)
        if number is None:
            log.warning("revisit attempt %s is unknown or over; call ended", attempt_id)
            return
        solved: bool | None = None
        satisfaction: str | None = None
        player = self.deps.player(session)
        try:
            await player.play(INTRO)
            for prompt in digit_prompts(number):
                await player.play(prompt)
            solved = await ask(player, SOLVED, SOLVED_KEYS)
            satisfaction = await ask(player, SATISFACTION, SATISFACTION_KEYS)
            await player.play(THANKS if solved is not None or satisfaction is not None else GOODBYE)
        except (AgiHangup, AgiError) as exc:
            log.info("revisit attempt %s: the call ended early (%s)", attempt_id, exc)
        finally:
            await self.answers.finished(attempt_id, solved=solved, satisfaction=satisfaction)
