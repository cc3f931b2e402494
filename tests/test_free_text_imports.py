"""Imported free text keeps no clear resident ID or mobile number; a reject report no hidden digit.

Trial AI S6: a 12345 export's descriptions often hold the caller's number. An import does not
refuse such rows (the centre keeps its work orders): it stores the text masked and says in its
summary of how many rows. A visit's 走访情况 likewise.

Trial AI N1: the reject report masked an ID (``530424********6850``) yet its rule said
``按前 17 位算应为 8，实为 0``, a digit computed from the hidden ones.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import CHECK_DIGIT_WRONG
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers.secrets import Keys
from tests.import_fixtures import (
    GRID,
    PERSON_HEADERS,
    VILLAGE,
    bad_check_digit,
    csv_text,
    persons_rows,
    resident_id,
    seed_jurisdictions,
)

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
ID_NUMBER = "530424198006186858"


def _import(
    db: Session, path: Path, headers: list[str], rows: list[list[str]], kind: str
) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind=kind, partial=True), keys=KEYS)


def test_case_texts_are_stored_with_their_numbers_masked_and_the_summary_says_so(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    headers = ["工单编号", "来源渠道", "事件类型", "所属网格", "登记时间", "问题描述"]
    rows = [
        [
            "FT-1",
            "12345",
            "邻里纠纷",
            GRID,
            "2025-03-01 09:00",
            "来电人电话 139 1234 5678，楼上漏水",
        ],
        ["FT-2", "12345", "邻里纠纷", GRID, "2025-03-01 10:00", f"身份证{ID_NUMBER}，反映噪音"],
        ["FT-3", "12345", "邻里纠纷", GRID, "2025-03-01 11:00", "工单 20250301000123 楼道堆物"],
        ["FT-4", "12345", "邻里纠纷", GRID, "不是日期", "电话13912345678"],  # refused: not counted
    ]
    outcome = _import(db, tmp_path / "12345工单.csv", headers, rows, "cases")
    assert outcome.committed and [p.row for p in outcome.problems] == [5]
    stored: dict[str, str] = dict(
        db.execute(
            text("SELECT external_no, description FROM cases WHERE external_no LIKE 'FT-%'")
        ).all()
    )
    assert stored == {
        "FT-1": "来电人电话 139****5678，楼上漏水",
        "FT-2": "身份证530424********6858，反映噪音",
        "FT-3": "工单 20250301000123 楼道堆物",  # a work-order number is no phone
    }
    titles = db.execute(text("SELECT title FROM cases WHERE external_no LIKE 'FT-%'")).scalars()
    assert not any("1234" in t or "19800618" in t for t in titles)  # made from the description
    said = [n for n in outcome.notes if "已脱敏保存" in n]
    assert said == [
        "2 行的标题或描述中写有身份证号、手机号，已脱敏保存（如 139****5678）；"
        "反映人的电话请放在“联系电话”列"
    ]


def test_a_visits_note_is_stored_masked(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    person = resident_id(82)
    headers = ["姓名", "身份证号", "人员类别", "所属社区"]
    made = _import(
        db, tmp_path / "人员.csv", headers, [["何树林", person, "刑满释放人员", VILLAGE]], "persons"
    )
    assert made.committed and not made.problems
    rows = [
        [person, "2025-05-01", "入户走访，其母电话 138-1111-2222"],
        [person, "2025-05-02", "电话联系"],
    ]
    outcome = _import(
        db, tmp_path / "走访.csv", ["身份证号", "走访日期", "走访情况"], rows, "visits"
    )
    assert outcome.committed and not outcome.problems
    notes = db.execute(
        text(
            "SELECT v.note FROM person_visits v JOIN persons p ON p.id = v.person_id"
            " WHERE p.name = '何树林' ORDER BY v.visited_on"
        )
    ).scalars()
    assert list(notes) == ["入户走访，其母电话 138****2222", "电话联系"]
    assert "1 行的走访情况中写有身份证号、手机号，已脱敏保存（如 139****5678）" in outcome.notes


def test_a_wrong_check_digit_is_said_without_the_digit_the_hidden_ones_give(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    rows = persons_rows()
    assert rows[3][1] == bad_check_digit(resident_id(4))  # row 5 of the file
    outcome = _import(db, tmp_path / "人员.csv", PERSON_HEADERS, rows, "persons")
    [problem] = [p for p in outcome.problems if p.row == 5]
    assert problem.rule.endswith(CHECK_DIGIT_WRONG)
    assert "应为" not in problem.rule and "实为" not in problem.rule


def test_the_reviewers_12345_rows_are_all_masked_and_a_personal_work_order_number_refused(
    db: Session, tmp_path: Path
) -> None:
    """Trial AJ M2: the import masked 1 of these 6 rows; the address was not looked at."""
    seed_jurisdictions(db)
    headers = ["工单编号", "来源渠道", "事件类型", "所属网格", "登记时间", "问题描述", "事发地址"]
    written = {
        "AJ-0001": "反映人电话13912345678，楼上漏水",
        "AJ-0002": "反映人电话139/1234/5678，楼上漏水",
        "AJ-0003": "反映人身份证五三零四二四一九八零零六一八六八五八，电话一三九一二三四五六七八",
        "AJ-0004": "反映人电话8613912345678，身份证号前六位530424，出生19800618，末四位6858",
        "AJ-0005": "反映人身份证530424_1980_0618_6858，反映噪音",
        "AJ-0006": "反映人电话139  1234  5678，反映噪音",
    }
    rows = [
        [no, "12345", "邻里纠纷", GRID, f"2025-03-0{i} 09:00", text, "复安社区8组33号"]
        for i, (no, text) in enumerate(written.items(), start=1)
    ]
    rows.append(
        [
            "AJ-0007",
            "12345",
            "邻里纠纷",
            GRID,
            "2025-03-07 09:00",
            "楼道堆物",
            "8组 电话13912345678",
        ]
    )
    rows.append([ID_NUMBER, "12345", "邻里纠纷", GRID, "2025-03-08 09:00", "楼道堆物", "8组"])
    outcome = _import(db, tmp_path / "12345工单.csv", headers, rows, "cases")
    assert outcome.committed
    [refused] = outcome.problems
    assert refused.row == 9 and refused.rule.startswith("工单编号不能是身份证号或手机号")
    assert refused.value == "530424********6858"  # the report masks it too
    stored = db.execute(
        text(
            "SELECT external_no, title, description, address FROM cases"
            " WHERE external_no LIKE 'AJ-%' OR external_no = :id ORDER BY external_no"
        ),
        {"id": ID_NUMBER},
    ).all()
    assert [r.external_no for r in stored] == [*written, "AJ-0007"]
    for row in stored:
        digits = "".join(c for c in f"{row.title}{row.description}{row.address}" if c.isdigit())
        assert "1234" not in digits and "19800618" not in digits, row
        assert not any(c in f"{row.title}{row.description}" for c in "一三九五"), row
    assert stored[3].description == (
        "反映人电话86139****5678，身份证号前六位530424，出生********，末四位6858"
    )
    assert stored[-1].address == "8组 电话139****5678"
    assert "6 行的标题或描述中写有身份证号、手机号，已脱敏保存（如 139****5678）；" in "".join(
        outcome.notes
    )
    assert "1 行的地址中写有身份证号、手机号，已脱敏保存（如 139****5678）" in outcome.notes


def test_a_visits_note_in_slashes_or_numerals_is_stored_masked(db: Session, tmp_path: Path) -> None:
    """Trial AJ M2: the notes the re-review wrote past the visit form, now imported masked."""
    seed_jurisdictions(db)
    person = resident_id(83)
    headers = ["姓名", "身份证号", "人员类别", "所属社区"]
    made = _import(
        db, tmp_path / "人员.csv", headers, [["郑树林", person, "刑满释放人员", VILLAGE]], "persons"
    )
    assert made.committed and not made.problems
    rows = [
        [person, "2025-06-01", "本人电话139/1234/5678"],
        [
            person,
            "2025-06-02",
            "本人身份证五三零四二四一九七三一一零七七零五五，电话一三八一一一一二二二二",
        ],
        [person, "2025-06-03", "电话8613811112222"],
    ]
    outcome = _import(
        db, tmp_path / "走访.csv", ["身份证号", "走访日期", "走访情况"], rows, "visits"
    )
    assert outcome.committed and not outcome.problems
    notes = db.execute(
        text(
            "SELECT v.note FROM person_visits v JOIN persons p ON p.id = v.person_id"
            " WHERE p.name = '郑树林' ORDER BY v.visited_on"
        )
    ).scalars()
    assert list(notes) == [
        "本人电话139****5678",
        "本人身份证530424********7055，电话138****2222",
        "电话86138****2222",
    ]
    assert "3 行的走访情况中写有身份证号、手机号，已脱敏保存（如 139****5678）" in outcome.notes
