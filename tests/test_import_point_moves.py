"""Rows that update a record on file: a mixed or wrong CRS is refused, far moves are told."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from importers.crs_check import MixedCrs, WrongCrs
from importers.pipeline import ImportOptions, run_import
from importers.report import write_report
from tests.import_fixtures import (
    EAST,
    GRID,
    NORTH,
    SOUTH,
    WEST,
    csv_text,
    resident_id,
    seed_jurisdictions,
)
from tests.test_import import KEYS

HEADERS = ["国标编码", "点位名称", "经度", "纬度"]
CASE_HEADERS = ["工单编号", "受理渠道", "问题分类", "所属网格", "来电时间", "经度", "纬度"]
READ = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def _device(i: int) -> str:
    return f"530424000013200{i:05d}"


def _sites(n: int) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 points well inside the test village."""
    rng = np.random.default_rng(11)
    return rng.uniform(102.903, 102.91, n), rng.uniform(24.205, 24.215, n)


def _cameras(tmp_path: Path, name: str, lon: np.ndarray, lat: np.ndarray, crs: list[str]) -> Path:
    """Cameras 0 … n-1 at ``lon, lat`` (WGS84), each row written in its own CRS."""
    rows = []
    for i, (x, y, source) in enumerate(zip(lon, lat, crs, strict=True)):
        if source in READ:
            x, y = READ[source](x, y)
        rows.append([_device(i), f"路口{i}", f"{x:.7f}", f"{y:.7f}"])
    path = tmp_path / name
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8-sig")
    return path


def _on_record(db: Session, tmp_path: Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Load ``n`` cameras from a GPS survey; return where they are (WGS84)."""
    seed_jurisdictions(db)
    lon, lat = _sites(n)
    path = _cameras(tmp_path, "普查.csv", lon, lat, ["wgs84"] * n)
    first = run_import(db.connection(), path, ImportOptions(kind="video", crs="wgs84"))
    assert first.committed and first.counts is not None and first.counts.inserted == n
    return lon, lat


def _moved_m(db: Session, lon: np.ndarray, lat: np.ndarray) -> list[float]:
    """How far each camera on record lies from ``lon, lat``, in metres."""
    found = db.execute(
        text(
            "SELECT ST_Distance(v.point::geography,"
            " ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4490)::geography)"
            " FROM unnest(CAST(:ids AS text[]), CAST(:lon AS float8[]), CAST(:lat AS float8[]))"
            " AS p(id, lon, lat) JOIN video_points AS v ON v.device_id = p.id ORDER BY p.id"
        ),
        {"ids": [_device(i) for i in range(len(lon))], "lon": lon.tolist(), "lat": lat.tolist()},
    ).scalars()
    return [float(d) for d in found]


def test_a_file_mixing_bd09_and_gcj02_is_refused_with_each_readings_share(
    db: Session, tmp_path: Path
) -> None:
    """The platform's export: 公安 cameras in BD-09, 乡镇自建 ones picked on 高德 (trial V, 2)."""
    lon, lat = _on_record(db, tmp_path, 25)
    mixed = _cameras(tmp_path, "混合坐标.csv", lon, lat, ["bd09"] * 14 + ["gcj02"] * 11)
    with pytest.raises(MixedCrs) as refused:
        run_import(db.connection(), mixed, ImportOptions(kind="video", dry_run=True))
    message = str(refused.value)
    assert message.startswith(
        "文件中的坐标可能混用了坐标系：与库中已有的 25 个点位比对，按 BD-09（百度地图）读取 56%"
        " 在原处 30 米内，按 GCJ-02（高德、腾讯地图） 44%，按所用的 CGCS2000（GPS、天地图） 0%。"
    )
    assert "把文件分开，各加其 --crs 分别导入" in message
    # A --crs that is right for some of the rows only is refused the same way.
    with pytest.raises(MixedCrs, match="按所用的 BD-09（百度地图）读取 56%"):
        run_import(db.connection(), mixed, ImportOptions(kind="video", crs="bd09", partial=True))
    assert max(_moved_m(db, lon, lat)) < 0.01  # nothing written

    # Split by source, each part with its --crs: every camera stays where it is.
    for part, (crs, rows) in {
        "百度": ("bd09", slice(0, 14)),
        "高德": ("gcj02", slice(14, 25)),
    }.items():
        n = rows.stop - rows.start
        lines = mixed.read_text(encoding="utf-8-sig").splitlines()[1:][rows]
        path = tmp_path / f"{part}.csv"
        path.write_text(csv_text(HEADERS, [x.split(",") for x in lines]), encoding="utf-8-sig")
        loaded = run_import(db.connection(), path, ImportOptions(kind="video", crs=crs))
        assert loaded.committed and loaded.counts is not None and loaded.counts.unchanged == n
    assert max(_moved_m(db, lon, lat)) < 0.05


def test_a_wrong_crs_given_is_refused_naming_the_one_that_fits(db: Session, tmp_path: Path) -> None:
    lon, lat = _on_record(db, tmp_path, 25)
    amap = _cameras(tmp_path, "取点.csv", lon, lat, ["gcj02"] * 25)
    with pytest.raises(WrongCrs) as refused:
        run_import(db.connection(), amap, ImportOptions(kind="video", crs="bd09", partial=True))
    assert refused.value.better.crs == "gcj02" and refused.value.assumed.share == 0.0
    assert str(refused.value).startswith(
        "坐标系可能不对：按所给的 --crs bd09（BD-09（百度地图））读取时，"
        "与库中已有的 25 个点位比对，0% 在原处 30 米内；"
        "按 GCJ-02（高德、腾讯地图）读取时 100%。请改用 --crs gcj02 重新导入"
    )
    right = run_import(db.connection(), amap, ImportOptions(kind="video", crs="gcj02"))
    assert right.committed and right.counts is not None and right.counts.unchanged == 25
    assert right.notes == [] and right.problems == []


def test_the_crs_forgotten_the_first_time_corrects_the_same_file_and_tells_the_moves(
    db: Session, tmp_path: Path
) -> None:
    """Loaded unchecked as CGCS2000, then the same file with its --crs: a correction."""
    seed_jurisdictions(db)
    lon, lat = _sites(25)
    amap = _cameras(tmp_path, "取点.csv", lon, lat, ["gcj02"] * 25)
    first = run_import(db.connection(), amap, ImportOptions(kind="video"))
    assert first.committed and first.notes[0].startswith("坐标系未核对")
    assert min(_moved_m(db, lon, lat)) > 300

    edited = tmp_path / "取点（改）.csv"  # another file: nothing says the records are wrong
    edited.write_text(amap.read_text(encoding="utf-8-sig") + "\n", encoding="utf-8-sig")
    with pytest.raises(WrongCrs, match="用当初导入的同一个文件加 --crs gcj02 重新导入即可更正"):
        run_import(db.connection(), edited, ImportOptions(kind="video", crs="gcj02"))

    fixed = run_import(db.connection(), amap, ImportOptions(kind="video", crs="gcj02"))
    assert fixed.committed and fixed.counts is not None and fixed.counts.updated == 25
    assert max(_moved_m(db, lon, lat)) < 0.05
    moved = [p for p in fixed.problems if p.severity == "moved"]
    assert len(moved) == 25 and fixed.rejected_rows == 0
    assert fixed.notes[0].startswith(
        "按 GCJ-02（高德、腾讯地图）更正坐标系（库中点位原按 CGCS2000（国家2000坐标系）读入）："
        "移动 25 行，最远 "
    )


def test_cameras_moved_far_are_named_in_the_summary_and_listed_in_the_report(
    db: Session, tmp_path: Path
) -> None:
    """Trial V, 3: the February export moves 2 cameras 320 m; 更新 alone does not say it."""
    lon, lat = _on_record(db, tmp_path, 25)
    moved, crs = lon.copy(), ["wgs84"] * 25
    moved[[4, 9]] += 0.00316  # about 320 m east
    moved[12] += 0.0005  # about 50 m: a re-survey, not told
    path = _cameras(tmp_path, "2月.csv", moved, lat, crs)
    for dry_run in (True, False):
        outcome = run_import(
            db.connection(), path, ImportOptions(kind="video", crs="wgs84", dry_run=dry_run)
        )
        assert outcome.counts is not None and outcome.counts.updated == 3
        assert outcome.notes == [
            f"点位比库中原有的移动超过 100 米：第 6 行 {_device(4)} 路口4 320 米；"
            f"第 11 行 {_device(9)} 路口9 320 米（共 2 行，全部列在报告中，标为“点位移动”）。"
            "移动这么远多是录入错误或坐标系混用，请核对"
        ]
        assert outcome.rejected_rows == 0 and outcome.status == ("dry-run" if dry_run else "loaded")
    report = write_report(tmp_path / "报告.csv", outcome.problems)
    with report.open(encoding="utf-8-sig") as handle:
        lines = list(csv.reader(handle))[1:]
    assert [(line[0], line[1], line[4]) for line in lines] == [
        ("6", "经度", "点位移动"),
        ("11", "经度", "点位移动"),
    ]
    assert lines[0][3].startswith("点位比库中原有的移动了 320 米（原为 102.")


def _case_file(tmp_path: Path, name: str, lon: np.ndarray, lat: np.ndarray) -> Path:
    rows = [
        [f"MV-{i}", "12345", "邻里纠纷", GRID, "2025-03-01 08:30", f"{x:.7f}", f"{y:.7f}"]
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    ]
    path = tmp_path / name
    path.write_text(csv_text(CASE_HEADERS, rows), encoding="utf-8-sig")
    return path


def test_cases_the_file_moves_are_told_not_those_handled_here(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    rng = np.random.default_rng(3)
    lon = rng.uniform(WEST + 0.004, EAST - 0.004, 30)
    lat = rng.uniform(SOUTH + 0.002, NORTH - 0.002, 30)
    options = ImportOptions(kind="cases", crs="wgs84", partial=True)
    first = run_import(db.connection(), _case_file(tmp_path, "1月.csv", lon, lat), options)
    assert first.committed and first.counts is not None and first.counts.inserted == 30
    db.execute(
        text(
            "INSERT INTO case_events (case_id, area_code, actor_name, action, to_state, note)"
            " SELECT id, area_code, '值班员', 'register', state, '已受理'"
            " FROM cases WHERE external_no = 'MV-1'"
        )
    )
    moved = lon.copy()
    moved[[0, 1, 2]] += 0.0025  # about 250 m; MV-1 is being handled here: it keeps its place
    again = run_import(db.connection(), _case_file(tmp_path, "1月（改）.csv", moved, lat), options)
    assert again.committed
    told = sorted((p.row, p.rule.split("（")[0]) for p in again.problems if p.severity == "moved")
    assert told == [(2, "点位比库中原有的移动了 254 米"), (4, "点位比库中原有的移动了 254 米")]
    alarm = next(n for n in again.notes if n.startswith("点位比库中原有的移动超过 100 米"))
    assert "第 2 行 MV-0 254 米；第 4 行 MV-2 254 米（共 2 行" in alarm


def _roster(tmp_path: Path, name: str, lon: np.ndarray, lat: np.ndarray, renamed: int = -1) -> Path:
    """A roster of 吸毒人员 at ``lon, lat`` (WGS84) written in GCJ-02, its CRS unsaid."""
    rows = []
    for i, (x, y) in enumerate(zip(lon, lat, strict=True)):
        gx, gy = wgs84_to_gcj02(x, y)
        person = f"更正{i}" + ("改" if i == renamed else "")
        rows.append([person, resident_id(400 + i), "吸毒人员", f"{gx:.7f}", f"{gy:.7f}"])
    path = tmp_path / name
    path.write_text(csv_text(["姓名", "公民身份号码", "人员类别", "经度", "纬度"], rows), "utf-8")
    return path


def _homes_off_m(db: Session, lon: np.ndarray, lat: np.ndarray) -> list[float]:
    """How far each roster person's residence lies from ``lon, lat``, in metres."""
    found = db.execute(
        text(
            "SELECT ST_Distance(t.residence::geography,"
            " ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4490)::geography)"
            " FROM unnest(CAST(:names AS text[]), CAST(:lon AS float8[]), CAST(:lat AS float8[]))"
            " AS p(name, lon, lat) JOIN persons AS t ON t.name IN (p.name, p.name || '改')"
            " ORDER BY p.name"
        ),
        {"names": [f"更正{i}" for i in range(len(lon))], "lon": lon.tolist(), "lat": lat.tolist()},
    ).scalars()
    return [float(d) for d in found]


def test_a_fixed_roster_with_its_crs_corrects_the_points_an_assumed_crs_misplaced(
    db: Session, tmp_path: Path
) -> None:
    """Trial AD M3: the fixed file was refused; only the old one, errors and all, corrected."""
    seed_jurisdictions(db)
    lon, lat = _sites(21)
    first = run_import(
        db.connection(), _roster(tmp_path, "台账.csv", lon, lat), _persons(), keys=KEYS
    )
    assert first.committed and first.notes and first.notes[0].startswith("坐标系未")
    assert min(_homes_off_m(db, lon, lat)) > 300  # read as CGCS2000: off by the GCJ-02 shift

    fixed = _roster(tmp_path, "台账_改.csv", lon, lat, renamed=3)  # another file
    corrected = run_import(db.connection(), fixed, _persons(crs="gcj02"), keys=KEYS)
    assert corrected.committed and corrected.counts is not None
    assert corrected.counts.updated == 21
    assert max(_homes_off_m(db, lon, lat)) < 0.05
    (said,) = [n for n in corrected.notes if "坐标系" in n]
    assert said.startswith(
        "按 GCJ-02（高德、腾讯地图）更正坐标系（库中点位原按 CGCS2000（国家2000坐标系）读入）："
        "移动 21 行，最远 "
    )
    assert not [n for n in corrected.notes if "录入错误" in n]


def test_a_crs_given_then_is_not_overruled_by_another_file_given_another(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    lon, lat = _sites(21)
    said = run_import(
        db.connection(), _roster(tmp_path, "台账.csv", lon, lat), _persons("cgcs2000"), keys=KEYS
    )
    assert said.committed  # the clerk's word: CGCS2000
    fixed = _roster(tmp_path, "台账_改.csv", lon, lat, renamed=3)
    with pytest.raises(WrongCrs):
        run_import(db.connection(), fixed, _persons("gcj02"), keys=KEYS)


def _persons(crs: str | None = None) -> ImportOptions:
    return ImportOptions(kind="persons", crs=crs)


def test_a_small_rosters_correction_is_said_as_one_too(db: Session, tmp_path: Path) -> None:
    """Trial AG: 12 rows, too few for the CRS check, and the correction read as an alarm."""
    seed_jurisdictions(db)
    lon, lat = _sites(12)
    first = run_import(
        db.connection(), _roster(tmp_path, "台账.csv", lon, lat), _persons(), keys=KEYS
    )
    assert first.committed
    fixed = _roster(tmp_path, "台账_改.csv", lon, lat, renamed=3)
    corrected = run_import(db.connection(), fixed, _persons("gcj02"), keys=KEYS)
    assert corrected.committed and max(_homes_off_m(db, lon, lat)) < 0.05
    (said,) = [n for n in corrected.notes if "坐标系" in n]
    assert said.startswith("按 GCJ-02（高德、腾讯地图）更正坐标系") and "移动 12 行" in said
    assert not [n for n in corrected.notes if "录入错误" in n]
