from datetime import date
from typing import Literal

import numpy as np
import pytest

from geo.codes import (
    PROVINCE_CODES,
    CodeError,
    division_level,
    is_valid_device_id,
    is_valid_division_code,
    is_valid_resident_id,
    make_resident_id,
    mask_resident_id,
    parent_code,
    parse_device_id,
    parse_division_code,
    parse_grid_code,
    parse_resident_id,
    resident_id_check_digit,
    scope_range,
    valid_resident_ids,
)

TODAY = date(2024, 6, 1)

# --------------------------------------------------------------------------- acceptance examples


def test_resident_id_with_wrong_check_digit() -> None:
    bad = "110105194912310021"  # the correct check character is X
    with pytest.raises(CodeError) as info:
        parse_resident_id(bad)
    message = str(info.value)
    assert bad in message
    assert "身份证号校验码不符" in message
    assert "应为" not in message  # computed from the digits a masked report hides (trial AI N1)
    assert "请核对整个号码" in message  # a middle digit may be the wrong one
    assert info.value.value == bad


def test_resident_id_with_impossible_birth_date() -> None:
    bad = "530424199902301234"
    with pytest.raises(CodeError) as info:
        parse_resident_id(bad)
    assert bad in str(info.value)
    assert "出生日期 19990230 不存在" in str(info.value)


def test_device_id_with_non_numeric_part() -> None:
    bad = "530424000013A0000001"
    with pytest.raises(CodeError) as info:
        parse_device_id(bad)
    assert bad in str(info.value)
    assert "类型段 '13A' 不是数字" in str(info.value)


def test_division_code_village_set_under_zero_township() -> None:
    bad = "530424000001"
    with pytest.raises(CodeError) as info:
        parse_division_code(bad)
    message = str(info.value)
    assert bad in message
    assert "乡级段为 000，村级段却为 001" in message


# --------------------------------------------------------------------------- division codes


def test_real_division_codes() -> None:
    county = parse_division_code("530424000000")  # 云南省玉溪市华宁县
    assert (county.province, county.city, county.county) == ("53", "04", "24")
    assert county.level == 3 and county.level_name == "county"
    assert county.prefix == "530424"
    assert county.parent == "530400000000"

    township = parse_division_code("530424100000")  # 华宁县宁州街道
    assert township.level == 4 and township.prefix == "530424100"
    assert township.parent == "530424000000"

    village = parse_division_code("530424100201")
    assert village.level == 5 and village.prefix == "530424100201"
    assert village.parent == "530424100000"

    assert division_level("530000000000") == 1
    assert parent_code("530000000000") is None
    assert division_level("530400000000") == 2
    assert parent_code("530400000000") == "530000000000"
    assert division_level("110101000000") == 3  # 北京市东城区
    assert division_level("429004000000") == 3  # 湖北省仙桃市, province-administered
    assert len(PROVINCE_CODES) == 34


def test_cities_without_counties_number_townships_under_the_city() -> None:
    township = parse_division_code("441900003000")  # 广东省东莞市东城街道
    assert township.level == 4 and township.parent == "441900000000"
    assert scope_range("441900003000") == ("441900003", "441900004")
    village = parse_division_code("441900003001")
    assert village.level == 5 and village.parent == "441900003000"
    assert parse_division_code("620200100000").parent == "620200000000"  # 嘉峪关市峪泉镇


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("53042400000", "必须是 12 位数字，实为 11 个字符"),
        ("5304240000000", "必须是 12 位数字，实为 13 个字符"),
        ("53042400000A", "12 位都必须是半角数字 0-9"),
        ("５30424000000", "12 位都必须是半角数字 0-9"),
        ("000000000000", "省级段不能是 00"),
        ("990000000000", "省级段 99 不是 34 个省级代码之一"),
        ("530024000000", "市级段为 00，县级段却为 24"),
        ("530000100000", "市级段为 00，乡级段却为 100"),
    ],
)
def test_bad_division_codes(code: str, rule: str) -> None:
    with pytest.raises(CodeError) as info:
        parse_division_code(code)
    assert code in str(info.value) and rule in str(info.value)
    assert not is_valid_division_code(code)


def test_division_code_must_be_text() -> None:
    with pytest.raises(CodeError, match="必须是文本，实为 int"):
        parse_division_code(530424000000)  # type: ignore[arg-type]


def test_scope_range_examples() -> None:
    assert scope_range("530424000000") == ("530424", "530425")
    assert scope_range("539900000000") == ("5399", "539:")
    assert scope_range("530000000000") == ("53", "54")
    assert scope_range("530424100000") == ("530424100", "530424101")
    assert scope_range("530424100201") == ("530424100201", "530424100202")


def test_scope_range_selects_exactly_the_codes_under_the_jurisdiction() -> None:
    # Python compares str by code point, which is what COLLATE "C" does for ASCII.
    lo, hi = scope_range("530424000000")
    inside = [
        "530424000000",
        "530424100000",
        "530424100201",
        "530424100201001",  # a grid code
        "530424999999999",
    ]
    outside = ["530423999999", "530425000000", "530400000000", "5304", "53042", "540424000000"]
    assert all(lo <= c < hi for c in inside)
    assert not any(lo <= c < hi for c in outside)


# --------------------------------------------------------------------------- grid codes


def test_grid_codes() -> None:
    grid = parse_grid_code("530424100201007")
    assert grid.village_code == "530424100201" and grid.serial == 7
    assert parse_grid_code("530424100201999").serial == 999


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("530424100201000", "后 3 位网格序号不能是 000，应为 001-999"),
        ("530424100000001", "是乡级代码（第 4 级），不是村级代码（第 5 级）"),
        ("53042410020100", "必须是 15 位数字"),
        ("530424000001001", "乡级段为 000，村级段却为 001"),
    ],
)
def test_bad_grid_codes(code: str, rule: str) -> None:
    with pytest.raises(CodeError) as info:
        parse_grid_code(code)
    assert code in str(info.value) and rule in str(info.value)


# --------------------------------------------------------------------------- device IDs


def test_device_ids() -> None:
    camera = parse_device_id("53042400001310000001")
    assert camera.division == "530424" and camera.unit == "00" and camera.centre == "53042400"
    assert camera.industry == "00" and camera.industry_name == "社会治安路面接入"
    assert camera.type_code == "131" and camera.type_name == "摄像机"
    assert camera.type_group == "前端外围设备" and camera.is_camera
    assert camera.network == "0" and camera.network_name == "监控报警专网"
    assert camera.serial == "000001"

    ipc = parse_device_id("34020000001320000001")  # the common default of GB28181 platforms
    assert ipc.type_name == "网络摄像机(IPC)" and ipc.is_camera

    nvr = parse_device_id("53042401081185123456")
    assert nvr.type_name == "网络视频录像机(NVR)" and not nvr.is_camera
    assert nvr.industry_name == "城市管理接入" and nvr.network_name == "公安信息网"

    server = parse_device_id("53000000002006000001")
    assert server.type_name == "中心信令控制服务器" and server.type_group == "平台设备"
    assert parse_device_id("53000000002166000001").type_name == "虚拟组织"
    assert parse_device_id("53000000002156000001").type_name == "业务分组"
    assert parse_device_id("53000000001997000001").type_name == "扩展的前端外围设备"


@pytest.mark.parametrize(
    ("device_id", "rule"),
    [
        ("5304240000131000001", "必须是 20 位数字，实为 19 个字符"),
        ("53042X00001310000001", "区划段 '53042X' 不是数字"),
        ("5304240A001310000001", "单位段 '0A' 不是数字"),
        ("53042400-01310000001", "行业段 '-0' 不是数字"),
        ("530424000013100000 1", "序号段 '0000 1' 不是数字"),
        ("5304240000131X000001", "网络段 'X' 不是数字"),
        ("99042400001310000001", "省级段 99 不是 34 个省级代码之一"),
        ("53002400001310000001", "市级段为 00，县级段却为 24"),
        ("53042400001000000001", "类型段 100 不是 GB/T 28181 规定的类型"),
        ("53042400001319000001", "网络段 9 是保留值"),
    ],
)
def test_bad_device_ids(device_id: str, rule: str) -> None:
    with pytest.raises(CodeError) as info:
        parse_device_id(device_id)
    assert device_id in str(info.value) and rule in str(info.value)
    assert not is_valid_device_id(device_id)


# --------------------------------------------------------------------------- resident IDs


def test_resident_id_check_digit_known_value() -> None:
    # The example 11010519491231002X (北京市朝阳区, 1949-12-31, female) used in GB 11643 guides.
    assert resident_id_check_digit("11010519491231002") == "X"
    assert resident_id_check_digit("53042419850612123") == "3"


def test_parse_resident_id() -> None:
    rid = parse_resident_id("11010519491231002x")
    assert rid.number == "11010519491231002X"  # lower-case x normalised
    assert rid.region == "110105"
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.sex == "F"
    assert parse_resident_id("530424198506121233").sex == "M"


@pytest.mark.parametrize(
    ("number", "rule"),
    [
        ("11010519491231002", "必须是 18 个字符，实为 17 个"),
        ("11010519491231002X1", "必须是 18 个字符，实为 19 个"),
        ("1101051949123100AX", "前 17 位必须是半角数字 0-9"),
        ("11010519491231002Y", "校验码 'Y' 必须是数字或 X"),
        ("990105194912310021", "前 2 位省份代码 99 不存在"),
        ("110105194913310021", "出生日期 19491331 不存在"),
        ("110105189912310021", "出生日期 18991231 早于 1900 年"),
        ("110105202406020021", "出生日期 20240602 晚于今天（20240601）"),
    ],
)
def test_bad_resident_ids(number: str, rule: str) -> None:
    with pytest.raises(CodeError) as info:
        parse_resident_id(number, today=TODAY)
    assert number in str(info.value) and rule in str(info.value)
    assert not is_valid_resident_id(number, today=TODAY)


def test_mask_resident_id() -> None:
    assert mask_resident_id("11010519491231002X") == "110105********002X"
    assert mask_resident_id("") == ""
    for n in range(40):
        value = "".join(chr(ord("a") + i % 26) for i in range(n))
        masked = mask_resident_id(value)
        assert len(masked) == n
        shown = sum(1 for a, b in zip(value, masked, strict=True) if a == b)
        assert shown <= 10 and masked.count("*") >= min(n, 8)


def test_make_resident_id_outputs_pass() -> None:
    rng = np.random.default_rng(7)
    regions = ["530424", "110105", "440305", "650102", "810000", "830000"]
    for i in range(500):
        birth = date(1900, 1, 1) + (date(2023, 12, 31) - date(1900, 1, 1)) * float(rng.random())
        sex: Literal["M", "F"] = "M" if i % 2 else "F"
        number = make_resident_id(regions[i % len(regions)], birth, int(rng.integers(0, 500)), sex)
        rid = parse_resident_id(number)
        assert rid.birth_date == birth and rid.sex == sex
        assert rid.region == regions[i % len(regions)]
    assert make_resident_id("110105", date(1949, 12, 31), 1, "F") == "11010519491231002X"


def test_make_resident_id_rejects_bad_arguments() -> None:
    with pytest.raises(CodeError, match="前 2 位省份代码 99 不存在"):
        make_resident_id("990105", date(1990, 1, 1), 1, "M")
    with pytest.raises(ValueError, match="seq must be 0..499"):
        make_resident_id("530424", date(1990, 1, 1), 500, "M")
    with pytest.raises(ValueError, match="sex must be"):
        make_resident_id("530424", date(1990, 1, 1), 1, "X")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="from 1900 up to today"):
        make_resident_id("530424", date(1899, 12, 31), 1, "M")


def _random_mix(rng: np.random.Generator, count: int) -> list[str]:
    """Valid IDs and near-misses of every kind."""
    ids = []
    start = date(1900, 1, 1).toordinal()
    for _ in range(count):
        birth = date.fromordinal(int(rng.integers(start, TODAY.toordinal() + 1)))
        region = str(rng.choice(["530424", "110105", "440305", "710000", "830000"]))
        sex: Literal["M", "F"] = "M" if rng.integers(2) else "F"
        good = make_resident_id(region, birth, int(rng.integers(0, 500)), sex)
        kind = int(rng.integers(0, 10))
        if kind == 0:
            pos = int(rng.integers(0, 18))
            good = good[:pos] + str(rng.integers(0, 10)) + good[pos + 1 :]  # maybe a typo
        elif kind == 1:
            good = good[: int(rng.integers(0, 18))]
        elif kind == 2:
            good = good + str(rng.integers(0, 10))
        elif kind == 3:
            good = good.lower()
        elif kind == 4:
            good = "".join(rng.choice(list("0123456789X"), 18))
        elif kind == 5:
            good = good[:10] + f"{int(rng.integers(0, 100)):02d}" + good[12:]  # any day
        elif kind == 6:
            good = good[:6] + "20991231" + good[14:]
        elif kind == 7:
            good = good[:17] + "Ｘ"
        ids.append(good)
    return ids


def test_vectorised_validator_agrees_with_scalar_one() -> None:
    rng = np.random.default_rng(11)
    ids = _random_mix(rng, 4000)
    expected = np.array([is_valid_resident_id(s, today=TODAY) for s in ids])
    assert 0.3 < expected.mean() < 0.9  # a real mix
    np.testing.assert_array_equal(valid_resident_ids(ids, today=TODAY), expected)
    np.testing.assert_array_equal(valid_resident_ids(np.array(ids), today=TODAY), expected)
    ascii_ids = [s for s in ids if s.isascii()]
    np.testing.assert_array_equal(
        valid_resident_ids(np.array(ascii_ids, dtype="S"), today=TODAY),
        [is_valid_resident_id(s, today=TODAY) for s in ascii_ids],
    )


def test_vectorised_validator_edge_inputs() -> None:
    objects = np.array(["11010519491231002X", None, float("nan"), 11010519491231002], dtype=object)
    assert valid_resident_ids(objects).tolist() == [True, False, False, False]
    assert valid_resident_ids([]).tolist() == []
    assert valid_resident_ids(["123", "4567"]).tolist() == [False, False]
    with pytest.raises(ValueError, match="must be text"):
        valid_resident_ids(np.array([110105194912310020]))
    with pytest.raises(ValueError, match="one-dimensional"):
        valid_resident_ids(np.array([["11010519491231002X"]]))
