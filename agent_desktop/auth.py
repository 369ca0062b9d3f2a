"""Passwords and bearer tokens for desktop users (agents, supervisors, admins)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a signed-in user may do."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    """Salted scrypt hash in the form ``scrypt$<salt hex>$<hash hex>``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check of ``password`` against a stored hash."""
    if not stored or stored.count("$") != 2:
        return False
    scheme, salt_hex, digest_hex = stored.split("$")
    if scheme != "scrypt":
        return False
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in user."""

    user_id: str
    role: Role
    expires_at: float

    def may(self, *roles: Role) -> bool:
        """True when the user's role is one of ``roles``."""
        return self.role in roles


class TokenStore:
    """Opaque bearer tokens with a lifetime, kept in memory."""

    def __init__(self, *, lifetime_s: float = 12 * 3600) -> None:
        self._lifetime_s = lifetime_s
        self._tokens: dict[str, Principal] = {}

    def issue(self, user_id: str, role: Role, *, now: float | None = None) -> str:
        """A new token for ``user_id``."""
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(32)
        self._tokens[token] = Principal(user_id=user_id, role=role, expires_at=now + self._lifetime_s)
        return token

    def resolve(self, token: str, *, now: float | None = None) -> Principal | None:
        """The principal behind ``token``, or None if unknown or expired."""
        now = time.time() if now is None else now
        principal = self._tokens.get(token)
        if principal is None:
            return None
        if principal.expires_at <= now:
            del self._tokens[token]
            return None
        return principal

    def revoke(self, token: str) -> None:
        """Forget ``token``."""
        self._tokens.pop(token, None)

    def revoke_user(self, user_id: str) -> int:
        """Forget every token of ``user_id`` (role or password changed); returns how many."""
        gone = [t for t, p in self._tokens.items() if p.user_id == user_id]
        for token in gone:
            del self._tokens[token]
        return len(gone)
