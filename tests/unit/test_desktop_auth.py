"""Passwords are salted hashes; tokens expire and can be revoked."""

from __future__ import annotations

from agent_desktop.auth import Role, TokenStore, hash_password, verify_password


def test_given_hash_when_verified_then_only_the_right_password_matches() -> None:
    stored = hash_password("s3cret-pass")
    assert stored != hash_password("s3cret-pass")
    assert verify_password("s3cret-pass", stored)
    assert not verify_password("wrong", stored)
    assert not verify_password("s3cret-pass", None)
    assert not verify_password("s3cret-pass", "plain$text")
    assert not verify_password("s3cret-pass", "scrypt$zz$00")


def test_given_token_when_expired_or_revoked_then_unknown() -> None:
    tokens = TokenStore(lifetime_s=10)
    token = tokens.issue("1001", Role.AGENT, now=100.0)
    principal = tokens.resolve(token, now=105.0)
    assert principal is not None
    assert principal.user_id == "1001"
    assert tokens.resolve(token, now=111.0) is None
    other = tokens.issue("1002", Role.SUPERVISOR, now=100.0)
    tokens.revoke(other)
    assert tokens.resolve(other, now=101.0) is None
