"""What a caller hears about the work order they keyed in, as one Chinese sentence. No I/O.

The IVR collects the order number as digits only (``1234520261116000042`` for the order
``12345-20261116-000042``); ``order_number_from_digits`` turns that back into the stored form.
``status_text`` composes the answer from the order's facts: the number (written with digits, which
``ivr.pinyin_text`` reads one by one, 1 as yao, grouped by pauses), the state in plain Chinese
(``tickets.vocab`` labels), the handling department and the reply due date (``12月8日``, China time).
A confidential order (the caller asked for it) is read out only to the number that reported it;
anyone else hears ``CONFIDENTIAL_TEXT``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from tickets.vocab import Status

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_KEY_DIGITS = 8
TO_PERSON = "正在为您转接人工服务，请稍候。"
CONFIDENTIAL_TEXT = "该工单涉及保密信息，不能通过电话查询办理情况。" + TO_PERSON
WITH_DEPARTMENT = frozenset(
    {
        Status.DISPATCHED,
        Status.SIGNED,
        Status.HANDLING,
        Status.REPLIED,
        Status.CALLBACK_DONE,
        Status.EVALUATED,
        Status.CLOSED,
    }
)
"""States in which a department has the order (its name is said)."""
WITH_DUE_DATE = frozenset({Status.DISPATCHED, Status.SIGNED, Status.HANDLING})
"""States in which the department still owes a reply (the due date is said)."""
PLAIN_STATE: dict[Status, str] = {
    Status.INTAKE: "已受理，正在分派承办单位",
    Status.RETURNED: "正在重新分派承办单位",
    Status.MERGED: "已与相同诉求的工单合并办理",
}
"""States said in other words than their label (the label means something only inside the centre)."""
_NON_DIGIT = re.compile(r"\D")


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFacts:
    """What may be told about one order: its number, state, handling department and reply due time."""

    number: str
    status: Status
    department: str = ""
    reply_due: datetime | None = None
    confidential: bool = False
    caller_number: str = ""


def order_number_from_digits(digits: str, *, prefix: str) -> str | None:
    """The stored order number for the keyed ``digits`` (prefix, 8-digit day, sequence); None if not one."""
    if not digits.isdigit() or not prefix.isdigit() or not digits.startswith(prefix):
        return None
    rest = digits[len(prefix) :]
    if len(rest) <= DAY_KEY_DIGITS:
        return None
    return f"{prefix}-{rest[:DAY_KEY_DIGITS]}-{rest[DAY_KEY_DIGITS:]}"


def same_number(a: str, b: str) -> bool:
    """Whether two phone numbers are the same line (non-digits and a +86/0086 country code ignored)."""
    x, y = _national(a), _national(b)
    return bool(x) and x == y


def _national(number: str) -> str:
    digits = _NON_DIGIT.sub("", number)
    for code in ("0086", "86"):
        if digits.startswith(code) and len(digits) - len(code) == 11 and digits[len(code)] == "1":
            return digits[len(code) :]
    return digits


def may_tell(facts: OrderFacts, calling_number: str) -> bool:
    """Whether the order may be read to ``calling_number`` (a confidential one only to its caller)."""
    return not facts.confidential or same_number(facts.caller_number, calling_number)


def spoken_number(number: str) -> str:
    """The order number as written for speech: its digit groups separated by pauses."""
    return "，".join(group for group in number.split("-") if group)


def due_date(at: datetime) -> str:
    """``12月8日``: the day ``at`` falls on in China."""
    local = at.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日"


def state_text(status: Status) -> str:
    """The order's state in plain Chinese."""
    return PLAIN_STATE.get(status, status.label)


def status_text(facts: OrderFacts) -> str:
    """The whole answer for an order that may be told, ending with the hand-over to a person."""
    parts = [f"您查询的工单，编号{spoken_number(facts.number)}，当前状态：{state_text(facts.status)}。"]
    if facts.status in WITH_DEPARTMENT and facts.department:
        parts.append(f"承办单位：{facts.department}。")
    if facts.status in WITH_DUE_DATE and facts.reply_due is not None:
        parts.append(f"答复期限：{due_date(facts.reply_due)}。")
    parts.append(TO_PERSON)
    return "".join(parts)


def answer_text(facts: OrderFacts, calling_number: str) -> str:
    """What the caller from ``calling_number`` hears about ``facts``."""
    return status_text(facts) if may_tell(facts, calling_number) else CONFIDENTIAL_TEXT
