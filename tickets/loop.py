"""The order loop's steps after dispatch (issue 11): the departments' side and the centre's side.

Every step is one transaction on one locked order (``tickets.loop_store``): the event is checked
with ``tickets.machine`` first, then the order changes and one history entry per event is written.
Deadlines restart from the step's time on 改派 and 重办 (``tickets.deadlines``); an approved 延期
moves the handling deadline by its working days (and the reply deadline with it when that would
otherwise come first). Department routes check that the acting department is the order's main
department or above it before calling; this layer records which department acted.

A revisit that reached the citizen writes ``call_back`` and, with a satisfaction, ``evaluate``
(detail ``{"solved", "satisfaction", "via", "note"}``); a satisfied or basically satisfied citizen
closes the order when ``close_when_satisfied`` (the default), a dissatisfied one leaves it
``evaluated`` for 重办. Citizens of merged orders are revisited on their own orders
(``revisit_targets`` lists them), which stay ``merged``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from tickets import loop_store as store
from tickets.catalogue import Catalogue, default_catalogue
from tickets.deadlines import DeadlinePolicy, default_policy
from tickets.errors import IllegalTransitionError, TicketNotFoundError, TicketValidationError
from tickets.models import WorkOrder
from tickets.order_steps import as_utc, assign
from tickets.repository import get_work_order
from tickets.rows import AttachmentRef, ExtensionRow, RevisitTarget, WorkOrderRow
from tickets.vocab import Category, Event, Satisfaction, Status, TimeClass, Urgency

MAX_REASON = 500
MAX_REPLY = 4000
MAX_ATTACHMENTS = 20
MAX_MERGE = 20
CLOSING = frozenset({Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED})
Via = Literal["phone", "manual"]


def _text(value: str, name: str, *, limit: int = MAX_REASON, required: bool = True) -> str:
    text = value.strip()
    if (required and not text) or len(text) > limit or "\x00" in text:
        raise TicketValidationError(
            "invalid_value", f"{name} must be 1 to {limit} characters", field=name, limit=limit
        )
    return text


def _code(value: str, name: str) -> str:
    return _text(value, name, limit=32)


@dataclass(frozen=True, slots=True)
class OrderLoop:
    """The closed-loop steps, built like ``tickets.service.TicketService``."""

    sessions: sessionmaker[Session]
    catalogue: Catalogue = field(default_factory=default_catalogue)
    policy: DeadlinePolicy = field(default_factory=default_policy)
    close_when_satisfied: bool = True

    # -- department side -------------------------------------------------------------------------

    def sign(self, number: str, *, department: str, actor: str, now: datetime | None = None) -> WorkOrderRow:
        """签收: dispatched → signed; the entry says whether it was within the signing limit."""
        at, department = as_utc(now, "now"), _code(department, "department")

        def prepare(_: Session, wo: WorkOrder) -> Mapping[str, object]:
            return {"department": department, "on_time": wo.sign_due is None or at <= wo.sign_due}

        return store.step(
            self.sessions, number=number, event=Event.SIGN, actor=actor, now=at, prepare=prepare
        )

    def return_order(
        self, number: str, *, department: str, reason: str, actor: str, now: datetime | None = None
    ) -> WorkOrderRow:
        """退单 within the return limit after dispatch (``return_limit_passed``, 409, later)."""
        at, department = as_utc(now, "now"), _code(department, "department")
        reason = _text(reason, "reason")

        def prepare(_: Session, wo: WorkOrder) -> Mapping[str, object]:
            limit = self.policy.due(wo.dispatched_at or at, self.policy.loop.return_limit)
            if at > limit:
                raise IllegalTransitionError(
                    "return_limit_passed",
                    f"work order {number} may only be returned until {limit.isoformat()}",
                    number=number,
                    return_due=limit.isoformat(),
                )
            return {"department": department, "reason": reason, "return_due": limit.isoformat()}

        return store.step(
            self.sessions, number=number, event=Event.RETURN, actor=actor, now=at, prepare=prepare
        )

    def request_extension(
        self,
        number: str,
        *,
        department: str,
        working_days: int,
        reason: str,
        actor: str,
        now: datetime | None = None,
    ) -> ExtensionRow:
        """延期申请 while signed or handling; one open request at a time, approved days within the
        configured maximum (``extension_too_long``, 422)."""
        at, department = as_utc(now, "now"), _code(department, "department")
        maximum = self.policy.loop.extension_max_working_days
        if isinstance(working_days, bool) or not 1 <= working_days <= maximum:
            raise TicketValidationError(
                "extension_too_long",
                f"an extension is 1 to {maximum} working days",
                working_days=working_days,
                remaining=maximum,
            )
        return store.add_extension(
            self.sessions,
            number=number,
            department=department,
            working_days=working_days,
            reason=_text(reason, "reason"),
            max_working_days=maximum,
            actor=actor,
            now=at,
        )

    def hand_down(
        self, number: str, *, department: str, to_department: str, actor: str, now: datetime | None = None
    ) -> WorkOrderRow:
        """下派: ``to_department`` becomes the main department; status and deadlines stay."""
        at, department = as_utc(now, "now"), _code(department, "department")
        to_department = _code(to_department, "to_department")

        def prepare(s: Session, wo: WorkOrder) -> Mapping[str, object]:
            if store.main_department(s, wo) == to_department:
                raise TicketValidationError(
                    "invalid_value", f"{to_department} is already the main department", field="to_department"
                )
            before = store.hand_down_to(s, wo, to_department, at)
            return {"department": department, "from": before, "to": to_department}

        return store.step(
            self.sessions, number=number, event=Event.HAND_DOWN, actor=actor, now=at, prepare=prepare
        )

    def reply(
        self,
        number: str,
        *,
        department: str,
        text: str,
        attachments: Sequence[AttachmentRef] = (),
        actor: str,
        now: datetime | None = None,
    ) -> WorkOrderRow:
        """答复 from signed or handling, with the result text and the stored attachments' references."""
        at, department = as_utc(now, "now"), _code(department, "department")
        text = _text(text, "text", limit=MAX_REPLY)
        if len(attachments) > MAX_ATTACHMENTS:
            raise TicketValidationError(
                "invalid_value", f"at most {MAX_ATTACHMENTS} attachments", field="attachments"
            )
        files = [a.as_json() for a in attachments]

        def prepare(_: Session, wo: WorkOrder) -> Mapping[str, object]:
            on_time = wo.reply_due is None or at <= wo.reply_due
            return {"department": department, "text": text, "attachments": files, "on_time": on_time}

        return store.step(
            self.sessions, number=number, event=Event.REPLY, actor=actor, now=at, prepare=prepare
        )

    # -- centre side -----------------------------------------------------------------------------

    def _matter_class(self, wo: WorkOrder, main: str) -> TimeClass | None:
        entry = self.catalogue.entry(wo.matter_code) if wo.matter_code else None
        if entry is not None and entry.time_class is not None:
            return entry.time_class
        department = self.catalogue.department(main)
        return None if department is None else department.time_class

    def _restart(self, wo: WorkOrder, main: str, at: datetime) -> dict[str, object]:
        due = self.policy.deadlines(
            at,
            urgency=Urgency(wo.urgency),
            category=Category(wo.category),
            matter_class=self._matter_class(wo, main),
        )
        wo.sign_due, wo.handle_due, wo.reply_due = due.sign_due, due.handle_due, due.reply_due
        wo.dispatched_at, wo.closed_at = at, None
        return {"reply_due": due.reply_due.isoformat()}

    def redispatch(
        self, number: str, *, main: str, assist: Sequence[str] = (), actor: str, now: datetime | None = None
    ) -> WorkOrderRow:
        """改派 a returned (or not yet signed) order to catalogue departments; deadlines restart."""
        at = as_utc(now, "now")
        helpers = list(dict.fromkeys(a for a in assist if a != main))
        unknown = [c for c in (main, *helpers) if self.catalogue.department(c) is None]
        if unknown:
            raise TicketValidationError(
                "unknown_department", "departments are not in the dispatch catalogue", departments=unknown
            )

        def prepare(s: Session, wo: WorkOrder) -> Mapping[str, object]:
            assign(s, wo, main, helpers, at)
            return {"main": main, "assist": helpers} | self._restart(wo, main, at)

        return store.step(
            self.sessions, number=number, event=Event.REDISPATCH, actor=actor, now=at, prepare=prepare
        )

    def decide_extension(
        self,
        number: str,
        extension_id: int,
        *,
        approve: bool,
        note: str,
        actor: str,
        now: datetime | None = None,
    ) -> ExtensionRow:
        """Approve or refuse an open 延期申请; approval moves the handling and reply deadlines."""
        at, note = as_utc(now, "now"), _text(note, "note", required=False)

        def extend(wo: WorkOrder, days: int) -> Mapping[str, object]:
            handle = self.policy.add_working_days(wo.handle_due or at, days)
            wo.handle_due = handle
            wo.reply_due = max(wo.reply_due or handle, handle)
            return {"handle_due": wo.handle_due.isoformat(), "reply_due": wo.reply_due.isoformat()}

        return store.settle_extension(
            self.sessions,
            number=number,
            extension_id=extension_id,
            approve=approve,
            note=note,
            extend=extend,
            actor=actor,
            now=at,
        )

    def record_revisit(
        self,
        number: str,
        *,
        reached: bool,
        solved: bool | None,
        satisfaction: Satisfaction | None,
        via: Via,
        note: str = "",
        actor: str,
        now: datetime | None = None,
    ) -> WorkOrderRow:
        """回访 + 评价. Unreached: ``call_back_failed`` (the order stays replied, the entry counts the
        attempt). Reached: ``call_back``, then ``evaluate`` when a satisfaction is given."""
        at, note = as_utc(now, "now"), _text(note, "note", required=False)
        if via not in ("phone", "manual"):
            raise TicketValidationError("invalid_value", "via is phone or manual", field="via")
        if not reached and (solved is not None or satisfaction is not None):
            raise TicketValidationError(
                "invalid_value", "an unreached citizen gives no evaluation", field="satisfaction"
            )
        detail: dict[str, object] = {"reached": reached, "via": via, "note": note}
        if not reached:
            events = [Event.CALL_BACK_FAILED]
        else:
            detail |= {"solved": solved, "satisfaction": None if satisfaction is None else satisfaction.value}
            events = [Event.CALL_BACK] if satisfaction is None else [Event.CALL_BACK, Event.EVALUATE]
        close = self.close_when_satisfied and satisfaction in CLOSING
        return store.revisit(
            self.sessions, number=number, events=events, detail=detail, close=close, actor=actor, now=at
        )

    def close(self, number: str, *, actor: str, note: str = "", now: datetime | None = None) -> WorkOrderRow:
        """办结 after the revisit (evaluated, or called back without an evaluation). The centre may
        also close a dissatisfied order instead of reopening it (an unreasonable demand); the note
        says why."""
        at, note = as_utc(now, "now"), _text(note, "note", required=False)
        return store.step(
            self.sessions,
            number=number,
            event=Event.CLOSE,
            actor=actor,
            now=at,
            prepare=lambda _s, _w: {"note": note},
        )

    def reopen(self, number: str, *, reason: str, actor: str, now: datetime | None = None) -> WorkOrderRow:
        """重办: an evaluated order (``redo``) or a closed one (``reopen``) goes back to its main
        department, dispatched again with fresh deadlines."""
        at, reason = as_utc(now, "now"), _text(reason, "reason")

        def event(status: Status) -> Event:
            return Event.REDO if status is Status.EVALUATED else Event.REOPEN

        def prepare(s: Session, wo: WorkOrder) -> Mapping[str, object]:
            main = store.main_department(s, wo)
            if main is None:
                raise IllegalTransitionError(
                    "never_dispatched", f"work order {number} has no department to go back to", number=number
                )
            return {"reason": reason, "main": main} | self._restart(wo, main, at)

        return store.step(self.sessions, number=number, event=event, actor=actor, now=at, prepare=prepare)

    def merge(
        self, main_number: str, others: Sequence[str], *, actor: str, now: datetime | None = None
    ) -> WorkOrderRow:
        """并单: ``others`` (at intake, dispatched or returned) become ``merged`` and link to the open
        order ``main_number``."""
        at = as_utc(now, "now")
        wanted = list(dict.fromkeys(others))
        if not wanted or len(wanted) > MAX_MERGE or main_number in wanted:
            raise TicketValidationError(
                "invalid_value",
                f"merge 1 to {MAX_MERGE} other orders, not the main order itself",
                field="others",
            )
        return store.merge_orders(self.sessions, main=main_number, others=wanted, actor=actor, now=at)

    def close_unreachable(
        self, number: str, *, attempts: int, actor: str, now: datetime | None = None
    ) -> WorkOrderRow:
        """回访未果: close a replied order whose citizen was not reached after ``attempts`` tries."""
        at = as_utc(now, "now")
        if isinstance(attempts, bool) or attempts < 1:
            raise TicketValidationError("invalid_value", "attempts must be at least 1", field="attempts")
        return store.step(
            self.sessions,
            number=number,
            event=Event.CLOSE_UNREACHABLE,
            actor=actor,
            now=at,
            prepare=lambda _s, _w: {"attempts": attempts},
        )

    # -- reading ---------------------------------------------------------------------------------

    def extensions(self, number: str) -> list[ExtensionRow]:
        """The order's extension requests, oldest first."""
        return store.extensions(self.sessions, number=number)

    def merged(self, number: str) -> list[WorkOrderRow]:
        """The orders merged into ``number``."""
        return store.merged_orders(self.sessions, number=number)

    def revisit_targets(self, number: str) -> list[RevisitTarget]:
        """The citizens to call back for ``number``: its own caller, then those of merged orders."""
        row = get_work_order(self.sessions, number=number)
        if row is None:
            raise TicketNotFoundError("work_order_not_found", f"no work order {number}", number=number)
        merged = [store.revisit_target(m, merged_into=number) for m in self.merged(number)]
        return [store.revisit_target(row), *merged]


__all__ = ["OrderLoop", "Via"]
