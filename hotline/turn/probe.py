"""A STUN Binding request (RFC 5389) over UDP: whether a STUN/TURN server answers at an address."""

from __future__ import annotations

import os
import socket
import struct

__all__ = ["stun_answers"]

BINDING_REQUEST = 0x0001
BINDING_SUCCESS = 0x0101
MAGIC_COOKIE = 0x2112A442


def stun_answers(host: str, port: int, *, timeout: float = 1.0) -> bool:
    """Whether a Binding request to ``host``:``port`` gets a Binding success with our transaction id."""
    transaction = os.urandom(12)
    request = struct.pack("!HHI", BINDING_REQUEST, 0, MAGIC_COOKIE) + transaction
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(request, (host, port))
            reply = sock.recv(2048)
        except OSError:
            return False
    if len(reply) < 20:
        return False
    kind, _, cookie = struct.unpack("!HHI", reply[:8])
    return kind == BINDING_SUCCESS and cookie == MAGIC_COOKIE and reply[8:20] == transaction
