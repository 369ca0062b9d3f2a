"""The TLS reverse-proxy example (docker/tls/nginx.conf) is a configuration nginx accepts, and it sends the
desktop websocket and the SIP websocket through with the upgrade headers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "docker" / "tls" / "nginx.conf"


def test_the_example_passes_nginx_own_check(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx (Debian nginx-light) is installed by scripts/setup-system.sh"
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=hotline.test",
            "-keyout",
            str(tls / "privkey.pem"),
            "-out",
            str(tls / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    text = CONF.read_text()
    for host in ("app:8080", "asterisk:8088"):
        assert host in text
        text = text.replace(host, "127.0.0.1:" + host.split(":")[1])
    text = text.replace("/etc/nginx/tls/", f"{tls}/").replace(
        "/run/nginx-hotline.pid", str(tmp_path / "nginx.pid")
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)

    result = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", ["/ws/", "= /sip"])
def test_websocket_locations_forward_the_upgrade(path: str) -> None:
    text = CONF.read_text()
    block = text[text.index(f"location {path}") :]
    block = block[: block.index("}")]
    assert "proxy_set_header Upgrade $http_upgrade;" in block
    assert "proxy_set_header Connection $connection_upgrade;" in block
