"""The agents CSV check (admin.csv_import): every problem named by line and column, nothing accepted
from a file that has one, the template itself accepted."""

from __future__ import annotations

import pytest

from admin.csv_import import HEADER, MAX_ROWS, parse_agents_csv, parse_skills, template_csv

HEAD = ",".join(HEADER)


def problems(text: str, known: set[str] | None = None) -> list[tuple[int, str]]:
    """(line, column) of each problem of ``text``."""
    parsed = parse_agents_csv(text, known_skills=known)
    assert not (parsed.problems and parsed.rows), "rows or problems, never both"
    return [(p.line, p.column) for p in parsed.problems]


def test_given_the_template_when_checked_then_both_example_lines_are_accepted() -> None:
    parsed = parse_agents_csv(template_csv(), known_skills={"general", "social_security"})
    assert parsed.problems == []
    assert [(r.line, r.user.agent_id, r.user.role, r.user.skills) for r in parsed.rows] == [
        (2, "1001", "agent", {"general": 3, "social_security": 1}),
        (3, "1002", "supervisor", {"general": 5}),
    ]


def test_given_roles_in_chinese_or_english_and_full_width_separators_then_read_alike() -> None:
    text = f"{HEAD}\n7,甲,,坐席,general：2；surge:1,abcdefgh\n8,乙,,QA,,abcdefgh\n9,丙,12,管理员,,abcdefgh\n"
    rows = parse_agents_csv(text).rows
    assert [(r.user.role, r.user.skills, r.user.extension) for r in rows] == [
        ("agent", {"general": 2, "surge": 1}, ""),
        ("qa", {}, ""),
        ("admin", {}, "12"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("x y,甲,1001,坐席,general:1,abcdefgh", [(2, "工号")]),
        (",甲,1001,坐席,general:1,abcdefgh", [(2, "工号")]),
        ("7,,1001,坐席,general:1,abcdefgh", [(2, "姓名")]),
        ("7,甲,1,坐席,general:1,abcdefgh", [(2, "分机")]),
        ("7,甲,1001,部门,general:1,abcdefgh", [(2, "角色")]),
        ("7,甲,1001,坐席,general:11,abcdefgh", [(2, "技能")]),
        ("7,甲,1001,坐席,general,abcdefgh", [(2, "技能")]),
        ("7,甲,1001,坐席,general:1;general:2,abcdefgh", [(2, "技能")]),
        ("7,甲,1001,坐席,general:1,short", [(2, "初始密码")]),
        ("7,甲,1001,坐席,general:1", [(2, "")]),
        ("7,,1,厨师,general:0,x", [(2, "姓名"), (2, "分机"), (2, "角色"), (2, "初始密码"), (2, "技能")]),
    ],
)
def test_given_a_bad_line_then_its_line_and_column_are_named(
    line: str, expected: list[tuple[int, str]]
) -> None:
    assert problems(f"{HEAD}\n{line}\n") == expected


def test_given_repeated_ids_or_extensions_then_the_later_line_names_the_first() -> None:
    lines = [
        "7,甲,1001,坐席,,abcdefgh",
        "8,乙,1002,坐席,,abcdefgh",
        "A7,丙,1003,坐席,,abcdefgh",
        "a7,丁,1001,坐席,,abcdefgh",
    ]
    text = "\n".join([HEAD, *lines, ""])
    parsed = parse_agents_csv(text)
    assert [(p.line, p.column, p.reason) for p in parsed.problems] == [
        (5, "工号", "工号与第 4 行重复"),
        (5, "分机", "分机与第 2 行重复"),
    ]


def test_given_known_skills_then_others_are_refused() -> None:
    assert problems(f"{HEAD}\n7,甲,,坐席,cooking:2,abcdefgh\n", known={"general"}) == [(2, "技能")]
    assert problems(f"{HEAD}\n7,甲,,坐席,general:2,abcdefgh\n", known={"general"}) == []


def test_given_a_quoted_line_break_then_later_lines_keep_their_file_line_numbers() -> None:
    text = f'{HEAD}\n7,"甲\n乙",,坐席,,abcdefgh\n8,丙,,厨师,,abcdefgh\n'
    assert problems(text) == [(4, "角色")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(1, "")]),
        ("工号,姓名\n7,甲\n", [(1, "")]),
        (f"{HEAD}\n\n", [(2, "")]),
        (f"{HEAD}\n7,甲\x00,,坐席,,abcdefgh\n", [(0, "")]),
        ("\ufeff" + f"{HEAD}\n7,甲,,坐席,,abcdefgh\n", []),
        (f"{HEAD}\n" + "7,甲,,坐席,,abcdefgh\n" * (MAX_ROWS + 1), [(MAX_ROWS + 2, "")]),
    ],
)
def test_given_a_file_that_is_not_an_agents_csv_then_refused_whole(
    text: str, expected: list[tuple[int, str]]
) -> None:
    assert problems(text) == expected


def test_skills_text_reads_pairs_and_ignores_empty_parts() -> None:
    assert parse_skills(" general:3 ; ;social_security:10 ") == {"general": 3, "social_security": 10}
    assert parse_skills("") == {}
    with pytest.raises(ValueError, match="等级"):
        parse_skills("general:0")
