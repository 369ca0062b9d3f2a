"""One FastAGI call: the ``agi_*`` headers plus typed commands over the socket Asterisk opened."""

from __future__ import annotations

import asyncio
import itertools
import math
import re
from collections.abc import Mapping
from types import MappingProxyType

from hotline.fastagi.protocol import (
    AgiError,
    AgiHangup,
    AgiResult,
    parse_result,
    quote,
    read_line,
    route_name,
)

_VARIABLE_NAME = re.compile(r"^[A-Za-z0-9_.()\[\]:-]+$")


_PLAIN_VALUE = re.compile(r"[\w:.,/@+*#-]*")
"""Values MSet takes as they are once commas are escaped: no quotes, backslashes, parentheses, spaces,
``=`` or ``|`` (its argument parser would read them)."""


def _variable_name(name: str) -> str:
    if not _VARIABLE_NAME.match(name):
        raise AgiError("agi.invalid_argument", f"bad channel variable name {name!r}", variable=name)
    return name


class AgiSession:
    """The call Asterisk handed over: headers as sent, and one command at a time on the socket."""

    def __init__(
        self,
        *,
        headers: Mapping[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        command_timeout: float,
    ) -> None:
        self.headers: Mapping[str, str] = MappingProxyType(dict(headers))
        self.channel = headers.get("agi_channel", "")
        self.uniqueid = headers.get("agi_uniqueid", "")
        self.caller_id = headers.get("agi_callerid", "")
        self.script = route_name(headers.get("agi_network_script", ""))
        self.args: list[str] = []
        for n in itertools.count(1):
            if f"agi_arg_{n}" not in headers:
                break
            self.args.append(headers[f"agi_arg_{n}"])
        self.hung_up = False
        self._reader = reader
        self._writer = writer
        self._command_timeout = command_timeout
        self._lock = asyncio.Lock()
        self._broken = False

    async def command(
        self,
        line: str,
        *,
        timeout: float | None = None,
    ) -> AgiResult:
        """Send one raw AGI command and parse its reply.

        :class:`AgiHangup` when the channel is gone (``511``, end-of-file, or ``result=-1`` after
        ``HANGUP``); :class:`AgiError` for ``510``/``520`` replies and a reply slower than ``timeout``
        (None: the server's ``command_timeout``; ``math.inf``: no limit). After a timeout the session is
        out of step with Asterisk and refuses further commands.
        """
        if "\n" in line or "\r" in line:
            raise AgiError("agi.invalid_argument", "AGI command contains a line break", command=line)
        limit = self._command_timeout if timeout is None else timeout
        async with self._lock:
            if self._broken:
                raise AgiError("agi.session_broken", "AGI session is out of step; no more commands")
            result = await self._exchange(line, limit)
        if result.data == "hangup":
            self.hung_up = True
        if result.result == -1 and self.hung_up:
            raise AgiHangup(f"channel hung up during {line.split(' ', 1)[0]}")
        return result

    async def _exchange(self, line: str, limit: float) -> AgiResult:
        try:
            self._writer.write(line.encode("utf-8") + b"\n")
            await self._writer.drain()
            return await asyncio.wait_for(self._read_reply(line), limit)
        except ConnectionError as exc:
            self._broken = True
            raise AgiHangup("AGI socket closed") from exc
        except TimeoutError:
            self._broken = True
            raise AgiError(
                "agi.command_timeout", f"no AGI reply within {limit:g}s", command=line, timeout=limit
            ) from None

    async def _read_reply(self, command: str) -> AgiResult:
        while True:
            line = await read_line(self._reader)
            if line is None:
                self._broken = True
                raise AgiHangup("AGI socket closed by Asterisk")
            if line.strip() == "HANGUP":
                self.hung_up = True
            elif line.startswith("520-"):
                raise AgiError(
                    "agi.usage",
                    "Asterisk rejected the command syntax",
                    command=command,
                    usage=await self._read_usage(line),
                )
            elif line.strip() and not line.startswith("100"):
                return parse_result(line)

    async def _read_usage(self, first: str) -> str:
        lines = [first[4:]]
        while (line := await read_line(self._reader)) is not None:
            if line.startswith("520 "):
                break
            lines.append(line)
        return "\n".join(lines).strip()

    def _succeeded(self, result: AgiResult, what: str) -> AgiResult:
        if result.result == -1:
            raise AgiError("agi.command_failed", f"{what} failed", command=what, data=result.data)
        return result

    async def answer(self) -> None:
        """Answer the channel."""
        self._succeeded(await self.command("ANSWER"), "ANSWER")

    async def stream_file(self, name: str, escape_digits: str = "") -> str:
        """Play a prompt; the digit that interrupted it, or ``""``."""
        result = self._succeeded(
            await self.command(f"STREAM FILE {quote(name)} {quote(escape_digits)}"), name
        )
        return chr(result.result) if result.result > 0 else ""

    async def get_data(self, prompt: str, *, timeout_ms: int, max_digits: int) -> str:
        """Play ``prompt`` and collect up to ``max_digits`` digits; ``""`` when nothing was pressed."""
        limit = self._command_timeout + timeout_ms / 1000 * (max_digits + 1)
        line = f"GET DATA {quote(prompt)} {int(timeout_ms)} {int(max_digits)}"
        return self._succeeded(await self.command(line, timeout=limit), line).result_text

    async def wait_for_digit(self, timeout_ms: int) -> str:
        """Wait for one digit; ``""`` on timeout (``timeout_ms=-1`` waits as long as the call lasts)."""
        limit = math.inf if timeout_ms < 0 else self._command_timeout + timeout_ms / 1000
        line = f"WAIT FOR DIGIT {int(timeout_ms)}"
        result = self._succeeded(await self.command(line, timeout=limit), line)
        return chr(result.result) if result.result > 0 else ""

    async def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable for the dialplan."""
        await self.command(f"SET VARIABLE {_variable_name(name)} {quote(value)}")

    async def set_variables(self, values: Mapping[str, str]) -> None:
        """Set several channel variables, in order: in one round trip (``EXEC MSet``, commas escaped)
        when every value is plain text, else one ``SET VARIABLE`` each."""
        names = [_variable_name(name) for name in values]
        if len(values) > 1 and all(_PLAIN_VALUE.fullmatch(v) for v in values.values()):
            escaped = (value.replace(",", "\\,") for value in values.values())
            pairs = ",".join(f"{name}={value}" for name, value in zip(names, escaped, strict=True))
            result = await self.exec("MSet", pairs)
            if result.result != -2:
                return
        for name, value in values.items():
            await self.set_variable(name, value)

    async def get_variable(self, name: str) -> str | None:
        """A channel variable (or dialplan function), None when unset."""
        result = await self.command(f"GET VARIABLE {_variable_name(name)}")
        return result.data if result.result == 1 else None

    async def verbose(self, message: str, level: int = 1) -> None:
        """Write ``message`` to the Asterisk console and log."""
        await self.command(f"VERBOSE {quote(message)} {int(level)}")

    async def exec(
        self,
        application: str,
        args: str = "",
        *,
        timeout: float | None = None,
    ) -> AgiResult:
        """Run a dialplan application; its return value is in ``result`` (``-2``: no such application)."""
        if not application.isidentifier():
            raise AgiError(
                "agi.invalid_argument", f"bad application name {application!r}", application=application
            )
        return await self.command(f"EXEC {application} {quote(args)}", timeout=timeout)
