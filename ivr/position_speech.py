"""What a waiting caller hears about their place in line, as a list of prompt ids. No I/O.

The announcement is composed from short generated prompts so that every sentence is covered by a
small fixed set of recordings (an admin can replace each one with a human voice):

- place: ``您是下一位，`` (nobody ahead), ``您前面还有 <N> 位来电，`` (N callers ahead, up to 999) or
  ``您前面排队的来电较多，`` (more than 999 ahead);
- wait: ``预计等待不到一分钟。`` under a minute, else ``预计等待约 <M> 分钟。`` with M rounded to the
  nearest minute (half up) and, above ten minutes, to the nearest five; an unknown or absurd estimate
  (not finite, negative, over 999 minutes) is left out rather than guessed.

Numbers are read as Mandarin speakers count: 十 (not 一十) for 10-19, 一百一十 after a hundred,
零 for an inner gap (一百零五), and 两 for a lone 2 and for 200-299 (两位, 两分钟, 两百), while the
tens and units of a longer number keep 二 (十二, 二十二, 一百二十).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

DIGITS: tuple[str, ...] = tuple(f"num_{d}" for d in range(10))
TEN = "num_10"
HUNDRED = "num_100"
LIANG = "num_liang"
NEXT = "pos_next"
AHEAD = "pos_ahead"
CALLERS = "pos_callers"
MANY = "pos_many"
WAIT_ABOUT = "ewt_about"
MINUTES = "ewt_minutes"
UNDER_A_MINUTE = "ewt_under_minute"
MAX_NUMBER = 999

POSITION_PROMPTS: Mapping[str, str] = {
    **dict(zip(DIGITS, "零一二三四五六七八九", strict=True)),
    TEN: "十",
    HUNDRED: "百",
    LIANG: "两",
    NEXT: "您是下一位，",
    AHEAD: "您前面还有",
    CALLERS: "位来电，",
    MANY: "您前面排队的来电较多，",
    WAIT_ABOUT: "预计等待约",
    MINUTES: "分钟。",
    UNDER_A_MINUTE: "预计等待不到一分钟。",
}
"""Prompt id -> text of every prompt an announcement can use."""


def number_prompts(n: int, *, counting: bool = True) -> list[str]:
    """The prompt ids that read ``n`` (0-999) in Mandarin; ``counting`` says 两 where a count needs it.

    ``counting=False`` reads the number as a label or ordinal (第二), always with 二.
    """
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"{n} is outside 0-{MAX_NUMBER}")
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    if n < 10:
        return [_leading(n, counting)]
    words: list[str] = []
    if hundreds:
        words += [_leading(hundreds, counting), HUNDRED]
        if rest == 0:
            return words
        if tens == 0:
            return [*words, DIGITS[0], DIGITS[units]]
        words += [DIGITS[tens], TEN]
    elif tens > 1:
        words += [DIGITS[tens], TEN]
    else:
        words.append(TEN)
    if units:
        words.append(DIGITS[units])
    return words


def _leading(digit: int, counting: bool) -> str:
    return LIANG if counting and digit == 2 else DIGITS[digit]


def wait_minutes(ewt_s: float) -> int | None:
    """The minutes to announce for an estimated wait; 0 for under a minute, None when not worth saying."""
    if not math.isfinite(ewt_s) or ewt_s < 0:
        return None
    if ewt_s < 60:
        return 0
    minutes = max(1, math.floor(ewt_s / 60 + 0.5))
    if minutes > 10:
        minutes = 5 * math.floor(minutes / 5 + 0.5)
    return minutes if minutes <= MAX_NUMBER else None


def place_prompts(position: int) -> list[str]:
    """The place-in-line part for a 1-based ``position``; empty when the caller is not in line."""
    if position < 1:
        return []
    ahead = position - 1
    if ahead == 0:
        return [NEXT]
    if ahead > MAX_NUMBER:
        return [MANY]
    return [AHEAD, *number_prompts(ahead), CALLERS]


def wait_prompts(ewt_s: float) -> list[str]:
    """The estimated-wait part; empty when the estimate is not worth saying."""
    minutes = wait_minutes(ewt_s)
    if minutes is None:
        return []
    if minutes == 0:
        return [UNDER_A_MINUTE]
    return [WAIT_ABOUT, *number_prompts(minutes), MINUTES]


def announcement(position: int, ewt_s: float) -> list[str]:
    """Every prompt id to play, in order; empty (play nothing) when the caller is not waiting."""
    place = place_prompts(position)
    if not place:
        return []
    return [*place, *wait_prompts(ewt_s)]
