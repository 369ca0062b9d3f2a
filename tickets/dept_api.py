"""HTTP routes of the department portal (``/api/dept/...``): inbox, order detail, the department's steps
(签收, 退单, 延期申请, 下派, 答复 with attachments) and attachment downloads; users in ``dept_users_api``.

Only users of role ``department`` with an active membership act here (403 otherwise); the acting
department is the user's own. An order is in reach when its main department (主办) is the user's
department or below it: anything else answers 404 exactly as an unknown number does, in lists and
alone, so other departments' orders cannot be probed. 下派 goes only to an active department below
the user's own. Each step calls ``tickets.loop.OrderLoop``; its refusals keep their ``error_id`` and
status (409 ``return_limit_passed``, ``illegal_transition``; 422). A reply is a multipart form
(``text`` and up to ``MAX_ATTACHMENTS`` ``files``): each file at most 10 MiB (413) and a PDF, JPEG,
PNG, DOCX or XLSX by its content (415), checked and stored before the reply is recorded. Reads are
recorded in the read audit. A confidential caller's number reaches departments masked.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse

from agent_desktop.api import Me, _principal
from agent_desktop.errors import DesktopError
from hotline.body_limit import body_limit
from privacy.masking import mask_number
from privacy.reads import audit_read
from tickets import dept_inbox as inbox
from tickets.api import _run
from tickets.attachments import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    AttachmentStore,
    StoredFile,
    check,
    clean_name,
)
from tickets.departments import Department
from tickets.dept_portal import Acting, Portal, PortalDep, Who, departments_by_code
from tickets.dept_schemas import (
    AttachmentOut,
    CountdownOut,
    DepartmentOut,
    ExtensionIn,
    ExtensionOut,
    HandDownIn,
    InboxItemOut,
    MeOut,
    OrderDetailOut,
    ReturnIn,
    inbox_item,
)
from tickets.dept_sms_api import router as sms_numbers_router
from tickets.dept_supervision_api import router as supervision_router
from tickets.dept_users_api import router as users_router
from tickets.loop import MAX_REPLY
from tickets.machine import next_status
from tickets.rows import AttachmentRef, WorkOrderRow
from tickets.schemas import NUMBER_PATTERN, WorkOrderPublic
from tickets.vocab import Event, Status

__all__ = ["router"]

router = APIRouter(prefix="/api/dept", dependencies=[Depends(_principal)], tags=["departments"])
REPLY_BODY_LIMIT = MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES + 256 * 1024
NumberPath = Annotated[str, Path(pattern=NUMBER_PATTERN, max_length=36)]


async def _names(p: Portal) -> dict[str, str]:
    found = await asyncio.to_thread(departments_by_code, p)
    return {code: d.name for code, d in found.items()}


def _countdowns(p: Portal, row: WorkOrderRow, now: datetime) -> dict[str, CountdownOut | None]:
    policy = p.loop.policy
    found = inbox.countdowns(row, policy.calendar, policy.zone, now)
    return {step: CountdownOut.of(c) for step, c in found.items()}


async def _in_scope(p: Portal, who: Acting, number: str) -> WorkOrderRow:
    row = await _run(inbox.scoped_order, p.tickets.sessions, number=number, departments=who.scope)
    if row is None:
        raise DesktopError("work_order_not_found", f"no work order {number}", status_code=404)
    return row


def _shown(row: WorkOrderRow) -> WorkOrderRow:
    if not row.caller.confidential:
        return row
    return replace(row, caller=replace(row.caller, number=mask_number(row.caller.number)))


def _below(who: Acting, tree: dict[str, Department], main: str | None) -> list[DepartmentOut]:
    codes = sorted(who.scope - {who.department.code, main or ""})
    found = [tree[c] for c in codes if c in tree and tree[c].active]
    return [DepartmentOut.of(d) for d in sorted(found, key=lambda d: (d.level.depth, d.code))]


async def _detail(p: Portal, who: Acting, row: WorkOrderRow) -> OrderDetailOut:
    history = await _run(p.tickets.history, row.number)
    files = await _run(inbox.attachments_of, p.tickets.sessions, order_id=row.id)
    extensions = await _run(p.loop.extensions, row.number)
    tree = await asyncio.to_thread(departments_by_code, p)
    names = {code: d.name for code, d in tree.items()}
    main = inbox.main_department(row)
    limit = p.loop.policy.loop.return_limit
    return OrderDetailOut(
        order=WorkOrderPublic.of(_shown(row), names=names, history=history),
        main_department=main,
        countdowns=_countdowns(p, row, p.clock()),
        return_due=None if row.dispatched_at is None else p.loop.policy.due(row.dispatched_at, limit),
        attachments=[AttachmentOut.of(a, row.number) for a in files],
        extensions=[ExtensionOut.of(x) for x in extensions],
        hand_down_to=_below(who, tree, main),
        department_names=names,
    )


@router.get("/me", response_model=MeOut)
async def whoami(who: Who, p: PortalDep) -> MeOut:
    """The signed-in user's department and the departments below it (for 下派)."""
    tree = await asyncio.to_thread(departments_by_code, p)
    below = sorted((tree[c] for c in who.scope if c in tree), key=lambda d: (d.level.depth, d.code))
    return MeOut(
        user_id=who.user_id,
        name=who.name,
        is_dept_admin=who.is_dept_admin,
        department=DepartmentOut.of(who.department),
        subtree=[DepartmentOut.of(d) for d in below],
    )


@router.get("/orders", response_model=list[InboxItemOut])
async def list_orders(
    request: Request,
    me: Me,
    who: Who,
    p: PortalDep,
    status: Annotated[list[Status] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[InboxItemOut]:
    """Orders whose main department is the user's or below it, nearest handling deadline first, with
    working-day countdowns; ``status`` (repeatable) keeps only those statuses."""
    rows = await _run(
        inbox.scoped_orders, p.tickets.sessions, departments=who.scope, statuses=status or (), limit=limit
    )
    code = who.department.code
    await audit_read(request, me, "dept.orders.list", object_id=code, objects=(r.number for r in rows))
    names, now = await _names(p), p.clock()
    return [inbox_item(r, inbox.main_department(r), names, _countdowns(p, r, now)) for r in rows]


@router.get("/orders/{number}", response_model=OrderDetailOut)
async def get_order(request: Request, number: NumberPath, me: Me, who: Who, p: PortalDep) -> OrderDetailOut:
    """One order in reach, with its history, countdowns, attachments and extension requests."""
    row = await _in_scope(p, who, number)
    await audit_read(request, me, "dept.orders.read", object_id=number, objects=(number,))
    return await _detail(p, who, row)


@router.post("/orders/{number}/sign", response_model=OrderDetailOut)
async def sign(number: NumberPath, me: Me, who: Who, p: PortalDep) -> OrderDetailOut:
    """签收 (dispatched → signed)."""
    await _in_scope(p, who, number)
    row = await _run(p.loop.sign, number, department=who.department.code, actor=me.user_id)
    return await _detail(p, who, row)


@router.post("/orders/{number}/return", response_model=OrderDetailOut)
async def return_order(number: NumberPath, body: ReturnIn, me: Me, who: Who, p: PortalDep) -> OrderDetailOut:
    """退单 with a reason, within the return limit after dispatch (409 ``return_limit_passed`` later)."""
    await _in_scope(p, who, number)
    code = who.department.code
    row = await _run(p.loop.return_order, number, department=code, reason=body.reason, actor=me.user_id)
    return await _detail(p, who, row)


@router.post("/orders/{number}/extension", status_code=201, response_model=ExtensionOut)
async def request_extension(
    number: NumberPath, body: ExtensionIn, me: Me, who: Who, p: PortalDep
) -> ExtensionOut:
    """延期申请: more working days for handling, decided by the centre."""
    await _in_scope(p, who, number)
    found = await _run(
        p.loop.request_extension,
        number,
        department=who.department.code,
        working_days=body.working_days,
        reason=body.reason,
        actor=me.user_id,
    )
    return ExtensionOut.of(found)


@router.post("/orders/{number}/hand-down", response_model=OrderDetailOut)
async def hand_down(number: NumberPath, body: HandDownIn, me: Me, who: Who, p: PortalDep) -> OrderDetailOut:
    """下派 to an active department below the user's own; it becomes the main department."""
    await _in_scope(p, who, number)
    target = body.to_department
    tree = await asyncio.to_thread(departments_by_code, p)
    if target == who.department.code or target not in who.scope or not tree[target].active:
        raise DesktopError(
            "not_below",
            f"{target} is not an active department below {who.department.code}",
            status_code=422,
            details={"to_department": target},
        )
    code = who.department.code
    row = await _run(p.loop.hand_down, number, department=code, to_department=target, actor=me.user_id)
    return await _detail(p, who, row)


def _store(p: Portal) -> AttachmentStore:
    if p.store is None:
        raise DesktopError("attachments_unavailable", "no attachment store is configured", status_code=503)
    return p.store


def _save_all(store: AttachmentStore, files: list[UploadFile]) -> list[StoredFile]:
    for f in files:  # every file is checked before any is stored
        check(clean_name(f.filename), f.file)
    return [store.save(f.filename or "", f.file) for f in files]


@router.post("/orders/{number}/reply", response_model=OrderDetailOut)
@body_limit(REPLY_BODY_LIMIT)
async def reply(
    number: NumberPath,
    me: Me,
    who: Who,
    p: PortalDep,
    text: Annotated[str, Form(min_length=1, max_length=MAX_REPLY)],
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> OrderDetailOut:
    """答复: the result text and up to five files (multipart), stored first, then the reply recorded."""
    current = await _in_scope(p, who, number)
    await _run(next_status, current.status, Event.REPLY)  # refused before any file is stored
    uploads = [f for f in files or [] if f.filename or f.size]
    if len(uploads) > MAX_ATTACHMENTS:
        raise DesktopError(
            "too_many_attachments",
            f"a reply carries at most {MAX_ATTACHMENTS} files",
            status_code=422,
            details={"limit": MAX_ATTACHMENTS, "given": len(uploads)},
        )
    stored = await _run(_save_all, _store(p), uploads) if uploads else []
    refs = [
        AttachmentRef(
            name=f.name, content_type=f.content_type, size=f.size, sha256=f.sha256, path=f.stored_path
        )
        for f in stored
    ]
    code = who.department.code
    row = await _run(p.loop.reply, number, department=code, text=text, attachments=refs, actor=me.user_id)
    if stored:
        await _run(
            inbox.add_attachments,
            p.tickets.sessions,
            order_id=current.id,
            department=code,
            files=stored,
            uploaded_by=me.user_id,
        )
    return await _detail(p, who, row)


@router.get("/orders/{number}/attachments/{attachment_id}", response_class=FileResponse)
async def download(
    request: Request,
    number: NumberPath,
    attachment_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    me: Me,
    who: Who,
    p: PortalDep,
) -> FileResponse:
    """One attachment of an order in reach, as a download."""
    row = await _in_scope(p, who, number)
    found = await _run(inbox.attachment, p.tickets.sessions, order_id=row.id, attachment_id=attachment_id)
    path = None if found is None else _store(p).path_of(found.stored_path)
    if found is None or path is None or not path.is_file():
        raise DesktopError(
            "attachment_not_found", f"no attachment {attachment_id} of {number}", status_code=404
        )
    await audit_read(request, me, "dept.attachments.read", object_id=number, objects=(str(attachment_id),))
    return FileResponse(
        path,
        media_type=found.content_type,
        filename=found.name,
        headers={"X-Content-Type-Options": "nosniff"},
    )


router.include_router(users_router)
router.include_router(sms_numbers_router)
router.include_router(supervision_router)
