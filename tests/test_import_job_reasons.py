"""A console job says why its rows were rejected, however few (trial X).

A township's camera list came back with 6 rows rejected: the 数据导入 page said 退回 6 and no
more, the reasons only in the downloaded report (the summary's reasons then needed 20 rows of
one reason). The command's ``--summary-json`` now gives the leading reasons whenever rows are
rejected, the job gives them (``reasons``), values never named where they are personal data.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session

from importers.cli import RunSummary
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from importers.reject_digest import top_reasons
from importers.rules import Problem
from layers import import_jobs
from layers.model import ImportJob
from tests.import_fixtures import csv_text, seed_jurisdictions

HEADERS = ["国标编码", "点位名称", "经度", "纬度", "设备状态"]


def _camera(serial: int, digits: int = 20) -> list[str]:
    code = f"53042400001318{serial:0{digits - 14}d}"  # type 131: no other test's
    return [code, f"原因点位{serial}", f"{102.901 + serial / 1000:.3f}", "24.205", "在线"]


def _job(outcome: ImportOutcome, folder: Path, *, kind: str, dry_run: bool) -> ImportJob:
    summary = RunSummary(folder / ".summary.json", dry_run=dry_run)
    summary.part_started()
    summary.seen(outcome)
    summary.write(finished=True)
    job = ImportJob(kind=kind, state="finished", exit_code=1, options={"dry_run": dry_run})
    job.result = json.loads((folder / ".summary.json").read_text(encoding="utf-8"))
    return job


def test_a_job_gives_the_reasons_of_its_few_rejected_rows(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    rows = [_camera(n) for n in range(1, 5)] + [_camera(n, 18) for n in range(5, 11)]
    path = tmp_path / "乡镇点位.csv"
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    dry = run_import(db.connection(), path, ImportOptions(kind="video", dry_run=True))
    assert dry.rejected_rows == 6, [(p.row, p.rule) for p in dry.problems]
    job = _job(dry, tmp_path, kind="video", dry_run=True)
    assert import_jobs.outcome_of(job) == "dry_rejected"
    (reason,) = import_jobs.reasons_of(job)
    assert reason.startswith("“国标编码” 6 行（“530424000013180005” 1 行、"), reason  # 6: counted
    assert reason.endswith("）：必须是 20 位数字，实为 18 个字符")
    # a clean dry run gives none
    clean = tmp_path / "干净.csv"
    clean.write_text(csv_text(HEADERS, rows[:4]), encoding="utf-8")
    done = run_import(db.connection(), clean, ImportOptions(kind="video", dry_run=True))
    assert import_jobs.reasons_of(_job(done, tmp_path, kind="video", dry_run=True)) == []


def test_the_reasons_never_name_a_persons_values() -> None:
    found = [Problem(r, "身份证号", "11010519491231002X", "校验码不符") for r in (2, 3)]
    assert top_reasons(found, values_shown=False) == ["“身份证号” 第 2、3 行：校验码不符"]
    assert top_reasons(found, private_columns={"身份证号"}) == ["“身份证号” 第 2、3 行：校验码不符"]


def test_the_reasons_say_how_many_rows_the_others_reject() -> None:
    """Trial AB: 退回 5 over three lines, nothing saying two rows were left unsaid."""
    found = [
        Problem(2, "身份证号", "", "校验码不符"),
        Problem(3, "身份证号", "", "校验码不符"),
        Problem(4, "走访日期", "", "不能晚于今天"),
        Problem(5, "走访人", "", "没有这名网格员"),
        Problem(6, "人员类别", "", "与库中不符"),
        Problem(7, "走访情况", "", "过长"),
        Problem(3, "走访情况", "", "过长"),
    ]
    lines = top_reasons(found, values_shown=False, shown=3)
    assert len(lines) == 4
    assert {"“身份证号” 第 2、3 行：校验码不符", "“走访情况” 第 3、7 行：过长"} <= set(lines[:2])
    assert lines[-1] == "另有 2 行因其他 2 种原因退回，见退回报告"
    assert len(top_reasons(found[:4], values_shown=False, shown=3)) == 3  # all said: no line more


def test_a_job_gives_every_reason_the_command_gave(db: Session, tmp_path: Path) -> None:
    """Trial AD: the page said 退回 4 and gave three reasons, the fourth and its 另有 line cut."""
    seed_jurisdictions(db)
    rows = [_camera(n) for n in range(1, 6)]
    rows[0][0] = rows[0][0][:18]  # 18 digits
    rows[1][2] = "东经"  # not a number
    rows[2][1] = ""  # no name
    rows[4][0] = rows[3][0]  # a repeat
    path = tmp_path / "四种原因.csv"
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    dry = run_import(db.connection(), path, ImportOptions(kind="video", dry_run=True))
    assert dry.rejected_rows == 4, [(p.row, p.rule) for p in dry.problems]
    reasons = import_jobs.reasons_of(_job(dry, tmp_path, kind="video", dry_run=True))
    assert len(reasons) == 4, reasons  # all four named (up to five are), none left unsaid
    assert all(" 第 " in line for line in reasons), reasons  # each names its row


def test_the_reasons_name_the_unit_code_to_import_first_and_no_other_code() -> None:
    """Trial AD: ``辖区 … 不在数据库中（请先导入辖区）`` hid the very code to import."""
    unknown = Problem(2, "所属社区", "双堡村", "辖区 620702106201 不在数据库中（请先导入辖区）")
    assert top_reasons([unknown]) == [
        "“所属社区” 第 2 行（“双堡村”）：辖区 620702106201 不在数据库中（请先导入辖区）"
    ]
    assert top_reasons([unknown], values_shown=False) == [  # a persons file: the code still
        "“所属社区” 第 2 行：辖区 620702106201 不在数据库中（请先导入辖区）"
    ]
    grid = Problem(2, "所属网格", "", "网格 620702106201001 不在数据库中")
    assert top_reasons([grid], values_shown=False) == ["“所属网格” 第 2 行：网格 … 不在数据库中"]
    same = [Problem(r, "备注", "x", "与库中 530424197908080839 重复") for r in (2, 3)]
    assert top_reasons(same) == ["“备注” 第 2、3 行（“x”）：与库中 … 重复"]  # may be an ID


def test_a_check_digit_x_is_one_reason_with_the_others() -> None:
    """Trial AF: 应为 X beside 应为 4 made two lines of one fault, pushing others out."""
    rule = "身份证号校验码不符（按前 17 位算应为 {}，实为 {}）"
    found = [
        Problem(3, "公民身份号码", "", rule.format("X", "5")),
        Problem(8, "公民身份号码", "", rule.format("4", "X")),
    ]
    assert top_reasons(found, values_shown=False) == [
        "“公民身份号码” 第 3、8 行：身份证号校验码不符（按前 17 位算应为 …，实为 …）"
    ]
