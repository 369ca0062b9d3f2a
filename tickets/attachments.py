"""Files departments attach to their replies: limits, type by content, private content-addressed storage.

Rules: a file is at most ``MAX_ATTACHMENT_BYTES`` (10 MiB; ``attachment_too_large``, HTTP 413) and
one of PDF, JPEG, PNG, DOCX or XLSX as its bytes say, whatever its name or declared type
(``attachment_type_not_allowed``, HTTP 415): PDF, JPEG and PNG by their signatures, DOCX and XLSX as
ZIP archives holding ``[Content_Types].xml`` and ``word/document.xml`` / ``xl/workbook.xml`` (the
archive's directory is read, nothing is decompressed). The file name is reduced to its last path part
without control characters. Stored files are named by their SHA-256 under the store's root
(``ab/abcdef…``), written as in ``hotline.private_files``: directories 0700, files 0600 through a
fresh temporary name renamed into place, so a reader never sees half a file; the same content is
stored once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hotline.private_files import private_dir
from tickets.errors import TicketError

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5
MAX_NAME_CHARS = 200
CHUNK = 64 * 1024
_STORED_PATH = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}")
_ZIP_PARTS = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
"""The kinds accepted, with the content type they are stored and served as."""


class AttachmentTooLarge(TicketError):
    """A file over ``MAX_ATTACHMENT_BYTES`` (``attachment_too_large``)."""

    status_code = 413


class AttachmentTypeRefused(TicketError):
    """A file whose bytes are not one of the accepted kinds (``attachment_type_not_allowed``)."""

    status_code = 415


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file kept in the store: what was sent, what it is, where it lies (relative to the root)."""

    name: str
    content_type: str
    size: int
    sha256: str
    stored_path: str


def clean_name(name: str | None) -> str:
    """The last path part of ``name`` without control characters, at most ``MAX_NAME_CHARS``; a blank
    name becomes ``附件``."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    return kept[-MAX_NAME_CHARS:] or "附件"


def sniff(handle: BinaryIO) -> str | None:
    """The accepted kind (``pdf``, ``jpeg``, ``png``, ``docx``, ``xlsx``) of the file's bytes, or None.
    Leaves ``handle`` at its start."""
    handle.seek(0)
    head = handle.read(8)
    handle.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head == b"\x89PNG\r\n\x1a\n":
        return "png"
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(handle)
    return None


def _office_kind(handle: BinaryIO) -> str | None:
    try:
        with zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        handle.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    return next((kind for kind, part in _ZIP_PARTS.items() if part in names), None)


def _size(handle: BinaryIO) -> int:
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(0)
    return size


def check(name: str, handle: BinaryIO) -> tuple[str, int]:
    """The kind and size of an upload; ``AttachmentTooLarge`` or ``AttachmentTypeRefused`` otherwise."""
    size = _size(handle)
    if size > MAX_ATTACHMENT_BYTES:
        raise AttachmentTooLarge(
            "attachment_too_large",
            f"{name} is {size} bytes; an attachment may have at most {MAX_ATTACHMENT_BYTES}",
            name=name,
            size=size,
            limit_bytes=MAX_ATTACHMENT_BYTES,
        )
    kind = sniff(handle)
    if kind is None:
        raise AttachmentTypeRefused(
            "attachment_type_not_allowed",
            f"{name} is not a PDF, JPEG, PNG, DOCX or XLSX file",
            name=name,
            allowed=sorted(CONTENT_TYPES),
        )
    return kind, size


class AttachmentStore:
    """Content-addressed private files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, stored_path: str) -> Path:
        """The file for a ``stored_path`` this store handed out (refuses anything else)."""
        if _STORED_PATH.fullmatch(stored_path) is None or stored_path[:2] != stored_path[3:5]:
            raise ValueError(f"not a stored path: {stored_path!r}")
        return self.root / stored_path[:2] / stored_path[3:]

    def save(self, name: str, handle: BinaryIO) -> StoredFile:
        """Check and keep one upload; returns what was stored."""
        shown = clean_name(name)
        kind, size = check(shown, handle)
        digest = hashlib.sha256()
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
        sha = digest.hexdigest()
        stored_path = f"{sha[:2]}/{sha}"
        target = self.path_of(stored_path)
        if not target.exists():
            handle.seek(0)
            self._write(target, handle)
        return StoredFile(shown, CONTENT_TYPES[kind], size, sha, stored_path)

    def _write(self, target: Path, handle: BinaryIO) -> None:
        private_dir(self.root)
        private_dir(target.parent)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in iter(lambda: handle.read(CHUNK), b""):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
