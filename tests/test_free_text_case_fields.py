"""A case's 地址, work-order number and 吹哨 departments hold no resident ID or mobile number.

Trial AJ M2: the case fields ``address`` and ``external_no`` and the departments of a 吹哨
(``summon``) were not checked at all, even for an ID written together, and every level reads
them. :mod:`layers.free_text` gives what the case layer calls to refuse them.
"""

from __future__ import annotations

from datetime import date

import pytest

from geo.codes import make_resident_id
from layers.errors import InvalidInput
from layers.free_text import (
    CASE_ADDRESS,
    DEPARTMENT_NAMES,
    personal_work_order_number,
    refuse_personal_numbers,
    refuse_personal_numbers_in_names,
    refuse_personal_work_order_number,
)

ID = make_resident_id("530424", date(1980, 6, 18), 342, "M")


@pytest.mark.parametrize(
    ("address", "says"),
    [
        (f"宁州街道复安社区8组 王小明 13912345678 身份证{ID}", "身份证号、手机号"),
        ("复安社区8组，电话139/1234/5678", "手机号"),
        ("复安社区8组，电话一三九一二三四五六七八", "手机号"),
    ],
)
def test_an_address_with_a_number_is_refused(address: str, says: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        refuse_personal_numbers(address, field="地址", advice=CASE_ADDRESS)
    assert str(refused.value).startswith(f"地址中不要写{says}：")
    assert "1234" not in str(refused.value)


def test_an_address_with_house_numbers_passes() -> None:
    for address in ("宁州街道复安社区8组33号", "人民路128号3栋2单元501室", None, ""):
        refuse_personal_numbers(address, field="地址", advice=CASE_ADDRESS)


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        (ID, "resident_id"),
        (f"{ID[:6]}-{ID[6:14]}-{ID[14:]}", "resident_id"),
        ("13912345678", "mobile"),
        ("+86 139 1234 5678", "mobile"),
        ("12345-13912345678", "mobile"),
        ("YX20261206000123", None),
        ("12345-530424-900777", None),
        ("202612061234567890", None),  # 18 digits, but no ID: no birth date, no check digit
        ("2026120600012", None),
    ],
)
def test_a_work_order_number_that_is_an_id_or_a_mobile_number_is_refused(
    number: str, kind: str | None
) -> None:
    assert personal_work_order_number(number) == kind
    if kind is None:
        refuse_personal_work_order_number(number)
        return
    with pytest.raises(InvalidInput) as refused:
        refuse_personal_work_order_number(number, field="12345编号")
    assert str(refused.value).startswith("12345编号不能是身份证号或手机号：")
    assert number not in str(refused.value)


@pytest.mark.parametrize(
    "departments",
    [
        [f"县公安局 联系人王小明13912345678 身份证{ID}"],
        ["县公安局", "联系人王小明139", "1234", "5678"],  # split at the spaces by the console
        ["县住建局", "联系人电话一三九一二三四五六七八"],
    ],
)
def test_summon_departments_holding_a_number_are_refused(departments: list[str]) -> None:
    with pytest.raises(InvalidInput, match="^吹哨部门中不要写.*手机号：只写部门名称"):
        refuse_personal_numbers_in_names(departments, field="吹哨部门", advice=DEPARTMENT_NAMES)


def test_summon_departments_by_name_pass() -> None:
    for names in (["县公安局", "县住建局", "12345热线", "110指挥中心"], [], None):
        refuse_personal_numbers_in_names(names, field="吹哨部门", advice=DEPARTMENT_NAMES)
