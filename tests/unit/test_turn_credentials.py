"""TURN REST credentials and the ICE server list a browser phone is given."""

from __future__ import annotations

import pytest

from hotline.turn.credentials import IceServers, turn_credential


def test_given_secret_and_user_when_issuing_credential_then_expiry_username_and_hmac_sha1_password() -> None:
    cred = turn_credential("north-sea-secret", "1001", ttl_s=3600, now=1699996400.7)
    assert cred.username == "1700000000:1001"
    assert cred.expires_at == 1700000000
    # printf '%s' 1700000000:1001 | openssl dgst -sha1 -hmac north-sea-secret -binary | base64
    assert cred.password == "o2FjPn5SQ65DYUyxN/MdnWInHjY="


def test_given_user_id_with_separator_when_issuing_credential_then_refused() -> None:
    with pytest.raises(ValueError, match="':'"):
        turn_credential("s", "10:01", ttl_s=60)


def test_given_stun_and_turn_when_listing_for_user_then_turn_entry_carries_fresh_credential() -> None:
    ice = IceServers(
        stun_urls=["stun:t.example:3478"], turn_urls=["turn:t.example:3478"], secret="k", ttl_s=600
    )
    servers = ice.for_user("1002", now=1000)
    assert servers[0] == {"urls": ["stun:t.example:3478"]}
    expected = turn_credential("k", "1002", ttl_s=600, now=1000)
    assert servers[1] == {
        "urls": ["turn:t.example:3478"],
        "username": "1600:1002",
        "credential": expected.password,
    }


def test_given_turn_without_secret_or_nothing_when_listing_then_no_turn_entry() -> None:
    assert IceServers(turn_urls=["turn:t.example:3478"]).for_user("1001") == []
    assert IceServers().for_user("1001") == []
