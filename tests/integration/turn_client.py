"""A minimal TURN client over UDP (RFC 5766 Allocate and CreatePermission with long-term credentials),
enough to ask a real coturn whether it accepts a credential and which peers it lets a client reach."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import socket
import struct
from dataclasses import dataclass

__all__ = ["TurnClient", "TurnReply"]

MAGIC = 0x2112A442
ALLOCATE, CREATE_PERMISSION = 0x0003, 0x0008
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE, REALM, NONCE = 0x0006, 0x0008, 0x0009, 0x0014, 0x0015
XOR_PEER_ADDRESS, REQUESTED_TRANSPORT = 0x0012, 0x0019
UDP = 17


@dataclass(frozen=True)
class TurnReply:
    """A response: success or the error code, with its attributes."""

    success: bool
    error: int
    attrs: dict[int, bytes]


def _attr(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def _parse(data: bytes) -> TurnReply:
    kind, length = struct.unpack("!HH", data[:4])
    attrs: dict[int, bytes] = {}
    at = 20
    while at + 4 <= 20 + length:
        a_kind, a_len = struct.unpack("!HH", data[at : at + 4])
        attrs.setdefault(a_kind, data[at + 4 : at + 4 + a_len])
        at += 4 + a_len + (-a_len % 4)
    error = 0
    if ERROR_CODE in attrs:
        raw = attrs[ERROR_CODE]
        error = (raw[2] & 0x7) * 100 + raw[3]
    return TurnReply(success=bool(kind & 0x0100) and not kind & 0x0010, error=error, attrs=attrs)


class TurnClient:
    """One client socket talking to one TURN server with one username and password."""

    def __init__(self, host: str, port: int, username: str, password: str) -> None:
        self.server = (host, port)
        self.username = username
        self.password = password
        self.realm = b""
        self.nonce = b""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(3.0)

    def close(self) -> None:
        """Close the socket (the allocation times out on the server)."""
        self.sock.close()

    def allocate(self) -> TurnReply:
        """Allocate a UDP relay: unauthenticated first (the 401 gives realm and nonce), then signed."""
        transport = _attr(REQUESTED_TRANSPORT, bytes([UDP, 0, 0, 0]))
        first = self._exchange(ALLOCATE, transport, signed=False)
        if first.error != 401:
            return first
        self.realm, self.nonce = first.attrs[REALM], first.attrs[NONCE]
        return self._exchange(ALLOCATE, transport, signed=True)

    def create_permission(self, peer: str) -> TurnReply:
        """Ask to let ``peer`` (IPv4) send to and receive from the relay."""
        address = int(ipaddress.IPv4Address(peer)) ^ MAGIC
        value = struct.pack("!BBHI", 0, 1, 0 ^ (MAGIC >> 16), address)
        return self._exchange(CREATE_PERMISSION, _attr(XOR_PEER_ADDRESS, value), signed=True)

    def _exchange(self, method: int, body: bytes, *, signed: bool) -> TurnReply:
        transaction = os.urandom(12)
        if signed:
            body += (
                _attr(USERNAME, self.username.encode()) + _attr(REALM, self.realm) + _attr(NONCE, self.nonce)
            )
            key = hashlib.md5(f"{self.username}:{self.realm.decode()}:{self.password}".encode()).digest()
            header = struct.pack("!HHI", method, len(body) + 24, MAGIC) + transaction
            body += _attr(MESSAGE_INTEGRITY, hmac.new(key, header + body, hashlib.sha1).digest())
        self.sock.sendto(struct.pack("!HHI", method, len(body), MAGIC) + transaction + body, self.server)
        while True:
            data = self.sock.recv(4096)
            if data[8:20] == transaction:
                return _parse(data)
