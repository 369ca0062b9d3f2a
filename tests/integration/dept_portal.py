"""Steps shared by the department-portal tests: users through the API, orders dispatched at a given time,
small files of each accepted kind."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import UTC, datetime

import httpx

from hotline.app import Centre
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient
from tickets.rows import Caller, FiveElements, NewWorkOrder
from tickets.vocab import Category, Channel, ContactPreference, SpecialGroup, Urgency

CITY = "cgj"
DISTRICT = "cgj_gusu"
STREET = "cgj_gusu_pingjiang"
OTHER_STREET = "cgj_sip_loufeng"
OTHER_CITY = "sthjj"
CALLER = "13800138000"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def password(user_id: str) -> str:
    """The test password of ``user_id``."""
    return f"pw-{user_id}-secret"


async def admin(centre: Centre) -> DesktopClient:
    """The centre's admin, signed in."""
    client = DesktopClient(centre.url)
    await client.sign_in("admin", ADMIN_PASSWORD)
    return client


async def save_user(
    by: DesktopClient, user_id: str, department: str, *, is_dept_admin: bool = False
) -> httpx.Response:
    """PUT a department user (password ``password(user_id)``) as ``by``."""
    body = {"name": f"用户{user_id}", "department": department, "password": password(user_id)}
    return await by.http.put(
        f"/api/dept/users/{user_id}", json=body | {"is_dept_admin": is_dept_admin}, headers=by.auth
    )


async def dept_user(
    centre: Centre, user_id: str, department: str, *, is_dept_admin: bool = False
) -> DesktopClient:
    """A department user created by the centre admin, signed in."""
    boss = await admin(centre)
    try:
        (await save_user(boss, user_id, department, is_dept_admin=is_dept_admin)).raise_for_status()
    finally:
        await boss.close()
    client = DesktopClient(centre.url)
    await client.sign_in(user_id, password(user_id))
    return client


def _create_and_dispatch(
    centre: Centre, main: str, at: datetime, confidential: bool, category: Category, urgency: Urgency
) -> str:
    order = NewWorkOrder(
        caller=Caller(
            name="王女士",
            number=CALLER,
            contact_preference=ContactPreference.ANY,
            special_group=SpecialGroup.NONE,
            confidential=confidential,
        ),
        channel=Channel.PHONE,
        category=category,
        matter="占道经营",
        content="平江路沿街商户占道经营，影响通行。",
        elements=FiveElements(),
        address="姑苏区平江路 100 号",
        urgency=urgency,
    )
    row = centre.tickets.create(order, created_by="admin", now=at)
    centre.tickets.dispatch(row.number, main=main, actor="admin", now=at)
    return row.number


async def dispatched_order(
    centre: Centre,
    main: str = CITY,
    *,
    at: datetime | None = None,
    confidential: bool = False,
    category: Category = Category.HELP,
    urgency: Urgency = Urgency.NORMAL,
) -> str:
    """A new order dispatched to ``main`` at ``at`` (now by default); its number."""
    when = at or datetime.now(UTC)
    return await asyncio.to_thread(_create_and_dispatch, centre, main, when, confidential, category, urgency)


def office_file(kind: str) -> bytes:
    """A minimal DOCX (``docx``) or XLSX (``xlsx``) archive."""
    part = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<root/>")
    return buffer.getvalue()
