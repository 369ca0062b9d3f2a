"""Which tokens a node's database check revokes (agent_desktop.revocation.stale_tokens), and the token
store's announcing of a user's revocation."""

from __future__ import annotations

from agent_desktop.auth import Principal, Role, TokenStore
from agent_desktop.revocation import UserState, fingerprint, stale_tokens

AGENT = UserState(role="agent", password=fingerprint("hash-1"))


def _held(**users: str) -> list[tuple[str, Principal]]:
    return [(t, Principal(user_id=u, role=Role.AGENT, expires_at=1e12)) for t, u in users.items()]


def test_given_first_check_then_users_as_seen_are_kept_and_stamped() -> None:
    stamps: dict[str, str] = {}
    assert stale_tokens(_held(t1="7001"), {"7001": AGENT}, stamps) == []
    assert stamps == {"t1": AGENT.stamp}


def test_given_disabled_user_then_revoked_even_on_first_check() -> None:
    disabled = UserState("agent", "", disabled=True)
    assert stale_tokens(_held(t1="7001"), {"7001": disabled}, {}) == ["t1"]


def test_given_a_user_without_password_who_is_not_disabled_then_the_token_is_kept_until_a_change() -> None:
    stamps: dict[str, str] = {}
    unset = UserState("agent", "")
    assert stale_tokens(_held(t1="7001"), {"7001": unset}, stamps) == []
    assert stale_tokens(_held(t1="7001"), {"7001": unset}, stamps) == []
    assert stale_tokens(_held(t1="7001"), {"7001": UserState("supervisor", "")}, stamps) == ["t1"]


def test_given_new_password_other_role_or_deleted_after_first_check_then_revoked() -> None:
    stamps: dict[str, str] = {}
    held = _held(t1="7001", t2="7002", t3="7003", t4="7004")
    states = {u: AGENT for u in ("7001", "7002", "7003", "7004")}
    assert stale_tokens(held, states, stamps) == []
    later = {
        "7001": UserState("agent", fingerprint("hash-2")),
        "7002": UserState("supervisor", AGENT.password),
        "7004": AGENT,
    }
    assert stale_tokens(held, later, stamps) == ["t1", "t2", "t3"]
    assert stamps == {"t4": AGENT.stamp}


def test_given_user_the_table_never_held_then_left_alone() -> None:
    stamps: dict[str, str] = {}
    assert stale_tokens(_held(t1="ghost"), {}, stamps) == []
    assert stale_tokens(_held(t1="ghost"), {}, stamps) == []
    assert stamps == {}


def test_given_user_revoked_here_then_announced_once_but_not_when_heard() -> None:
    tokens = TokenStore()
    told: list[str] = []
    closed: list[tuple[str, str]] = []
    tokens.on_user_revoked(told.append)
    tokens.on_revoke(lambda token, reason: closed.append((token, reason)))
    mine = tokens.issue("7001", Role.AGENT)
    other = tokens.issue("7002", Role.AGENT)
    assert tokens.revoke_user("7001") == 1
    assert tokens.revoke_user("7003") == 0
    assert tokens.revoke_user("7002", announce=False) == 1
    assert told == ["7001", "7003"]
    assert closed == [(mine, "user_changed"), (other, "user_changed")]
    assert tokens.held() == []
