"""TURN REST credentials (coturn ``use-auth-secret``) and the ICE server list handed to a browser phone.

The username is ``<expiry>:<user>`` (expiry in Unix seconds) and the password is
base64(HMAC-SHA1(secret, username)); coturn accepts it until the expiry without knowing the user.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["IceServers", "TurnCredential", "turn_credential"]

IceServer = dict[str, str | list[str]]


@dataclass(frozen=True)
class TurnCredential:
    """One user's TURN username and password, valid until ``expires_at`` (Unix seconds)."""

    username: str
    password: str
    expires_at: int


def turn_credential(secret: str, user: str, *, ttl_s: int, now: float | None = None) -> TurnCredential:
    """The REST credential of ``user`` for ``ttl_s`` seconds from ``now``."""
    if ":" in user:
        raise ValueError("a TURN user id must not contain ':'")
    expires_at = int(now if now is not None else time.time()) + ttl_s
    username = f"{expires_at}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredential(username, base64.b64encode(digest).decode("ascii"), expires_at)


@dataclass(frozen=True, kw_only=True)
class IceServers:
    """The STUN and TURN servers of a centre and the shared secret of its TURN server."""

    stun_urls: Sequence[str] = ()
    turn_urls: Sequence[str] = ()
    secret: str = ""
    ttl_s: int = 12 * 3600

    def for_user(self, user: str, *, now: float | None = None) -> list[IceServer]:
        """RTCPeerConnection ``iceServers`` for ``user``: STUN, then TURN with a fresh credential."""
        servers: list[IceServer] = []
        if self.stun_urls:
            servers.append({"urls": list(self.stun_urls)})
        if self.turn_urls and self.secret:
            cred = turn_credential(self.secret, user, ttl_s=self.ttl_s, now=now)
            servers.append(
                {"urls": list(self.turn_urls), "username": cred.username, "credential": cred.password}
            )
        return servers
