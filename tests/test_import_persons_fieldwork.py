"""Rosters and visit ledgers as the field keeps them: visitors by name, 帮教 groups with police
officers, 严管/普管/宽管, points without grids, dates without their year, one attribute vocabulary.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.demo.dataset import generate
from importers.demo.plan import DemoScale
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from importers.rules import RowChecks
from importers.values import YEARLESS_RULE
from layers.person_attributes import MODELS, validate_attributes
from layers.secrets import Keys
from tests.import_fixtures import (
    GRID,
    OTHER_VILLAGE,
    VILLAGE,
    add_jurisdictions,
    box,
    csv_text,
    resident_id,
    seed_jurisdictions,
)

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
TOWNSHIP = "530424099000"
"""A second township, whose codes sort before the test village's."""
FOREIGN_VILLAGE = "530424099001"
FOREIGN_GRID = FOREIGN_VILLAGE + "001"
"""A grid of the second township overlapping the east half of the test village."""
OTHER_GRID = OTHER_VILLAGE + "001"


def _places(db: Session) -> None:
    """The test jurisdictions, a grid in the other village, and a second township."""
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            (TOWNSHIP, "第二镇", 4, "530424000000", None),
            (FOREIGN_VILLAGE, "外村", 5, TOWNSHIP, box(102.91, 24.20, 102.93, 24.22)),
        ],
    )
    for code, area, wkt in [
        (OTHER_GRID, OTHER_VILLAGE, box(102.95, 24.20, 102.97, 24.22)),
        (FOREIGN_GRID, FOREIGN_VILLAGE, box(102.91, 24.20, 102.93, 24.22)),
    ]:
        db.execute(
            text(
                "INSERT INTO grids (code, name, area_code, boundary)"
                " VALUES (:c, :n, :a, ST_GeomFromText(:w, 4490))"
            ),
            {"c": code, "n": f"网格{code[-6:]}", "a": area, "w": wkt},
        )


def _workers(db: Session, tmp_path: Path) -> None:
    path = tmp_path / "网格员.csv"
    rows = [
        ["FW-01", "王芳", "13900000001", GRID],
        ["FW-02", "王芳", "13900000002", FOREIGN_GRID],  # the same name in another township
        ["FW-03", "李强", "13900000003", GRID],
        ["FW-04", "李强", "13900000004", GRID],  # two of one name in the township
        ["FW-05", "赵六", "13900000005", FOREIGN_GRID],
        ["FW-06", "吴云琳", "13900000006", GRID],
    ]
    path.write_text(csv_text(["工号", "姓名", "手机号", "负责网格"], rows), encoding="utf-8")
    assert run_import(db.connection(), path, ImportOptions(kind="workers")).committed


def _import(
    db: Session, path: Path, kind: str, rows: list[list[str]], headers: list[str]
) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    options = ImportOptions(kind=kind, partial=True)
    return run_import(db.connection(), path, options, keys=KEYS)


def _rules(outcome: ImportOutcome) -> dict[tuple[int, str], str]:
    return {(p.row, p.column): p.rule for p in outcome.problems}


ROSTER = ["姓名", "身份证号", "人员类别", "所属社区", "帮扶责任人"]


def test_a_visitor_is_found_by_id_anywhere_or_by_name_in_the_persons_township(
    db: Session, tmp_path: Path
) -> None:
    _places(db)
    _workers(db, tmp_path)
    person = [["何树林", resident_id(61), "吸毒人员", VILLAGE, ""]]
    assert _import(db, tmp_path / "人员.csv", "persons", person, ROSTER).committed
    headers = ["身份证号", "走访日期", "走访人", "走访情况"]
    rows = [
        [resident_id(61), "2025-05-01", "王芳", "在家"],  # 王芳 of the person's township
        [resident_id(61), "2025-05-02", "FW-05", "在家"],  # a 工号 names a worker anywhere
        [resident_id(61), "2025-05-03", "王芳（网格员）、吴云琳", "联合走访"],  # two visits
        [resident_id(61), "2025-05-04", "李强", "在家"],
        [resident_id(61), "2025-05-05", "赵六", "在家"],  # of another township only
        [resident_id(62), "2025-05-06", "张三丰", "在家"],  # nobody: the person is the problem
    ]
    outcome = _import(db, tmp_path / "走访记录.csv", "visits", rows, headers)
    assert _rules(outcome) == {
        (5, "走访人"): "本乡镇有 2 名网格员叫“李强”：请填其工号（花名册未给工号的，填其手机号）",
        (6, "走访人"): (
            "没有工号或手机号为“赵六”的网格员，宁州街道（被走访人所在乡镇）也没有叫“赵六”的网格员；"
            "第二镇有叫“赵六”的网格员：若是其人，请填其工号（花名册未给工号的，填其手机号）"
        ),
        (7, "身份证号"): "数据库中没有此身份证号的人员（请先导入人员）",
    }
    visitors = db.execute(
        text(
            "SELECT v.visited_on::text, w.external_id FROM person_visits v"
            " JOIN workers w ON w.id = v.visitor_id WHERE w.external_id LIKE 'FW-%' ORDER BY 1, 2"
        )
    ).all()
    assert [tuple(v) for v in visitors] == [
        ("2025-05-01", "FW-01"),
        ("2025-05-02", "FW-05"),
        ("2025-05-03", "FW-01"),
        ("2025-05-03", "FW-06"),
    ]


def test_a_visitor_without_a_job_number_is_found_by_the_phone_the_roster_gave(
    db: Session, tmp_path: Path
) -> None:
    """Trial AV M7: 张宏 of 第二镇 came without a 工号; the refusal asked for one all the same."""
    _places(db)
    roster = tmp_path / "网格员_无工号.csv"
    rows = [["张宏", "139 0000 0071", FOREIGN_GRID]]
    roster.write_text(csv_text(["姓名", "手机号", "负责网格"], rows), encoding="utf-8")
    assert run_import(db.connection(), roster, ImportOptions(kind="workers")).committed
    person = [["何树林", resident_id(64), "吸毒人员", VILLAGE, ""]]
    assert _import(db, tmp_path / "人员.csv", "persons", person, ROSTER).committed
    headers = ["身份证号", "走访日期", "走访人", "走访情况"]
    rows = [
        [resident_id(64), "2025-05-01", "张宏", "在家"],  # a name of another township
        [resident_id(64), "2025-05-02", "13900000071", "在家"],  # his phone
        [resident_id(64), "2025-05-03", "139-0000-0071", "在家"],  # as rosters write it
        [resident_id(64), "2025-05-04", "+8613900000071", "在家"],
    ]
    outcome = _import(db, tmp_path / "走访记录.csv", "visits", rows, headers)
    assert _rules(outcome) == {
        (2, "走访人"): (
            "没有工号或手机号为“张宏”的网格员，宁州街道（被走访人所在乡镇）也没有叫“张宏”的网格员；"
            "第二镇有叫“张宏”的网格员：若是其人，请填其工号（花名册未给工号的，填其手机号）"
        )
    }
    visits = db.execute(
        text(
            "SELECT v.visited_on::text FROM person_visits v JOIN workers w ON w.id = v.visitor_id"
            " WHERE w.phone = '13900000071' ORDER BY 1"
        )
    ).all()
    assert [v[0] for v in visits] == ["2025-05-02", "2025-05-03", "2025-05-04"]


def test_names_that_are_no_grid_worker_do_not_keep_a_person_out(
    db: Session, tmp_path: Path
) -> None:
    _places(db)
    _workers(db, tmp_path)
    rows = [
        ["何树林", resident_id(71), "社区矫正人员", VILLAGE, "王芳、派出所王警官"],
        ["朱红", resident_id(72), "社区矫正人员", VILLAGE, "吴云琳（网格员）"],
        ["杨绍林", resident_id(73), "社区矫正人员", VILLAGE, "李强、司法所张所长"],
        ["曹学明", resident_id(74), "社区矫正人员", VILLAGE, "司法所张所长"],
    ]
    outcome = _import(db, tmp_path / "矫正对象.csv", "persons", rows, ROSTER)
    assert outcome.committed and not outcome.problems
    assert outcome.counts is not None and outcome.counts.inserted == 4
    linked = db.execute(
        text(
            "SELECT p.name, w.external_id FROM person_responsibles r"
            " JOIN persons p ON p.id = r.person_id JOIN workers w ON w.id = r.worker_id"
            " WHERE w.external_id LIKE 'FW-%' ORDER BY 1, 2"
        )
    ).all()
    assert [tuple(r) for r in linked] == [("何树林", "FW-01"), ("朱红", "FW-06")]
    unknown = next(n for n in outcome.notes if n.startswith("帮扶责任人中有"))
    shared = next(n for n in outcome.notes if n.startswith("帮扶责任人“"))
    assert unknown.startswith(
        "帮扶责任人中有 2 个姓名或工号不是本乡镇的网格员（3 行），这些人员照常导入，"
        "未与之关联：派出所王警官、司法所张所长；"
    )
    assert shared == (
        "帮扶责任人“李强”：本乡镇有 2 名网格员同名（第 4 行），未关联：请改填其工号后重新导入本表"
    )
    notes = "".join(outcome.notes)
    assert not any(person[0] in notes for person in rows)  # staff are named, never the persons

    # 杨绍林 is linked with the 工号; next month's roster naming 李强 again keeps that link.
    rows[2][4] = "FW-04"
    assert not _import(db, tmp_path / "矫正对象.csv", "persons", rows, ROSTER).problems
    rows[2][4] = "李强"
    again = _import(db, tmp_path / "矫正对象.csv", "persons", rows, ROSTER)
    assert again.committed and not again.problems
    kept = db.execute(
        text(
            "SELECT w.external_id FROM person_responsibles r JOIN persons p ON p.id = r.person_id"
            " JOIN workers w ON w.id = r.worker_id WHERE p.name = '杨绍林'"
        )
    ).scalars()
    assert list(kept) == ["FW-04"]


def test_a_rosters_management_words_give_the_management_level(db: Session, tmp_path: Path) -> None:
    _places(db)
    headers = ["姓名", "身份证号", "人员类别", "所属社区", "管理类别"]
    words = ["严管", "普管", "宽管", "重点", "关注", "一般", "特管"]
    rows = [
        [f"人员{n}", resident_id(80 + n), "社区矫正人员", VILLAGE, word]
        for n, word in enumerate(words)
    ]
    outcome = _import(db, tmp_path / "矫正对象.csv", "persons", rows, headers)
    assert _rules(outcome) == {
        (8, "管理类别"): "必须是以下代码或名称之一：1 重点管控、2 关注、3 一般",
    }
    levels = db.execute(
        text("SELECT name, management_level FROM persons WHERE name LIKE '人员%' ORDER BY name")
    ).all()
    assert [tuple(r) for r in levels] == [
        ("人员0", 1),
        ("人员1", 2),
        ("人员2", 3),
        ("人员3", 1),
        ("人员4", 2),
        ("人员5", 3),
    ]


def test_a_located_person_without_grid_gets_the_grid_of_its_point(
    db: Session, tmp_path: Path
) -> None:
    _places(db)
    headers = ["姓名", "身份证号", "人员类别", "所属社区", "经度", "纬度"]
    rows = [
        # in the test village, where a grid of the second township overlaps it too
        ["甲", resident_id(91), "吸毒人员", VILLAGE, "102.915", "24.21"],
        ["乙", resident_id(92), "吸毒人员", "", "102.96", "24.21"],  # placed by its point
        ["丙", resident_id(93), "吸毒人员", VILLAGE, "", ""],
    ]
    # 甲 is on record without a point (in its village's only grid): next month's roster with
    # points places it by its point; 丙, without one, stays in that grid (trial AV M1).
    assert _import(db, tmp_path / "吸毒人员.csv", "persons", [rows[0][:4]], headers[:4]).committed
    outcome = _import(db, tmp_path / "吸毒人员.csv", "persons", rows, headers)
    assert outcome.committed and not outcome.problems
    assert "2 人未填所属网格，已按点位定为其辖区内点位所在的网格" in outcome.notes
    grids = db.execute(
        text("SELECT name, grid_code FROM persons WHERE name IN ('甲', '乙', '丙') ORDER BY name")
    ).all()
    assert [tuple(g) for g in grids] == [("丙", GRID), ("乙", OTHER_GRID), ("甲", GRID)]


def test_a_date_without_its_year_is_refused_for_that() -> None:
    frame = pd.DataFrame({"走访日期": ["5月5日", "5/16", "1024-05-01", "2025年5月5日"]})
    checks = RowChecks(frame, {"visited_on": "走访日期"})
    times = checks.timestamps("visited_on", past=True)
    assert {p.row: p.rule for p in checks.problems} == {
        0: YEARLESS_RULE,
        1: YEARLESS_RULE,
        2: "早于 1900 年，请检查年份",
    }
    assert YEARLESS_RULE.startswith("日期缺少年份")
    assert times.notna().tolist() == [False, False, False, True]


def test_the_demo_stores_the_attributes_an_import_stores() -> None:
    scale = DemoScale(
        villages=8,
        grids=20,
        workers=40,
        persons=200,
        disputes_per_year=6,
        hazards_per_year=1,
        opinions_per_year=1,
        cameras=2,
        years=1,
    )
    data = generate("530424", seed=5, now=datetime(2026, 1, 5, tzinfo=UTC), scale=scale)
    seen: dict[str, set[str]] = {}
    for person in data.people:
        assert validate_attributes(person.category, person.attributes) == person.attributes
        seen.setdefault(person.category, set()).update(person.attributes)
    assert set(seen) == set(MODELS)
    for category, keys in seen.items():  # English field names, as imports store them
        assert keys <= set(MODELS[category].model_fields), category
    assert {"original_crime", "sentence_months", "assistance"} <= seen["released"]
    assert {"diagnosis", "medication", "guardian", "guardian_reward"} <= seen["mental"]
    assert {"control_status", "last_urine_test", "urine_test_result"} <= seen["drug"]
    assert {"follow_up_status", "antiviral_treatment"} <= seen["aids_risk"]
    assert {"guardianship", "schooling", "assistance_measures"} <= seen["youth"]


def test_a_rosters_usual_columns_fill_the_attributes(db: Session, tmp_path: Path) -> None:
    _places(db)
    headers = ["姓名", "身份证号", "人员类别", "所属社区", "原罪名", "原判刑期", "矫正期限"]
    headers += ["管控现状", "尿检结果"]
    rows = [
        ["甲", resident_id(101), "刑满释放人员", VILLAGE, "盗窃罪", "1年6个月", "", "", ""],
        [
            "乙",
            resident_id(102),
            "社区矫正人员",
            VILLAGE,
            "",
            "",
            "2024年4月5日至2025年4月5日",
            "",
            "",
        ],
        ["丙", resident_id(103), "吸毒人员", VILLAGE, "", "", "", "社区康复", "阴性"],
        ["丁", resident_id(104), "刑满释放人员", VILLAGE, "盗窃罪", "无期", "", "", ""],
    ]
    outcome = _import(db, tmp_path / "花名册.csv", "persons", rows, headers)
    assert _rules(outcome) == {
        (5, "原判刑期"): "原判刑期应写成月数或“X年Y个月”，例如 18 或 1年6个月"
    }
    stored = db.execute(
        text("SELECT name, attributes FROM persons WHERE name IN ('甲', '乙', '丙') ORDER BY id")
    ).all()
    assert [tuple(s) for s in stored] == [
        ("甲", {"original_crime": "盗窃罪", "sentence_months": 18}),
        ("乙", {"start_date": "2024-04-05", "end_date": "2025-04-05"}),
        ("丙", {"control_status": "社区康复", "urine_test_result": "阴性"}),
    ]


def test_a_categorys_own_columns_are_not_said_to_be_left_out(tmp_path: Path) -> None:
    """原罪名 and 矫正期限 go into the person's attributes: not 未导入的列, unlike 备注."""
    from importers.pipeline import check_file

    headers = ["姓名", "公民身份号码", "人员类别", "所属社区", "原罪名", "矫正期限", "备注"]
    rows = [
        ["张三", resident_id(41), "社区矫正人员", VILLAGE, "盗窃罪", "2024-01-01至2025-06-30", ""]
    ]
    path = tmp_path / "名单.csv"
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    checked = check_file(path, ImportOptions(kind="persons"), KEYS)
    assert checked.unused == ("备注",)


def test_the_notes_count_the_rows_that_load_and_a_few_persons_are_a_part(
    db: Session, tmp_path: Path
) -> None:
    """Trial AB: a refused row's responsible and grid were said of the file as 照常导入, and
    a file of one person offered --complete, to strike off the township's 318."""
    _places(db)
    _workers(db, tmp_path)
    headers = ["姓名", "身份证号", "人员类别", "所属社区", "帮扶责任人", "经度", "纬度"]
    rows = [
        ["甲", resident_id(111), "吸毒人员", VILLAGE, "王芳", "102.915", "24.21"],
        # of the second township: refused by a township's import (--within)
        ["乙", resident_id(112), "吸毒人员", FOREIGN_VILLAGE, "司法所张所长", "102.92", "24.21"],
    ]
    path = tmp_path / "吸毒人员.csv"
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    options = ImportOptions(kind="persons", partial=True, within=VILLAGE[:9] + "000")
    outcome = run_import(db.connection(), path, options, keys=KEYS)
    assert [p.row for p in outcome.problems] == [3]
    assert outcome.counts is not None and outcome.counts.inserted == 1
    assert "1 人未填所属网格，已按点位定为其辖区内点位所在的网格" in outcome.notes
    assert not [n for n in outcome.notes if n.startswith("帮扶责任人中有")]

    roster = [[f"丁{n}", resident_id(140 + n), "吸毒人员", VILLAGE, ""] for n in range(12)]
    assert _import(db, tmp_path / "吸毒人员名单.csv", "persons", roster, ROSTER).committed
    one = [["戊", resident_id(130), "吸毒人员", VILLAGE, ""]]
    outcome = _import(db, tmp_path / "新登记.csv", "persons", one, ROSTER)
    left = next(n for n in outcome.notes if "不在本文件中" in n)
    assert "在册人员 13 人不在本文件中" in left
    assert "本文件只列了 1 人，是部分名单" in left and "--complete" not in left
    # a list that leaves out a few is offered --complete, as before
    most = _import(db, tmp_path / "吸毒人员名单.csv", "persons", roster, ROSTER)
    left = next(n for n in most.notes if "不在本文件中" in n)
    assert "--complete" in left
