"""Admin routes for users (``/api/admin/agents``, tab 坐席): list and search, create, change, disable,
reset the password, supervisors' queues, the CSV import of a new centre and its template.

Every change is recorded in the admin change log (area ``agent``) with the user before and after
(never a password or its hash). A change of role or extension ends the user's sessions, like a
disablement, which also ends their ACD login and phone registration (admin.agents_sessions).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from admin import agents_store as store
from admin.agents_schemas import (
    AgentAdminPublic,
    AgentChange,
    AgentCreate,
    CsvImport,
    DisablePublic,
    ImportPublic,
    PasswordReset,
    QueuesChange,
)
from admin.agents_sessions import end_everything
from admin.agents_support import hash_all, known_skills
from admin.audit_api import AdminUser, audited, sessions_of
from admin.csv_import import ImportRow, RowProblem, parse_agents_csv, template_csv
from agent_desktop.context import DesktopContext
from agent_desktop.errors import DesktopError
from hotline.body_limit import body_limit

router = APIRouter(prefix="/api/admin", tags=["admin"])
AREA = "agent"
T = TypeVar("T")
ROLE_NAMES = {"agent": "坐席", "supervisor": "班长", "qa": "质检员", "admin": "管理员"}
IMPORT_LIMIT = 1_100_000
AgentPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,32}$")]


def _public(user: store.AdminUser) -> AgentAdminPublic:
    return AgentAdminPublic.model_validate(user, from_attributes=True)


def _problem(p: RowProblem) -> dict[str, object]:
    return {"line": p.line, "column": p.column, "reason": p.reason}


def _audit_input(u: store.UserInput) -> dict[str, object]:
    return {
        "agent_id": u.agent_id,
        "name": u.name,
        "extension": u.extension,
        "role": u.role,
        "skills": u.skills,
    }


def _refused(exc: store.AgentConflict) -> DesktopError:
    status = {"unknown_user": 404, "user_exists": 409, "user_disabled": 409}.get(exc.error_id, 422)
    return DesktopError(exc.error_id, str(exc), status_code=status, details=dict(exc.details))


async def _run(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    except store.AgentConflict as exc:
        raise _refused(exc) from None


def _check_new_skills(request: Request, skills: dict[str, int], had: dict[str, int]) -> None:
    known = known_skills(request)
    unknown = sorted(set(skills) - set(had) - known)
    if unknown:
        raise DesktopError(
            "unknown_skill", "no queue uses these skills", status_code=422, details={"skills": unknown}
        )


@router.get("/agents", response_model=list[AgentAdminPublic])
async def list_agents(
    request: Request,
    me: AdminUser,
    q: Annotated[str, Query(max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")] = "",
    role: Annotated[str, Query(pattern=r"^(agent|supervisor|qa|department|admin)?$")] = "",
) -> list[AgentAdminPublic]:
    """Users by id; ``q`` finds an id, name or extension, ``role`` keeps one role."""
    users = await asyncio.to_thread(store.list_users, sessions_of(request), search=q.strip(), role=role)
    return [_public(u) for u in users]


@router.get("/agent-options")
async def options(request: Request, me: AdminUser) -> dict[str, list[str]]:
    """What the forms offer: the skills the queues use, the queues, the roles."""
    ctx: DesktopContext = request.app.state.desktop
    return {
        "skills": sorted(known_skills(request)),
        "queues": sorted(ctx.acd.engine.queues),
        "roles": ["agent", "supervisor", "qa", "admin"],
    }


@router.get("/agents/{agent_id}", response_model=AgentAdminPublic)
async def get_agent(request: Request, agent_id: AgentPath, me: AdminUser) -> AgentAdminPublic:
    """One user."""
    user = await asyncio.to_thread(store.get_user, sessions_of(request), agent_id)
    if user is None:
        raise DesktopError("unknown_user", f"no user {agent_id}", status_code=404)
    return _public(user)


@router.post("/agents", response_model=AgentAdminPublic, status_code=201)
async def create_agent(request: Request, body: AgentCreate, me: AdminUser) -> AgentAdminPublic:
    """A new user with a first password (409 ``user_exists`` for an id in use)."""
    _check_new_skills(request, body.skills, {})
    user = store.UserInput(
        agent_id=body.agent_id, name=body.name, extension=body.extension, role=body.role, skills=body.skills
    )
    hashed = await hash_all(request, [body.password])
    await _run(store.create_users, sessions_of(request), [(user, hashed[0])])
    made = await asyncio.to_thread(store.get_user, sessions_of(request), body.agent_id)
    assert made is not None
    await audited(
        request, me, area=AREA, object_id=body.agent_id, action="create",
        summary=f"新建{ROLE_NAMES.get(body.role, body.role)} {body.agent_id} {body.name}",
        before=None, after=made.audited(),
    )  # fmt: skip
    return _public(made)


@router.put("/agents/{agent_id}", response_model=AgentAdminPublic)
async def change_agent(
    request: Request, agent_id: AgentPath, body: AgentChange, me: AdminUser
) -> AgentAdminPublic:
    """Change name, extension, role and skills; a new role or extension ends the user's sessions."""
    current = await asyncio.to_thread(store.get_user, sessions_of(request), agent_id)
    if current is None:
        raise DesktopError("unknown_user", f"no user {agent_id}", status_code=404)
    if current.role == "department":
        raise DesktopError(
            "department_user", "department users are managed in the department portal", status_code=409
        )
    if agent_id == me.user_id and body.role != "admin":
        raise DesktopError(
            "cannot_demote_self", "you cannot take the admin role from yourself", status_code=409
        )
    _check_new_skills(request, body.skills, current.skills)
    change = store.UserInput(
        agent_id=agent_id, name=body.name, extension=body.extension, role=body.role, skills=body.skills
    )
    before, after = await _run(store.update_user, sessions_of(request), change)
    if (before.role, before.extension) != (after.role, after.extension):
        await end_everything(request, agent_id=agent_id, contact=before.contact)
    await audited(
        request, me, area=AREA, object_id=agent_id, action="update",
        summary=f"修改 {agent_id} {after.name}", before=before.audited(), after=after.audited(),
    )  # fmt: skip
    return _public(after)


@router.post("/agents/{agent_id}/disable", response_model=DisablePublic)
async def disable_agent(request: Request, agent_id: AgentPath, me: AdminUser) -> DisablePublic:
    """Disable a user: no password, sessions and desktops closed, ACD logout, phone unregistered and
    its SIP password rotated so that it cannot register again."""
    if agent_id == me.user_id:
        raise DesktopError("cannot_disable_self", "you cannot disable yourself", status_code=409)
    before, after = await _run(store.disable_user, sessions_of(request), agent_id, by=me.user_id)
    ended = await end_everything(request, agent_id=agent_id, contact=before.contact)
    await audited(
        request, me, area=AREA, object_id=agent_id, action="disable",
        summary=f"停用 {agent_id} {after.name}", before=before.audited(), after=after.audited(),
    )  # fmt: skip
    return DisablePublic(
        user=_public(after),
        sessions_ended=ended.sessions,
        sip_contacts_removed=ended.sip_contacts_removed,
        sip_password_rotated=ended.sip_password_rotated,
    )


@router.post("/agents/{agent_id}/password", response_model=AgentAdminPublic)
async def reset_password(
    request: Request, agent_id: AgentPath, body: PasswordReset, me: AdminUser
) -> AgentAdminPublic:
    """Set a new password (the user's sessions end); ``enable`` enables a disabled user again."""
    hashed = await hash_all(request, [body.password])
    before, after = await _run(
        store.set_password, sessions_of(request), agent_id, hashed[0], enable=body.enable
    )
    ctx: DesktopContext = request.app.state.desktop
    ctx.tokens.revoke_user(agent_id)
    action = "enable" if before.disabled else "reset_password"
    summary = f"{'启用' if before.disabled else '重置密码'} {agent_id} {after.name}"
    await audited(
        request, me, area=AREA, object_id=agent_id, action=action, summary=summary,
        before=before.audited() | {"password": "(旧)"}, after=after.audited() | {"password": "(新)"},
    )  # fmt: skip
    return _public(after)


@router.put("/agents/{agent_id}/queues", response_model=AgentAdminPublic)
async def set_supervisor_queues(
    request: Request, agent_id: AgentPath, body: QueuesChange, me: AdminUser
) -> AgentAdminPublic:
    """The queues a supervisor supervises (supervisor.service checks queue names and the role)."""
    service = getattr(request.app.state, "supervisor", None)
    if service is None:
        raise DesktopError("supervision_unavailable", "supervision is not running", status_code=503)
    before = await asyncio.to_thread(store.get_user, sessions_of(request), agent_id)
    await service.set_queues(agent_id, body.queues)
    after = await asyncio.to_thread(store.get_user, sessions_of(request), agent_id)
    assert before is not None
    assert after is not None
    await audited(
        request, me, area=AREA, object_id=agent_id, action="queues",
        summary=f"班长 {agent_id} 监管队列：{'、'.join(after.queues) or '无'}",
        before={"queues": before.queues}, after={"queues": after.queues},
    )  # fmt: skip
    return _public(after)


def _refuse_taken(rows: list[ImportRow], taken: set[str]) -> None:
    problems = [
        _problem(RowProblem(r.line, "工号", f"工号 {r.user.agent_id} 已存在"))
        for r in rows
        if r.user.agent_id in taken
    ]
    if problems:
        raise DesktopError(
            "import_rejected",
            f"{len(problems)} user(s) of the file exist already; nothing was imported",
            status_code=422,
            details={"problems": problems[:200], "count": len(problems)},
        )


@router.get("/agent-import-template")
async def import_template(me: AdminUser) -> Response:
    """The CSV template (UTF-8 with BOM, so that Excel opens the Chinese header)."""
    return Response(
        content=template_csv().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename*=UTF-8''agents-template.csv"},
    )


@router.post("/agent-import", response_model=ImportPublic, status_code=201)
@body_limit(IMPORT_LIMIT)
async def import_agents(request: Request, body: CsvImport, me: AdminUser) -> ImportPublic:
    """Create every user of the CSV, or none: any bad line answers 422 ``import_rejected`` with each
    problem's line number, column and reason, and nothing is written."""
    parsed = parse_agents_csv(body.csv, known_skills=known_skills(request))
    if parsed.problems:
        raise DesktopError(
            "import_rejected",
            f"{len(parsed.problems)} problem(s) in the file; nothing was imported",
            status_code=422,
            details={"problems": [_problem(p) for p in parsed.problems[:200]], "count": len(parsed.problems)},
        )
    ids = [r.user.agent_id for r in parsed.rows]
    _refuse_taken(parsed.rows, await asyncio.to_thread(store.existing_ids, sessions_of(request), ids))
    hashes = await hash_all(request, [r.password for r in parsed.rows])
    users = [(r.user, h) for r, h in zip(parsed.rows, hashes, strict=True)]
    try:
        await asyncio.to_thread(store.create_users, sessions_of(request), users)
    except store.AgentConflict as exc:  # taken meanwhile
        _refuse_taken(parsed.rows, set(exc.details.get("agent_ids") or ()))  # type: ignore[call-overload]
        raise
    await audited(
        request, me, area=AREA, object_id="import", action="import",
        summary=f"批量导入 {len(ids)} 个用户", before=None,
        after=[{"line": r.line} | _audit_input(r.user) for r in parsed.rows],
    )  # fmt: skip
    return ImportPublic(created=len(ids), agent_ids=ids)
