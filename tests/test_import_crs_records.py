"""A file in a web map's CRS is told by the records on file its rows update."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import affinity
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from importers.crs_check import Reading, WrongCrs, unchecked_note
from importers.pipeline import ImportOptions, run_import
from tests.import_fixtures import VILLAGE, add_jurisdictions, csv_text, seed_jurisdictions

CAMERA_HEADERS = ["国标编码", "点位名称", "经度", "纬度"]
CONVERT = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def _device(i: int) -> str:
    return f"530424000013200{i:05d}"


def _sites(n: int, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 points well inside the test village: a web map's shift keeps them inside it."""
    rng = np.random.default_rng(seed)
    return rng.uniform(102.903, 102.91, n), rng.uniform(24.205, 24.215, n)


def _camera_file(
    tmp_path: Path,
    name: str,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    first: int = 0,
    convert: str | None = None,
    village: bool = False,
) -> Path:
    """Cameras ``first``, ``first + 1`` … at ``lon, lat`` (WGS84), written in ``convert``."""
    if convert is not None:
        lon, lat = CONVERT[convert](lon, lat)
    headers = CAMERA_HEADERS + (["所属社区"] if village else [])
    rows = [
        [_device(first + i), f"路口{first + i}", f"{x:.7f}", f"{y:.7f}"]
        + ([VILLAGE] if village else [])
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    ]
    path = tmp_path / name
    path.write_text(csv_text(headers, rows), encoding="utf-8-sig")
    return path


def _on_record(db: Session, tmp_path: Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Load ``n`` cameras from a GPS survey; return where they are (WGS84)."""
    seed_jurisdictions(db)
    lon, lat = _sites(n)
    path = _camera_file(tmp_path, "普查.csv", lon, lat)
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
            " AS p(id, lon, lat)"
            " JOIN video_points AS v ON v.device_id = p.id ORDER BY p.id"
        ),
        {
            "ids": [_device(i) for i in range(len(lon))],
            "lon": lon.tolist(),
            "lat": lat.tolist(),
        },
    ).scalars()
    return [float(d) for d in found]


@pytest.mark.parametrize("source", ["gcj02", "bd09"])
def test_cameras_on_record_tell_a_web_map_export(db: Session, tmp_path: Path, source: str) -> None:
    """The platform's export of the same cameras, no 所属社区: only the records can tell."""
    lon, lat = _on_record(db, tmp_path, 25)
    path = _camera_file(tmp_path, "平台导出.csv", lon, lat, convert=source)
    with pytest.raises(WrongCrs) as refused:
        run_import(db.connection(), path, ImportOptions(kind="video", partial=True))
    assert refused.value.better.crs == source and refused.value.better.share == 1.0
    assert refused.value.assumed.inside == 0 and refused.value.assumed.total == 25
    message = str(refused.value)
    assert "与库中已有的 25 个点位比对，0% 在原处 30 米内" in message
    assert f"请加 --crs {source} 重新导入" in message and "--crs cgcs2000" in message
    assert max(_moved_m(db, lon, lat)) < 0.01  # nothing written

    loaded = run_import(db.connection(), path, ImportOptions(kind="video", crs=source))
    assert loaded.committed and loaded.counts is not None and loaded.counts.inserted == 0
    assert max(_moved_m(db, lon, lat)) < 0.05  # back on their records


def test_a_few_cameras_moved_do_not_refuse_a_file_and_do_not_hide_a_web_map_one(
    db: Session, tmp_path: Path
) -> None:
    lon, lat = _on_record(db, tmp_path, 25)
    moved = lon.copy()
    moved[:4] += 0.002  # four cameras moved about 200 m, and five new ones
    new_lon, new_lat = _sites(5, seed=9)
    survey = _camera_file(tmp_path, "复查.csv", np.r_[moved, new_lon], np.r_[lat, new_lat])
    loaded = run_import(db.connection(), survey, ImportOptions(kind="video"))
    assert loaded.committed and loaded.counts is not None
    assert (loaded.counts.inserted, loaded.counts.updated) == (5, 4)
    # 25 cameras on their records confirm the CRS assumed; the 4 moved are told, not refused
    assert [n.split("：")[0] for n in loaded.notes] == ["点位比库中原有的移动超过 100 米"]
    assert sorted(p.row for p in loaded.problems if p.severity == "moved") == [2, 3, 4, 5]
    assert [round(d, -1) for d in _moved_m(db, lon, lat)[:5]] == [200.0] * 4 + [0.0]

    # An older export from the platform: the 4 where they were, 21 of 25 on their records.
    web = _camera_file(tmp_path, "平台导出.csv", lon, lat, convert="gcj02")
    with pytest.raises(WrongCrs) as refused:
        run_import(db.connection(), web, ImportOptions(kind="video", dry_run=True))
    assert refused.value.better == Reading("gcj02", 21, 25)
    assert refused.value.assumed == Reading("cgcs2000", 0, 25)


def test_records_loaded_in_the_wrong_crs_do_not_refuse_the_corrected_file(
    db: Session, tmp_path: Path
) -> None:
    """Loaded from the web map's export with a wrong --crs, then corrected from the survey."""
    seed_jurisdictions(db)
    lon, lat = _sites(25)
    wrong = _camera_file(tmp_path, "平台导出.csv", lon, lat, convert="gcj02")
    run_import(db.connection(), wrong, ImportOptions(kind="video", crs="cgcs2000"))
    assert min(_moved_m(db, lon, lat)) > 300
    survey = _camera_file(tmp_path, "普查.csv", lon, lat)
    loaded = run_import(db.connection(), survey, ImportOptions(kind="video"))
    assert loaded.committed and loaded.counts is not None and loaded.counts.updated == 25
    assert max(_moved_m(db, lon, lat)) < 0.01


def test_too_few_cameras_on_record_say_nothing_but_are_counted_in_the_note(
    db: Session, tmp_path: Path
) -> None:
    lon, lat = _on_record(db, tmp_path, 12)
    path = _camera_file(tmp_path, "平台导出.csv", lon, lat, convert="gcj02")
    outcome = run_import(db.connection(), path, ImportOptions(kind="video", dry_run=True))
    assert outcome.counts is not None and outcome.counts.updated == 12
    assert outcome.notes[0] == unchecked_note("cgcs2000", 0, 12)
    assert "（等 12 行，全部列在报告中" in outcome.notes[1]  # each moved 370 m: told
    assert "只有 12 行能与库中已有的点位比对（至少要 20 行）" in outcome.notes[0]


def test_records_and_places_too_few_alone_decide_together(db: Session, tmp_path: Path) -> None:
    """15 cameras on record and 25 rows naming their village (too large to tell alone)."""
    lon, lat = _on_record(db, tmp_path, 15)
    new_lon, new_lat = _sites(10, seed=9)
    path = _camera_file(
        tmp_path,
        "平台导出.csv",
        np.r_[lon, new_lon],
        np.r_[lat, new_lat],
        convert="gcj02",
        village=True,
    )
    with pytest.raises(WrongCrs) as refused:
        run_import(db.connection(), path, ImportOptions(kind="video", partial=True))
    assert refused.value.assumed.total == 40 and refused.value.better.inside == 40
    assert "与所填的村（社区）及库中已有的点位共比对 40 次，62% 相符" in str(refused.value)


def _boxes(west: float, south: float, n: int, size: float = 0.004) -> list[shapely.Polygon]:
    """``n`` squares in rows of 5, from the south-west corner ``west, south`` (WGS84)."""
    corners = [(west + size * (i % 5), south + size * (i // 5)) for i in range(n)]
    return [shapely.box(x, y, x + size, y + size) for x, y in corners]


def _to_gcj(shapes: list[shapely.Polygon]) -> list[shapely.Geometry]:
    """The shapes as drawn on a GCJ-02 basemap."""
    return [
        shapely.transform(s, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
        for s in shapes
    ]


def test_grids_drawn_on_a_gcj02_basemap_are_refused_by_their_boundaries_on_record(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    drawn = _boxes(102.90, 24.20, 25)
    codes = [f"{VILLAGE}{100 + i}" for i in range(25)]
    for code, shape in zip(codes, drawn, strict=True):
        db.execute(
            text(
                "INSERT INTO grids (code, name, area_code, boundary)"
                " VALUES (:c, :n, :a, ST_GeomFromText(:w, 4490))"
            ),
            {"c": code, "n": f"网格{code[-3:]}", "a": VILLAGE, "w": shape.wkt},
        )
    names = [f"网格{c[-3:]}" for c in codes]
    path = tmp_path / "网格_高德底图.geojson"
    gpd.GeoDataFrame(
        {"网格编码": codes, "网格名称": names}, geometry=_to_gcj(drawn), crs=4326
    ).to_file(path)
    with pytest.raises(WrongCrs, match="文件注明的坐标系按 WGS84（GPS）读取时") as refused:
        run_import(db.connection(), path, ImportOptions(kind="grids", dry_run=True))
    assert "与库中已有的 25 个网格边界比对，0% 在原处 30 米内" in str(refused.value)
    assert refused.value.better.crs == "gcj02" and refused.value.better.share == 1.0

    loaded = run_import(db.connection(), path, ImportOptions(kind="grids", crs="gcj02"))
    assert loaded.committed and loaded.counts is not None and loaded.counts.inserted == 0
    off = db.execute(
        text(
            "SELECT max(ST_HausdorffDistance(g.boundary, ST_GeomFromText(d.w, 4490)))"
            " FROM unnest(CAST(:codes AS text[]), CAST(:wkt AS text[])) AS d(code, w)"
            " JOIN grids AS g ON g.code = d.code"
        ),
        {"codes": codes, "wkt": [s.wkt for s in drawn]},
    ).scalar_one()
    assert off < 1e-6  # degrees: back where they were

    redrawn = drawn[:3] + [affinity.translate(s, 0.001) for s in drawn[3:6]] + drawn[6:]
    again = tmp_path / "网格_修改.geojson"
    gpd.GeoDataFrame({"网格编码": codes, "网格名称": names}, geometry=redrawn, crs=4326).to_file(
        again
    )
    fixed = run_import(db.connection(), again, ImportOptions(kind="grids"))
    assert fixed.committed and fixed.counts is not None and fixed.counts.inserted == 0


def test_jurisdictions_drawn_on_a_gcj02_basemap_are_refused_by_their_boundaries(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    drawn = _boxes(103.0, 24.3, 20, size=0.01)
    codes = [f"530424100{101 + i}" for i in range(20)]
    add_jurisdictions(
        db,
        [(c, f"第{i}村", 5, "530424100000", drawn[i].wkt) for i, c in enumerate(codes)],
    )
    path = tmp_path / "村界_高德底图.geojson"
    gpd.GeoDataFrame(
        {"区划代码": codes, "名称": [f"第{i}村" for i in range(20)]},
        geometry=_to_gcj(drawn),
        crs=4326,
    ).to_file(path)
    with pytest.raises(WrongCrs) as refused:
        run_import(db.connection(), path, ImportOptions(kind="jurisdictions"))
    assert "与库中已有的 20 个辖区边界比对" in str(refused.value)
    assert refused.value.better.crs == "gcj02"
