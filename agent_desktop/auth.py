"""Passwords and bearer tokens for desktop users (agents, supervisors, admins, department users).

A token ends when it expires, when it is revoked (sign-out) or when its user's tokens are revoked (the
user was changed: role, password, disabled); whoever watches the store (the websocket hub) is told of
every revocation so that open desktops of that token close at once. A user's revocation made here is
also announced (:meth:`TokenStore.on_user_revoked`), so that the other app nodes revoke that user's
tokens too (agent_desktop.revocation).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
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
UserRevokeListener = Callable[[str], None]
REVOKED = "session_revoked"
USER_CHANGED = "user_changed"


class TokenStore:
    """Opaque bearer tokens with a lifetime, kept in memory."""

    def __init__(self, *, lifetime_s: float = 12 * 3600) -> None:
        self._lifetime_s = lifetime_s
        self._tokens: dict[str, Principal] = {}
        self._listeners: list[RevokeListener] = []
        self._user_listeners: list[UserRevokeListener] = []

    def on_revoke(self, listener: RevokeListener) -> None:
        """Call ``listener(token, reason)`` whenever a token is revoked (reason ``session_revoked`` or
        ``user_changed``)."""
        self._listeners.append(listener)

    def on_user_revoked(self, listener: UserRevokeListener) -> None:
        """Call ``listener(user_id)`` whenever this node revokes a user's tokens on its own account
        (not when told to by another node), even when the user holds none here."""
        self._user_listeners.append(listener)

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

    def revoke_user(self, user_id: str, *, announce: bool = True) -> int:
        """Forget every token of ``user_id`` (role or password changed, disabled); returns how many.
        With ``announce`` the ``on_user_revoked`` listeners are told (the other nodes follow); a
        revocation heard from another node passes ``announce=False``."""
        count = self.revoke_tokens([t for t, p in self._tokens.items() if p.user_id == user_id])
        if announce:
            for listener in self._user_listeners:
                listener(user_id)
        return count

    def revoke_tokens(self, tokens: Iterable[str], reason: str = USER_CHANGED) -> int:
        """Forget each of ``tokens`` still held, telling the listeners ``reason``; returns how many."""
        count = 0
        for token in tokens:
            if self._tokens.pop(token, None) is not None:
                count += 1
                self._revoked(token, reason)
        return count

    def held(self, *, now: float | None = None) -> list[tuple[str, Principal]]:
        """The tokens in force now with their principals (a snapshot)."""
        now = time.time() if now is None else now
        return [(t, p) for t, p in tuple(self._tokens.items()) if p.expires_at > now]
