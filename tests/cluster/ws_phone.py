"""A browser phone's first words over WebSocket (RFC 7118): a REGISTER and reading what arrives."""

from __future__ import annotations

import secrets

SIP_SUBPROTOCOL = "sip"


def register_request(extension: str, host: str, *, expires: int = 300) -> str:
    """A REGISTER as a browser phone sends it: Via and Contact on an ``.invalid`` host, transport ws."""
    alias = f"{secrets.token_hex(6)}.invalid"
    lines = [
        f"REGISTER sip:{host} SIP/2.0",
        f"Via: SIP/2.0/WS {alias};branch=z9hG4bK{secrets.token_hex(8)}",
        "Max-Forwards: 70",
        f"From: <sip:{extension}@{host}>;tag={secrets.token_hex(4)}",
        f"To: <sip:{extension}@{host}>",
        f"Call-ID: {secrets.token_hex(8)}",
        "CSeq: 1 REGISTER",
        f"Contact: <sip:{extension}@{alias};transport=ws>;expires={expires}",
        "Content-Length: 0",
        "",
        "",
    ]
    return "\r\n".join(lines)


def first_line(message: str | bytes) -> str:
    """The start line of a SIP message."""
    text = message.decode() if isinstance(message, bytes) else message
    return text.split("\r\n", 1)[0]
