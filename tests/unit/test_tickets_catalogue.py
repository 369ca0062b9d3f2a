"""The dispatch catalogue: the shipped file loads, matching scores keywords, bad files are refused."""

from __future__ import annotations

import pytest

from tickets.catalogue import Catalogue, default_catalogue
from tickets.errors import CatalogueError
from tickets.vocab import Category, TimeClass

REQUIRED_SHORT_NAMES = {
    "住建局",
    "生态环境局",
    "市场监管局",
    "人社局",
    "公安局",
    "交通运输局",
    "水务集团",
    "供电公司",
    "燃气公司",
    "城管局",
    "教育局",
    "卫健委",
    "民政局",
}


def test_shipped_catalogue_has_the_city_departments_and_about_twenty_entries() -> None:
    catalogue = default_catalogue()
    assert {d.short for d in catalogue.departments.values()} >= REQUIRED_SHORT_NAMES
    assert len(catalogue.entries) >= 20
    police = catalogue.department("gaj")
    assert police is not None
    assert police.police_linkage
    assert {d.short for d in catalogue.departments.values() if d.time_class is TimeClass.URGENT} >= {
        "水务集团",
        "供电公司",
        "燃气公司",
    }


@pytest.mark.parametrize(
    ("text", "department", "matter_code"),
    [
        ("小区物业不管，电梯故障一个月了", "zjj", "housing.property_service"),
        ("楼下餐馆油烟污染严重", "sthjj", "environment.pollution"),
        ("家里停水两天了", "swjt", "utility.water"),
        ("公司拖欠工资三个月", "rsj", "labour.wage_arrears"),
        ("晚上工地施工噪音很大", "zjj", "housing.construction_noise"),
        ("网约车司机绕路多收钱", "jtysj", "transport.public_transit"),
        ("ＯＫ厨房燃气泄漏了", "rqgs", "utility.gas_leak"),
    ],
)
def test_text_suggests_the_responsible_department_first(text: str, department: str, matter_code: str) -> None:
    best = default_catalogue().suggest(text)[0]
    assert (best.department.code, best.entry.code) == (department, matter_code)
    assert 0 < best.score < 1


def test_more_and_longer_keywords_score_higher_and_category_filters() -> None:
    catalogue = default_catalogue()
    one = catalogue.suggest("停水")[0]
    two = catalogue.suggest("停水而且水压很低")[0]
    assert one.matched == ("停水",)
    assert set(two.matched) == {"停水", "水压"}
    assert two.score > one.score
    leak = catalogue.suggest("燃气泄漏")
    assert [s.entry.code for s in leak] == ["utility.gas_leak", "utility.gas"]
    assert leak[0].entry.time_class is TimeClass.CRITICAL
    assert catalogue.suggest("工厂偷排污水", category=Category.PRAISE) == []
    assert catalogue.suggest("今天天气不错") == []
    assert catalogue.suggest("停水", limit=0) == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("kind: dispatch_catalogue\ndepartments: [}", "catalogue_invalid"),
        ("kind: other\ndepartments: []\nentries: []", "kind"),
        (
            "kind: dispatch_catalogue\ndepartments: [{code: aa, name: A, short: A}]\n"
            "entries: [{code: x.y, matter: M, department: zz, keywords: [k]}]",
            "unknown departments",
        ),
        (
            "kind: dispatch_catalogue\ndepartments: [{code: aa, name: A, short: A}]\n"
            "entries: [{code: x.y, matter: M, department: aa, keywords: [k], categories: [gossip]}]",
            "categories",
        ),
    ],
)
def test_bad_catalogue_files_are_refused_with_a_located_error(text: str, fragment: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        Catalogue.from_text(text, source="bad.yaml")
    assert caught.value.error_id == "catalogue_invalid"
    assert fragment in f"{caught.value.error_id} {caught.value}"
