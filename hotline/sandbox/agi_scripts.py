"""Classic AGI inside the sandbox: Python 3 in the root, pyst2, and the project's AGI scripts.

The degraded-mode script (``ivr/degraded_agi.py``) runs inside Asterisk when the FastAGI service is
unreachable, so it must not depend on the service or its virtual environment: the root gets Debian's
``python3-minimal`` (installed once, from the root's own package lists) and a copy of pyst2's ``asterisk``
package; the script is copied to ``agi-bin/hotline/degraded.py`` at every render.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

from hotline.sandbox.errors import SandboxError

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPTS = {"hotline/degraded.py": REPO_ROOT / "ivr" / "degraded_agi.py"}
PYTHON_PACKAGES = ("python3-minimal", "python3-six")


def ensure_python(root: Path) -> None:
    """Install Python 3 into the root if it has none (a few seconds, from the cached package lists)."""
    if (root / "usr" / "bin" / "python3").exists():
        return
    command = [
        "unshare",
        "--mount",
        "--pid",
        "--fork",
        "--kill-child",
        f"--mount-proc={root / 'proc'}",
        "chroot",
        str(root),
        "/usr/bin/env",
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        *PYTHON_PACKAGES,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0 or not (root / "usr" / "bin" / "python3").exists():
        raise SandboxError(
            "sandbox_python_missing",
            "could not install Python into the sandbox root",
            output=done.stdout[-2000:] + done.stderr[-2000:],
        )


def install_agi_scripts(root: Path) -> list[Path]:
    """Copy pyst2 and the AGI scripts into the root; returns the installed script paths."""
    spec = importlib.util.find_spec("asterisk.agi")
    if spec is None or spec.origin is None:
        raise SandboxError("sandbox_pyst2_missing", "pyst2 is not installed")
    site = root / "usr" / "lib" / "python3" / "dist-packages" / "asterisk"
    shutil.copytree(
        Path(spec.origin).parent, site, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
    )
    installed = []
    for name, source in SCRIPTS.items():
        target = root / "usr" / "share" / "asterisk" / "agi-bin" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        target.write_text("#!/usr/bin/python3\n" + text.split("\n", 1)[1], encoding="utf-8")
        target.chmod(0o755)
        installed.append(target)
    return installed
