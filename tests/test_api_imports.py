"""Importing from the console: ``/api/imports`` runs ``zongzhi import`` in a real child process.

The app serves a world of its own in a separate database (its imports commit cases and
persons, which the shared API world must not see), with a home of its own and no injected keys:
the server and its children read the same ``keys.json``, as in a deployment. Every test waits
for its jobs' end by polling their state (a generous deadline; on failure the job's output is
shown), so that no job of one test runs into the next one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth import issue_token
from api.settings import ApiSettings
from geo.codes import make_resident_id
from geo.crs import wgs84_to_gcj02
from importers.kinds import KINDS
from layers import import_jobs
from layers.database import DatabaseUrls, apply_scope, make_engine
from layers.model import ImportJob, JobState
from layers.secrets import keys_from_master
from layers.settings import Settings
from tests.api_fixtures import (
    COUNTY_A,
    GRIDS_PER_VILLAGE,
    VILLAGES,
    ApiWorld,
    build_world,
    free_port,
    grid_box,
)
from tests.conftest import SuiteDatabase, separate_database

DATABASE = "zongzhi_console_imports"
UPLOAD_MB = 1
DEADLINE_SECONDS = 240
CASE_HEADERS = ["工单编号", "来源渠道", "事件类型", "经度", "纬度", "来电时间"]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _world(session: Session, master: bytes) -> ApiWorld:
    """:func:`build_world` in a database of its own, its persons sealed with ``master``'s keys."""
    return build_world(session, keys_from_master(master))


@dataclass
class Served:
    """The app under test and what it serves."""

    client: TestClient
    settings: ApiSettings
    urls: DatabaseUrls
    world: ApiWorld
    owner: Engine
    headers: Callable[[str], dict[str, str]]

    @property
    def imports(self) -> Path:
        """The ``imports`` folder of the home."""
        return self.settings.database.home / "imports"


@pytest.fixture(scope="module")
def served(database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The API over a world of its own, with a small upload limit and no injected keys."""
    urls = separate_database(database, DATABASE)
    owner = make_engine(urls.owner, pool_size=2)
    with Session(owner) as session, session.begin():
        apply_scope(session, None)
        # the world's own persons are sealed with these keys; the tests import their own
        world = _world(session, b"zongzhi console import test key!!")
    settings = ApiSettings(
        database=Settings(
            home=tmp_path_factory.mktemp("imports-home"),
            database_url=urls.owner,
            app_database_url=urls.app,
        ),
        urls=urls,
        jwt_secret="console-imports-jwt-secret-0123456789abcdef",
        pool_size=4,
        upload_mb=UPLOAD_MB,
    )
    tokens: dict[str, dict[str, str]] = {}

    def headers(key: str) -> dict[str, str]:
        if key not in tokens:
            token = issue_token(settings, world.users[key].id, now=datetime.now(UTC))
            tokens[key] = {"Authorization": f"Bearer {token.token}"}
        return tokens[key]

    try:
        with TestClient(create_app(settings)) as client:
            yield Served(client, settings, urls, world, owner, headers)
    finally:
        owner.dispose()


def _centre(village: int, serial: int) -> tuple[float, float]:
    west, south, east, north = grid_box(village, serial)
    return round((west + east) / 2, 6), round((south + north) / 2, 6)


def _cases_csv(tag: str, villages: list[int]) -> bytes:
    """A GBK CSV of cases, one per village index, numbered ``tag-1`` …"""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CASE_HEADERS)
    for n, village in enumerate(villages, 1):
        lon, lat = _centre(village, 1)
        writer.writerow([f"{tag}-{n}", "12345", "邻里纠纷", lon, lat, "2026-03-01 09:00"])
    return buffer.getvalue().encode("gbk")


def _submit(
    served: Served,
    user: str,
    name: str,
    content: bytes,
    kind: str = "cases",
    **fields: str,
) -> Any:
    data = {"kind": kind, "crs": "cgcs2000", **fields}
    return served.client.post(
        "/api/imports", headers=served.headers(user), data=data, files={"file": (name, content)}
    )


def _job(served: Served, user: str, job_id: int) -> dict[str, Any]:
    response = served.client.get(f"/api/imports/{job_id}", headers=served.headers(user))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _wait(
    served: Served, user: str, job_id: int, *, until: Callable[[dict[str, Any]], bool]
) -> Any:
    """Poll the job until ``until`` holds; fail with its output past the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        job = _job(served, user, job_id)
        if until(job):
            return job
        if time.monotonic() > deadline:
            pytest.fail(f"job {job_id} stuck in {job['state']}: {job['output_html']}")
        time.sleep(0.2)


def _ended(served: Served, user: str, job_id: int) -> Any:
    ended = ("finished", "interrupted", "cancelled")
    return _wait(served, user, job_id, until=lambda job: job["state"] in ended)


def _cases(served: Served, tag: str) -> list[tuple[str, str, str | None]]:
    """The cases this test imported: source number, village, the import's user."""
    with served.owner.connect() as conn:
        apply_scope(conn, None)
        rows = conn.execute(
            text(
                "SELECT c.external_no, c.area_code, r.username FROM cases c"
                " LEFT JOIN import_runs r ON r.id = c.import_id"
                " WHERE c.external_no LIKE :tag ORDER BY c.external_no"
            ),
            {"tag": f"{tag}-%"},
        ).all()
    return [(str(no), str(area), user) for no, area, user in rows]


def _import_id(served: Served, tag: str) -> int:
    """The ``import_runs.id`` of the cases this test imported (one import)."""
    with served.owner.connect() as conn:
        apply_scope(conn, None)
        ids = conn.execute(
            text("SELECT DISTINCT import_id FROM cases WHERE external_no LIKE :tag"),
            {"tag": f"{tag}-%"},
        ).scalars()
        (only,) = ids
    return int(only)


def _plain(html: str | None) -> str:
    return re.sub(r"<[^>]+>", "", html or "")


def _tag() -> str:
    return "WEB" + secrets.token_hex(4).upper()


def test_a_dry_run_then_its_real_import(served: Served) -> None:
    tag = _tag()
    response = _submit(served, "disp_a1", "工单.csv", _cases_csv(tag, [0, 1]))
    assert response.status_code == 202, response.text
    dry = response.json()
    assert dry["state"] in ("queued", "running") and dry["options"]["dry_run"] is True
    assert dry["file_name"] == "工单.csv" and dry["kind_label"] == "事件（案件）"

    dry = _ended(served, "disp_a1", dry["id"])
    assert (dry["state"], dry["outcome"], dry["exit_code"]) == ("finished", "dry_ok", 0)
    assert dry["outcome_label"] == "试运行通过" and dry["upload_kept"] is True
    assert dry["can_run"] is True and dry["import_id"] is None
    assert dry["counts"] == {
        "rows": 2,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "ended": 0,
    }
    assert "试运行" in _plain(dry["output_html"])
    assert _cases(served, tag) == []
    assert (served.imports / str(dry["id"]) / "工单.csv").is_file()

    response = served.client.post(
        f"/api/imports/{dry['id']}/run", headers=served.headers("disp_a1"), json={}
    )
    assert response.status_code == 202, response.text
    real = response.json()
    assert real["follows_job_id"] == dry["id"] and real["options"]["dry_run"] is False
    assert real["follows_dry_run"] is True  # said, for a supervisor too (trial AD N5)
    real = _ended(served, "disp_a1", real["id"])
    assert (real["state"], real["outcome"], real["outcome_label"]) == ("finished", "done", "已导入")
    assert real["import_id"] == _import_id(served, tag) and real["can_run"] is False
    user = served.world.users["disp_a1"].username
    assert _cases(served, tag) == [
        (f"{tag}-1", VILLAGES[0], user),
        (f"{tag}-2", VILLAGES[1], user),
    ]
    assert real["upload_kept"] is False
    assert not (served.imports / str(real["id"]) / "工单.csv").exists()
    assert not (served.imports / str(dry["id"]) / "工单.csv").exists()
    assert _job(served, "disp_a1", dry["id"])["upload_kept"] is False

    again = served.client.post(
        f"/api/imports/{dry['id']}/run", headers=served.headers("disp_a1"), json={}
    )
    assert again.status_code == 409 and CHINESE.search(again.json()["detail"])

    listed = served.client.get("/api/imports?limit=2", headers=served.headers("disp_a1")).json()
    assert [job["id"] for job in listed["jobs"]] == [real["id"], dry["id"]]
    assert listed["total"] >= 2 and listed["jobs"][0]["output_html"] is None


def test_a_rejected_row_leaves_a_report_and_a_row_outside_the_scope_is_refused(
    served: Served,
) -> None:
    tag = _tag()
    # village 2 lies in 甲二镇, outside the dispatcher's 甲一街道: the --within rule refuses it
    content = _cases_csv(tag, [0, 2])
    response = _submit(served, "disp_a1", "外镇工单.csv", content, dry_run="false")
    assert response.status_code == 202, response.text
    job = _ended(served, "disp_a1", response.json()["id"])
    assert (job["state"], job["outcome"], job["exit_code"]) == ("finished", "rejected", 1)
    assert job["outcome_label"] == "未导入：有退回的行"
    (reason,) = job["reasons"]  # why, not only how many (trial X)
    assert reason.startswith("“经度” 第 3 行："), reason  # the row named, not only counted
    assert _cases(served, tag) == []  # the file loads whole or not at all
    assert job["counts"] == {
        "rows": 2,
        "inserted": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        "ended": 0,
    }
    assert job["import_id"] is None and job["result_note"].startswith("未写入任何数据")
    assert [f["name"] for f in job["files"]] == ["外镇工单.rejects.xlsx"]
    said = _plain(job["output_html"])
    assert "退回报告：外镇工单.rejects.xlsx" in said and str(served.imports) not in said
    # F2: a real import that wrote nothing keeps its upload, to be imported with --partial
    assert (job["upload_kept"], job["can_run"]) == (True, True)
    folder = served.imports / str(job["id"])
    assert (folder / "外镇工单.csv").is_file()

    download = served.client.get(job["files"][0]["url"], headers=served.headers("disp_a1"))
    assert download.status_code == 200
    assert "filename*=UTF-8''%E5%A4%96" in download.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(download.content), read_only=True)
    cells = [str(c) for sheet in book.worksheets for row in sheet.values for c in row if c]
    assert any("范围内" in cell for cell in cells), cells
    assert not any("--within" in cell for cell in cells), cells  # the page's words (F3)

    assert stat.S_IMODE(served.imports.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "外镇工单.rejects.xlsx").stat().st_mode) == 0o600

    again = served.client.post(
        f"/api/imports/{job['id']}/run", headers=served.headers("disp_a1"), json={"partial": True}
    )
    assert again.status_code == 202, again.text
    partial = _ended(served, "disp_a1", again.json()["id"])
    # F1, F14: loaded with a row rejected, under the number zongzhi imports gives it
    assert (partial["outcome"], partial["outcome_label"]) == ("partial", "部分导入")
    assert partial["counts"] == {
        "rows": 2,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        "ended": 0,
    }
    assert partial["import_id"] == _import_id(served, tag)
    assert partial["result_note"].startswith(f"已写入（导入编号 {partial['import_id']}）")
    assert (partial["upload_kept"], partial["can_run"]) == (False, False)
    assert not (served.imports / str(partial["id"]) / "外镇工单.csv").exists()
    assert len(_cases(served, tag)) == 1


def test_a_report_copying_callers_says_to_delete_it_and_is_never_cached(served: Served) -> None:
    """Trial AX m2: the rows to correct keep the caller in clear; the clerk is told to delete."""
    tag = _tag()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*CASE_HEADERS, "来电人", "来电号码"])
    for n, village in enumerate([0, 2], 1):  # village 2 lies outside the dispatcher's town
        lon, lat = _centre(village, 1)
        row = [f"{tag}-{n}", "12345", "邻里纠纷", lon, lat, "2026-03-01 09:00"]
        writer.writerow([*row, "杨国平", "13939673100"])
    response = _submit(served, "disp_a1", "来电工单.csv", buffer.getvalue().encode("gbk"))
    assert response.status_code == 202, response.text
    job = _ended(served, "disp_a1", response.json()["id"])
    assert job["outcome"] == "dry_rejected", _plain(job["output_html"])
    said = "本报告“退回的行”照原文件保留了来电人、来电号码等个人信息（未遮盖，仅本账户可读）"
    assert said + "：改正并重新导入后，请删除本报告" in _plain(job["output_html"])
    download = served.client.get(job["files"][0]["url"], headers=served.headers("disp_a1"))
    assert download.status_code == 200
    assert download.headers["cache-control"] == "no-store"
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    first = [list(r) for r in book.worksheets[0].iter_rows(max_row=2, values_only=True)]
    assert first[0][0].startswith(said) and first[1] == ["行号", "列", "值", "原因", "处理"]
    copied = [c for row in book.worksheets[1].iter_rows(values_only=True) for c in row]
    assert "13939673100" in copied  # kept for the fix, which is why the report says so


def test_who_may_import_what(served: Served) -> None:
    person = "姓名,身份证号,人员类别,所属社区\n".encode()
    for user in ("worker_v0", "analyst_city", "cmd_province", "admin"):
        refused = _submit(served, user, "刑释.csv", person, kind="persons")
        assert refused.status_code == 403, (user, refused.text)
        assert CHINESE.search(refused.json()["detail"]), refused.json()
    refused = _submit(served, "disp_a1", "辖区.geojson", b"{}", kind="jurisdictions")
    assert refused.status_code == 403 and "辖区" in refused.json()["detail"]

    kinds = served.client.get("/api/imports/kinds", headers=served.headers("disp_a1")).json()
    assert [k["kind"] for k in kinds["kinds"]] == [
        "grids",
        "workers",
        "cases",
        "video",
        "persons",
        "visits",
    ]
    assert {k["kind"] for k in kinds["kinds"] if k["complete"]} == {"grids", "video", "persons"}
    assert [k["kind"] for k in kinds["kinds"] if k["history"]] == ["cases"]
    assert kinds["max_mb"] == UPLOAD_MB and kinds["crs"][0] == {"value": "", "label": "自动识别"}
    for user in ("worker_v0", "analyst_city"):
        listed = served.client.get("/api/imports/kinds", headers=served.headers(user)).json()
        assert listed["kinds"] == []
    every = served.client.get("/api/imports/kinds", headers=served.headers("cmd_a")).json()
    assert {k["kind"] for k in every["kinds"]} == set(KINDS)  # the command's kinds, all of them


def test_a_job_is_its_submitters_only(served: Served) -> None:
    owner = served.world.users["disp_a1"]
    with Session(served.owner) as session, session.begin():
        job = import_jobs.create(
            session,
            account_id=owner.id,
            username=owner.username,
            scope_code=owner.scope_code,
            kind="cases",
            file_name="别人的.csv",
            file_sha256="0" * 64,
            file_bytes=1,
            options={"dry_run": False},
        )
        job_id = job.id
        import_jobs.finish(
            session, job_id, state=JobState.FINISHED, exit_code=1, output="", upload_kept=False
        )
    folder = served.imports / str(job_id)
    folder.mkdir(parents=True)
    (folder / "别人的.rejects.xlsx").write_bytes(b"x")
    mine = _job(served, "disp_a1", job_id)
    assert [f["name"] for f in mine["files"]] == ["别人的.rejects.xlsx"]
    url = mine["files"][0]["url"]
    for other in ("disp_b1", "cmd_a"):
        headers = served.headers(other)
        for response in (
            served.client.get(f"/api/imports/{job_id}", headers=headers),
            served.client.get(url, headers=headers),
            served.client.post(f"/api/imports/{job_id}/cancel", headers=headers),
            served.client.post(f"/api/imports/{job_id}/run", headers=headers, json={}),
        ):
            assert response.status_code == 404, response.text
            assert CHINESE.search(response.json()["detail"])
        listed = served.client.get("/api/imports?limit=100", headers=headers).json()
        assert job_id not in [j["id"] for j in listed["jobs"]]
    upload = served.client.get(
        f"/api/imports/{job_id}/files/别人的.csv", headers=served.headers("disp_a1")
    )
    assert upload.status_code == 404  # never the upload, only what the command wrote
    ended = served.client.post(f"/api/imports/{job_id}/cancel", headers=served.headers("disp_a1"))
    assert ended.status_code == 409 and CHINESE.search(ended.json()["detail"])


@pytest.mark.parametrize(
    ("name", "content", "fields", "said"),
    [
        ("a.csv", b"x", {"kind": "parcels"}, "未知的数据类型"),
        ("a.csv", b"x", {"complete": "true"}, "全部"),
        ("a.csv", b"x", {"kind": "video", "history": "true"}, "历史记录"),
        ("a.csv", b"", {}, "空"),
        ("网格.shp", b"x", {"kind": "grids"}, ".shp/.dbf/.shx 的 zip"),
        ("a.exe", b"x", {}, "不能导入"),
        ("a.csv", b"x", {"crs": "mars"}, "坐标系"),
        ("a.csv", b"x", {"crs": "epsg:9999"}, "EPSG:9999 不是可用的坐标系"),
        ("a.csv", b"x", {"crs": "EPSG:4979"}, "不是经纬度或平面投影坐标系"),  # WGS 84 in 3-D
        ("a.csv", b"x", {"dry_run": "maybe"}, "试运行"),
        ("a.csv", b"x", {"on_duty": "true"}, "“本文件的网格员都记为在岗”只用于网格员文件"),
    ],
)
def test_a_bad_request_is_refused_with_400(
    served: Served, name: str, content: bytes, fields: dict[str, str], said: str
) -> None:
    response = _submit(served, "disp_a1", name, content, **fields)
    assert response.status_code == 400, response.text
    assert said in response.json()["detail"]


def test_a_file_over_the_limit_is_refused_with_413(served: Served) -> None:
    response = _submit(served, "disp_a1", "大.csv", b"x" * (UPLOAD_MB * 2**20 + 1))
    assert response.status_code == 413
    assert f"{UPLOAD_MB} MB" in response.json()["detail"]


def test_cancel_a_queued_job_then_the_running_one(served: Served) -> None:
    """The first job's child waits on a lock the test holds: the second stays queued."""
    with served.owner.connect() as conn, conn.begin():
        conn.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
        first = _submit(served, "disp_a1", "一.csv", _cases_csv(_tag(), [0])).json()
        _wait(served, "disp_a1", first["id"], until=lambda job: job["state"] == "running")
        second = _submit(served, "disp_a1", "二.csv", _cases_csv(_tag(), [1])).json()
        assert _job(served, "disp_a1", second["id"])["state"] == "queued"

        cancelled = served.client.post(
            f"/api/imports/{second['id']}/cancel", headers=served.headers("disp_a1")
        )
        assert cancelled.status_code == 200, cancelled.text
        assert (cancelled.json()["state"], cancelled.json()["state_label"]) == (
            "cancelled",
            "已取消",
        )
        assert (cancelled.json()["upload_kept"], cancelled.json()["can_run"]) == (True, True)
        assert (served.imports / str(second["id"]) / "二.csv").exists()  # to run again

        stopping = served.client.post(
            f"/api/imports/{first['id']}/cancel", headers=served.headers("disp_a1")
        )
        assert stopping.status_code == 200 and stopping.json()["state"] == "running"
        stopped = _ended(served, "disp_a1", first["id"])
    assert (stopped["state"], stopped["outcome"], stopped["exit_code"]) == ("cancelled", None, None)
    assert "已取消，未写入任何数据" in _plain(stopped["output_html"])
    assert stopped["upload_kept"] and (served.imports / str(first["id"]) / "一.csv").exists()
    assert _job(served, "disp_a1", second["id"])["state"] == "cancelled"  # never run
    # N2: cancelled before their commit, both are run again from their kept uploads
    for cancelled, dry_run, outcome in ((first, True, "dry_ok"), (second, False, "done")):
        again = served.client.post(
            f"/api/imports/{cancelled['id']}/run",
            headers=served.headers("disp_a1"),
            json={"crs": "cgcs2000", "dry_run": dry_run},
        )
        assert again.status_code == 202, again.text
        ran = _ended(served, "disp_a1", again.json()["id"])
        assert (ran["follows_job_id"], ran["options"]["dry_run"]) == (cancelled["id"], dry_run)
        assert ran["follows_dry_run"] is cancelled["options"]["dry_run"]  # what it followed
        assert ran["outcome"] == outcome, _plain(ran["output_html"])


def test_a_job_stopped_after_its_commit_says_what_it_wrote(served: Served) -> None:
    """Trial U F9, F8, F7: the child is held writing its reject report, after its commit.

    The report's path is a named pipe nobody reads, so the child blocks there: its rows are in
    the database, its output so far is shown, a dry run submitted meanwhile runs beside it (its
    own lane), a second import waits behind it; then it is cancelled.
    """
    tag = _tag()
    response = _submit(
        served, "disp_a1", "截停.csv", _cases_csv(tag, [0, 2]), dry_run="false", partial="true"
    )
    assert response.status_code == 202, response.text
    job = response.json()
    os.mkfifo(served.imports / str(job["id"]) / "截停.rejects.xlsx", 0o600)
    try:
        _hold_and_cancel(served, job["id"], tag)
    finally:  # a held child would keep the real-import lane busy for the tests after this one
        served.client.post(f"/api/imports/{job['id']}/cancel", headers=served.headers("disp_a1"))


def _hold_and_cancel(served: Served, job_id: int, tag: str) -> None:
    """The body of the test above: ``job_id`` is held writing its reject report."""
    held = _wait(
        served,
        "disp_a1",
        job_id,
        # the summary (import number) comes before the lines after it, each stored every 2 s
        until=lambda j: j["import_id"] is not None and "列对照" in _plain(j["output_html"]),
    )
    assert held["state"] == "running" and held["import_id"] == _import_id(served, tag)
    assert held["outcome"] == "partial" and held["counts"]["inserted"] == 1

    dry = _submit(served, "disp_a1", "同时试运行.csv", _cases_csv(_tag(), [1]))
    assert dry.status_code == 202 and dry.json()["ahead"] == 0  # F7: a lane of its own
    assert _ended(served, "disp_a1", dry.json()["id"])["outcome"] == "dry_ok"
    behind = _submit(served, "disp_a1", "后一个.csv", _cases_csv(_tag(), [1]), dry_run="false")
    assert behind.json()["ahead"] == 1
    assert _job(served, "disp_a1", behind.json()["id"])["ahead"] == 1
    for waiting in (behind.json()["id"], job_id):
        cancel = served.client.post(
            f"/api/imports/{waiting}/cancel", headers=served.headers("disp_a1")
        )
        assert cancel.status_code == 200, cancel.text
    stopped = _ended(served, "disp_a1", job_id)
    assert (stopped["state"], stopped["outcome"]) == ("cancelled", "partial")
    said = _plain(stopped["output_html"])
    number = held["import_id"]
    assert "已取消：导入已于 " in said and f"（导入编号 {number}，新增 1 行），无法撤销" in said
    assert "退回报告未写完" in said and "未写入任何数据" not in said
    assert import_jobs.RERUN_FOR_REPORT in said
    assert len(_cases(served, tag)) == 1
    # N1: its upload is kept; run again as a dry run, it gives the reject report
    assert (stopped["upload_kept"], stopped["can_run"]) == (True, True)
    again = served.client.post(
        f"/api/imports/{job_id}/run",
        headers=served.headers("disp_a1"),
        json={"crs": "cgcs2000", "dry_run": True, "partial": True},
    )
    assert again.status_code == 202, again.text
    report = _ended(served, "disp_a1", again.json()["id"])
    assert report["outcome"] == "dry_rejected", _plain(report["output_html"])
    assert [f["name"] for f in report["files"]] == ["截停.rejects.xlsx"]
    assert (report["counts"]["inserted"], report["counts"]["unchanged"]) == (0, 1)  # written
    assert len(_cases(served, tag)) == 1


def test_a_mapping_file_comes_with_the_file_and_with_its_real_import(served: Served) -> None:
    """Trial U F4: a 12345 class of the file's own, named in the mapping's values table."""
    tag = _tag()
    content = _cases_csv(tag, [0]).decode("gbk").replace("邻里纠纷", "本地分类甲").encode("gbk")
    mapping = '[values."事件类型"]\n"本地分类甲" = "邻里纠纷"\n'.encode()
    bare = _ended(served, "disp_a1", _submit(served, "disp_a1", "无对照.csv", content).json()["id"])
    assert bare["outcome"] == "dry_rejected", _plain(bare["output_html"])

    response = served.client.post(
        "/api/imports",
        headers=served.headers("disp_a1"),
        data={"kind": "cases", "crs": "cgcs2000"},
        files={"file": ("有对照.csv", content), "mapping": ("分类对照.toml", mapping)},
    )
    assert response.status_code == 202, response.text
    dry = _ended(served, "disp_a1", response.json()["id"])
    assert (dry["outcome"], dry["options"]["mapping"]) == ("dry_ok", "分类对照.toml")
    assert dry["files"] == []  # the mapping file is no download
    real = served.client.post(
        f"/api/imports/{dry['id']}/run", headers=served.headers("disp_a1"), json={}
    )
    assert real.status_code == 202 and real.json()["options"]["mapping"] == "分类对照.toml"
    done = _ended(served, "disp_a1", real.json()["id"])
    assert done["outcome"] == "done", _plain(done["output_html"])
    assert len(_cases(served, tag)) == 1

    refused = served.client.post(
        "/api/imports",
        headers=served.headers("disp_a1"),
        data={"kind": "cases"},
        files={"file": ("a.csv", content), "mapping": ("对照.xlsx", b"x")},
    )
    assert refused.status_code == 400 and ".toml" in refused.json()["detail"]


def test_a_broken_mapping_file_is_named_as_uploaded_and_left_out_on_the_run_again(
    served: Served,
) -> None:
    """Trial U N3, N4: its line and column, under the clerk's name for it; then without it."""
    tag = _tag()
    broken = '[values."事件类型"]\n"本地分类甲" = 邻里纠纷\n'.encode("gbk")
    response = served.client.post(
        "/api/imports",
        headers=served.headers("disp_a1"),
        data={"kind": "cases", "crs": "cgcs2000"},
        files={"file": ("工单.csv", _cases_csv(tag, [0])), "mapping": ("我的对照.toml", broken)},
    )
    assert response.status_code == 202, response.text
    refused = _ended(served, "disp_a1", response.json()["id"])
    said = _plain(refused["output_html"])
    assert (refused["outcome"], refused["can_run"]) == ("refused", True), said
    assert "我的对照.toml 第 2 行第 11 列" in said and ".mapping" not in said
    again = served.client.post(
        f"/api/imports/{refused['id']}/run",
        headers=served.headers("disp_a1"),
        json={"crs": "cgcs2000", "dry_run": True, "keep_mapping": False},
    )
    assert again.status_code == 202 and "mapping" not in again.json()["options"]
    dry = _ended(served, "disp_a1", again.json()["id"])
    assert dry["outcome"] == "dry_ok", _plain(dry["output_html"])


def _web_map_cases(tag: str, per_grid: int = 5) -> bytes:
    """A CSV of cases picked on 高德 (GCJ-02) over village 0's grids, each naming its grid."""
    lon, lat, grids = [], [], []
    for serial in range(GRIDS_PER_VILLAGE):
        west, south, east, north = grid_box(0, serial)
        for step in range(1, per_grid + 1):
            lon.append(west + (east - west) * step / (per_grid + 1))
            lat.append(south + (north - south) * (per_grid + 1 - step) / (per_grid + 1))
            grids.append(f"{VILLAGES[0]}{serial + 1:03d}")
    east_gcj, north_gcj = wgs84_to_gcj02(np.array(lon), np.array(lat))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*CASE_HEADERS, "所属网格"])
    for n, (x, y, grid) in enumerate(zip(east_gcj, north_gcj, grids, strict=True), 1):
        writer.writerow(
            [f"{tag}-{n}", "12345", "邻里纠纷", f"{x:.7f}", f"{y:.7f}", "2026-03-01 09:00", grid]
        )
    return buffer.getvalue().encode("gbk")


def test_a_refusal_for_the_wrong_crs_is_run_again_with_the_right_one(served: Served) -> None:
    """Trial U N2: points picked on 高德, read as 自动识别, are refused (exit 2): fix 坐标系."""
    tag = _tag()
    response = _submit(served, "disp_a1", "取点.csv", _web_map_cases(tag), crs="")
    refused = _ended(served, "disp_a1", response.json()["id"])
    said = _plain(refused["output_html"])
    assert (refused["outcome"], refused["exit_code"], refused["options"]["crs"]) == (
        "refused",
        2,
        None,
    ), said
    assert "GCJ-02" in said and (refused["can_run"], refused["upload_kept"]) == (True, True)
    headers = served.headers("disp_a1")
    url = f"/api/imports/{refused['id']}/run"
    for body, said_400 in (
        ({"crs": "mars"}, "坐标系"),
        ({"crs": "EPSG:9999"}, "EPSG:9999 不是可用的坐标系"),
        ({"complete": True}, "全部"),
        ({"sheet": "a\x07"}, "工作表"),
    ):
        bad = served.client.post(url, headers=headers, json=body)
        assert bad.status_code == 400 and said_400 in bad.json()["detail"], bad.text
    bad = served.client.post(url, headers=headers, json={"dry_run": "maybe"})
    assert bad.status_code == 422 and "试运行" in bad.json()["message"], bad.text
    assert _job(served, "disp_a1", refused["id"])["can_run"]  # still kept

    again = served.client.post(url, headers=headers, json={"crs": "gcj02", "dry_run": True})
    assert again.status_code == 202, again.text
    dry = _ended(served, "disp_a1", again.json()["id"])
    assert (dry["follows_job_id"], dry["options"]["crs"]) == (refused["id"], "gcj02")
    assert dry["outcome"] == "dry_ok", _plain(dry["output_html"])
    assert dry["counts"]["inserted"] == 5 * GRIDS_PER_VILLAGE and _cases(served, tag) == []
    assert _job(served, "disp_a1", refused["id"])["upload_kept"] is False  # moved on
    real = served.client.post(
        f"/api/imports/{dry['id']}/run", headers=headers, json={"crs": "gcj02"}
    )
    assert real.status_code == 202, real.text
    done = _ended(served, "disp_a1", real.json()["id"])
    assert done["outcome"] == "done" and (done["upload_kept"], done["can_run"]) == (False, False)
    assert len(_cases(served, tag)) == 5 * GRIDS_PER_VILLAGE


def test_a_dry_run_refused_whole_is_run_again_with_another_option(served: Served) -> None:
    """Trial U N2: a refusal (exit 2) for an option is fixed by the option, not a new upload."""
    tag = _tag()
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "三月"
    second = book.create_sheet("四月")
    for sheet, numbered in ((first, _tag()), (second, tag)):
        for row in csv.reader(io.StringIO(_cases_csv(numbered, [0]).decode("gbk"))):
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    response = _submit(served, "disp_a1", "两个月.xlsx", buffer.getvalue())
    refused = _ended(served, "disp_a1", response.json()["id"])
    assert (refused["outcome"], refused["exit_code"]) == ("refused", 2)
    assert "有 2 个数据工作表" in _plain(refused["output_html"])
    assert (refused["can_run"], refused["upload_kept"]) == (True, True)
    headers = served.headers("disp_a1")
    bad = served.client.post(
        f"/api/imports/{refused['id']}/run", headers=headers, json={"crs": "mars"}
    )
    assert bad.status_code == 400 and CHINESE.search(bad.json()["detail"])
    again = served.client.post(
        f"/api/imports/{refused['id']}/run",
        headers=headers,
        json={"crs": "cgcs2000", "sheet": "四月", "dry_run": True},
    )
    assert again.status_code == 202, again.text
    dry = _ended(served, "disp_a1", again.json()["id"])
    assert dry["options"]["dry_run"] and dry["options"]["sheet"] == "四月"
    assert dry["outcome"] == "dry_ok", _plain(dry["output_html"])
    assert _cases(served, tag) == []
    real = served.client.post(
        f"/api/imports/{dry['id']}/run", headers=headers, json={"crs": "cgcs2000", "sheet": "四月"}
    )
    assert real.status_code == 202, real.text
    done = _ended(served, "disp_a1", real.json()["id"])
    assert done["outcome"] == "done" and not done["upload_kept"] and not done["can_run"]
    assert [c[0] for c in _cases(served, tag)] == [f"{tag}-1"]
    gone = served.client.post(f"/api/imports/{refused['id']}/run", headers=headers, json={})
    assert gone.status_code == 409 and CHINESE.search(gone.json()["detail"])


def test_a_persons_upload_is_audited_and_deleted_on_request(served: Served) -> None:
    """Trial U F10: who uploaded a sensitive list, read its report, ran it again, deleted it."""
    user = "cmd_a_unmask"
    resident_id = make_resident_id("460105", date(1980, 2, 1), 300 + secrets.randbelow(199), "M")
    rows = f"{'网' + secrets.token_hex(3)},{resident_id},刑满释放人员,{VILLAGES[0]}\n"
    rows += f"{'网' + secrets.token_hex(3)},123,刑满释放人员,{VILLAGES[0]}\n"
    content = ("姓名,身份证号,人员类别,所属社区\n" + rows).encode()
    response = _submit(served, user, f"名单{resident_id}.csv", content, kind="persons")
    job = _ended(served, user, response.json()["id"])
    assert job["outcome"] == "dry_rejected" and job["upload_kept"], _plain(job["output_html"])
    report = served.client.get(job["files"][0]["url"], headers=served.headers(user))
    assert report.status_code == 200
    run = served.client.post(
        f"/api/imports/{job['id']}/run", headers=served.headers(user), json={"dry_run": True}
    )
    assert run.status_code == 202, run.text
    first, job = job, _ended(served, user, run.json()["id"])
    assert job["outcome"] == "dry_rejected" and job["upload_kept"], _plain(job["output_html"])
    deleted = served.client.delete(f"/api/imports/{job['id']}/upload", headers=served.headers(user))
    assert deleted.status_code == 200, deleted.text
    assert (deleted.json()["upload_kept"], deleted.json()["can_run"]) == (False, False)
    assert not any(
        p.suffix == ".csv" and p.name.startswith("名单")
        for p in (served.imports / str(job["id"])).iterdir()
    )
    again = served.client.delete(f"/api/imports/{job['id']}/upload", headers=served.headers(user))
    assert again.status_code == 409 and CHINESE.search(again.json()["detail"])
    with served.owner.connect() as conn:
        entries = conn.execute(
            text(
                "SELECT action, object_id, actor_name, detail::text FROM audit_log"
                " WHERE object_type = 'import_job' AND object_id IN (:first, :then) ORDER BY id"
            ),
            {"first": str(first["id"]), "then": str(job["id"])},
        ).all()
    assert [(e.action, int(e.object_id)) for e in entries] == [
        ("import.upload", first["id"]),
        ("import.report_download", first["id"]),
        ("import.rerun", job["id"]),  # run again: the same list read once more
        ("import.upload_delete", job["id"]),
    ]
    assert f'"follows": {first["id"]}' in entries[2].detail
    assert {e.actor_name for e in entries} == {served.world.users[user].username}
    assert not any(resident_id in e.detail for e in entries)  # the file's name masked
    assert not any("网" in e.detail for e in entries)  # never a row's data


def _left_job(session: Session, served: Served, state: JobState, ended: timedelta | None) -> int:
    """A job row as a stopped server left it, with its upload on disk."""
    owner = served.world.users["disp_a1"]
    now = datetime.now(UTC)
    job = ImportJob(
        account_id=owner.id,
        username=owner.username,
        scope_code=owner.scope_code,
        kind="cases",
        file_name="留下的.csv",
        file_sha256="0" * 64,
        file_bytes=1,
        options={"dry_run": True},
        state=state.value,
        upload_kept=True,
        started_at=now - (ended or timedelta()),
        finished_at=None if ended is None else now - ended,
    )
    session.add(job)
    session.flush()
    folder = served.imports / str(job.id)
    folder.mkdir(parents=True)
    (folder / "留下的.csv").write_bytes(b"x")
    (folder / "留下的.rejects.xlsx").write_bytes(b"x")
    return job.id


def test_start_up_ends_leftovers_and_deletes_what_has_expired(served: Served) -> None:
    with Session(served.owner) as session, session.begin():
        running = _left_job(session, served, JobState.RUNNING, None)
        committed = _left_job(session, served, JobState.RUNNING, None)
        stale = _left_job(session, served, JobState.FINISHED, timedelta(hours=25))
        fresh = _left_job(session, served, JobState.FINISHED, timedelta(hours=1))
        old = _left_job(session, served, JobState.FINISHED, timedelta(days=31))
    said = {"committed": True, "import_id": 4321, "committed_at": "2026-11-20T16:13:05+08:00"}
    said |= {"status": "partial", "inserted": 30430, "rejected_rows": 9, "report": None}
    (served.imports / str(committed) / ".summary.json").write_text(json.dumps(said))
    with TestClient(create_app(served.settings)):  # a server starting on the same database
        left = _wait(served, "disp_a1", running, until=lambda job: job["state"] != "running")
        told = _wait(served, "disp_a1", committed, until=lambda job: job["state"] != "running")
        _wait(served, "disp_a1", old, until=lambda job: not job["files"])
    # F9 (b): a restart after the commit says what was written, never "nothing"
    assert (told["state"], told["outcome"], told["import_id"]) == ("interrupted", "partial", 4321)
    assert (
        _plain(told["output_html"])
        .rstrip()
        .endswith(
            "导入中断：导入已于 16:13:05 写入（导入编号 4321，新增 30,430 行），"
            f"无法撤销；退回报告未写完：{import_jobs.RERUN_FOR_REPORT}"
        )
    )
    assert (left["state"], left["state_label"]) == ("interrupted", "已中断")
    assert "导入中断，未写入任何数据" in _plain(left["output_html"])
    assert left["upload_kept"] and left["can_run"]  # N2: it wrote nothing, to run again
    assert (served.imports / str(running) / "留下的.csv").exists()
    assert told["upload_kept"] and told["can_run"]  # N1: a dry run gives the report
    assert not (served.imports / str(stale) / "留下的.csv").exists()
    assert _job(served, "disp_a1", stale)["upload_kept"] is False
    assert (served.imports / str(fresh) / "留下的.csv").exists()
    assert _job(served, "disp_a1", fresh)["upload_kept"] is True
    assert not (served.imports / str(old)).exists()  # outputs are kept for 30 days


def test_the_template_of_a_kind(served: Served) -> None:
    response = served.client.get("/api/imports/templates/cases", headers=served.headers("disp_a1"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    said = " ".join(
        str(value) for sheet in book for row in sheet.iter_rows(values_only=True) for value in row
    )
    assert "数据导入" in said and "zongzhi import" not in said  # how to upload it here
    refused = served.client.get(
        "/api/imports/templates/jurisdictions", headers=served.headers("disp_a1")
    )
    assert refused.status_code == 403


def test_a_person_imported_in_the_console_is_unmasked_by_the_api(served: Served) -> None:
    """The child seals the resident ID with the key the server opens it with."""
    resident_id = make_resident_id("460105", date(1981, 6, 1), 300 + secrets.randbelow(199), "F")
    name = "网" + secrets.token_hex(3)
    content = f"姓名,身份证号,人员类别,所属社区\n{name},{resident_id},刑满释放人员,{VILLAGES[0]}\n"
    response = _submit(
        served, "cmd_a_unmask", "刑释.csv", content.encode(), kind="persons", dry_run="false"
    )
    assert response.status_code == 202, response.text
    job = _ended(served, "cmd_a_unmask", response.json()["id"])
    assert job["outcome"] == "done", _plain(job["output_html"])
    assert resident_id not in _plain(job["output_html"])
    said = "".join(_plain(job["output_html"]).split())  # no point, no grid (trial AV M1)
    assert "本表1名在册人员全部未落图、未划入网格" in said
    with served.owner.connect() as conn:
        apply_scope(conn, None)
        person_id = conn.execute(
            text("SELECT id FROM persons WHERE name = :n"), {"n": name}
        ).scalar_one()
    clear = served.client.post(
        f"/api/persons/{person_id}/unmasked",
        headers=served.headers("cmd_a_unmask"),
        json={"reason": "核实网页导入的人员身份"},
    )
    assert clear.status_code == 200, clear.text
    assert clear.json()["resident_id"] == resident_id


def test_a_stopping_server_ends_its_running_import_as_interrupted(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """A server of its own (one runner per database), its child held on a lock while it stops."""
    urls = separate_database(database, DATABASE + "_stop")
    owner = make_engine(urls.owner, pool_size=2)
    with Session(owner) as session, session.begin():
        apply_scope(session, None)
        world = _world(session, b"zongzhi console import stop key!!")
    settings = ApiSettings(
        database=Settings(home=tmp_path, database_url=urls.owner, app_database_url=urls.app),
        urls=urls,
        jwt_secret="console-imports-stop-jwt-secret-0123456789abcdef",
        pool_size=2,
    )
    user = world.users["disp_a1"]
    token = issue_token(settings, user.id, now=datetime.now(UTC)).token
    try:
        with owner.connect() as conn, conn.begin():
            conn.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
            with TestClient(create_app(settings)) as client:
                bearer = {"Authorization": f"Bearer {token}"}
                stopping = Served(client, settings, urls, world, owner, lambda _key: bearer)
                job = _submit(stopping, "disp_a1", "停.csv", _cases_csv(_tag(), [0])).json()
                _wait(stopping, "disp_a1", job["id"], until=lambda j: j["state"] == "running")
            # the client has left: the server stopped, its child with it
        with Session(owner) as session:
            left = import_jobs.get(session, job["id"], account_id=user.id)
            assert (left.state, left.exit_code, left.upload_kept) == ("interrupted", None, True)
            assert (left.output or "").endswith(import_jobs.INTERRUPTED_NOTE)
        assert (tmp_path / "imports" / str(job["id"]) / "停.csv").exists()  # to run again
    finally:
        owner.dispose()


def _children_running(folder: Path) -> list[int]:
    """Pids of the processes whose command line names ``folder`` (a job's import child)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # not a process, or it ended meanwhile
            continue
        if entry.name.isdigit() and any(str(folder).encode() in arg for arg in argv):
            pids.append(int(entry.name))
    return pids


def test_a_server_killed_outright_takes_its_import_with_it(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """SIGKILL leaves no shutdown to stop the child: the child must end by itself, uncommitted."""
    urls = separate_database(database, DATABASE + "_kill")
    owner = make_engine(urls.owner, pool_size=2)
    with Session(owner) as session, session.begin():
        apply_scope(session, None)
        world = _world(session, b"zongzhi console import kill key!!")
    secret = "console-imports-kill-jwt-secret-0123456789abcdef"
    env = {
        **os.environ,
        "ZONGZHI_HOME": str(tmp_path),
        "ZONGZHI_DATABASE_URL": urls.owner,
        "ZONGZHI_APP_DATABASE_URL": urls.app,
        "ZONGZHI_JWT_SECRET": secret,
    }
    settings = ApiSettings(database=Settings(tmp_path, urls.owner, urls.app), jwt_secret=secret)
    token = issue_token(settings, world.users["disp_a1"].id, now=datetime.now(UTC)).token
    port = free_port()
    tag = _tag()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("zongzhi")), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with owner.connect() as conn, conn.begin():
            conn.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
            with httpx2.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ) as client:
                _wait_for(lambda: _up(client), "the server to start")
                job = client.post(
                    "/api/imports",
                    data={"kind": "cases", "dry_run": "false"},
                    files={"file": ("杀.csv", _cases_csv(tag, [0]))},
                ).json()
                folder = tmp_path / "imports" / str(job["id"])
                _wait_for(lambda: bool(_children_running(folder)), "the import's child")
            server.kill()
            server.wait(timeout=30)
            _wait_for(lambda: not _children_running(folder), "the child to end with its server")
        with owner.connect() as conn:
            apply_scope(conn, None)
            written = conn.execute(
                text("SELECT count(*) FROM cases WHERE external_no LIKE :t"), {"t": tag + "-%"}
            ).scalar_one()
        assert written == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
        owner.dispose()


def _up(client: httpx2.Client) -> bool:
    try:
        return client.get("/api/imports/kinds").status_code == 200
    except httpx2.TransportError:
        return False


def _wait_for(ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not ready():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {DEADLINE_SECONDS} s for {what}")
        time.sleep(0.2)


def test_a_commander_follows_the_imports_of_the_scope_read_only(served: Served) -> None:
    """Trial U F15: 督导 — who imported what in the county; persons' only where persons are seen."""
    cases = _submit(served, "disp_a1", "督导工单.csv", _cases_csv(_tag(), [0])).json()
    resident_id = make_resident_id("460105", date(1979, 3, 1), 300 + secrets.randbelow(199), "F")
    content = (
        f"姓名,身份证号,人员类别,所属社区\n网{secrets.token_hex(3)},{resident_id},刑满释放人员,"
    )
    persons = _submit(
        served, "disp_a1", "督导名单.csv", f"{content}{VILLAGES[0]}\n".encode(), kind="persons"
    ).json()
    for job in (cases, persons):
        _ended(served, "disp_a1", job["id"])
    clerk = served.world.users["disp_a1"].username

    def listed(user: str) -> dict[int, Any]:
        page = served.client.get("/api/imports/supervised?limit=100", headers=served.headers(user))
        assert page.status_code == 200, page.text
        return {job["id"]: job for job in page.json()["jobs"]}

    county = listed("cmd_a")
    assert {cases["id"], persons["id"]} <= county.keys()
    seen = county[cases["id"]]
    assert (seen["submitted_by"], seen["files"], seen["can_run"]) == (clerk, [], False)
    read = served.client.get(
        f"/api/imports/supervised/{persons['id']}", headers=served.headers("cmd_a")
    )
    assert read.status_code == 200 and "督导名单.csv" in _plain(read.json()["output_html"])
    assert resident_id not in read.text and read.json()["files"] == []
    with served.owner.connect() as conn:
        actors = conn.execute(
            text(
                "SELECT actor_id, actor_name FROM audit_log WHERE action = 'import.supervise_read'"
                " AND object_id = :id"
            ),
            {"id": str(persons["id"])},
        ).all()
        commander = served.world.users["cmd_a"]
        assert [tuple(a) for a in actors] == [(commander.id, commander.username)]
    city = listed("cmd_city")  # counts only of persons: their jobs are not shown
    assert cases["id"] in city and persons["id"] not in city
    hidden = served.client.get(
        f"/api/imports/supervised/{persons['id']}", headers=served.headers("cmd_city")
    )
    assert hidden.status_code == 404
    assert cases["id"] not in listed("cmd_b")  # another county
    refused = served.client.get("/api/imports/supervised", headers=served.headers("disp_a1"))
    assert refused.status_code == 403 and CHINESE.search(refused.json()["detail"])
    run = served.client.post(
        f"/api/imports/{cases['id']}/run", headers=served.headers("cmd_a"), json={}
    )
    assert run.status_code == 404  # read only: the clerk's own job


def test_a_commander_follows_the_imports_run_on_the_server(served: Served, tmp_path: Path) -> None:
    """Trial AD N6: the county's command-line imports were missing from the 督导 list."""
    from importers.pipeline import ImportOptions, run_import

    path = tmp_path / "命令行工单.csv"
    path.write_bytes(_cases_csv(_tag(), [0]))
    with Session(served.owner) as session, session.begin():
        apply_scope(session, None)
        options = ImportOptions(kind="cases", within=COUNTY_A, user="root")
        outcome = run_import(session.connection(), path, options)
    assert outcome.committed and outcome.import_id is not None
    # without --within: the one county its rows lie in (trial AG: such runs were missing)
    bare = tmp_path / "命令行工单（未加范围）.csv"
    bare.write_bytes(_cases_csv(_tag(), [0]))
    with Session(served.owner) as session, session.begin():
        apply_scope(session, None)
        unscoped = run_import(session.connection(), bare, ImportOptions(kind="cases", user="root"))
    assert unscoped.committed and unscoped.import_id is not None
    page = _submit(served, "disp_a1", "页面工单.csv", _cases_csv(_tag(), [0]), dry_run="false")
    assert page.status_code == 202, page.text
    from_page = _ended(served, "disp_a1", page.json()["id"])["import_id"]
    assert from_page is not None

    def listed(user: str) -> list[dict[str, Any]]:
        response = served.client.get(
            "/api/imports/supervised/command-line", headers=served.headers(user)
        )
        assert response.status_code == 200, response.text
        return list(response.json())

    runs = listed("cmd_a")
    (run,) = [r for r in runs if r["id"] == outcome.import_id]
    assert (run["file_name"], run["username"], run["kind_label"]) == (
        "命令行工单.csv",
        "root",
        "事件（案件）",
    )
    assert run["rows_loaded"] == 1 and run["partial"] is False
    assert from_page not in {r["id"] for r in runs}  # the console's own: in the jobs' list
    assert unscoped.import_id in {r["id"] for r in runs}
    assert outcome.import_id not in {r["id"] for r in listed("cmd_b")}  # another county's
    refused = served.client.get(
        "/api/imports/supervised/command-line", headers=served.headers("disp_a1")
    )
    assert refused.status_code == 403
