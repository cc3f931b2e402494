"""Resident IDs and mobile numbers in free text are found however they are written (trial AI S3)."""

from __future__ import annotations

from datetime import date

import pytest

from geo.codes import make_resident_id
from geo.personal_numbers import find_personal_numbers, mask_personal_numbers

ID = make_resident_id("530424", date(1980, 6, 18), 342, "M")


@pytest.mark.parametrize(
    "written",
    [
        ID,
        " ".join(ID[i : i + 4] for i in range(0, 18, 4)),
        "-".join((ID[:6], ID[6:14], ID[14:])),
        ID.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    ],
)
def test_an_id_is_found_however_it_is_spaced(written: str) -> None:
    [found] = find_personal_numbers(f"核实身份{written}。")
    assert (found.kind, found.digits) == ("resident_id", ID)
    assert ID[6:14] not in mask_personal_numbers(f"核实身份{written}。").replace(" ", "")


@pytest.mark.parametrize(
    "written", ["13912345678", "139 1234 5678", "139-1234-5678", "１３９１２３４５６７８"]
)
def test_a_mobile_number_is_found_however_it_is_spaced(written: str) -> None:
    [found] = find_personal_numbers(f"电话{written}")
    assert (found.kind, found.digits) == ("mobile", "13912345678")
    assert mask_personal_numbers(f"电话{written}") == "电话139****5678"


@pytest.mark.parametrize(
    "text",
    [
        "案件 530424-20261202-00000123 已办结",  # a case code
        "工单 202612051234567890123",  # a work-order number longer than an ID
        "设备 53042400001310000001",  # a 20-digit camera ID
        "12345热线 2026-12-05 10:30 来电",
        " ".join(ID[i : i + 4] for i in range(0, 17, 4)) + ("0" if ID[17] != "0" else "1"),
    ],
)
def test_codes_dates_and_split_numbers_with_a_wrong_check_digit_are_no_personal_number(
    text: str,
) -> None:
    assert find_personal_numbers(text) == []


# Trial AJ (M1, M2): the forms the re-review wrote past the check, each now found and masked.
ID_IN_WORDS = f"前六位{ID[:6]}，出生{ID[6:14]}，末四位{ID[14:]}"
CHINESE = str.maketrans("0123456789", "零一二三四五六七八九")
FINANCIAL = str.maketrans("0123456789", "零壹贰叁肆伍陆柒捌玖")


@pytest.mark.parametrize(
    "written",
    [
        "/".join((ID[:6], ID[6:14], ID[14:])),
        "_".join((ID[:6], ID[6:10], ID[10:14], ID[14:])),
        ID[:13] + "\u200b" + ID[13:],  # a zero-width space
        "  ".join(ID[i : i + 6] for i in range(0, 18, 6)),  # double spaces
        ID.translate(CHINESE),
        ID.translate(FINANCIAL),
    ],
)
def test_an_id_in_slashes_underscores_numerals_or_a_zero_width_space_is_found(
    written: str,
) -> None:
    text = f"反映人身份证{written}，要求处理"
    [found] = find_personal_numbers(text)
    assert (found.kind, found.digits) == ("resident_id", ID)
    assert mask_personal_numbers(text) == f"反映人身份证{ID[:6]}********{ID[14:]}，要求处理"


def test_an_id_split_across_words_is_masked_part_by_part() -> None:
    text = f"反映人{ID_IN_WORDS}，电话见联系电话"
    [found] = find_personal_numbers(text)
    assert (found.kind, found.digits) == ("resident_id", ID)
    assert mask_personal_numbers(text) == (
        f"反映人前六位{ID[:6]}，出生********，末四位{ID[14:]}，电话见联系电话"
    )


@pytest.mark.parametrize(
    "written",
    [
        "139/1234/5678",
        "139_1234_5678",
        "139  1234  5678",
        "1 39 1234 5678",
        "139 1234\u200b5678",
        "一三九一二三四五六七八",
        "幺三九幺二三四五六七八",
        "壹叁玖壹贰叁肆伍陆柒捌",
        "一三九 一二三四 五六七八",
        "１３９－１２３４－５６７８",
    ],
)
def test_a_mobile_number_in_slashes_numerals_or_double_spaces_is_found(written: str) -> None:
    [found] = find_personal_numbers(f"电话{written}，请回电")
    assert (found.kind, found.digits) == ("mobile", "13912345678")
    assert mask_personal_numbers(f"电话{written}，请回电") == "电话139****5678，请回电"


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("8613912345678", "86139****5678"),
        ("+86 139 1234 5678", "+86 139****5678"),
        ("+86-13912345678", "+86-139****5678"),
        ("0086 13912345678", "0086 139****5678"),
        ("（+86）139/1234/5678", "（+86）139****5678"),
    ],
)
def test_a_mobile_number_after_86_is_found_and_the_prefix_kept(written: str, masked: str) -> None:
    [found] = find_personal_numbers(f"电话{written}")
    assert (found.kind, found.digits) == ("mobile", "13912345678")
    assert mask_personal_numbers(f"电话{written}") == f"电话{masked}"


def test_numbers_side_by_side_are_each_found_and_the_rest_kept_as_written() -> None:
    text = f"电话13912345678、138 1111 2222，身份证{ID}，2026年12月5日来电"
    assert [(n.kind, n.digits) for n in find_personal_numbers(text)] == [
        ("mobile", "13912345678"),
        ("mobile", "13811112222"),
        ("resident_id", ID),
    ]
    assert mask_personal_numbers(text) == (
        f"电话139****5678、138****2222，身份证{ID[:6]}********{ID[14:]}，2026年12月5日来电"
    )


@pytest.mark.parametrize(
    "text",
    [
        "12345工单 YX20261206000123 已转办",
        "工单 12345-530424-900777 已转办",
        "2026-12-05 10:30:15 来电，2026/1/13 13:05 回访",
        "坐标 102.712345, 25.041234，面积 1,380,000.00 平方米",
        "一组至三组共十三户，两人受伤，第一二三四网格",
        "案件 530424-20261202-00000123、530424-20261202-00000124 合并",
        "2026-12-01 10:30—2026-12-02 16:00",  # 18 digits at group edges, a right check digit
        "下午13:05，2026/1/15再次来电",  # 11 digits from 13: a time, then a date
        "电话 139 1234 56789",  # 12 digits: no mobile number
        "电话 139   1234   5678",  # 3 spaces apart: no longer one number
        f"前六位{ID[:6]}，出生{ID[6:14]}，末四位{ID[14:17]}{'1' if ID[17] != '1' else '2'}",
    ],
)
def test_work_orders_dates_coordinates_and_chinese_words_are_no_personal_number(
    text: str,
) -> None:
    assert find_personal_numbers(text) == []
    assert mask_personal_numbers(text) == text
