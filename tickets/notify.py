"""SMS notifications about work orders: Chinese templates and who gets which message.

Sent today:

- ``order_received`` to the citizen when an order is taken in on the public page (channel ``web``) or
  through the work-order intake route (phone), once, also when the node that took it in dies before
  texting (``tickets.receipts``);
- by the order-notice job (``tickets.order_notices``), once per step: ``dispatched`` (派单 and 改派) and
  ``handed_down`` (下派) to the new main department, ``extension_approved``/``extension_refused`` to the
  department that asked, ``supervision`` (督办 raised) to the addressed department and the one it was
  escalated to, ``due_soon`` to the main department when its reply or handle limit is due soon (the
  deadline checker's marks), and ``replied`` to the citizen when the department replies. Department
  messages go to the department's numbers in ``department_sms_numbers`` (``tickets.order_notices``).

Privacy: a citizen gets messages only on a mobile number and only when their contact preference allows
SMS (not ``phone_only``, not ``no_contact``); texts never carry the matter's content. A department's
text shows the citizen's number masked (``138****8000``), and none for a confidential order.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from privacy.masking import mask_number
from tickets.department_names import handling_department
from tickets.errors import TicketError
from tickets.rows import Caller, WorkOrderRow
from tickets.sms import SmsGateway
from tickets.vocab import ContactPreference

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SIGNATURE = "【12345热线】"
MOBILE = re.compile(r"^1[3-9]\d{9}$")
NO_SMS = frozenset({ContactPreference.PHONE_ONLY, ContactPreference.NO_CONTACT})
MAX_MATTER = 20
TEMPLATES: dict[str, str] = {
    "order_received": (
        "{sig}您反映的诉求已受理，工单编号{number}。可凭工单编号和手机号后四位在12345网站查询办理进度。"
    ),
    "replied": "{sig}您反映的诉求（工单编号{number}）已有答复，可凭工单编号和手机号后四位在12345网站查看。",
    "dispatched": (
        "{sig}新工单{number}（{matter}）已派至贵单位，请于{sign_due}前签收，{reply_due}前答复。{who}"
    ),
    "due_soon": "{sig}工单{number}（{matter}）的{limit}时限将于{due}到期，请抓紧办理并按时答复。",
    "handed_down": "{sig}工单{number}（{matter}）已下派至贵单位办理，请于{reply_due}前答复。{who}",
    "extension_approved": "{sig}贵单位工单{number}（{matter}）的延期申请已批准，请于{reply_due}前答复。",
    "extension_refused": "{sig}贵单位工单{number}（{matter}）的延期申请未获批准，请于{reply_due}前答复。",
    "supervision": "{sig}工单{number}（{matter}）因{reason}被{level}，请尽快办理并答复。",
}
"""Message kind -> template (Chinese; every text starts with the centre's signature)."""
EXTRA_DEFAULTS = {"reason": "未按时办理", "level": "督办", "limit": "答复"}
"""Fields of the ``supervision`` and ``due_soon`` templates when the caller gives none (``due``, the
limit's due time, defaults to the reply due time)."""
DepartmentContacts = Callable[[str], Sequence[str]]
"""Department code -> the mobile numbers that get its messages."""


def no_contacts(code: str) -> Sequence[str]:
    """The default lookup: departments have no SMS numbers."""
    return ()


def when(at: datetime | None) -> str:
    """``12月8日17:30`` in China time; ``尽快`` when there is no time."""
    if at is None:
        return "尽快"
    local = at.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日{local.hour:02d}:{local.minute:02d}"


def citizen_number(caller: Caller) -> str | None:
    """The number a citizen may get SMS on, or None (not a mobile, or SMS not wanted)."""
    number = caller.number.strip()
    if caller.contact_preference in NO_SMS or not MOBILE.match(number):
        return None
    return number


def render(kind: str, row: WorkOrderRow, **extra: str) -> str:
    """The text of message ``kind`` about ``row`` (``extra`` fills template fields such as ``reason``)."""
    matter = row.matter if len(row.matter) <= MAX_MATTER else row.matter[: MAX_MATTER - 1] + "…"
    who = "" if row.caller.confidential else f"来电人{mask_number(row.caller.number)}。"
    return TEMPLATES[kind].format(
        sig=SIGNATURE,
        number=row.number,
        matter=matter,
        sign_due=when(row.sign_due),
        reply_due=when(row.reply_due),
        who=who,
        **({"due": when(row.reply_due)} | EXTRA_DEFAULTS | extra),
    )


@dataclass(frozen=True, slots=True)
class Notifier:
    """Sends the order messages through ``gateway``; a failed send is logged and never raised."""

    gateway: SmsGateway
    contacts: DepartmentContacts = no_contacts

    def _send(self, number: str, kind: str, row: WorkOrderRow, **extra: str) -> str | None:
        try:
            text = render(kind, row, **extra)
            return self.gateway.send(number, text, kind=kind, order_number=row.number)
        except (TicketError, OSError, ValueError) as exc:
            log.error("SMS %s for %s not sent: %s", kind, row.number, exc)
        except Exception:
            log.exception("SMS %s for %s not sent", kind, row.number)
        return None

    def to_citizen(self, kind: str, row: WorkOrderRow) -> list[str]:
        """Message ``kind`` to the order's citizen when they may get SMS; the message ids."""
        number = citizen_number(row.caller)
        sent = self._send(number, kind, row) if number is not None else None
        return [sent] if sent is not None else []

    def to_department(self, kind: str, row: WorkOrderRow) -> list[str]:
        """Message ``kind`` to every contact number of the handling department; the message ids."""
        code = handling_department(row)
        numbers = self.contacts(code) if code is not None else ()
        sent = (self._send(n, kind, row) for n in numbers)
        return [m for m in sent if m is not None]

    def to_numbers(self, numbers: Sequence[str], kind: str, row: WorkOrderRow, **extra: str) -> list[str]:
        """Message ``kind`` about ``row`` to each of ``numbers`` (a department's); the message ids."""
        sent = (self._send(n, kind, row, **extra) for n in dict.fromkeys(numbers))
        return [m for m in sent if m is not None]

    def order_received(self, row: WorkOrderRow) -> list[str]:
        """The citizen's receipt for a new order."""
        return self.to_citizen("order_received", row)

    def replied(self, row: WorkOrderRow) -> list[str]:
        """Tell the citizen the order has a reply."""
        return self.to_citizen("replied", row)

    def dispatched(self, row: WorkOrderRow) -> list[str]:
        """Tell the handling department it has a new order."""
        return self.to_department("dispatched", row)

    def due_soon(self, row: WorkOrderRow) -> list[str]:
        """Remind the handling department that the reply is due soon."""
        return self.to_department("due_soon", row)
