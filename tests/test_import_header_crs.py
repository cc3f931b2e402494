"""A coordinate header that names its CRS (百度经度, 经度（GCJ02）) declares the file's CRS."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyproj import Transformer
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geo.crs import gcj02_to_bd09, wgs84_to_gcj02
from importers.header_crs import coordinate_crs, crs_in_header, named_crs
from importers.pipeline import ImportOptions, run_import
from tests.conftest import SuiteDatabase
from tests.import_fixtures import GRID, csv_text, import_app, seed_jurisdictions, seeded_database

MINE = "area_code LIKE '530424%'"
TRUE = [(102.9021, 24.2031), (102.9067, 24.2078), (102.9112, 24.2104)]
"""Where the three cameras really are (WGS84, inside the test grid)."""


@pytest.mark.parametrize(
    ("header", "crs"),
    [
        ("百度经度", "bd09"),
        ("纬度（BD-09）", "bd09"),
        ("高德经度", "gcj02"),
        ("GCJ02纬度", "gcj02"),
        ("lng_gcj02", "gcj02"),
        ("经纬度(腾讯)", "gcj02"),
        ("经度(WGS84)", "wgs84"),
        ("纬度（2000）", "cgcs2000"),
        ("经度（CGCS2000）", "cgcs2000"),
        ("经度", None),
        ("百度地址", None),
        ("2000年经度", None),
    ],
)
def test_a_header_names_its_crs(header: str, crs: str | None) -> None:
    assert crs_in_header(header) == crs


def test_headers_naming_two_crss_name_none() -> None:
    assert coordinate_crs({"lon": "经度（高德）", "lat": "纬度（百度）"}) is None
    assert coordinate_crs({"lon": "经度", "lat": "纬度（百度）"}) == ("bd09", "纬度（百度）")


def _cameras(
    tmp_path: Path,
    lon: str,
    lat: str,
    points: list[tuple[float, float]],
    name: str = "雪亮点位.csv",
) -> Path:
    rows = [
        [f"5304240000132000000{i}", f"路口{i}", f"{x:.7f}", f"{y:.7f}", GRID]
        for i, (x, y) in enumerate(points, start=1)
    ]
    path = tmp_path / name
    path.write_text(csv_text(["国标编码", "点位名称", lon, lat, "网格编码"], rows), "utf-8")
    return path


def _stored(db: Session) -> list[tuple[float, float]]:
    rows = db.execute(
        text(f"SELECT ST_X(point), ST_Y(point) FROM video_points WHERE {MINE} ORDER BY device_id")
    ).all()
    return [(float(x), float(y)) for x, y in rows]


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(((a[0] - b[0]) * 101_000) ** 2 + ((a[1] - b[1]) * 111_000) ** 2) ** 0.5


def test_baidu_headers_are_read_as_bd09_without_crs(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    baidu = [gcj02_to_bd09(*wgs84_to_gcj02(x, y)) for x, y in TRUE]
    path = _cameras(tmp_path, "百度经度", "百度纬度", baidu)
    outcome = run_import(db.connection(), path, ImportOptions(kind="video"))
    assert outcome.committed, outcome.problems
    assert "坐标系按表头“百度经度”读作 BD-09（百度地图）" in outcome.notes
    assert all(_metres(s, t) < 1.0 for s, t in zip(_stored(db), TRUE, strict=True))
    source = db.execute(text("SELECT source_crs FROM import_runs ORDER BY id DESC LIMIT 1"))
    assert source.scalar_one() == "bd09"


@pytest.mark.parametrize(
    ("names", "crs"),
    [
        ([None, "雪亮点位_GCJ02"], "gcj02"),
        (["高德采集", "点位"], "gcj02"),
        ([None, "百度地图点位"], "bd09"),
        ([None, "GPS巡查点"], "wgs84"),
        ([None, "gpsx点位"], None),  # a Latin word inside a longer one names nothing
        (["高德", "百度点位"], None),  # two names naming two CRSs say nothing reliable
        ([None, "雪亮点位"], None),
    ],
)
def test_a_file_name_names_its_crs(names: list[str | None], crs: str | None) -> None:
    named = named_crs(names)
    assert (named[0] if named else None) == crs


def test_a_file_named_gcj02_is_read_as_gcj02_without_crs(db: Session, tmp_path: Path) -> None:
    """Where no header names the CRS, the file's name does (``…_gcj02.csv``), with a note."""
    seed_jurisdictions(db)
    gcj = [wgs84_to_gcj02(x, y) for x, y in TRUE]
    path = _cameras(tmp_path, "经度", "纬度", gcj, name="雪亮点位_gcj02.csv")
    outcome = run_import(db.connection(), path, ImportOptions(kind="video"))
    assert outcome.committed, outcome.problems
    assert "坐标系按文件名“雪亮点位_gcj02”读作 GCJ-02（高德、腾讯地图）" in outcome.notes
    assert all(_metres(s, t) < 1.0 for s, t in zip(_stored(db), TRUE, strict=True))
    source = db.execute(text("SELECT source_crs FROM import_runs ORDER BY id DESC LIMIT 1"))
    assert source.scalar_one() == "gcj02"


def test_a_crs_given_is_trusted_over_the_header(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    gcj = [wgs84_to_gcj02(x, y) for x, y in TRUE]
    path = _cameras(tmp_path, "经度（WGS84）", "纬度（WGS84）", gcj)  # a header written wrong
    outcome = run_import(db.connection(), path, ImportOptions(kind="video", crs="gcj02"))
    assert outcome.committed and not [n for n in outcome.notes if "表头" in n]
    assert all(_metres(s, t) < 1.0 for s, t in zip(_stored(db), TRUE, strict=True))


def test_metres_without_their_zone_are_told_the_zone_of_the_database(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """The zone of eastings without a prefix is the place's: the summary names the county's."""
    to_zone = Transformer.from_crs(4490, 4543, always_xy=True)  # CM 102°E, no zone prefix
    rows = [
        [f"5304240000132000000{i}", f"路口{i}", *(f"{v:.2f}" for v in to_zone.transform(x, y))]
        for i, (x, y) in enumerate(TRUE, start=1)
    ]
    path = tmp_path / "点位.csv"
    path.write_text(csv_text(["国标编码", "点位名称", "X坐标", "Y坐标"], rows), "utf-8")
    report = tmp_path / "点位.csv.rejects.xlsx"
    with seeded_database(database, "zones_note") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        runner = CliRunner()
        refused = runner.invoke(import_app(), ["import", "video", str(path)], env=env)
        assert refused.exit_code == 1 and report.exists(), refused.output
        said = " ".join(refused.output.split())
        assert "没有带号的 3 度带坐标应为 --crs EPSG:4543（中央经线 102°E）" in said
        typo = runner.invoke(import_app(), ["import", "video", str(path), "--crs", "foo"], env=env)
        assert typo.exit_code == 2 and "--crs foo 不是可用的坐标系" in typo.output
        assert report.exists()  # a mistyped option leaves the report being corrected alone
        loaded = runner.invoke(
            import_app(), ["import", "video", str(path), "--crs", "EPSG:4543"], env=env
        )
        assert loaded.exit_code == 0, loaded.output
