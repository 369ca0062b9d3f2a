"""Sign-in through the real HTTP app: backoff per user and per address (429 with Retry-After, the right
password refused during a lockout), the same hash work for unknown users, hashing in its own threads,
legacy scrypt hashes upgraded to argon2id on the next sign-in. The throttle's clock is frozen."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from agent_desktop.login import HashPool, LoginGuard
from agent_desktop.login_throttle import LoginThrottle
from agent_desktop.passwords import PasswordCost, Passwords, Verdict, legacy_scrypt_hash
from hotline.db import repository as repo
from tests.unit.desktop_http import site

pytestmark = pytest.mark.timeout(120)

CHEAP = PasswordCost(time_cost=1, memory_kib=1024)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class CountingPasswords(Passwords):
    """Real hashing that remembers which thread did each check and against what."""

    def __init__(self) -> None:
        super().__init__(CHEAP)
        self.checks: list[tuple[str, str]] = []

    def verify(self, password: str, stored: str | None) -> Verdict:
        self.checks.append((threading.current_thread().name, "dummy" if stored == self._dummy else "user"))
        return super().verify(password, stored)


def guard(clock: Clock, passwords: Passwords | None = None) -> LoginGuard:
    return LoginGuard(throttle=LoginThrottle(clock=clock), passwords=passwords or Passwords(CHEAP))


async def test_given_25_wrong_passwords_when_the_right_one_follows_then_429_with_retry_after(
    tmp_path: Path,
) -> None:
    clock = Clock()
    login = guard(clock)
    async with site(tmp_path, login) as web:
        web.add_user("1001", login.passwords.hash("right-one"))
        answers = [(await web.sign_in("1001", f"wrong-{i}")).status_code for i in range(25)]
        assert answers[:5] == [401] * 5
        assert set(answers[5:]) == {429}
        locked = await web.sign_in("1001", "right-one")
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) >= 1
        body = locked.json()
        assert body["error_id"] == "too_many_attempts"
        assert body["details"]["retry_after_s"] >= 1


async def test_given_a_lockout_when_it_has_passed_then_the_right_password_signs_in_and_the_count_resets(
    tmp_path: Path,
) -> None:
    clock = Clock()
    login = guard(clock)
    async with site(tmp_path, login) as web:
        web.add_user("1001", login.passwords.hash("right-one"))
        for i in range(6):
            await web.sign_in("1001", f"wrong-{i}")
        assert (await web.sign_in("1001", "right-one")).status_code == 429
        clock.now += 2  # five free attempts, one more locked the user for 2 s
        assert (await web.sign_in("1001", "right-one")).status_code == 200
        answers = [(await web.sign_in("1001", f"again-{i}")).status_code for i in range(5)]
        assert answers == [401] * 5


async def test_given_guesses_at_many_user_ids_from_one_address_then_the_address_is_locked(
    tmp_path: Path,
) -> None:
    clock = Clock()
    login = guard(clock)
    async with site(tmp_path, login) as web:
        web.add_user("1001", login.passwords.hash("right-one"))
        answers = [(await web.sign_in(f"u{i}", "guess")).status_code for i in range(30)]
        assert answers == [401] * 30
        refused = await web.sign_in("1001", "right-one")
        assert refused.status_code == 429
        assert "Retry-After" in refused.headers


async def test_given_an_unknown_user_then_a_dummy_hash_is_checked_in_the_hash_threads(tmp_path: Path) -> None:
    passwords = CountingPasswords()
    login = guard(Clock(), passwords)
    async with site(tmp_path, login) as web:
        web.add_user("1001", passwords.hash("right-one"))
        web.add_user("nopass", None)
        assert (await web.sign_in("1001", "wrong")).status_code == 401
        assert (await web.sign_in("ghost", "wrong")).status_code == 401
        assert (await web.sign_in("nopass", "wrong")).status_code == 401
        assert [kind for _, kind in passwords.checks] == ["user", "dummy", "dummy"]
        assert all(name.startswith("password-hash") for name, _ in passwords.checks)


async def test_given_a_legacy_scrypt_hash_when_signing_in_then_it_is_replaced_by_argon2id(
    tmp_path: Path,
) -> None:
    login = guard(Clock())
    async with site(tmp_path, login) as web:
        web.add_user("1001", legacy_scrypt_hash("old-password"))
        assert (await web.sign_in("1001", "old-password")).status_code == 200
        row = repo.get_agent(web.sessions, agent_id="1001")
        assert row is not None
        assert row.password_hash is not None
        assert row.password_hash.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
        assert (await web.sign_in("1001", "old-password")).status_code == 200
        assert (await web.sign_in("1001", "wrong")).status_code == 401


async def test_given_a_raised_cost_when_signing_in_then_the_hash_is_redone_at_the_new_cost(
    tmp_path: Path,
) -> None:
    login = LoginGuard(throttle=LoginThrottle(clock=Clock()), passwords=Passwords(PasswordCost(1, 2048, 1)))
    async with site(tmp_path, login) as web:
        web.add_user("1001", Passwords(CHEAP).hash("pw"))
        assert (await web.sign_in("1001", "pw")).status_code == 200
        row = repo.get_agent(web.sessions, agent_id="1001")
        assert row is not None
        assert row.password_hash is not None
        assert "$m=2048,t=1,p=1$" in row.password_hash


async def test_given_a_full_hash_pool_then_sign_in_answers_503_with_retry_after(tmp_path: Path) -> None:
    login = LoginGuard(
        throttle=LoginThrottle(clock=Clock()), passwords=Passwords(CHEAP), pool=HashPool(max_pending=0)
    )
    async with site(tmp_path, login) as web:
        web.add_user("1001", login.passwords.hash("pw"))
        busy = await web.sign_in("1001", "pw")
        assert busy.status_code == 503
        assert busy.json()["error_id"] == "login_busy"
        assert busy.headers["Retry-After"] == "1"


def test_given_an_argon2_hash_then_its_parameters_are_stored_in_it_and_checked() -> None:
    passwords = Passwords()
    stored = passwords.hash("s3cret")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify("s3cret", stored) == Verdict(ok=True, rehash=False)
    assert passwords.verify("wrong", stored) == Verdict(ok=False)
    assert passwords.verify("s3cret", None) == Verdict(ok=False)
    assert passwords.verify("s3cret", "$argon2id$garbage") == Verdict(ok=False)
    assert passwords.verify("s3cret", legacy_scrypt_hash("s3cret")) == Verdict(ok=True, rehash=True)
    assert not passwords.verify("s3cret", "scrypt$zz$00").ok
    assert Passwords(PasswordCost(time_cost=3)).verify("s3cret", stored) == Verdict(ok=True, rehash=True)
