"""What an import's summary says (clerk H's trial of a new county, 甘州区, from an empty home).

How each 12345 classification was read; a 雪亮 export's camera type; a grid table of corner
points refused once and clearly; a file sent again refused in its kind's words; a refused file
whose rows share one reason told that reason and its fix; ``--layer all``; new workers with no
在岗状态; cases the source system closed; a 撤销 row for a unit the database does not have.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.mapping import MappingError
from importers.pipeline import ImportOptions, ImportOutcome, Superseded, run_import
from importers.reading import ReadError, read_table
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    GRID,
    SOUTH,
    VILLAGE,
    WEST,
    box,
    csv_text,
    import_app,
    seed_jurisdictions,
    seeded_database,
)

CASE_HEADERS = ["工单编号", "受理渠道", "问题分类", "所属网格", "受理时间", "办理状态", "办结时间"]


def _import(
    db: Session, path: Path, headers: list[str], rows: list[list[str]], kind: str, **options: object
) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind=kind, **options))  # type: ignore[arg-type]


def _classification_lines(outcome: ImportOutcome) -> list[str]:
    note = next(n for n in outcome.notes if n.startswith("分类对照"))
    return note.split("\n")[1:]


@pytest.mark.parametrize("dry_run", [True, False])
def test_the_summary_shows_how_each_classification_was_read(
    db: Session, tmp_path: Path, dry_run: bool
) -> None:
    seed_jurisdictions(db)
    rows = [
        [f"FL-{n}", "12345", kind, GRID, "2025-03-01 08:30", "办理中", ""]
        for n, kind in enumerate(
            [*["社会治安>邻里纠纷>噪音扰民"] * 3, "城乡建设>物业管理>消防安全", *["矛盾纠纷"] * 4]
        )
    ]
    outcome = _import(db, tmp_path / "工单.csv", CASE_HEADERS, rows, "cases", dry_run=dry_run)
    assert outcome.rejected_rows == 0 and outcome.committed is not dry_run
    assert _classification_lines(outcome) == [  # most rows first; 矛盾纠纷 says it all
        "  社会治安>邻里纠纷>噪音扰民 → 矛盾纠纷/环境污染（3 行）",
        "  城乡建设>物业管理>消防安全 → 安全隐患/消防安全隐患（1 行）",
    ]
    if not dry_run:
        stored = db.execute(
            text("SELECT category, subcategory FROM cases WHERE external_no = 'FL-0'")
        ).one()
        assert tuple(stored) == ("dispute", "environment")


def test_a_file_of_plain_types_has_no_classification_lines(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    rows = [["FP-1", "12345", "矛盾纠纷", GRID, "2025-03-01 08:30", "办理中", ""]]
    outcome = _import(db, tmp_path / "工单.csv", CASE_HEADERS, rows, "cases", dry_run=True)
    assert not any(n.startswith("分类对照") for n in outcome.notes)


def test_a_xueliang_exports_device_and_position_types_are_read(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    headers = ["监控点编号", "监控点名称", "设备类型", "安装位置类型", "经度", "纬度", "所属社区"]
    rows = [
        ["53042410001321000001", "十字路口", "高清球机", "交通干线", "102.905", "24.205", VILLAGE],
        ["53042410001321000002", "学校门口", "网络半球", "校园周边", "102.915", "24.215", VILLAGE],
    ]
    outcome = _import(db, tmp_path / "雪亮工程监控点导出.csv", headers, rows, "video")
    assert outcome.committed and not outcome.unused
    assert outcome.columns["ptz_type"] == "设备类型"
    assert outcome.columns["position_type"] == "安装位置类型"
    stored = db.execute(
        text(
            "SELECT name, ptz_type, position_type FROM video_points"
            " WHERE device_id LIKE '5304241000132100000_' ORDER BY device_id"
        )
    ).all()
    assert [tuple(r) for r in stored] == [("十字路口", 1, 10), ("学校门口", 2, 8)]


def test_a_grid_table_of_corner_points_is_refused_once_and_clearly(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    headers = ["网格名称", "拐点序号", "经度", "纬度", "所属村"]
    corners = [(102.90, 24.20), (102.91, 24.20), (102.91, 24.21), (102.90, 24.21)]
    rows = [
        [name, str(n), str(lon), str(lat), VILLAGE]
        for name in ("一网格", "二网格")
        for n, (lon, lat) in enumerate(corners, 1)
    ]
    with pytest.raises(MappingError) as refused:
        _import(db, tmp_path / "网格拐点坐标.csv", headers, rows, "grids", dry_run=True)
    said = str(refused.value)
    assert said.startswith(
        "本文件是拐点坐标表（每行一个拐点：拐点序号、经度、纬度），不能读成网格边界"
    )
    assert "WKT" in said and "GIS 文件" in said and "不能同名" not in said


def test_a_grid_list_with_a_sequence_number_is_not_a_table_of_corner_points(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    headers = ["序号", "网格编码", "网格名称", "所属社区", "中心点经度", "中心点纬度"]
    rows = [["1", GRID, "一网格", VILLAGE, "102.905", "24.205"]]
    outcome = _import(db, tmp_path / "网格.csv", headers, rows, "grids", dry_run=True)
    assert outcome.counts is not None and outcome.rejected_rows == 0


def test_a_grid_file_sent_again_is_refused_in_words_of_grids(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    headers = ["网格编码", "网格名称", "所属社区"]
    listed = tmp_path / "网格划分汇总表.csv"
    assert _import(db, listed, headers, [[GRID, "一网格", VILLAGE]], "grids").committed
    shapes = [[GRID, "一号网格", box(WEST, SOUTH, 102.91, 24.21)]]  # renamed since
    assert _import(
        db, tmp_path / "网格边界.csv", ["网格编码", "网格名称", "边界"], shapes, "grids"
    ).committed
    with pytest.raises(Superseded) as refused:
        run_import(db.connection(), listed, ImportOptions(kind="grids", dry_run=True))
    said = str(refused.value)
    assert "（如网格名称、边界、网格长的修改，撤销）" in said and "--again" in said
    assert "离职" not in said


def test_the_grid_leader_note_says_to_import_the_table_again_with_again(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    headers = ["网格编码", "网格名称", "所属社区", "网格长", "网格长联系电话"]
    rows = [[GRID, "一网格", VILLAGE, "彭兰琴", "18723592126"]]
    outcome = _import(db, tmp_path / "网格.csv", headers, rows, "grids", dry_run=True)
    note = next(n for n in outcome.notes if n.startswith("网格长中有"))
    assert note.endswith("请先导入网格员花名册（含网格长），再加 --again 重新导入本表")


def test_a_refused_file_whose_rows_share_one_reason_says_it_once_with_its_fix(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """Villages of townships the database lacks: run ``zongzhi divisions`` first."""
    rows = [["530424101001", "甲村"], ["530424101002", "乙村"], ["530424102001", "丙村"]]
    path = tmp_path / "村级调查区.csv"
    path.write_text(csv_text(["区划代码", "名称"], rows), encoding="utf-8")
    with seeded_database(database, "summary_lines_divisions") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        env |= {"COLUMNS": "300"}
        args = ["import", "jurisdictions", str(path)]
        refused = CliRunner().invoke(import_app(), args, env=env)
        rows[2] = ["530424100009", "丁村"]  # its township is on record: that row is valid
        path.write_text(csv_text(["区划代码", "名称"], rows), encoding="utf-8")
        some = CliRunner().invoke(import_app(), args, env=env)
    assert refused.exit_code == 1, refused.output
    last = next(line for line in refused.output.splitlines() if "未导入任何数据" in line)
    assert last == (
        "未导入任何数据：全部 3 行都因同一原因退回：“区划代码”：上级辖区 530424101000 等 2 个 "
        "既不在数据库中，也不在本文件中。请先运行 zongzhi divisions 530424（写入省、市、县和"
        "全部乡镇），再导入本文件"
    )
    assert some.exit_code == 1, some.output
    last = next(line for line in some.output.splitlines() if "未导入任何数据" in line)
    assert last.startswith("未导入任何数据：退回的 2 行都因同一原因退回：“区划代码”：上级辖区 ")
    assert last.endswith("再导入本文件；或加 --partial 只导入其余有效行")


def test_an_error_is_printed_as_written_not_as_markup(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """A mapping file's name (or a message quoting ``[values."事件类型"]``) keeps its brackets."""
    path = tmp_path / "工单.csv"
    path.write_text(csv_text(CASE_HEADERS, []), encoding="utf-8")
    mapping = tmp_path / "[values]对照.toml"
    mapping.write_text('[values."事件类型"\n', encoding="utf-8")
    with seeded_database(database, "summary_lines_markup") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        args = ["import", "cases", str(path), "--mapping", str(mapping)]
        refused = CliRunner().invoke(import_app(), args, env=env)
    assert refused.exit_code == 2, refused.output
    said = (
        "错误：映射文件 [values]对照.toml 第 1 行第 15 列：表名缺少右方括号“]”。"
        '该行为：[values."事件类型"'
    )
    assert said in refused.output


def test_a_refusal_asking_for_a_layer_offers_every_layer(tmp_path: Path) -> None:
    path = tmp_path / "行政区.gpkg"
    for layer, code in (("XZQ", "530424101"), ("CJDCQ", "530424101001")):
        frame = gpd.GeoDataFrame(
            {"XZQDM": [code]}, geometry=[shapely.box(102.9, 24.2, 103.0, 24.3)], crs=4490
        )
        frame.to_file(path, driver="GPKG", layer=layer)
    with pytest.raises(ReadError) as refused:
        read_table(path)
    assert str(refused.value).endswith("请用 --layer 指定要导入的一个，或用 --layer all 逐个导入")


def _roster(db: Session, path: Path, rows: list[list[str]], status: bool = False) -> ImportOutcome:
    headers = ["姓名", "手机号", "所属网格", *(["在岗状态"] if status else [])]
    return _import(db, path, headers, rows, "workers")


def test_new_workers_without_a_status_are_said_to_be_off_duty(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    rows = [["甲", "13800000001", GRID], ["乙", "13800000002", GRID]]
    outcome = _roster(db, tmp_path / "花名册.csv", rows)
    assert outcome.committed
    assert "2 名新网格员未填在岗状态，记为离岗（不派单）；" in "".join(outcome.notes)
    statuses = db.execute(text("SELECT status FROM workers WHERE name IN ('甲', '乙')"))
    assert {s for (s,) in statuses} == {"off_duty"}

    rows = [["甲", "13800000001", GRID], ["丙", "13800000003", GRID, "在岗"]]
    rows[0].append("")
    mixed = _roster(db, tmp_path / "花名册2.csv", rows, status=True)
    assert "1 行未填在岗状态：其中的新网格员记为离岗（不派单），库中已有的网格员状态不变" in (
        mixed.notes
    )
    rows = [["丁", "13800000004", GRID, "在岗"]]
    given = _roster(db, tmp_path / "花名册3.csv", rows, status=True)
    assert given.committed and not any("未填在岗状态" in n for n in given.notes)


def test_a_later_export_says_how_many_cases_it_closed(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    week = [
        [f"SC-{n}", "12345", "邻里纠纷", GRID, "2025-03-01 08:30", "办理中", ""] for n in (1, 2, 3)
    ]
    first = _import(db, tmp_path / "工单1.csv", CASE_HEADERS, week, "cases")
    assert first.committed and not any(n.startswith("按来源系统办结") for n in first.notes)
    week[0][5:] = ["已办结", "2025-03-04 10:00"]
    week[1][5:] = ["已办结", "2025-03-05 10:00"]
    later = _import(db, tmp_path / "工单2.csv", CASE_HEADERS, week, "cases")
    assert later.committed and later.counts is not None and later.counts.updated == 2
    assert (
        "按来源系统办结 2 件（此前导入、本平台尚未办理的案件，按文件改为已办结，作为历史记录归档）"
        in later.notes
    )


@pytest.mark.parametrize(
    ("kind", "headers", "known", "name", "unknown"),
    [
        ("jurisdictions", ["区划代码", "名称", "状态"], "530424100002", "邻村", "530424100009"),
        ("grids", ["网格编码", "网格名称", "状态"], GRID, "一网格", VILLAGE + "009"),
    ],
)
def test_a_retirement_row_for_a_unit_not_on_record_is_refused(
    db: Session,
    tmp_path: Path,
    kind: str,
    headers: list[str],
    known: str,
    name: str,
    unknown: str,
) -> None:
    seed_jurisdictions(db)
    rows = [[known, name, "撤销"], [unknown, "误导入的", "撤销"]]
    outcome = _import(db, tmp_path / "撤销.csv", headers, rows, kind, partial=True)
    label = "区划" if kind == "jurisdictions" else "网格"
    assert {(p.row, p.rule) for p in outcome.problems} == {
        (3, f"库中没有这个{label}，无可撤销：请核对编码；确实没有导入过的，从文件中删去此行")
    }
    assert outcome.counts is not None and outcome.counts.inserted == 0
    table = "jurisdictions" if kind == "jurisdictions" else "grids"
    found = db.execute(text(f"SELECT count(*) FROM {table} WHERE code = :c"), {"c": unknown})
    assert found.scalar_one() == 0
    retired = db.execute(text(f"SELECT retired_on FROM {table} WHERE code = :c"), {"c": known})
    assert retired.scalar_one() is not None
