"""Render the Asterisk config templates: ``@@NAME@@`` placeholders filled from a values mapping.

Every file of the template directory is rendered; a placeholder without a value, or anything that still
looks like a placeholder afterwards, is an error naming the file and the placeholder, so a half-rendered
config never reaches Asterisk.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from hotline.sandbox.errors import SandboxError

__all__ = ["agent_blocks", "render_text", "render_tree", "sip_password", "template_files"]

PLACEHOLDER = re.compile(r"@@([A-Z0-9_]+)@@")
LEFTOVER = re.compile(r"@@[^@\s]*@@")
COMMENT = re.compile(r"(?<!\\);")
AGENT_PHONES_CONTEXT = "hotline-agent-phones"
AGENT_DIAL_CONTEXT = "hotline-inbound"


def template_files(src: Path) -> list[Path]:
    """Every regular file below ``src`` (hidden files and editor backups excluded), sorted."""
    return sorted(
        p
        for p in src.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(src).parts)
        and not p.name.endswith("~")
    )


def render_text(text: str, values: Mapping[str, str], *, source: str) -> str:
    """``text`` with every placeholder replaced; ``source`` names the file in errors.

    Text after an unescaped ``;`` is an Asterisk comment and is left as it is.
    """
    return "".join(_render_line(line, values, source) for line in text.splitlines(keepends=True))


def _render_line(line: str, values: Mapping[str, str], source: str) -> str:
    start = comment.start() if (comment := COMMENT.search(line)) else len(line)
    code, rest = line[:start], line[start:]

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise SandboxError(
                "conf_placeholder_unknown", f"{source}: no value for @@{name}@@", file=source, name=name
            )
        return values[name]

    out = PLACEHOLDER.sub(substitute, code)
    left = LEFTOVER.search(out)
    if left is not None:
        raise SandboxError(
            "conf_placeholder_unreplaced",
            f"{source}: {left.group(0)} left after rendering",
            file=source,
            name=left.group(0).strip("@"),
        )
    return out + rest


def render_tree(src: Path, dst: Path, values: Mapping[str, str]) -> list[Path]:
    """Render every file of ``src`` into the same relative path under ``dst``; the written paths."""
    if not src.is_dir():
        raise SandboxError("conf_src_missing", f"no template directory at {src}", path=str(src))
    rendered = [
        (dst / path.relative_to(src), render_text(path.read_text(encoding="utf-8"), values, source=str(path)))
        for path in template_files(src)
    ]
    for target, text in rendered:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(target)
    return [target for target, _ in rendered]


def sip_password(secret: str, extension: str) -> str:
    """The SIP password of an agent extension, derived from the instance secret."""
    digest = hmac.new(secret.encode(), f"sip:{extension}".encode(), hashlib.sha256).hexdigest()
    return digest[:24]


def _endpoint(extension: str, password: str) -> str:
    return (
        f"[{extension}]\ntype=endpoint\ncontext={AGENT_DIAL_CONTEXT}\ndisallow=all\nallow=ulaw,alaw,opus\n"
        f"auth={extension}\naors={extension}\ndirect_media=no\nrtp_symmetric=yes\nforce_rport=yes\n"
        f"rewrite_contact=yes\ncallerid=Agent {extension} <{extension}>\n\n"
        f"[{extension}]\ntype=aor\nmax_contacts=1\nremove_existing=yes\n\n"
        f"[{extension}]\ntype=auth\nauth_type=userpass\nusername={extension}\npassword={password}\n"
    )


def agent_blocks(extensions: Sequence[str], *, sip_secret: str = "") -> dict[str, str]:
    """Config blocks computed from the agent extensions.

    ``PJSIP_AGENT_ENDPOINTS``: an endpoint, aor and auth per extension (passwords from
    :func:`sip_password`; without ``sip_secret`` they are random, so nobody can register).
    ``FALLBACK_QUEUE_MEMBERS``: one static ``member =>`` line per extension for the fallback queue.
    """
    for ext in extensions:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", ext):
            raise SandboxError("conf_bad_extension", f"invalid agent extension {ext!r}", extension=ext)
    secret = sip_secret or secrets.token_hex(16)
    endpoints = "\n".join(_endpoint(ext, sip_password(secret, ext)) for ext in extensions)
    members = "\n".join(f"member => Local/{ext}@{AGENT_PHONES_CONTEXT}/n" for ext in extensions)
    return {"PJSIP_AGENT_ENDPOINTS": endpoints, "FALLBACK_QUEUE_MEMBERS": members}
