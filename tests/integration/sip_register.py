"""A minimal SIP client that registers one extension over UDP with digest authentication (RFC 3261, 2617).

Enough to ask a real Asterisk whether a username and password may register: REGISTER, read the 401
challenge, answer it (MD5, qop=auth) and return the final status code.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import socket

CHALLENGE = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]+))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _request(
    host: str,
    port: int,
    local: tuple[str, int],
    extension: str,
    cseq: int,
    call_id: str,
    tag: str,
    auth: str = "",
) -> str:
    uri = f"sip:{host}:{port}"
    lines = [
        f"REGISTER {uri} SIP/2.0",
        f"Via: SIP/2.0/UDP {local[0]}:{local[1]};rport;branch=z9hG4bK{secrets.token_hex(8)}",
        "Max-Forwards: 70",
        f"From: <sip:{extension}@{host}>;tag={tag}",
        f"To: <sip:{extension}@{host}>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} REGISTER",
        f"Contact: <sip:{extension}@{local[0]}:{local[1]}>",
        "Expires: 60",
        "User-Agent: hotline-test",
    ]
    if auth:
        lines.append(f"Authorization: {auth}")
    return "\r\n".join([*lines, "Content-Length: 0", "", ""])


def _final(sock: socket.socket) -> tuple[int, str]:
    while True:
        data, _ = sock.recvfrom(65535)
        text = data.decode("utf-8", "replace")
        status = int(text.split(" ", 2)[1])
        if status >= 200:
            return status, text


def digest(challenge: str, *, method: str, uri: str, user: str, password: str) -> str:
    """The Authorization answering the MD5 WWW-Authenticate of ``challenge`` (qop=auth; a SHA-256
    challenge offered beside it is passed over)."""
    headers = [line for line in challenge.split("\r\n") if line.lower().startswith("www-authenticate:")]
    md5 = next(h for h in headers if "sha-256" not in h.lower())
    params = {k.lower(): quoted or bare for k, quoted, bare in CHALLENGE.findall(md5.split(":", 1)[1])}
    realm, nonce = params["realm"], params["nonce"]
    cnonce, nc = secrets.token_hex(8), "00000001"
    ha1 = _md5(f"{user}:{realm}:{password}")
    response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{_md5(f'{method}:{uri}')}")
    parts = [
        f'username="{user}"',
        f'realm="{realm}"',
        f'nonce="{nonce}"',
        f'uri="{uri}"',
        f'response="{response}"',
        "algorithm=MD5",
        f'qop=auth,nc={nc},cnonce="{cnonce}"',
    ]
    if "opaque" in params:
        parts.append(f'opaque="{params["opaque"]}"')
    return "Digest " + ", ".join(parts)


def register(host: str, port: int, extension: str, password: str, *, timeout: float = 5.0) -> int:
    """Register ``extension`` with ``password`` at ``host:port`` over UDP; the final SIP status code."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.bind(("127.0.0.1", 0))
        local = sock.getsockname()
        call_id, tag = secrets.token_hex(12), secrets.token_hex(4)
        sock.sendto(_request(host, port, local, extension, 1, call_id, tag).encode(), (host, port))
        status, text = _final(sock)
        if status != 401:
            return status
        auth = digest(text, method="REGISTER", uri=f"sip:{host}:{port}", user=extension, password=password)
        sock.sendto(_request(host, port, local, extension, 2, call_id, tag, auth).encode(), (host, port))
        return _final(sock)[0]
