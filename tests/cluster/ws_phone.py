"""A browser phone's first words over WebSocket (RFC 7118): a REGISTER, answering Kamailio's digest
challenge, and reading what arrives; and the extension's password put in Kamailio's "phones" table (as
the app does, hotline.kamailio.phone_passwords) for phones that register without a centre."""

from __future__ import annotations

import asyncio
import secrets

import websockets

from hotline.kamailio.process import KamailioSandbox
from tests.integration.sip_register import digest

SIP_SUBPROTOCOL = "sip"


def register_request(
    extension: str,
    host: str,
    *,
    expires: int = 300,
    cseq: int = 1,
    call_id: str = "",
    auth: str = "",
    user: str = "",
) -> str:
    """A REGISTER as a browser phone sends it: Via and Contact on an ``.invalid`` host, transport ws;
    From ``user`` (by default the extension registered), with ``auth`` as its Authorization."""
    alias = f"{secrets.token_hex(6)}.invalid"
    lines = [
        f"REGISTER sip:{host} SIP/2.0",
        f"Via: SIP/2.0/WS {alias};branch=z9hG4bK{secrets.token_hex(8)}",
        "Max-Forwards: 70",
        f"From: <sip:{user or extension}@{host}>;tag={secrets.token_hex(4)}",
        f"To: <sip:{extension}@{host}>",
        f"Call-ID: {call_id or secrets.token_hex(8)}",
        f"CSeq: {cseq} REGISTER",
        f"Contact: <sip:{extension}@{alias};transport=ws>;expires={expires}",
    ]
    if auth:
        lines.append(f"Authorization: {auth}")
    return "\r\n".join([*lines, "Content-Length: 0", "", ""])


def first_line(message: str | bytes) -> str:
    """The start line of a SIP message."""
    text = message.decode() if isinstance(message, bytes) else message
    return text.split("\r\n", 1)[0]


async def register(
    ws: websockets.ClientConnection,
    extension: str,
    host: str,
    password: str | None,
    *,
    expires: int = 300,
    auth_user: str = "",
    from_user: str = "",
) -> list[str]:
    """Register ``extension`` over ``ws``: the first final reply's status line and, when it is a
    challenge and ``password`` is given, the retry's (credentials of ``auth_user``, by default the
    extension; From ``from_user``, by default the extension)."""
    call_id = secrets.token_hex(8)
    request = register_request(extension, host, expires=expires, call_id=call_id, user=from_user)
    await ws.send(request)
    reply = str(await asyncio.wait_for(ws.recv(), 10))
    lines = [first_line(reply)]
    if lines[0].startswith("SIP/2.0 401") and password is not None:
        auth = digest(
            reply, method="REGISTER", uri=f"sip:{host}", user=auth_user or extension, password=password
        )
        retry = register_request(
            extension, host, expires=expires, cseq=2, call_id=call_id, auth=auth, user=from_user
        )
        await ws.send(retry)
        lines.append(first_line(str(await asyncio.wait_for(ws.recv(), 10))))
    return lines


def give_password(kamailio: KamailioSandbox, extension: str) -> str:
    """A fresh password of ``extension`` in Kamailio's "phones" table (over its ctl socket)."""
    password = secrets.token_urlsafe(12)
    kamailio.rpc("htable.sets", "phones", f"s:{extension}", f"s:{password}")
    return password
