"""Kamailio's JSON-RPC from asyncio: one HTTP POST per call, to the front's RPC port (jsonrpcs through
xhttp, route[RPC] of ``kamailio_conf/kamailio.cfg``, which answers only the app nodes' addresses and,
where the front has one, requests bearing its token)."""

from __future__ import annotations

import asyncio
import itertools
import json
from urllib.parse import urlsplit

__all__ = ["KamailioRpcError", "rpc_call"]

_ids = itertools.count(1)
MAX_REPLY_BYTES = 4 * 1024 * 1024


class KamailioRpcError(Exception):
    """The call did not get a result: Kamailio unreachable, refused, or its error (``code``, message)."""

    def __init__(self, message: str, *, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


async def rpc_call(url: str, method: str, *params: str, timeout_s: float = 3.0, token: str = "") -> object:
    """Call ``method`` with string ``params`` at ``url`` (``http://host:port/RPC``), bearing ``token``
    if given; its result."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname is None:
        raise KamailioRpcError(f"not an http URL: {url}")
    body = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": next(_ids)})
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    request = (
        f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"{auth}Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n{body}"
    ).encode()
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
            try:
                writer.write(request)
                await writer.drain()
                reply = await reader.read(MAX_REPLY_BYTES)
                while chunk := await reader.read(MAX_REPLY_BYTES):
                    reply += chunk
            finally:
                writer.close()
    except (OSError, TimeoutError) as exc:
        raise KamailioRpcError(f"{method} at {url}: {exc!r}") from exc
    return _result(method, reply)


def _result(method: str, reply: bytes) -> object:
    head, _, payload = reply.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].decode(errors="replace")
    code = status.split(" ")[1] if status.startswith("HTTP/1.") and " " in status else ""
    if code != "200":
        # Kamailio puts a failed call's reason in the status line (e.g. "404 Key not found in htable.").
        raise KamailioRpcError(f"{method}: {status or 'no answer'}", code=int(code) if code.isdigit() else 0)
    try:
        answer = json.loads(payload)
    except ValueError as exc:
        raise KamailioRpcError(f"{method}: the answer is no JSON") from exc
    if not isinstance(answer, dict):
        raise KamailioRpcError(f"{method}: unexpected answer")
    if isinstance(error := answer.get("error"), dict):
        raise KamailioRpcError(f"{method}: {error.get('message', '')}", code=int(error.get("code", 0)))
    return answer.get("result")
