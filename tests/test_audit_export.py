"""导出 of the audit log (trial AO M10) and the labels of its entries about cases (m1).

The auditor downloads every entry the filter shows (all pages) as XLSX or as CSV in UTF-8
with a BOM, under Chinese headers, said as the page says them (a person masked, a case by its
code and its reporter masked), the file named by the period and the filter; the export is an
entry of its own (``audit.export``: the filter, never personal data); more entries than one
export holds are refused in Chinese; other roles get 403 as for reading the log.
"""
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

import web
from layers import audit, audit_wording
from layers.china_time import CHINA
from tests.api_fixtures import ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
REASON = "核实反映人联系方式以便回访"
HEADER = ["记录编号", "时间", "账号", "操作", "对象", "结果", "事由", "哈希值"]


def _file_name(disposition: str) -> str:
    return unquote(disposition.split("filename*=UTF-8''")[1])


def _entries(database: SuiteDatabase, api_world: ApiWorld, actor: str) -> tuple[str, str]:
    """Write 3 reporter reads of a case and 2 person reads by ``actor``; the case code, a name."""
    person_id = sorted(api_world.objects["persons"], key=int)[0]
    with Session(database.owner) as session, session.begin():
        case_id, code = session.execute(
            text("SELECT id, code FROM cases WHERE reporter_name = '报告人' ORDER BY id LIMIT 1")
        ).one()
        for _ in range(3):
            audit.record(
                session,
                actor_id=None,
                actor_name=actor,
                action="case.reporter.unmask",
                object_type="case",
                object_id=str(case_id),
                reason=REASON,
            )
        for _ in range(2):
            audit.record(
                session,
                actor_id=None,
                actor_name=actor,
                action="person.unmask",
                object_type="person",
                object_id=person_id,
                reason=REASON,
            )
    return code, api_world.names[int(person_id)]


def test_the_auditor_exports_every_entry_of_the_filter_in_chinese(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    actor = f"reader.{uuid.uuid4().hex[:8]}"
    code, clear_name = _entries(database, api_world, actor)
    auditor = auth_headers("auditor")
    today = datetime.now(CHINA).date()
    since = datetime(today.year, today.month, today.day, tzinfo=CHINA)
    params = {
        "actor": actor,
        "since": since.isoformat(),
        "until": (since + timedelta(days=1)).isoformat(),
        "action": "case.reporter.unmask",
    }

    # the list names the case by its code (m1), its reporter masked
    listed = api_client.get("/api/audit", params=params | {"limit": 1}, headers=auditor).json()
    assert listed["matched"] == 3
    assert listed["entries"][0]["case_label"] == {"code": code, "reporter_masked": "报**"}

    answer = api_client.get("/api/audit/export", params=params, headers=auditor)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert _file_name(answer.headers["content-disposition"]) == (
        f"审计日志_{today}至{today}_查看反映人信息_账号{actor}.xlsx"
    )
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["审计日志", "导出说明"]
    rows = list(book["审计日志"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert len(rows) == 4  # every entry of the filter, not one page
    assert {r[2:7] for r in rows[1:]} == {
        (actor, "查看反映人信息", f"案件 {code}（反映人 报**）", "成功", REASON)
    }
    assert all(str(r[1]).startswith(str(today)) for r in rows[1:])  # Beijing time
    about = dict(book["导出说明"].iter_rows(min_row=2, values_only=True))
    assert about["记录数"] == 3
    assert about["说明"].startswith("时间为北京时间；")  # the column is the page's 时间
    assert about["筛选条件"] == f"操作为“查看反映人信息”，账号为 {actor}"

    # CSV: UTF-8 with a BOM for Excel; a person masked as the page shows them, never clear
    del params["action"]
    answer = api_client.get("/api/audit/export", params=params | {"format": "csv"}, headers=auditor)
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith(b"\xef\xbb\xbf")
    assert _file_name(answer.headers["content-disposition"]) == (
        f"审计日志_{today}至{today}_账号{actor}.csv"
    )
    table = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert table[0] == ["记录编号", "时间（北京时间）", *HEADER[2:]] and len(table) == 6
    persons = [r for r in table[1:] if r[3] == "查看身份信息"]
    assert len(persons) == 2
    assert persons[0][4].startswith(clear_name[0] + "*")
    assert clear_name not in answer.content.decode("utf-8-sig")

    # the exports are audited: the filter, format and rows, never personal data
    exports = api_client.get(
        "/api/audit",
        params={"action": "audit.export", "actor": api_world.users["auditor"].username},
        headers=auditor,
    ).json()["entries"]
    assert [(e["detail"]["format"], e["detail"]["rows"]) for e in exports[:2]] == [
        ("csv", 5),
        ("xlsx", 3),
    ]
    given = exports[1]["detail"]["filter"]
    assert set(given) == {"actor", "action", "since", "until"}
    assert (given["actor"], given["action"]) == (actor, "case.reporter.unmask")
    assert datetime.fromisoformat(given["since"]) == since
    assert clear_name not in str(exports)


def test_an_export_larger_than_the_limit_is_refused_in_chinese(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    database: SuiteDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    actor = f"reader.{uuid.uuid4().hex[:8]}"
    _entries(database, api_world, actor)
    monkeypatch.setattr(audit, "EXPORT_LIMIT", 4)
    answer = api_client.get(
        "/api/audit/export", params={"actor": actor}, headers=auth_headers("auditor")
    )
    assert answer.status_code == 422
    assert "符合条件的记录共 5 条，超过单次导出上限 4 条" in answer.json()["detail"]
    fits = api_client.get(
        "/api/audit/export",
        params={"actor": actor, "object_type": "case"},
        headers=auth_headers("auditor"),
    )
    assert fits.status_code == 200


def test_only_the_auditor_exports_the_audit_log(
    api_client: TestClient, auth_headers: Headers
) -> None:
    for key in ("admin", "cmd_province", "analyst_city"):
        answer = api_client.get("/api/audit/export", headers=auth_headers(key))
        assert answer.status_code == 403
        assert "无权" in answer.json()["detail"]


def test_the_list_gives_each_entry_the_texts_the_export_writes(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    """The page shows ``texts`` as they come: the export's own words for the entry, masked."""
    actor = f"reader.{uuid.uuid4().hex[:8]}"
    code, clear_name = _entries(database, api_world, actor)
    with Session(database.owner) as session, session.begin():
        audit.record(
            session,
            actor_id=None,
            actor_name=actor,
            action="person.unmask",
            object_type="person",
            object_id=sorted(api_world.objects["persons"], key=int)[0],
            outcome="denied",
            detail={"refused": "no unmask permission"},
        )
        audit.record(
            session,
            actor_id=None,
            actor_name=actor,
            action=audit.LAYER_READ,
            object_type="layer",
            object_id="persons",
            detail={"collection": "persons", "zoom": 15, "bbox": [102.5, 24.1, 102.75, 24.25]},
        )
    auditor = auth_headers("auditor")
    listed = api_client.get("/api/audit", params={"actor": actor}, headers=auditor).json()
    assert listed["matched"] == 7
    texts = {str(e["id"]): e["texts"] for e in listed["entries"]}
    assert len(texts) == 7

    answer = api_client.get(
        "/api/audit/export", params={"actor": actor, "format": "csv"}, headers=auditor
    )
    assert answer.status_code == 200, answer.text
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))[1:]
    assert {r[0] for r in rows} == set(texts)
    for row in rows:
        said = texts[row[0]]
        assert [said["action"], said["object"], said["outcome"], said["reason"]] == row[3:7]

    shown = [e["texts"] for e in listed["entries"]]
    assert shown[0] == {
        "action": "查看特殊人群图层",
        "object": "图层：特殊人群",
        "outcome": "成功",
        "reason": "地图第 15 级，经度 102.5000–102.7500，纬度 24.1000–24.2500",
    }
    assert shown[1]["outcome"] == "拒绝（无查看明文权限）" and shown[1]["reason"] == "—"
    assert shown[1]["object"].startswith(clear_name[0] + "*")
    cases = [t for t in shown if t["action"] == "查看反映人信息"]
    assert len(cases) == 3
    assert {(t["object"], t["outcome"], t["reason"]) for t in cases} == {
        (f"案件 {code}（反映人 报**）", "成功", REASON)
    }
    assert clear_name not in str(listed)


def test_the_export_heads_its_columns_as_the_page_does() -> None:
    """The export's actor column is the page's 账号, not 操作人; its time 时间, as the page's."""
    page = (Path(web.__file__).parent / "templates" / "audit.html").read_text(encoding="utf-8")
    head = re.search(r'id="az-entries">\s*<thead>(.*?)</thead>', page, re.S)
    assert head is not None
    columns = re.findall(r"<th>([^<]*)</th>", head.group(1))
    assert columns == list(audit_wording.PAGE_COLUMNS)
    assert HEADER[1:7] == columns


def test_a_refused_logins_reason_is_in_chinese_on_the_page_and_in_the_exports(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase
) -> None:
    """Every reason the login writes (``audit.LOGIN_REFUSALS``) is said in Chinese (trial AP m5).

    The export heads that column 事由, as the page does.
    """
    actor = f"guess.{uuid.uuid4().hex[:8]}"
    with Session(database.owner) as session, session.begin():
        for reason in audit.LOGIN_REFUSALS:
            audit.record(
                session,
                actor_id=None,
                actor_name=actor,
                action="login",
                object_type="user",
                outcome="denied",
                reason=reason,
                detail={"address": "203.0.113.9"},
            )
    auditor = auth_headers("auditor")
    listed = api_client.get("/api/audit", params={"actor": actor}, headers=auditor).json()
    assert {(e["texts"]["action"], e["texts"]["outcome"]) for e in listed["entries"]} == {
        ("登录", "拒绝")
    }
    written = {e["reason"]: e["texts"]["reason"] for e in listed["entries"]}
    assert set(written) == set(audit.LOGIN_REFUSALS)
    assert all(re.fullmatch(r"[\u4e00-\u9fff，、]+", said) for said in written.values()), written
    assert len(set(written.values())) == len(written)  # each said apart

    answer = api_client.get(
        "/api/audit/export", params={"actor": actor, "format": "csv"}, headers=auditor
    )
    assert not any(code in answer.content.decode("utf-8-sig") for code in audit.LOGIN_REFUSALS)
    table = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert table[0][6] == "事由"
    assert {r[6] for r in table[1:]} == set(written.values())
    answer = api_client.get("/api/audit/export", params={"actor": actor}, headers=auditor)
    rows = list(load_workbook(io.BytesIO(answer.content))["审计日志"].iter_rows(values_only=True))
    assert rows[0][6] == "事由"
    assert {r[6] for r in rows[1:]} == set(written.values())
