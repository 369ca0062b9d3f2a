"""HTTP routes of the knowledge base under ``/api/knowledge``.

Agents search and read the articles offered to them (active, not expired); supervisors and admins
also list every article with filters, read earlier versions, create, edit, retire, restore and
import. Other roles (department users) get 403. Refusals of the knowledge layer become
``DesktopError`` with the same ``error_id`` and ``details`` (404, 409, 422); an import with errors
answers 422 ``import_invalid`` with ``details.errors`` listing each bad row, and stores nothing.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Annotated, Literal, ParamSpec, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.api import Me, _context, _principal
from agent_desktop.auth import Principal, Role
from agent_desktop.errors import DesktopError
from hotline.body_limit import body_limit
from tickets import knowledge, knowledge_admin, knowledge_import
from tickets.errors import TicketError
from tickets.knowledge_admin import ListFilter, ListStatus
from tickets.knowledge_schemas import (
    ArticleDetail,
    ArticleEdit,
    ArticleIn,
    ArticleOut,
    ArticlePage,
    HitOut,
    ImportResult,
    VersionOut,
)
from tickets.vocab import Category

__all__ = ["router"]

router = APIRouter(prefix="/api/knowledge", dependencies=[Depends(_principal)], tags=["knowledge"])
NO_NUL = r"^[^\x00]*$"
P = ParamSpec("P")
T = TypeVar("T")
ArticleId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _sessions(request: Request) -> sessionmaker[Session]:
    return _context(request).sessions


Sessions = Annotated[sessionmaker[Session], Depends(_sessions)]


def reader(me: Me) -> Principal:
    """Agents, supervisors and admins read; any other role gets 403."""
    if not me.may(Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
        raise DesktopError("forbidden", "your role may not do this", status_code=403)
    return me


def editor(me: Me) -> Principal:
    """Supervisors and admins edit; any other role gets 403."""
    if not me.may(Role.SUPERVISOR, Role.ADMIN):
        raise DesktopError(
            "forbidden", "only supervisors and admins edit the knowledge base", status_code=403
        )
    return me


Reader = Annotated[Principal, Depends(reader)]
Editor = Annotated[Principal, Depends(editor)]


async def _run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))
    except TicketError as exc:
        raise DesktopError(exc.error_id, str(exc), status_code=exc.status_code, details=exc.details) from exc


@router.get("", response_model=list[HitOut])
async def search(
    sm: Sessions,
    _: Reader,
    q: Annotated[str, Query(min_length=1, max_length=200, pattern=NO_NUL)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[HitOut]:
    """Articles offered to agents for a question, best first, each with a highlighted snippet."""
    hits = await _run(knowledge.find_for_agents, sm, query=q, limit=limit)
    on = knowledge.today()
    return [HitOut.of(h, on) for h in hits]


@router.get("/articles", response_model=ArticlePage)
async def list_articles(
    sm: Sessions,
    _: Editor,
    status: ListStatus | None = None,
    category: Category | None = None,
    expiring_within_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    q: Annotated[str, Query(max_length=200, pattern=NO_NUL)] = "",
    limit: Annotated[int, Query(ge=1, le=knowledge_admin.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ArticlePage:
    """Every article for editors, filtered by status (active, retired, expired), category, expiry within
    N days and text."""
    f = ListFilter(
        status=status,
        category=category.value if category else None,
        expiring_within_days=expiring_within_days,
        query=q,
        limit=limit,
        offset=offset,
    )
    found = await _run(knowledge_admin.list_articles, sm, f)
    on = knowledge.today()
    return ArticlePage(items=[ArticleOut.of(a, on) for a in found.items], total=found.total)


@router.get("/{article_id}", response_model=ArticleDetail)
async def get_article(article_id: ArticleId, sm: Sessions, me: Reader) -> ArticleDetail:
    """One article; editors also get its earlier versions. Agents see only articles offered to them."""
    article, versions = await _run(knowledge_admin.get_full, sm, article_id)
    on = knowledge.today()
    editing = me.may(Role.SUPERVISOR, Role.ADMIN)
    if not editing and (article.status.value != "active" or article.expired(on)):
        raise DesktopError("article_not_found", f"no article {article_id}", status_code=404)
    shown = [VersionOut.of(v) for v in versions] if editing else []
    return ArticleDetail(**ArticleOut.of(article, on).model_dump(), versions=shown)


@router.post("", status_code=201, response_model=ArticleOut)
async def create(body: ArticleIn, sm: Sessions, me: Editor) -> ArticleOut:
    """Add an article (active, version 1)."""
    row = await _run(knowledge_admin.create_article, sm, body.fields(), by=me.user_id)
    return ArticleOut.of(row, knowledge.today())


@router.put("/{article_id}", response_model=ArticleOut)
async def edit(article_id: ArticleId, body: ArticleEdit, sm: Sessions, me: Editor) -> ArticleOut:
    """Replace the article's content; the previous content is kept as a version (409 if
    ``expected_version`` is not the current one)."""
    row = await _run(
        knowledge_admin.edit_article,
        sm,
        article_id,
        body.fields(),
        by=me.user_id,
        expected_version=body.expected_version,
    )
    return ArticleOut.of(row, knowledge.today())


@router.post("/{article_id}/retire", response_model=ArticleOut)
async def retire(article_id: ArticleId, sm: Sessions, me: Editor) -> ArticleOut:
    """Hide the article from agents; it is kept and can be restored."""
    row = await _run(knowledge_admin.set_retired, sm, article_id, retired=True, by=me.user_id)
    return ArticleOut.of(row, knowledge.today())


@router.post("/{article_id}/restore", response_model=ArticleOut)
async def restore(article_id: ArticleId, sm: Sessions, me: Editor) -> ArticleOut:
    """Offer a retired article to agents again."""
    row = await _run(knowledge_admin.set_retired, sm, article_id, retired=False, by=me.user_id)
    return ArticleOut.of(row, knowledge.today())


def _kind(request: Request, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return "json" if content_type.endswith("json") else "csv"


@router.post("/import", status_code=201, response_model=ImportResult)
@body_limit(knowledge_import.MAX_BYTES)
async def import_file(
    request: Request,
    sm: Sessions,
    me: Editor,
    format: Annotated[Literal["csv", "json"] | None, Query()] = None,
) -> ImportResult:
    """Import a CSV or JSON file (the raw request body): every row or none; 422 lists the bad rows."""
    data = await request.body()
    ids = await _run(knowledge_import.import_articles, sm, data, kind=_kind(request, format), by=me.user_id)
    return ImportResult(imported=len(ids), ids=ids, errors=[])
