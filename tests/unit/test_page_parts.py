"""Shared page pieces: a page's ``<!--part:NAME-->`` line becomes ``parts/NAME.html``, indented alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hotline.http import PAGES, STATIC_DIR, build_http_app
from hotline.page_parts import render_page


def test_a_part_line_is_replaced_by_its_piece_with_the_line_indentation(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "greeting.html").write_text("<p>\n  hi\n</p>\n", encoding="utf-8")
    (tmp_path / "page.html").write_text(
        "<main>\n    <!--part:greeting-->\n  <!-- part:greeting --> stays\n</main>\n", encoding="utf-8"
    )
    assert render_page(tmp_path, "page.html") == (
        "<main>\n    <p>\n      hi\n    </p>\n  <!-- part:greeting --> stays\n</main>\n"
    )


def test_a_missing_piece_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<!--part:nowhere-->\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError):
        render_page(tmp_path, "page.html")


def test_every_page_is_served_with_its_pieces_in_place() -> None:
    client = TestClient(build_http_app(None))
    signin = (STATIC_DIR / "parts" / "signin.html").read_text(encoding="utf-8")
    with_signin = 0
    for path, name in PAGES.items():
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "<!--part:" not in response.text
        if "<!--part:signin-->" in (STATIC_DIR / name).read_text(encoding="utf-8"):
            with_signin += 1
            assert response.text.count('<form id="signin-form" method="post">') == 1
            assert "\n  " + signin.splitlines()[0] in response.text
    assert with_signin == 8


def test_a_page_file_asked_for_under_static_leads_to_its_page() -> None:
    """``/static/index.html`` alone would show the page without its sign-in form."""
    client = TestClient(build_http_app(None), follow_redirects=False)
    for path, name in PAGES.items():
        moved = client.get(f"/static/{name}")
        assert (moved.status_code, moved.headers["location"]) == (308, path)
    assert client.get("/static/desktop.css").status_code == 200
