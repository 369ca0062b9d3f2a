"""Passwords and bearer tokens for desktop users (agents, supervisors, admins, department users).

A token ends when it expires, when it is revoked (sign-out) or when its user's tokens are revoked (the
user was changed: role, password, disabled); whoever watches the store (the websocket hub) is told of
every revocation so that open desktops of that token close at once.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from agent_desktop.passwords import Passwords


class Role(StrEnum):
    """What a signed-in user may do."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    DEPARTMENT = "department"
    """A user of a handling department (承办单位): only the department portal (``tickets.dept_api``)."""
    QA = "qa"
    """Quality inspection staff (质检员): recordings, transcripts and the QA work list."""


_PASSWORDS = Passwords()


def hash_password(password: str) -> str:
    """A salted argon2id hash at the default cost (agent_desktop.passwords)."""
    return _PASSWORDS.hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches a stored hash (argon2id, or a legacy scrypt one)."""
    return _PASSWORDS.verify(password, stored).ok


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in user."""

    user_id: str
    role: Role
    expires_at: float

    def may(self, *roles: Role) -> bool:
        """True when the user's role is one of ``roles``."""
        return self.role in roles


RevokeListener = Callable[[str, str], None]
REVOKED = "session_revoked"
USER_CHANGED = "user_changed"


class TokenStore:
    """Opaque bearer tokens with a lifetime, kept in memory."""

    def __init__(self, *, lifetime_s: float = 12 * 3600) -> None:
        self._lifetime_s = lifetime_s
        self._tokens: dict[str, Principal] = {}
        self._listeners: list[RevokeListener] = []

    def on_revoke(self, listener: RevokeListener) -> None:
        """Call ``listener(token, reason)`` whenever a token is revoked (reason ``session_revoked`` or
        ``user_changed``)."""
        self._listeners.append(listener)

    def _revoked(self, token: str, reason: str) -> None:
        for listener in self._listeners:
            listener(token, reason)

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
        self._revoked(token, REVOKED)

    def revoke_user(self, user_id: str) -> int:
        """Forget every token of ``user_id`` (role or password changed); returns how many."""
        gone = [t for t, p in self._tokens.items() if p.user_id == user_id]
        for token in gone:
            del self._tokens[token]
            self._revoked(token, USER_CHANGED)
        return len(gone)
