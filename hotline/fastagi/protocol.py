"""The FastAGI wire format: the ``agi_*`` header block, command quoting, and reply lines.

Rules of this module:
- The header block is ``key: value`` lines ended by one empty line. It must arrive completely within a
  deadline; end-of-file or an over-long line ends the connection with :class:`AgiError`.
  (panoramisk's handler loops on ``reader.read()`` until it sees ``\\n\\n``; after EOF ``read()``
  returns ``b""`` at once, so the loop spins forever and freezes the event loop.)
- Replies: ``200 result=<r> [(data)] [endpos=<n>]``; ``100`` lines are progress and skipped;
  ``510`` is an unknown command; ``511`` means the channel is dead; ``520-`` opens a usage text that
  ends with a ``520 `` line; a bare ``HANGUP`` line announces the hangup (AGISIGHUP) and may arrive
  before any reply.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

MAX_HEADERS = 200
_CODE = re.compile(r"^(?P<code>\d{3})[ -]?(?P<rest>.*)$")
_RESULT = re.compile(r"(?:^|\s)result=(?P<value>\S*)")
_DATA = re.compile(r"\((?P<data>.*)\)")
_ENDPOS = re.compile(r"(?:^|\s)endpos=(?P<endpos>-?\d+)")
_INT = re.compile(r"^-?\d+$")


class AgiError(Exception):
    """A FastAGI command or session failed; ``error_id`` is stable, ``details`` is JSON-friendly."""

    def __init__(self, error_id: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.details: dict[str, object] = details


class AgiHangup(Exception):
    """The channel hung up (``HANGUP`` then ``result=-1``, a ``511`` reply, or the socket closed)."""


@dataclass(frozen=True)
class AgiResult:
    """One parsed ``200`` reply. ``result_text`` keeps the raw value (``GET DATA`` digits such as ``007``)."""

    code: int
    result: int
    data: str
    result_text: str = ""
    endpos: int | None = None


def quote(argument: str) -> str:
    """One AGI command argument, double-quoted with backslash escapes; line breaks are refused."""
    if "\n" in argument or "\r" in argument:
        raise AgiError("agi.invalid_argument", "AGI argument contains a line break", argument=argument)
    return '"' + argument.replace("\\", "\\\\").replace('"', '\\"') + '"'


def route_name(script: str) -> str:
    """``agi_network_script`` to a route key: no leading ``/``, no query string."""
    return script.partition("?")[0].strip().lstrip("/")


def parse_result(line: str) -> AgiResult:
    """A final reply line as :class:`AgiResult`; 510, 511 and unknown codes raise."""
    match = _CODE.match(line.strip())
    if match is None:
        raise AgiError("agi.unexpected_reply", f"unexpected AGI reply {line!r}", line=line)
    code, rest = int(match["code"]), match["rest"]
    if code == 511:
        raise AgiHangup(rest or "command not permitted on a dead channel")
    if code == 510:
        raise AgiError("agi.invalid_command", f"Asterisk rejected the command: {rest}", line=line)
    if code != 200:
        raise AgiError("agi.unexpected_reply", f"unexpected AGI reply {line!r}", line=line, code=code)
    data_match = _DATA.search(rest)
    outside = _DATA.sub("", rest)
    value_match = _RESULT.search(outside)
    endpos_match = _ENDPOS.search(outside)
    text = value_match["value"] if value_match else ""
    return AgiResult(
        code=code,
        result=int(text) if _INT.match(text) else 0,
        data=data_match["data"] if data_match else "",
        result_text=text,
        endpos=int(endpos_match["endpos"]) if endpos_match else None,
    )


async def read_line(reader: asyncio.StreamReader) -> str | None:
    """One ``\\n``-terminated line without its terminator; None at end-of-file (even after a partial line)."""
    try:
        raw = await reader.readline()
    except ValueError as exc:
        raise AgiError("agi.line_too_long", "AGI line exceeds the stream limit") from exc
    if not raw.endswith(b"\n"):
        return None
    return raw.decode("utf-8", "replace").rstrip("\r\n")


async def read_headers(reader: asyncio.StreamReader, *, timeout_s: float) -> dict[str, str]:
    """The ``agi_*`` header block; :class:`AgiError` on EOF, timeout or an oversized block."""
    try:
        async with asyncio.timeout(timeout_s):
            return await _read_header_lines(reader)
    except TimeoutError:
        raise AgiError(
            "agi.header_timeout", f"AGI header not complete within {timeout_s:g}s", timeout=timeout_s
        ) from None


async def _read_header_lines(reader: asyncio.StreamReader) -> dict[str, str]:
    headers: dict[str, str] = {}
    while True:
        line = await read_line(reader)
        if line is None:
            raise AgiError(
                "agi.header_eof", "peer closed before the end of the AGI header", seen=len(headers)
            )
        if not line:
            return headers
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip()] = value.removeprefix(" ")
        if len(headers) > MAX_HEADERS:
            raise AgiError("agi.header_too_long", f"more than {MAX_HEADERS} AGI header lines")
