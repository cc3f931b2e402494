# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""A stated reason holds no personal data, since the auditor, who may not unmask, reads it.

Trial AI S3: the reason check refused an 18-digit ID written together only. ``核实身份 5304 2419
8006 1868 58``, a mobile number, or the person's own name and address passed and were stored in
the audit log. Now each is refused with a message saying why (事由会记入审计日志); a refused
attempt's entry gives the reason the reader was told and keeps the reason without the values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from geo.personal_numbers import digit_count
from layers import audit
from layers.errors import InvalidInput
from tests.api_fixtures import VILLAGES, ApiWorld, written_text

Headers = Callable[[str], dict[str, str]]
NUMBERS_LOGGED = "查看事由中不要写{}：事由会记入审计日志"


def _spaced(number: str) -> str:
    """An ID written as ``5304 2419 8006 1868 58`` (groups of four)."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


@pytest.mark.parametrize(
    ("reason", "says"),
    [
        ("核实身份 5304 2419 8006 1868 58", "身份证号"),
        ("核实身份５３０４２４１９８００６１８６８５８", "身份证号"),  # full-width
        ("核实身份530424-19800618-6858", "身份证号"),
        ("回访电话 138-1234-5678 核实情况", "手机号"),
        ("回访电话138 1234 5678核实", "手机号"),
        ("身份证530424198006186858电话13912345678", "身份证号、手机号"),
    ],
)
def test_a_reason_with_an_id_or_a_mobile_number_however_spaced_is_refused(
    reason: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        audit.check_reason(reason)
    assert str(refused.value) == NUMBERS_LOGGED.format(says)


def test_a_reason_naming_the_person_is_refused_and_logged_without_it() -> None:
    own = {"姓名": "李涛俊", "身份证号": "530424198006186858", "住址": "兴宁社区2组103号"}
    with pytest.raises(InvalidInput, match="不要写该人员的姓名、住址：事由会记入审计日志"):
        audit.check_reason("核实本人李涛俊的住址与兴宁社区 2组103号", own=own)
    with pytest.raises(InvalidInput, match="不要写反映人的姓名"):
        audit.check_reason("回访李 涛俊核实", own=own, whose="反映人")
    assert audit.check_reason("核实走访对象身份", own=own) == "核实走访对象身份"
    assert audit.check_reason("核实李四的走访情况", own={"姓名": "李"}) == "核实李四的走访情况"
    kept = audit.loggable_reason("核实李涛俊 138 1234 5678 兴宁社区2组103号", own)
    assert kept == "核实[姓名已略去] [手机号已略去] [住址已略去]"
    assert audit.loggable_reason("核实李 涛俊", own) == "[事由含个人信息，已略去]"


def _person(api_world: ApiWorld) -> tuple[str, str, str]:
    """A person of village 0 (in cmd_a_unmask's county): id, name, resident ID."""
    pid = next(p for p, v in sorted(api_world.objects["persons"].items()) if v == VILLAGES[0])
    return pid, api_world.names[int(pid)], api_world.resident_ids[int(pid)]


def _last_entry(
    client: TestClient, headers: Headers, action: str, kind: str, oid: str
) -> dict[str, Any]:
    page = client.get(
        "/api/audit",
        params={"action": action, "object_type": kind, "object_id": oid, "limit": 1},
        headers=headers("auditor"),
    )
    assert page.status_code == 200, page.text
    return page.json()["entries"][0]  # type: ignore[no-any-return]


def test_the_person_unmask_refuses_a_spaced_id_and_its_entry_says_why_without_it(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    pid, _, resident_id = _person(api_world)
    url = f"/api/persons/{pid}/unmasked"
    reason = f"核实身份 {_spaced(resident_id)}"
    refused = api_client.post(url, json={"reason": reason}, headers=auth_headers("cmd_a_unmask"))
    assert refused.status_code == 422, refused.text
    told = refused.json()["detail"]
    assert told == NUMBERS_LOGGED.format("身份证号")
    entry = _last_entry(api_client, auth_headers, "person.unmask", "person", pid)
    assert entry["outcome"] == "denied"
    assert entry["detail"] == {"refused": told}  # the reason the reader was told
    assert entry["reason"] == "核实身份 [身份证号已略去]"
    assert resident_id not in re.sub(r"\D", "", str(entry))


def test_the_person_unmask_refuses_the_persons_own_name_phone_and_address(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    pid, name, _ = _person(api_world)
    url = f"/api/persons/{pid}/unmasked"
    headers = auth_headers("cmd_a_unmask")
    with_phone = f"核实本人{name}的电话13812345678与住址测试地址"
    refused = api_client.post(url, json={"reason": with_phone}, headers=headers)
    assert refused.status_code == 422 and refused.json()["detail"] == NUMBERS_LOGGED.format(
        "手机号"
    )
    entry = _last_entry(api_client, auth_headers, "person.unmask", "person", pid)
    assert entry["reason"] == "核实本人[姓名已略去]的电话[手机号已略去]与住址[住址已略去]"
    refused = api_client.post(
        url, json={"reason": f"核实本人{name}的住址测试地址"}, headers=headers
    )
    told = refused.json()["detail"]
    assert (
        refused.status_code == 422
        and told == "查看事由中不要写该人员的姓名、住址：事由会记入审计日志"
    )
    entry = _last_entry(api_client, auth_headers, "person.unmask", "person", pid)
    assert entry["detail"] == {"refused": told}
    assert name not in str(entry) and "测试地址" not in str(entry)
    read = api_client.post(url, json={"reason": "核实走访对象身份"}, headers=headers)
    assert read.status_code == 200 and read.json()["name"] == name, read.text
    entry = _last_entry(api_client, auth_headers, "person.unmask", "person", pid)
    assert (entry["outcome"], entry["reason"]) == ("ok", "核实走访对象身份")


def test_the_reporter_unmask_refuses_numbers_and_the_reporters_own_name(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    """The case reporter's unmask checked the length only: now as the person's unmask."""
    case_id = next(c for c, v in sorted(api_world.objects["cases"].items()) if v == VILLAGES[0])
    url = f"/api/cases/{case_id}/reporter"
    headers = auth_headers("cmd_a_unmask")
    for reason, told in [
        ("回访 138 1234 5678 核实诉求", NUMBERS_LOGGED.format("手机号")),
        ("联系报告人核实诉求", "查看事由中不要写反映人的姓名：事由会记入审计日志"),  # 报告人
    ]:
        refused = api_client.post(url, json={"reason": reason}, headers=headers)
        assert refused.status_code == 422 and refused.json()["detail"] == told, refused.text
        entry = _last_entry(api_client, auth_headers, "case.reporter.unmask", "case", case_id)
        # the reason typed, scrubbed, and what the reader was told (trial AU m4)
        assert entry["outcome"] == "failed" and told in str(entry["detail"]), entry
        assert entry["reason"].startswith(reason[:2]) and "报告人" not in entry["reason"]
        assert "1234" not in written_text(entry)
    read = api_client.post(url, json={"reason": "回访当事人核实诉求"}, headers=headers)
    assert read.status_code == 200 and read.json()["reporter_name"] == "报告人", read.text


# Trial AJ M1: the reasons the re-review had accepted (and stored in clear), for person 2, then
# 郑峰东, ID 530424199105275930, address 宁州街道新复社区1组82号.
ZHENG = {"姓名": "郑峰东", "身份证号": "530424199105275930", "住址": "宁州街道新复社区1组82号"}


@pytest.mark.parametrize(
    "reason",
    [
        "核实身份530424/19910527/5930",
        "核实身份530424_1991_0527_5930",
        "核实身份五三零四二四一九九一零五二七五九三零",
        "核实身份，前六位530424，出生19910527，末四位5930",
        "核实身份5304241991052\u200b75930",
        "回访电话 1 38 1234 5678",
        "回访电话8613812345678",
        "回访电话138  1234  5678",
        "回访电话壹叁捌壹贰叁肆伍陆柒捌",
        "回访电话138/1234/5678",
        "回访电话一三八一二三四五六七八",
        "回访王/小/明，电话139/1234/5678",
        "回访电话一三九一二三四五六七八核实",
        "核实身份，出生一九九一年，尾号5930",  # 7 digits in all, no number found
        "核实证件后七位5275930",
    ],
)
def test_a_reason_with_a_number_however_written_is_refused(reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        audit.check_reason(reason, own=ZHENG)
    told = str(refused.value)
    assert told.startswith("查看事由中不要写") and told.endswith("：事由会记入审计日志"), told
    kept = audit.loggable_reason(reason, ZHENG) or ""
    assert digit_count(kept) < audit.REASON_DIGITS, kept
    assert "1234" not in kept and "5930" not in kept and "1991" not in kept


@pytest.mark.parametrize(
    ("reason", "says"),
    [
        ("核实郑/峰/东的情况", "姓名"),
        ("核实郑 峰\u200b东的情况", "姓名"),
        ("核实郑·峰·东的情况", "姓名"),
        ("核实住址新复社区一组八十二号", "住址"),
        ("核实住址1组/82号", "住址"),
        ("核实住址壹组捌拾贰号", "住址"),
    ],
)
def test_the_persons_own_name_and_address_are_found_however_split_or_numbered(
    reason: str, says: str
) -> None:
    with pytest.raises(InvalidInput, match=f"不要写该人员的{says}：事由会记入审计日志"):
        audit.check_reason(reason, own=ZHENG)
    assert audit.loggable_reason(reason, ZHENG) == "[事由含个人信息，已略去]"


@pytest.mark.parametrize(
    "reason",
    ["核实2026年12月走访情况", "核实第三季度走访记录", "复核12345热线转办事项", "核实一组两户"],
)
def test_a_reason_with_a_few_digits_passes(reason: str) -> None:
    assert audit.check_reason(reason, own=ZHENG) == reason


def test_an_attempt_on_a_person_outside_the_scope_keeps_no_reason(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    """Trial AJ M5: refused as not in scope, the reason (a name, an address) stayed in clear."""
    pid = next(p for p, v in sorted(api_world.objects["persons"].items()) if v == VILLAGES[3])
    name = api_world.names[int(pid)]
    url = f"/api/persons/{pid}/unmasked"
    for reason in (f"核实{name}住址新复社区1组82号", f"核实{name}的情况，电话13812345678"):
        refused = api_client.post(
            url, json={"reason": reason}, headers=auth_headers("cmd_a_unmask")
        )
        assert refused.status_code in (404, 422), refused.text
        entry = _last_entry(api_client, auth_headers, "person.unmask", "person", pid)
        assert entry["outcome"] == "denied"
        assert entry["reason"] == "（人员不在辖区内，事由未记录）"
        assert name not in str(entry) and "82号" not in str(entry)
        assert "1234" not in written_text(entry)
    refused = api_client.post(  # a reader without the right: the same
        url, json={"reason": f"核实{name}的住址"}, headers=auth_headers("cmd_a")
    )
    assert refused.status_code == 403, refused.text
    entry = _last_entry(api_client, auth_headers, "person.unmask", "person", pid)
    assert entry["reason"] == "（人员不在辖区内，事由未记录）" and name not in str(entry)
