"""The sandbox root's hosts file names this machine (hotline.sandbox.root_hosts)."""

from __future__ import annotations

from pathlib import Path

from hotline.sandbox.root_hosts import ensure_hostname_resolves


def _hosts(root: Path) -> str:
    return (root / "etc" / "hosts").read_text(encoding="utf-8")


def test_a_root_without_the_name_gets_it_once_and_keeps_its_lines(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hosts").write_text(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost", encoding="utf-8"
    )
    assert ensure_hostname_resolves(tmp_path, "desk-7") is True
    assert _hosts(tmp_path) == "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n127.0.1.1\tdesk-7\n"
    assert ensure_hostname_resolves(tmp_path, "desk-7") is False
    assert _hosts(tmp_path).count("desk-7") == 1
    assert list((tmp_path / "etc").iterdir()) == [tmp_path / "etc" / "hosts"]


def test_a_name_in_a_comment_or_as_an_address_does_not_count(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hosts").write_text("# vm is ours\nvm\tother\n", encoding="utf-8")
    assert ensure_hostname_resolves(tmp_path, "vm") is True
    assert _hosts(tmp_path).endswith("127.0.1.1\tvm\n")


def test_a_root_without_a_hosts_file_gets_localhost_and_the_name(tmp_path: Path) -> None:
    assert ensure_hostname_resolves(tmp_path, "pbx-1") is True
    assert _hosts(tmp_path) == "127.0.0.1\tlocalhost\n127.0.1.1\tpbx-1\n"
