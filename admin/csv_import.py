"""The agents CSV of a new centre: parse and check every row before anything is written.

Columns, in this order, with this header line (UTF-8, a BOM from Excel is fine)::

    工号,姓名,分机,角色,技能(skill:level;...),初始密码

- 工号: 1-32 letters, digits, ``_`` or ``-``; unique in the file.
- 姓名: 1-100 characters.
- 分机: the browser phone extension, 2-10 digits, unique in the file; empty for none.
- 角色: agent/坐席, supervisor/班长, qa/质检员, admin/管理员 (department users are made in the
  department portal).
- 技能: ``skill:level`` pairs separated by ``;`` (level 1-10), e.g. ``general:3;social_security:1``.
- 初始密码: 8-256 characters.

:func:`parse_agents_csv` returns the rows or every problem found, each with its line number (the header
is line 1) and a reason; the import writes nothing unless there is no problem at all.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from admin.agents_store import UserInput

HEADER = ("工号", "姓名", "分机", "角色", "技能(skill:level;...)", "初始密码")
MAX_ROWS = 2000
AGENT_ID = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
EXTENSION = re.compile(r"^[0-9]{2,10}$")
SKILL = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
MIN_LEVEL, MAX_LEVEL = 1, 10
MIN_PASSWORD, MAX_PASSWORD = 8, 256
MAX_SKILLS = 50
ROLES = {
    "agent": "agent",
    "坐席": "agent",
    "supervisor": "supervisor",
    "班长": "supervisor",
    "qa": "qa",
    "质检员": "qa",
    "质检": "qa",
    "admin": "admin",
    "管理员": "admin",
}
TEMPLATE_ROWS = (
    ("1001", "张三", "1001", "坐席", "general:3;social_security:1", "请改为初始密码1"),
    ("1002", "李四", "1002", "班长", "general:5", "请改为初始密码2"),
)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one line cannot be imported."""

    line: int
    column: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One checked line: the user and the password to hash."""

    line: int
    user: UserInput
    password: str


@dataclass(slots=True)
class Parsed:
    """The rows, or the problems (never both)."""

    rows: list[ImportRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def template_csv() -> str:
    """The downloadable template: the header and two example lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(TEMPLATE_ROWS)
    return "\ufeff" + out.getvalue()


def parse_skills(text: str, known: Collection[str] | None = None) -> dict[str, int]:
    """``skill:level;...`` as a mapping; ValueError (in Chinese) naming the first bad pair."""
    skills: dict[str, int] = {}
    for part in (p.strip() for p in text.replace("；", ";").replace("：", ":").split(";")):
        if not part:
            continue
        name, sep, level = (x.strip() for x in part.partition(":"))
        if not sep or not SKILL.fullmatch(name) or not level.isdigit():
            raise ValueError(f"「{part}」不是 技能:等级 的格式")
        if not MIN_LEVEL <= int(level) <= MAX_LEVEL:
            raise ValueError(f"技能 {name} 的等级须在 {MIN_LEVEL}-{MAX_LEVEL} 之间")
        if known is not None and name not in known:
            raise ValueError(f"未知技能 {name}（队列中没有使用该技能）")
        if name in skills:
            raise ValueError(f"技能 {name} 重复")
        skills[name] = int(level)
    if len(skills) > MAX_SKILLS:
        raise ValueError(f"技能最多 {MAX_SKILLS} 项")
    return skills


def _row(line: int, cells: list[str], known: Collection[str] | None) -> ImportRow | list[RowProblem]:
    if len(cells) != len(HEADER):
        return [RowProblem(line, "", f"应有 {len(HEADER)} 列，实有 {len(cells)} 列")]
    agent_id, name, extension, role, skills_text, password = (c.strip() for c in cells)
    problems: list[RowProblem] = []
    if not AGENT_ID.fullmatch(agent_id):
        problems.append(RowProblem(line, "工号", "工号须为 1-32 位字母、数字、_ 或 -"))
    if not 1 <= len(name) <= 100:
        problems.append(RowProblem(line, "姓名", "姓名须为 1-100 个字符"))
    if extension and not EXTENSION.fullmatch(extension):
        problems.append(RowProblem(line, "分机", "分机须为 2-10 位数字"))
    if role.lower() not in ROLES:
        problems.append(RowProblem(line, "角色", f"未知角色「{role}」（可用：坐席、班长、质检员、管理员）"))
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        problems.append(RowProblem(line, "初始密码", f"初始密码须为 {MIN_PASSWORD}-{MAX_PASSWORD} 个字符"))
    skills: dict[str, int] = {}
    try:
        skills = parse_skills(skills_text, known)
    except ValueError as exc:
        problems.append(RowProblem(line, "技能", str(exc)))
    if problems:
        return problems
    user = UserInput(
        agent_id=agent_id, name=name, extension=extension, role=ROLES[role.lower()], skills=skills
    )
    return ImportRow(line=line, user=user, password=password)


def _records(text: str) -> list[tuple[int, list[str]]] | RowProblem:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        return [(reader.line_num, cells) for cells in reader]
    except csv.Error as exc:
        return RowProblem(reader.line_num, "", f"CSV 格式错误：{exc}")


def _check_unique(rows: list[ImportRow]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    seen_ids: dict[str, int] = {}
    seen_ext: dict[str, int] = {}
    for row in rows:
        if (first := seen_ids.setdefault(row.user.agent_id.lower(), row.line)) != row.line:
            problems.append(RowProblem(row.line, "工号", f"工号与第 {first} 行重复"))
        ext = row.user.extension
        if ext and (first := seen_ext.setdefault(ext, row.line)) != row.line:
            problems.append(RowProblem(row.line, "分机", f"分机与第 {first} 行重复"))
    return problems


def parse_agents_csv(text: str, *, known_skills: Collection[str] | None = None) -> Parsed:
    """Check every line of ``text``; ``known_skills`` (when given) are the only skills accepted."""
    parsed = Parsed()
    lines = _records(text) if "\x00" not in text else RowProblem(0, "", "文件含有 NUL 字符，不是文本 CSV")
    if isinstance(lines, RowProblem):
        parsed.problems.append(lines)
        return parsed
    if not lines or tuple(c.strip() for c in lines[0][1]) != HEADER:
        parsed.problems.append(RowProblem(1, "", "第 1 行须为表头：" + ",".join(HEADER)))
        return parsed
    body = [(line, cells) for line, cells in lines[1:] if any(c.strip() for c in cells)]
    if not body:
        parsed.problems.append(RowProblem(2, "", "文件中没有坐席"))
    if len(body) > MAX_ROWS:
        parsed.problems.append(RowProblem(MAX_ROWS + 2, "", f"一次最多导入 {MAX_ROWS} 行"))
        return parsed
    for line, cells in body:
        got = _row(line, cells, known_skills)
        if isinstance(got, list):
            parsed.problems.extend(got)
        else:
            parsed.rows.append(got)
    parsed.problems.extend(_check_unique(parsed.rows))
    if parsed.problems:
        parsed.problems.sort(key=lambda p: p.line)
        parsed.rows.clear()
    return parsed
