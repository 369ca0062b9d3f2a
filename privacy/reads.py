"""The audit hook for routes that show citizens' data.

Such a route calls :func:`audit_read` before answering; a read that cannot be recorded is not
answered (the error reaches the client as a 500), so nothing is shown unaudited.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from fastapi import Request

from agent_desktop.auth import Principal
from privacy.audit import Read, record_read
from privacy.masking import mask_number


def asked_for_caller(number: str | None, *, kind: str = "caller") -> str | None:
    """How a search by caller number is recorded: masked (``caller:138****8000``). The audit is
    append-only and outlives retention, so it keeps no full number; the ids the answer showed say
    exactly what was seen."""
    return None if not number else f"{kind}:{mask_number(number)}"


def client_of(request: Request) -> str:
    """The client's address as the server saw it (a reverse proxy's address when behind one)."""
    return request.client.host if request.client is not None else ""


async def audit_read(
    request: Request, me: Principal, action: str, *, object_id: str | None, objects: Iterable[str] = ()
) -> None:
    """Record that ``me`` read ``objects`` (asked as ``object_id``) through ``action``."""
    read = Read(
        user_id=me.user_id,
        role=str(me.role),
        action=action,
        object_id=object_id,
        objects=tuple(objects),
        client=client_of(request),
    )
    await asyncio.to_thread(record_read, request.app.state.desktop.sessions, read)
