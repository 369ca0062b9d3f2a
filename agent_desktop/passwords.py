"""Password hashes: argon2id whose cost travels inside each hash, so the cost can be raised later.

A stored hash is the PHC string argon2-cffi writes (``$argon2id$v=19$m=...,t=...,p=...$salt$hash``).
Hashes made before argon2 (``scrypt$<salt hex>$<hash hex>``, scrypt n=2**14 r=8 p=1) still verify; a
verdict says when a hash is weaker than the current cost (every scrypt hash, or argon2 with other
parameters) so that the sign-in can store a fresh one. :meth:`Passwords.burn` spends the same work as
a real check, for users that do not exist.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import NamedTuple

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

LEGACY_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True, slots=True)
class PasswordCost:
    """argon2id parameters; the default is OWASP's recommended minimum (19 MiB, 2 passes, 1 lane)."""

    time_cost: int = 2
    memory_kib: int = 19 * 1024
    parallelism: int = 1


class Verdict(NamedTuple):
    """Whether a password matched, and whether its stored hash should be replaced."""

    ok: bool
    rehash: bool = False


class Passwords:
    """Hashes and checks passwords at one cost."""

    def __init__(self, cost: PasswordCost | None = None) -> None:
        cost = cost or PasswordCost()
        self._hasher = PasswordHasher(
            time_cost=cost.time_cost,
            memory_cost=cost.memory_kib,
            parallelism=cost.parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        """A new salted argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, password: str, stored: str | None) -> Verdict:
        """Check ``password`` against a stored hash (argon2id or legacy scrypt)."""
        if not stored:
            return Verdict(ok=False)
        if stored.startswith("scrypt$"):
            return Verdict(ok=_verify_scrypt(password, stored), rehash=True)
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return Verdict(ok=False)
        return Verdict(ok=True, rehash=self._hasher.check_needs_rehash(stored))

    def burn(self, password: str) -> None:
        """Do the work of one check against a hash nobody has (for unknown users)."""
        if self._dummy is None:
            self._dummy = self.hash(secrets.token_urlsafe(16))
        self.verify(password, self._dummy)


def _verify_scrypt(password: str, stored: str) -> bool:
    parts = stored.split("$")
    if len(parts) != 3:
        return False
    try:
        salt = bytes.fromhex(parts[1])
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode(), salt=salt, **LEGACY_SCRYPT)
    return hmac.compare_digest(digest.hex(), parts[2])


def legacy_scrypt_hash(password: str) -> str:
    """A hash in the pre-argon2 format (to test that such hashes still verify and get upgraded)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **LEGACY_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"
