"""A work order from a chat, with the chat's transcript attached (the order intake of tickets).

The order is taken in like an agent's order from a call: channel ``web`` (the chat came from the
citizen web page), ``call_id`` the chat's session id, the caller the phone number the citizen left (or
``unknown``). The transcript (every message so far, with time and sender) follows the agent's text in
the order's content under 【文字交谈记录】, so every reader of the order, departments included, has it;
the session records the order's number. A chat from the sign-language page is a disabled citizen's
(contact by SMS when a number was left).
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from chat.store import MessageRow, SessionRow
from tickets.rows import Caller, FiveElements, NewWorkOrder
from tickets.vocab import Category, Channel, ContactPreference, SpecialGroup

TRANSCRIPT_HEADING = "【文字交谈记录】"
SENDER_LABELS = {"citizen": "市民", "agent": "坐席", "system": "系统"}
LOCAL = ZoneInfo("Asia/Shanghai")
SIGN_QUEUES = frozenset({"accessibility", "sign_language", "sign_video"})


def transcript(messages: Sequence[MessageRow]) -> str:
    """The chat as text, one line per message, local (Beijing) time."""
    lines = []
    for m in messages:
        when = m.sent_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S")
        who = SENDER_LABELS.get(m.sender, m.sender)
        if m.sender == "agent" and m.agent_id:
            who = f"{who}({m.agent_id})"
        lines.append(f"[{when}] {who}：{m.body}")
    return "\n".join(lines)


def order_from_chat(
    row: SessionRow,
    messages: Sequence[MessageRow],
    *,
    category: Category,
    matter: str,
    content: str,
    address: str = "",
    name: str = "",
) -> NewWorkOrder:
    """The intake order for a chat, its transcript attached to the content."""
    disabled = row.queue in SIGN_QUEUES
    if row.phone:
        preference = ContactPreference.SMS_ONLY if disabled else ContactPreference.ANY
    else:
        preference = ContactPreference.NO_CONTACT
    text = f"{content}\n\n{TRANSCRIPT_HEADING}\n{transcript(messages)}"
    return NewWorkOrder(
        caller=Caller(
            name=name,
            number=row.phone or "unknown",
            contact_preference=preference,
            special_group=SpecialGroup.DISABLED if disabled else SpecialGroup.NONE,
            confidential=False,
        ),
        channel=Channel.WEB,
        category=category,
        matter=matter,
        content=text,
        elements=FiveElements(),
        address=address,
        call_id=row.session_id,
    )
