"""Reply attachments: the kind is told by content (never by name), the size limit, clean names, private
content-addressed storage that keeps one copy and never hands out a path outside the store."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tickets.attachments import (
    MAX_ATTACHMENT_BYTES,
    AttachmentStore,
    AttachmentTooLarge,
    AttachmentTypeRefused,
    clean_name,
    sniff,
)

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(32)


def _zip(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in parts:
            archive.writestr(part, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF, "pdf"),
        (JPEG, "jpeg"),
        (PNG, "png"),
        (_zip("[Content_Types].xml", "word/document.xml"), "docx"),
        (_zip("[Content_Types].xml", "xl/workbook.xml"), "xlsx"),
        (_zip("word/document.xml"), None),
        (_zip("[Content_Types].xml", "ppt/presentation.xml"), None),
        (b"PK\x03\x04 broken zip", None),
        (b"MZ\x90\x00executable", None),
        (b"<html><script>alert(1)</script>", None),
        (b"", None),
    ],
)
def test_the_kind_comes_from_the_bytes(data: bytes, kind: str | None) -> None:
    handle = io.BytesIO(data)
    assert sniff(handle) == kind
    assert handle.tell() == 0


def test_given_files_then_they_are_stored_once_privately_under_their_hash(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path / "attachments")
    first = store.save("C:\\照片\\现场.png", io.BytesIO(PNG))
    again = store.save("copy.png", io.BytesIO(PNG))
    assert first.name == "现场.png"
    assert (first.content_type, first.size) == ("image/png", len(PNG))
    assert first.stored_path == again.stored_path == f"{first.sha256[:2]}/{first.sha256}"
    path = store.path_of(first.stored_path)
    assert path.read_bytes() == PNG
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in path.parent.iterdir()] == [first.sha256]


def test_given_a_file_named_pdf_that_is_not_then_415_and_nothing_is_stored(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path / "attachments")
    with pytest.raises(AttachmentTypeRefused) as refused:
        store.save("报告.pdf", io.BytesIO(b"MZ\x90\x00"))
    assert (refused.value.status_code, refused.value.error_id) == (415, "attachment_type_not_allowed")
    assert not (tmp_path / "attachments").exists()


def test_given_a_file_over_ten_mib_then_413(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path / "attachments")
    exactly = io.BytesIO(PDF + bytes(MAX_ATTACHMENT_BYTES - len(PDF)))
    assert store.save("max.pdf", exactly).size == MAX_ATTACHMENT_BYTES
    with pytest.raises(AttachmentTooLarge) as refused:
        store.save("big.pdf", io.BytesIO(PDF + bytes(MAX_ATTACHMENT_BYTES)))
    assert (refused.value.status_code, refused.value.error_id) == (413, "attachment_too_large")
    assert refused.value.details["limit_bytes"] == MAX_ATTACHMENT_BYTES


@pytest.mark.parametrize("stored", ["../etc/passwd", "ab/../../x", "AB/" + "a" * 64, "ab/" + "c" * 64, ""])
def test_a_path_the_store_did_not_hand_out_is_refused(tmp_path: Path, stored: str) -> None:
    with pytest.raises(ValueError, match="not a stored path"):
        AttachmentStore(tmp_path).path_of(stored)


@pytest.mark.parametrize(
    ("given", "kept"),
    [("../../a.pdf", "a.pdf"), ("整改\x00报告\n.docx", "整改报告.docx"), ("", "附件"), (".hidden", "hidden")],
)
def test_names_keep_their_last_part_without_control_characters(given: str, kept: str) -> None:
    assert clean_name(given) == kept
