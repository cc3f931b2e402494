"""Persons lists as the offices really send them (司法局, 卫健局, 公安).

A 司法局 export writes 矫正起止日期 as ``2024.05.06-2026.05.05``; some systems put an apostrophe
before an ID in an XLSX cell; old lists still hold 15-digit IDs; a 卫健局 list names its people
by 患者姓名; a 公安 list places them by 所属派出所. The summary says which category columns were
stored and which were not; a person struck off without a 注销日期 takes the day the row gives;
a new person who looks like one on record (same name, an ID a digit or two apart) is noted.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import openpyxl
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import make_resident_id, upgrade_resident_id
from importers.kinds.persons import FIRST_GENERATION_RULE
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from importers.stations import station_stem
from layers.secrets import hash_resident_id
from tests.import_fixtures import VILLAGE, add_jurisdictions, csv_text, seed_jurisdictions
from tests.test_import import KEYS

TOWNSHIP = "530424109000"
"""A township of these tests only (启明镇), which a 启明派出所 serves."""
TOWNSHIP_VILLAGE = "530424109001"


def _ids(seq: int) -> str:
    return make_resident_id("530424", date(1975, 2, 5), 300 + seq, "M")


def _import(
    db: Session,
    path: Path,
    headers: list[str],
    rows: list[list[str]],
    *,
    partial: bool = False,
) -> ImportOutcome:
    if path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
        book.save(path)
    else:
        path.write_text(csv_text(headers, rows), encoding="utf-8")
    options = ImportOptions(kind="persons", partial=partial)
    return run_import(db.connection(), path, options, keys=KEYS)


def _attributes(db: Session, name: str) -> dict[str, object]:
    value = db.execute(
        text("SELECT attributes FROM persons WHERE name = :n"), {"n": name}
    ).scalar_one()
    return dict(value)


CORRECTION = ["姓名", "身份证号", "人员类别", "所属社区", "矫正类别", "矫正起止日期", "罪名"]


def test_a_hyphenated_correction_period_is_read_and_its_error_is_on_its_column(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    rows = [
        ["矫文一", _ids(1), "社区矫正人员", VILLAGE, "缓刑", "2024.05.06-2026.05.05", "盗窃罪"],
        ["矫文二", _ids(2), "社区矫正人员", VILLAGE, "假释", "2024/5/6至2025/11/5", "诈骗罪"],
        ["矫文三", _ids(3), "社区矫正人员", VILLAGE, "管制", "2024.13.06-2025.05.05", ""],
        ["矫文四", _ids(4), "社区矫正人员", VILLAGE, "缓刑", "2025.05.06-2024.05.05", ""],
    ]
    outcome = _import(db, tmp_path / "司法局.csv", CORRECTION, rows, partial=True)
    assert outcome.committed
    assert _attributes(db, "矫文一") == {
        "correction_type": "缓刑",
        "start_date": "2024-05-06",
        "end_date": "2026-05-05",
        "original_crime": "盗窃罪",  # 罪名 of 社区矫正 is stored, not silently dropped
    }
    assert _attributes(db, "矫文二")["end_date"] == "2025-11-05"
    problems = {(p.row, p.column, p.value) for p in outcome.problems}
    assert problems == {
        (4, "矫正起止日期", "2024.13.06-2025.05.05"),
        (5, "矫正起止日期", "2025.05.06-2024.05.05"),
    }
    rules = [p.rule for p in outcome.problems]
    assert "日期 2024.13.06 不存在（日历上没有这一天）" in rules
    assert "矫正结束日期 2024-05-05 早于开始日期 2025-05-06" in rules
    # the summary says which category columns went in
    assert (
        "列对照（人员类别属性）：社区矫正人员：矫正类别 ← 矫正类别；"
        "矫正起止日期 ← 矫正起止日期；罪名 ← 罪名" in outcome.notes
    )
    assert "罪名" not in outcome.unused


def test_category_columns_no_row_stores_are_listed_as_not_imported(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    headers = ["患者姓名", "身份证号", "人员类别", "所属社区", "诊断", "危险性评估等级", "罪名"]
    rows = [["卫文一", _ids(11), "严重精神障碍患者", VILLAGE, "精神分裂症", "3级", "盗窃罪"]]
    outcome = _import(db, tmp_path / "卫健局.csv", headers, rows)
    assert outcome.committed and not outcome.problems, outcome.problems
    assert outcome.columns["name"] == "患者姓名"  # the 卫健局's header, without a mapping
    assert _attributes(db, "卫文一") == {"diagnosis": "精神分裂症", "risk_assessment": 3}
    assert outcome.unused == ["罪名"]
    assert (
        "列对照（人员类别属性）：严重精神障碍患者：诊断 ← 诊断；危险性评估 ← 危险性评估等级"
        in outcome.notes
    )


def test_an_xlsx_id_with_a_leading_apostrophe_is_read_as_text(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    headers = ["姓名", "身份证号", "人员类别", "所属社区"]
    rows = [["撇文一", "'" + _ids(21), "刑满释放人员", VILLAGE]]
    outcome = _import(db, tmp_path / "刑释.xlsx", headers, rows)
    assert outcome.committed and not outcome.problems, outcome.problems
    stored = db.execute(text("SELECT id_hash FROM persons WHERE name = '撇文一'")).scalar_one()
    assert bytes(stored) == hash_resident_id(KEYS, _ids(21))


def test_a_15_digit_id_is_stored_in_its_18_digit_form_and_counted(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    old, impossible = "530424650317151", "530424651317151"  # 1965-03-17; month 13
    headers = ["姓名", "身份证号", "人员类别", "所属社区"]
    rows = [
        ["旧号一", old, "刑满释放人员", VILLAGE],
        ["旧号二", impossible, "刑满释放人员", VILLAGE],
    ]
    outcome = _import(db, tmp_path / "刑释.csv", headers, rows, partial=True)
    assert outcome.committed
    full = upgrade_resident_id(old)
    assert full == "530424196503171519"
    masked, hashed = db.execute(
        text("SELECT id_masked, id_hash FROM persons WHERE name = '旧号一'")
    ).one()
    assert masked == "530424********1519" and bytes(hashed) == hash_resident_id(KEYS, full)
    assert [(p.row, p.rule) for p in outcome.problems] == [(3, FIRST_GENERATION_RULE)]
    assert (
        "1 个 15 位的第一代身份证号已换算为 18 位后导入（第 6 位后补“19”，末尾加校验码，"
        "GB 11643）：第 2 行"
    ) in outcome.notes


def _stations_world(db: Session) -> None:
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            (TOWNSHIP, "启明镇", 4, "530424000000", None),
            (TOWNSHIP_VILLAGE, "启明村", 5, TOWNSHIP, None),
        ],
    )


def test_a_police_station_places_a_row_in_its_township(db: Session, tmp_path: Path) -> None:
    _stations_world(db)
    headers = ["姓名", "公民身份号码", "人员类别", "实际居住地", "所属派出所", "管控状态"]
    rows = [
        ["派文一", _ids(31), "吸毒人员", "", "启明派出所", "社区康复"],
        ["派文二", _ids(32), "吸毒人员", "", "华宁县公安局启明派出所", "社区戒毒"],
        ["派文三", _ids(33), "吸毒人员", "华宁县宁州街道测试社区幸福路3号", "启明派出所", ""],
        ["派文四", _ids(34), "吸毒人员", "", "城关派出所", ""],
    ]
    outcome = _import(db, tmp_path / "公安.xlsx", headers, rows, partial=True)
    assert outcome.committed
    assert outcome.columns["police_station"] == "所属派出所"
    placed = dict(
        db.execute(text("SELECT name, area_code FROM persons WHERE name LIKE '派文%'")).all()
    )
    # the address places 派文三; the station places only the rows nothing else does
    assert placed == {"派文一": TOWNSHIP, "派文二": TOWNSHIP, "派文三": VILLAGE}
    assert [(p.row, p.column, p.value) for p in outcome.problems] == [
        (5, "所属派出所", "城关派出所")
    ]
    assert outcome.problems[0].rule.startswith("没有名称以“城关”开头的乡镇（街道）")
    assert (
        "所属派出所按其所在乡镇（街道）读取：启明派出所 → 华宁县启明镇（530424109000）（1 行）、"
        "华宁县公安局启明派出所 → 华宁县启明镇（530424109000）（1 行）"
    ) in outcome.notes
    assert "所属派出所" not in outcome.unused


def test_station_names() -> None:
    assert station_stem("宁州派出所") == "宁州"
    assert station_stem("通红甸派出所") == "通红甸"


def test_a_person_struck_off_without_a_day_takes_the_end_of_the_supervision(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    headers = [*CORRECTION[:6], "矫正状态"]
    rows = [
        ["终文一", _ids(41), "社区矫正人员", VILLAGE, "缓刑", "2023.05.06-2025.05.05", "解除矫正"],
        ["终文二", _ids(42), "社区矫正人员", VILLAGE, "缓刑", "", "解除矫正"],
    ]
    outcome = _import(db, tmp_path / "解矫.csv", headers, rows)
    assert outcome.committed and not outcome.problems, outcome.problems
    ended = dict(
        db.execute(text("SELECT name, ended_on::text FROM persons WHERE name LIKE '终文%'")).all()
    )
    assert ended["终文一"] == "2025-05-05"  # not the import day
    assert (
        ended["终文二"]
        == db.execute(text("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date::text")).scalar_one()
    )
    assert "1 人已注销但没有注销日期，注销日期按本行的矫正结束日期记（第 2 行）" in outcome.notes
    assert "其中 1 人没有注销日期，注销日期记为导入当天" in outcome.notes  # 终文二


def test_a_new_person_whose_id_is_nearly_one_on_record_is_noted(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    wrong = make_resident_id("530424", date(1988, 5, 12), 277, "M")  # typed 12 for 21
    right = make_resident_id("530424", date(1988, 5, 21), 277, "M")
    other = make_resident_id("530424", date(1961, 9, 30), 201, "F")
    headers = ["姓名", "身份证号", "人员类别", "所属社区"]
    first = _import(
        db, tmp_path / "新增.csv", headers, [["似文一", wrong, "刑满释放人员", VILLAGE]]
    )
    assert first.committed and not [n for n in first.notes if "疑似" in n]
    rows = [
        ["似文二", _ids(51), "刑满释放人员", VILLAGE],
        ["似文一", right, "刑满释放人员", VILLAGE],  # the corrected ID
        ["似文一", other, "刑满释放人员", VILLAGE],  # a namesake: an ID far from it
        ["似文一", right, "吸毒人员", VILLAGE],  # another category: another record anyway
    ]
    outcome = _import(db, tmp_path / "更正.csv", headers, rows)
    assert outcome.committed and not outcome.problems, outcome.problems
    said = [n for n in outcome.notes if "疑似" in n]
    assert said == ["疑似同一人：第 3 行与库中记录姓名相同、身份证号仅差 2 位，请核对"]
    assert not any(wrong[6:14] in n or right[6:14] in n or "似文" in n for n in outcome.notes)
    again = _import(db, tmp_path / "更正.csv", headers, rows)  # both on record now: not new
    assert not [n for n in again.notes if "疑似" in n]


def test_the_notes_hold_no_personal_data(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    rows = [
        ["矫文九", _ids(61), "社区矫正人员", VILLAGE, "缓刑", "2024.05.06-2026.05.05", "盗窃罪"]
    ]
    outcome = _import(db, tmp_path / "司法局.csv", CORRECTION, rows)
    assert outcome.committed
    shown = json.dumps(outcome.notes, ensure_ascii=False)
    assert "矫文九" not in shown and _ids(61) not in shown and "盗窃罪" not in shown


def test_a_person_placed_only_at_the_county_is_refused_as_no_one_would_visit_them(
    db: Session, tmp_path: Path
) -> None:
    """Re-trial S, N9: an address naming no township stored a patient at county level, unsaid.

    A person placed at the county or above (no township, village, grid nor point) is on no
    grid worker's visit list and not on the map: refused as a row without any place is
    (``缺少所属辖区``), and the summary says so (count and rows, never names), in a dry run too.
    """
    seed_jurisdictions(db)
    headers = ["患者姓名", "身份证号", "人员类别", "现住址", "危险性评估"]
    rows = [
        ["县级一", _ids(41), "严重精神障碍患者", "华宁县宁州街道测试社区幸福路3号", "2"],
        ["县级二", _ids(42), "严重精神障碍患者", "华宁县幸福小区5栋2单元301", "4"],
    ]
    path = tmp_path / "精神补充.csv"
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    dry = run_import(db.connection(), path, ImportOptions(kind="persons", dry_run=True), keys=KEYS)
    assert dry.rejected_rows == 1
    [problem] = dry.problems
    assert (problem.row, problem.column) == (3, "现住址")
    assert problem.rule.startswith("只定位到县级（华宁县），没有乡镇（街道）、村（社区）、网格")
    said = [n for n in dry.notes if "只定位到县级" in n]
    assert said == [
        "1 人只定位到县级或以上（华宁县），没有乡镇（街道）、村（社区）、网格或点位：不会出现在"
        "任何网格员的走访名单和地图上，已退回（第 3 行）；请在地址中写明乡镇（街道）和村（社区），"
        "或填写所属社区、所属网格后重新导入"
    ]
    assert "县级二" not in said[0]
    outcome = _import(db, path, headers, rows, partial=True)
    assert outcome.committed and outcome.rejected_rows == 1
    stored = db.execute(text("SELECT name FROM persons WHERE name LIKE '县级%'")).scalars().all()
    assert stored == ["县级一"]


def test_a_key_youth_of_another_age_is_imported_and_noted(db: Session, tmp_path: Path) -> None:
    # trial AC: a 34-year-old went in as 重点青少年 unremarked; the form now refuses one, and a
    # roster's row is noted (the office's list may have the category right and the ID wrong)
    seed_jurisdictions(db)
    year = date.today().year
    adult = make_resident_id("530424", date(year - 34, 1, 15), 401, "M")
    young = make_resident_id("530424", date(year - 15, 1, 15), 402, "F")
    headers = ["姓名", "身份证号", "人员类别", "所属社区"]
    rows = [
        ["青年甲", adult, "重点青少年", VILLAGE],
        ["青年乙", young, "重点青少年", VILLAGE],
        ["青年丙", adult, "刑满释放人员", VILLAGE],  # no age for this category
    ]
    outcome = _import(db, tmp_path / "重点青少年.csv", headers, rows)
    assert outcome.committed and not outcome.problems
    assert (
        "1 名重点青少年按公民身份号码的出生日期不在 6 至 25 周岁（第 2 行），照常导入，"
        "请核实其人员类别"
    ) in outcome.notes
    assert db.scalar(text("SELECT count(*) FROM persons WHERE name LIKE '青年%'")) == 3


def test_an_id_on_record_in_another_category_under_another_name_is_noted(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    shared = make_resident_id("530424", date(1979, 8, 8), 83, "M")
    headers = ["姓名", "身份证号", "人员类别", "所属社区"]
    first = _import(
        db, tmp_path / "刑释.csv", headers, [["重文一", shared, "刑满释放人员", VILLAGE]]
    )
    assert first.committed and not [n for n in first.notes if "重合" in n]
    rows = [
        ["重文一", shared, "社区矫正人员", VILLAGE],  # the same person in a second category
        ["重文二", shared, "吸毒人员", VILLAGE],  # another name under that ID
    ]
    outcome = _import(db, tmp_path / "禁毒.csv", headers, rows)
    assert outcome.committed and not outcome.problems, outcome.problems
    said = [n for n in outcome.notes if "重合" in n]
    assert said == [
        "身份证号与他人重合：第 3 行的公民身份号码已作为刑满释放人员在册，姓名与本行不同，"
        "一个身份证号只属于一人，请核对"
    ]
    assert not any(shared[6:14] in n or "重文" in n for n in outcome.notes)


def test_the_auditor_learns_which_import_wrote_a_roster_person(db: Session, tmp_path: Path) -> None:
    """A roster's person has no audit entry of their own: the look-up names their import."""
    from layers import audit

    seed_jurisdictions(db)
    number = _ids(61)
    headers = ["姓名", "身份证号", "人员类别", "所属社区"]
    outcome = _import(
        db, tmp_path / "名单.csv", headers, [["审文一", number, "刑满释放人员", VILLAGE]]
    )
    assert outcome.committed and outcome.import_id is not None
    (found,) = audit.persons_of_resident_id(db, KEYS, number, actor_id=0, actor_name="auditor")
    assert found.origin is not None
    assert found.origin.startswith(f"导入编号 {outcome.import_id}（名单.csv，")
