"""A blocking, minimal AMI session for checking that a sandbox is up (no event loop needed).

Only for readiness probes and tests of the sandbox itself; the application uses ``hotline.ami``.
"""

from __future__ import annotations

import contextlib
import socket
import time

from hotline.sandbox.errors import SandboxError

__all__ = ["AmiProbe", "Message"]

Message = dict[str, str]


class AmiProbe:
    """One logged-in AMI connection; use as a context manager."""

    def __init__(self, *, host: str, port: int, username: str, secret: str, timeout: float = 5.0) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._buffer = b""
        self._action_id = 0
        self.fully_booted = False
        try:
            self.banner = self._read_line()
            reply = self.action("Login", Username=username, Secret=secret)
        except BaseException:
            self._sock.close()
            raise
        if reply.get("Response") != "Success":
            self._sock.close()
            raise SandboxError(
                "ami_login_failed", "AMI refused the login", port=port, reply=reply.get("Message", "")
            )

    def __enter__(self) -> AmiProbe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Log off (best effort) and close the socket."""
        with contextlib.suppress(OSError):
            self._send("Logoff", {})
        self._sock.close()

    def action(self, name: str, **fields: str) -> Message:
        """Send one action and return its response (events read meanwhile are noted, then dropped)."""
        action_id = self._send(name, fields)
        while True:
            message = self.read_message()
            if message.get("ActionID") == action_id and "Response" in message:
                return message

    def wait_fully_booted(self, deadline: float) -> bool:
        """Read until Asterisk says ``FullyBooted`` or the monotonic ``deadline`` passes."""
        while not self.fully_booted:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._sock.settimeout(remaining)
            try:
                self.read_message()
            except TimeoutError:
                return False
        return True

    def read_message(self) -> Message:
        """The next message (response or event) as a header dict."""
        message: Message = {}
        while True:
            line = self._read_line()
            if not line:
                if message:
                    break
                continue
            key, _, value = line.partition(":")
            message.setdefault(key.strip(), value.strip())
        if message.get("Event") == "FullyBooted":
            self.fully_booted = True
        return message

    def _send(self, name: str, fields: dict[str, str]) -> str:
        self._action_id += 1
        action_id = f"probe-{self._action_id}"
        lines = [f"Action: {name}", f"ActionID: {action_id}", *(f"{k}: {v}" for k, v in fields.items())]
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return action_id

    def _read_line(self) -> str:
        while b"\r\n" not in self._buffer:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("AMI closed the connection")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\r\n")
        return line.decode("utf-8", errors="replace")
