"""The department tree: the shipped tree loads and is valid, invalid trees are refused by name, and the
queries (subtree, parent, ancestors, seeding) on a migrated SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import make_engine, migrate, session_factory
from tickets.catalogue import default_catalogue
from tickets.departments import (
    Department,
    Level,
    all_departments,
    ancestors,
    check_acyclic,
    load_tree,
    parent_of,
    seed_departments,
    subtree,
    validate_tree,
)
from tickets.errors import CatalogueError, TicketValidationError

CITY, DISTRICT, STREET = Level.CITY, Level.DISTRICT, Level.STREET


@pytest.fixture
def sm(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated SQLite database (seeded with the shipped tree by the migration)."""
    url = f"sqlite:///{tmp_path / 'd.db'}"
    migrate(url)
    engine = make_engine(url)
    yield session_factory(engine)
    engine.dispose()


def test_the_shipped_tree_has_the_catalogue_as_city_level_and_streets_under_districts() -> None:
    nodes = {n.code: n for n in load_tree()}
    assert {c for c, n in nodes.items() if n.level is CITY} == set(default_catalogue().departments)
    districts = [n for n in nodes.values() if n.level is DISTRICT]
    streets = [n for n in nodes.values() if n.level is STREET]
    assert {d.name for d in districts} >= {"姑苏区城市管理局", "工业园区综合行政执法局"}
    assert all(nodes[d.parent_code or ""].level is CITY for d in districts)
    assert all(nodes[s.parent_code or ""].level is DISTRICT for s in streets)
    assert len(streets) >= 5


@pytest.mark.parametrize(
    ("nodes", "says"),
    [
        ([Department("a", "甲", None, CITY), Department("a", "乙", None, CITY)], "twice"),
        ([Department("b", "乙", "zz", DISTRICT)], "unknown parent"),
        ([Department("b", "乙", None, DISTRICT)], "without a parent"),
        ([Department("a", "甲", None, CITY), Department("s", "街", "a", STREET)], "cannot sit under"),
        (
            [
                Department("a", "甲", None, CITY),
                Department("b", "乙", "a", DISTRICT),
                Department("c", "丙", "b", DISTRICT),
            ],
            "cannot sit under",
        ),
    ],
)
def test_given_a_bad_tree_then_it_is_refused_by_name(nodes: list[Department], says: str) -> None:
    with pytest.raises(TicketValidationError, match=says) as refused:
        validate_tree(nodes)
    assert refused.value.error_id == "department_tree_invalid"


def test_given_parents_in_a_circle_then_the_cycle_is_named() -> None:
    circle = {
        "a": Department("a", "甲", "c", DISTRICT),
        "b": Department("b", "乙", "a", DISTRICT),
        "c": Department("c", "丙", "b", DISTRICT),
    }
    with pytest.raises(TicketValidationError, match="cycle"):
        check_acyclic(circle)


def test_given_a_tree_file_that_does_not_parse_then_catalogue_error(tmp_path: Path) -> None:
    bad = tmp_path / "tree.yaml"
    bad.write_text("kind: department_tree\ndistricts:\n  - {code: X!, name: 坏, parent: cgj}\n")
    with pytest.raises(CatalogueError) as refused:
        load_tree(tree_path=bad)
    assert refused.value.error_id == "department_tree_invalid"
    orphan = tmp_path / "orphan.yaml"
    orphan.write_text("kind: department_tree\ndistricts:\n  - {code: lost, name: 孤, parent: nosuch}\n")
    with pytest.raises(TicketValidationError, match="unknown parent"):
        load_tree(tree_path=orphan)


def test_given_the_migrated_tree_then_subtree_parent_and_ancestors_follow_it(
    sm: sessionmaker[Session],
) -> None:
    with sm() as s:
        assert subtree(s, "cgj") == {
            "cgj",
            "cgj_gusu",
            "cgj_gusu_pingjiang",
            "cgj_gusu_shuangta",
            "cgj_gusu_canglang",
            "cgj_sip",
            "cgj_sip_loufeng",
            "cgj_sip_xietang",
        }
        assert subtree(s, "cgj_gusu_pingjiang") == {"cgj_gusu_pingjiang"}
        assert subtree(s, "nosuch") == set()
        assert parent_of(s, "cgj_gusu_pingjiang") == "cgj_gusu"
        assert parent_of(s, "cgj") is None
        assert ancestors(s, "cgj_gusu_pingjiang") == ["cgj_gusu", "cgj"]
        assert len(all_departments(s)) == len(load_tree())


def test_given_a_seeded_table_when_seeding_again_then_only_missing_nodes_are_added(
    sm: sessionmaker[Session],
) -> None:
    extra = Department("cgj_gusu_new", "姑苏区新街道", "cgj_gusu", STREET)
    with sm.begin() as s:
        assert seed_departments(s, load_tree()) == 0
        assert seed_departments(s, [*load_tree(), extra]) == 1
    with sm.begin() as s, pytest.raises(TicketValidationError):
        seed_departments(s, [Department("bad", "坏", "cgj", STREET)])
    with sm() as s:
        assert "cgj_gusu_new" in subtree(s, "cgj")
        assert "bad" not in {d.code for d in all_departments(s)}
