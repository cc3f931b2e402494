"""Jurisdictions named in words, found in a gazetteer (no database)."""

from __future__ import annotations

import pytest

from geo.places import Gazetteer, GridDirectory, GridPlace, Place, is_place_name, place_key

COUNTY = Place("530424000000", "华宁县", 3, None)
NINGZHOU = Place("530424001000", "宁州街道办事处", 4, COUNTY.code)
PANXI = Place("530424101000", "盘溪镇", 4, COUNTY.code)
FUAN = Place("530424001001", "复安社区居民委员会", 5, NINGZHOU.code)
XINFU_NZ = Place("530424001016", "新复社区", 5, NINGZHOU.code)
XINFU_PX = Place("530424101009", "新复社区", 5, PANXI.code)
DALONG = Place("530424101001", "大龙潭村委会", 5, PANXI.code)
PLACES = Gazetteer([COUNTY, NINGZHOU, PANXI, FUAN, XINFU_NZ, XINFU_PX, DALONG])


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("复安社区", FUAN.code),
        ("复安社区居委会", FUAN.code),
        ("复安　社区 ", FUAN.code),  # a full-width space typed in Excel
        ("复安", FUAN.code),  # 社区 left out
        ("大龙潭", DALONG.code),  # 村 left out
        ("大龙潭村民委员会", DALONG.code),
        ("宁州街道复安社区", FUAN.code),
        ("华宁县宁州街道复安社区", FUAN.code),
        ("盘溪镇新复社区", XINFU_PX.code),
        ("宁州街道", NINGZHOU.code),
        ("盘溪镇人民政府", PANXI.code),
    ],
)
def test_a_name_as_clerks_write_it_finds_its_unit(name: str, code: str) -> None:
    assert PLACES.locate(name) == (code, "")


def test_a_shared_name_is_told_apart_by_its_township() -> None:
    code, rule = PLACES.locate("新复社区")
    assert code is None
    assert rule == (
        "“新复社区”有 2 处：宁州街道新复社区（530424001016）、盘溪镇新复社区（530424101009）。"
        "请填写所属乡镇（街道）或 12 位区划代码"
    )
    assert PLACES.locate("新复社区", "盘溪镇") == (XINFU_PX.code, "")
    assert PLACES.locate("新复社区", "宁州街道办事处") == (XINFU_NZ.code, "")
    assert PLACES.locate(None, "盘溪镇") == (PANXI.code, "")
    code, rule = PLACES.locate("复安社区", "盘溪镇")
    assert code is None and rule.startswith("盘溪镇下没有名为“复安社区”的村（社区）")
    code, rule = PLACES.locate("复安社区", "东山镇")
    assert code is None and rule == "数据库中没有名为“东山镇”的乡镇（街道）"


def test_a_name_of_many_places_lists_three() -> None:
    towns = [Place(f"5304241{i:02d}000", f"镇{i}", 4, COUNTY.code) for i in range(5)]
    villages = [Place(f"5304241{i:02d}001", "新村", 5, t.code) for i, t in enumerate(towns)]
    code, rule = Gazetteer([COUNTY, *towns, *villages]).locate("新村")
    assert code is None
    listed = "镇0新村（530424100001）、镇1新村（530424101001）、镇2新村（530424102001）"
    assert f"有 5 处：{listed}等。" in rule


def test_unknown_names_and_containment() -> None:
    code, rule = PLACES.locate("不存在社区")
    assert code is None and "没有名为“不存在社区”" in rule
    assert PLACES.within(FUAN.code, NINGZHOU.code) and PLACES.within(FUAN.code, FUAN.code)
    assert not PLACES.within(FUAN.code, PANXI.code)
    assert not PLACES.within(FUAN.code, "530424999000")  # not a unit of the gazetteer
    assert FUAN.code in PLACES and "530424999000" not in PLACES


def test_what_counts_as_a_name() -> None:
    assert [is_place_name(v) for v in ("复安社区", "530424001001", "5304240010", "NZ-01")] == [
        True,
        False,
        False,
        False,
    ]
    assert place_key("委员会") == "委员会"  # a suffix alone is the whole name


NEW_VILLAGE = Place("530424101002", "新村", 5, PANXI.code)
TOWN_NEW_VILLAGE = Place("530424001003", "城新村", 5, NINGZHOU.code)
WITH_VILLAGES = Gazetteer(
    [COUNTY, NINGZHOU, PANXI, FUAN, XINFU_NZ, XINFU_PX, DALONG, NEW_VILLAGE, TOWN_NEW_VILLAGE]
)


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("云南省玉溪市华宁县宁州街道复安社区幸福路3号", FUAN.code),
        ("复安社区居委会对面", FUAN.code),
        ("华宁县　宁州街道 复安社区", FUAN.code),  # spaces, a full-width one too
        ("盘溪镇新复社区3组", XINFU_PX.code),  # the 新复社区 of the township named
        ("华宁县大龙潭村委会旁", DALONG.code),  # stored as 大龙潭村委会: found as 大龙潭
        ("城新村2组", TOWN_NEW_VILLAGE.code),  # not 新村, which lies inside the name
        ("盘溪镇新村1组", NEW_VILLAGE.code),
        ("宁州街道新村1组", NINGZHOU.code),  # 新村 is not in 宁州街道: the township only
        ("宁州街道复安路3号", NINGZHOU.code),  # 复安 alone is not the unit's name
        ("华宁县文化路", COUNTY.code),
        ("新村路5号", None),  # a road
        ("昆明市五华区", None),  # not in the database
        ("", None),
    ],
)
def test_an_address_is_placed_in_the_deepest_unit_it_names(address: str, code: str | None) -> None:
    assert WITH_VILLAGES.in_address(address) == (code, "")


def test_an_address_of_a_shared_name_lists_the_places_or_takes_the_known_township() -> None:
    code, rule = WITH_VILLAGES.in_address("华宁县新复社区2组")
    assert code is None
    assert rule == (
        "地址中的“新复社区”有 2 处：宁州街道新复社区（530424001016）、盘溪镇新复社区"
        "（530424101009）。请在地址中写明乡镇（街道），或填写所属社区、所属乡镇"
    )
    assert WITH_VILLAGES.in_address("华宁县新复社区2组", within=PANXI.code) == (XINFU_PX.code, "")
    code, rule = WITH_VILLAGES.in_address("宁州街道复安社区与城新村交界处")  # two villages
    assert code is None and rule.startswith(
        "地址中有 2 个村（社区）：宁州街道复安社区居民委员会（530424001001）、宁州街道城新村"
    )
    assert WITH_VILLAGES.in_address("复安社区", within=PANXI.code) == (None, "")
    assert WITH_VILLAGES.in_address("复安社区", within="530424999000") == (None, "")


def test_a_grid_is_named_with_or_without_its_village() -> None:
    grids = GridDirectory(
        [
            GridPlace("530424001001001", "复安第1网格", FUAN.code),
            GridPlace("530424001001011", "复安第11网格", FUAN.code),
            GridPlace("530424101009001", "新复第1网格", XINFU_PX.code),
            GridPlace("530424001016001", "新复第1网格", XINFU_NZ.code),
        ],
        PLACES,
    )
    for name in ("复安第1网格", "复安社区第1网格", "第1网格"):
        grid, _ = grids.locate(name, FUAN.code)
        assert grid is not None and grid.code == "530424001001001", name
    assert grids.locate("复安第1网格")[0] == GridPlace("530424001001001", "复安第1网格", FUAN.code)
    grid, rule = grids.locate("新复第1网格")
    assert grid is None and rule.startswith("“新复第1网格”有 2 处：")
    grid, _ = grids.locate("新复第1网格", PANXI.code)  # the township is enough
    assert grid is not None and grid.code == "530424101009001"
    grid, rule = grids.locate("第1网格")  # without a village, only a whole name is found
    assert grid is None and "没有名为“第1网格”的网格" in rule
    for name, code in (
        ("复安社区第1网格", "530424001001001"),  # no 所属社区: the village named in front
        ("宁州街道复安社区第11网格", "530424001001011"),
    ):
        grid, rule = grids.locate(name)
        assert grid is not None and grid.code == code, (name, rule)
    grid, rule = grids.locate("新复社区第1网格")  # two villages of that name
    assert grid is None and rule.startswith("“新复社区第1网格”有 2 处：")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("复安社区第一网格", "530424001001001"),
        ("复安一网格", "530424001001001"),
        ("复安社区1号网格", "530424001001001"),
        ("复安社区第01网格", "530424001001001"),
        ("复安社区网格一", "530424001001001"),
        ("宁州街道复安社区第十一网格", "530424001001011"),
        ("复安社区第十网格", None),  # no tenth grid: not the first or the eleventh
    ],
)
def test_a_grid_serial_may_be_written_in_chinese_numerals(name: str, code: str | None) -> None:
    grids = GridDirectory(
        [
            GridPlace("530424001001001", "复安第1网格", FUAN.code),
            GridPlace("530424001001011", "复安第11网格", FUAN.code),
        ],
        PLACES,
    )
    grid, rule = grids.locate(name)
    assert (grid.code if grid else None) == code, rule
    within, _ = grids.locate(name.removeprefix("宁州街道").removeprefix("复安社区"), FUAN.code)
    assert (within.code if within else None) == code
