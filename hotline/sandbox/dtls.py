"""The DTLS certificate of an instance's WebRTC endpoints, made with ``openssl`` when the config renders.

Browsers pin the certificate by the fingerprint Asterisk puts in its SDP, so a self-signed one is all
WebRTC needs. It is made once per instance (ECDSA P-256) and kept until it nears its expiry.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hotline.sandbox.errors import SandboxError

__all__ = ["CERT_NAME", "KEY_NAME", "DtlsFiles", "ensure_dtls_certificate"]

CERT_NAME = "dtls.crt"
KEY_NAME = "dtls.key"
VALID_DAYS = 825
RENEW_BEFORE_S = 30 * 86400
OPENSSL_TIMEOUT_S = 30.0


@dataclass(frozen=True, kw_only=True)
class DtlsFiles:
    """Where the certificate and its private key are, as the reader of the paths sees them."""

    cert_file: str
    key_file: str

    @classmethod
    def in_dir(cls, directory: str) -> DtlsFiles:
        """The standard file names inside ``directory``."""
        return cls(cert_file=f"{directory}/{CERT_NAME}", key_file=f"{directory}/{KEY_NAME}")


def ensure_dtls_certificate(keys_dir: Path) -> DtlsFiles:
    """A usable certificate and key in ``keys_dir`` (host paths), made or renewed if needed."""
    files = DtlsFiles.in_dir(str(keys_dir))
    if not _still_valid(Path(files.cert_file)) or not Path(files.key_file).is_file():
        _generate(keys_dir)
    return files


def _openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        raise SandboxError("sandbox_tool_missing", "openssl is not installed", tool="openssl")
    return path


def _run(argv: list[str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(argv, capture_output=True, timeout=OPENSSL_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise SandboxError("dtls_cert_failed", "openssl timed out", argv=argv[1:3]) from exc


def _still_valid(cert: Path) -> bool:
    if not cert.is_file():
        return False
    argv = [_openssl(), "x509", "-noout", "-checkend", str(RENEW_BEFORE_S), "-in", str(cert)]
    return _run(argv).returncode == 0


def _generate(keys_dir: Path) -> None:
    keys_dir.mkdir(parents=True, exist_ok=True)
    keys_dir.chmod(0o700)
    tmp_cert = keys_dir / f".{CERT_NAME}.{os.getpid()}"
    tmp_key = keys_dir / f".{KEY_NAME}.{os.getpid()}"
    argv = [
        _openssl(),
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-sha256",
        "-days",
        str(VALID_DAYS),
        "-subj",
        "/CN=hotline-webrtc",
        "-keyout",
        str(tmp_key),
        "-out",
        str(tmp_cert),
    ]
    done = _run(argv)
    if done.returncode != 0:
        tmp_key.unlink(missing_ok=True)
        tmp_cert.unlink(missing_ok=True)
        raise SandboxError(
            "dtls_cert_failed",
            "openssl could not make the DTLS certificate",
            output=done.stderr.decode(errors="replace")[-1000:],
        )
    tmp_key.chmod(0o600)
    tmp_key.replace(keys_dir / KEY_NAME)
    tmp_cert.replace(keys_dir / CERT_NAME)
