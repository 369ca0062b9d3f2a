"""The sandbox root: a Debian unstable chroot with Asterisk 22, built once by debootstrap and cached.

The root lives at ``<cache_dir>/asterisk-root`` and counts as complete only when its marker file exists.
A build runs under an exclusive file lock into a sibling directory that is renamed into place at the
end, so a reader sees either no root or a complete one. A tree without the marker that already holds
``/usr/sbin/asterisk`` (built by hand with the same command) is adopted.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hotline.sandbox.agi_scripts import ensure_python, install_agi_scripts
from hotline.sandbox.errors import SandboxError
from hotline.sandbox.root_hosts import ensure_hostname_resolves

log = logging.getLogger(__name__)

__all__ = ["PACKAGES", "SUITE", "SandboxError", "ensure_root", "root_is_ready"]

SUITE = "sid"
PACKAGES = ("asterisk", "asterisk-modules", "asterisk-core-sounds-en-wav", "asterisk-moh-opsound-wav")
ROOT_NAME = "asterisk-root"
MARKER = ".hotline-root.json"
BUILD_TIMEOUT_S = 1800.0


def root_is_ready(root: Path) -> bool:
    """Whether ``root`` is a complete sandbox root (its marker file exists)."""
    return (root / MARKER).is_file()


def ensure_root(cache_dir: Path) -> Path:
    """The chroot root under ``cache_dir``, built with debootstrap first if it is missing.

    Every call also makes sure the root's hosts file names this machine (hotline.sandbox.root_hosts) and
    the root has Python and the current AGI scripts (classic AGI for the degraded mode), which is cheap
    once they are there.
    """
    root = cache_dir / ROOT_NAME
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _locked(cache_dir / f"{ROOT_NAME}.lock"):
        if not root_is_ready(root):
            _build_or_adopt(cache_dir, root)
        ensure_hostname_resolves(root)
        try:
            ensure_python(root)
            install_agi_scripts(root)
        except SandboxError as exc:
            log.warning(
                "classic AGI unavailable in the sandbox (degraded mode plays the notice itself): %s", exc
            )
    return root


def _build_or_adopt(cache_dir: Path, root: Path) -> None:
    if (root / "usr" / "sbin" / "asterisk").is_file():
        _write_marker(root, adopted=True)
        return
    _remove_stale(cache_dir, root)
    _check_can_build()
    build = cache_dir / f"{ROOT_NAME}.build-{os.getpid()}"
    _debootstrap(build)
    _write_marker(build, adopted=False)
    os.rename(build, root)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_marker(root: Path, *, adopted: bool) -> None:
    info = {"suite": SUITE, "packages": list(PACKAGES), "adopted": adopted, "created": time.time()}
    (root / MARKER).write_text(json.dumps(info, indent=2) + "\n")


def _check_can_build() -> None:
    if os.geteuid() != 0:
        raise SandboxError("sandbox_needs_root", "building the Asterisk sandbox root needs root")
    if shutil.which("debootstrap") is None:
        raise SandboxError(
            "sandbox_debootstrap_missing", "debootstrap is not installed (run scripts/setup-system.sh)"
        )


def _remove_stale(cache_dir: Path, root: Path) -> None:
    """Delete incomplete roots and leftover build directories (the caller holds the build lock)."""
    for path in [root, *cache_dir.glob(f"{ROOT_NAME}.build-*")]:
        if not path.exists():
            continue
        mounted = _mounts_under(path)
        if mounted:
            raise SandboxError(
                "sandbox_stale_mounts",
                "an unfinished build still has mounts inside it",
                path=str(path),
                mounts=mounted,
            )
        shutil.rmtree(path)


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve()) + "/"
    found: list[str] = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        if len(fields) > 4 and (fields[4] + "/").startswith(prefix):
            found.append(fields[4])
    return found


def _debootstrap(target: Path) -> None:
    command = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        SUITE,
        str(target),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise SandboxError("sandbox_build_timeout", "debootstrap took too long", target=str(target)) from exc
    if done.returncode != 0 or not (target / "usr" / "sbin" / "asterisk").is_file():
        tail = (done.stdout + done.stderr)[-4000:]
        raise SandboxError(
            "sandbox_build_failed",
            "debootstrap did not produce an Asterisk root",
            target=str(target),
            returncode=done.returncode,
            output=tail,
        )
