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
