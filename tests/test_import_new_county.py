"""A new county's units: official divisions first, then the bureau's village layer on top.

After ``zongzhi divisions`` the townships have names and codes but no boundary: a village file is
checked against the county's (its nearest bounded ancestor), a village drawn over another
township's is named in the summary, and the divisions load again, for a wider area too.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import psycopg
import shapely
from pyproj import Transformer
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.divisions import children, read_boundary
from importers.divisions_cli import register
from importers.official import (
    division_options,
    division_table,
    region,
    source_name,
    source_sha256,
)
from importers.pipeline import ImportOptions, ImportOutcome, check_table, import_checked, run_import
from tests.conftest import SuiteDatabase, separate_database
from tests.import_fixtures import csv_text, import_app

GANZHOU = "620702000000"
HEADERS = ["区划代码", "名称", "边界"]


def _divisions(db: Session, code: str) -> None:
    options = division_options(user="test")
    table = division_table(region(code))
    checked = check_table(table, options, None, file_name=source_name(), sha256=source_sha256())
    outcome = import_checked(db.connection(), checked, options)
    assert outcome.committed, outcome.problems[:3]


def _township(index: int) -> str:
    return [d.code for d in children(GANZHOU)][index]


def _square(lon: float, lat: float, half: float = 0.005) -> shapely.Polygon:
    return shapely.box(lon - half, lat - half, lon + half, lat + half)


def _in_zone(geom: shapely.Geometry, crs: str) -> shapely.Geometry:
    to_zone = Transformer.from_crs("EPSG:4490", crs, always_xy=True)

    def move(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.column_stack(to_zone.transform(xy[:, 0], xy[:, 1]))

    return shapely.transform(geom, move)


def _villages(path: Path, rows: Sequence[tuple[str, str, shapely.Geometry]]) -> Path:
    lines = [
        [code, name, shapely.to_wkt(shape, rounding_precision=-1)] for code, name, shape in rows
    ]
    path.write_text(csv_text(HEADERS, lines), encoding="utf-8")
    return path


def _import(db: Session, path: Path, options: ImportOptions) -> ImportOutcome:
    return run_import(db.connection(), path, options)


def _stored(db: Session, code: str) -> shapely.Geometry:
    wkt = db.execute(
        text("SELECT ST_AsText(boundary) FROM jurisdictions WHERE code = :c"), {"c": code}
    ).scalar_one()
    stored: shapely.Geometry = shapely.from_wkt(wkt)
    return stored


def test_a_village_layer_in_the_wrong_zone_is_refused_by_the_county(
    db: Session, tmp_path: Path
) -> None:
    """Townships named only: the village is checked against 甘州区, and its boundary kept."""
    _divisions(db, "620702")
    village = _township(0)[:9] + "201"
    inside = read_boundary(GANZHOU).geometry.representative_point()
    drawn = _square(inside.x, inside.y)
    metres = _in_zone(drawn, "EPSG:4542")  # CGCS2000 3° zone CM 99°E, eastings without prefix
    path = _villages(tmp_path / "CJDCQ.csv", [(village, "测试村", metres)])
    right = _import(db, path, ImportOptions(kind="jurisdictions", crs="EPSG:4542"))
    assert right.committed and right.counts is not None and right.counts.inserted == 1
    assert shapely.hausdorff_distance(_stored(db, village), drawn) < 1e-7

    options = ImportOptions(kind="jurisdictions", crs="EPSG:4543", again=True)  # 3° east
    wrong = _import(db, path, options)
    assert not wrong.committed and wrong.rejected_rows == 1
    rule = wrong.problems[0].rule
    assert rule.startswith(f"边界在上级辖区 {GANZHOU} 的边界外 ") and "公里" in rule, rule
    assert "坐标系可能不对" in rule
    assert (
        shapely.hausdorff_distance(_stored(db, village), drawn) < 1e-7
    )  # the right boundary stays


def test_a_village_drawn_over_another_townships_village_is_named(
    db: Session, tmp_path: Path
) -> None:
    """Inside the county, so not refused; the summary names the village it lies on."""
    _divisions(db, "620702")
    inside = read_boundary(GANZHOU).geometry.representative_point()
    first, second = _township(0)[:9], _township(1)[:9]
    here = _square(inside.x, inside.y)
    beside = shapely.box(inside.x + 0.005, inside.y - 0.005, inside.x + 0.015, inside.y + 0.005)
    rows = [(first + "201", "新墩村", here), (first + "202", "流泉村", beside)]
    bureau = _import(db, _villages(tmp_path / "村界.csv", rows), ImportOptions("jurisdictions"))
    assert bureau.committed and not [n for n in bureau.notes if "重叠" in n]  # edge to edge

    over = _square(inside.x - 0.001, inside.y)  # 90% of 新墩村
    path = _villages(tmp_path / "上秦镇村界.csv", [(second + "209", "王家墩村", over)])
    outcome = _import(db, path, ImportOptions(kind="jurisdictions", dry_run=True))
    assert outcome.rejected_rows == 0 and outcome.counts is not None
    assert outcome.counts.inserted == 1
    [note] = [n for n in outcome.notes if "重叠" in n]
    assert f"王家墩村（{second}209）与新墩村（{first}201）重叠 0." in note, note
    assert "流泉村" not in note and "请核对" in note


def test_divisions_load_again_after_a_village_file_and_for_the_city(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """No resent-file refusal (nor traceback): the same county again, then all of 张掖市."""
    name = "zz_new_county"
    urls = separate_database(database, name)
    env = {"ZONGZHI_DATABASE_URL": urls.owner, "ZONGZHI_HOME": str(tmp_path / "home")}
    app = import_app()
    register(app)
    runner = CliRunner()
    try:
        first = runner.invoke(app, ["divisions", "620702", "--user", "t"], env=env)
        assert first.exit_code == 0 and "新增 29" in first.output, first.output
        inside = read_boundary(GANZHOU).geometry.representative_point()
        rows = [(_township(0)[:9] + "201", "测试村", _square(inside.x, inside.y))]
        path = _villages(tmp_path / "村界.csv", rows)
        village = runner.invoke(app, ["import", "jurisdictions", str(path)], env=env)
        assert village.exit_code == 0, village.output

        again = runner.invoke(app, ["divisions", "620702", "--user", "t"], env=env)
        assert again.exception is None and again.exit_code == 0, again.output
        assert "新增 0，更新 0，未变 29" in again.output
        city = runner.invoke(app, ["divisions", "6207", "--dry-run"], env=env)
        assert city.exception is None and city.exit_code == 0, city.output
        assert "试运行，未写入：新增 54，更新 0，未变 29" in city.output
        assert "写入正式表" not in city.output  # trial Y: said before 试运行，未写入
    finally:
        server = urls.owner.rsplit("/", 1)[0].replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(server + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
