"""A region's official divisions as one jurisdictions import: real boundaries, names and codes."""

from __future__ import annotations

import shapely
import typer
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.divisions import read_boundary
from importers.divisions_cli import register
from importers.official import division_table, region, source_name, source_sha256
from importers.pipeline import ImportOptions, check_table, import_checked
from importers.reading import GEOMETRY_COLUMN

HUANING = "530424000000"
TOWNSHIPS = {
    "530424001000": "宁州街道",
    "530424101000": "盘溪镇",
    "530424102000": "华溪镇",
    "530424103000": "青龙镇",
    "530424200000": "通红甸彝族苗族乡",
}


def _import(db: Session, code: str) -> tuple[int, int, int]:
    checked = check_table(
        division_table(region(code)),
        ImportOptions(kind="jurisdictions", user="test"),
        None,
        file_name=source_name(),
        sha256=source_sha256(),
    )
    outcome = import_checked(db.connection(), checked, ImportOptions(kind="jurisdictions"))
    assert outcome.committed and outcome.counts is not None, outcome.problems[:3]
    return outcome.counts.inserted, outcome.counts.updated, outcome.counts.unchanged


def test_region_is_the_chain_above_and_everything_below() -> None:
    units = region("530424")
    assert [(u.code, u.name) for u in units[:3]] == [
        ("530000000000", "云南省"),
        ("530400000000", "玉溪市"),
        (HUANING, "华宁县"),
    ]
    assert {u.code: u.name for u in units[3:]} == TOWNSHIPS
    table = division_table(units)
    assert table.crs == "EPSG:4490"
    bounded = table.frame[GEOMETRY_COLUMN].notna().tolist()
    assert bounded == [True, True, True, False, False, False, False, False]
    province = region("530000")
    assert {u.level for u in province} == {1, 2, 3, 4} and len(province) > 1000
    assert all(u.code.startswith("53") for u in province)


def test_import_keeps_township_boundaries_and_changes_nothing_again(db: Session) -> None:
    _import(db, "530424")
    box = shapely.box(102.90, 24.20, 102.95, 24.25)
    db.execute(
        text(
            "UPDATE jurisdictions SET boundary = ST_Multi(ST_GeomFromText(:wkt, 4490)) "
            "WHERE code = '530424001000'"
        ),
        {"wkt": box.wkt},
    )
    before = db.execute(
        text("SELECT code, boundary FROM jurisdictions WHERE code LIKE '530424%' ORDER BY code")
    ).all()
    assert _import(db, "530424") == (0, 0, 8)
    rows = db.execute(
        text(
            "SELECT code, name, level, parent_code, boundary, ST_AsText(boundary) AS wkt "
            "FROM jurisdictions WHERE code = ANY(:codes) ORDER BY code"
        ),
        {"codes": ["530000000000", "530400000000", HUANING, *TOWNSHIPS]},
    ).all()
    by_code = {r.code: r for r in rows}
    assert {c: by_code[c].name for c in TOWNSHIPS} == TOWNSHIPS
    assert all(by_code[c].level == 4 and by_code[c].parent_code == HUANING for c in TOWNSHIPS)
    county = shapely.from_wkt(by_code[HUANING].wkt)
    assert county.equals_exact(read_boundary(HUANING).geometry, 1e-9)
    assert shapely.from_wkt(by_code["530424001000"].wkt).equals(box)
    after = db.execute(
        text("SELECT code, boundary FROM jurisdictions WHERE code LIKE '530424%' ORDER BY code")
    ).all()
    assert after == before


def test_divisions_command_refuses_an_unknown_code() -> None:
    app = typer.Typer()
    register(app)

    @app.command("other")
    def other() -> None:  # a second command keeps typer from collapsing to a single command
        """Nothing."""

    result = CliRunner().invoke(app, ["divisions", "999999"])
    assert result.exit_code == 2
    assert "999999" in result.output


def test_the_list_is_read_by_code_with_the_missing_city_level_added() -> None:
    from importers.divisions import PROVINCE_ADMINISTERED, ancestry, divisions

    every = divisions()
    assert all(d.parent_code is None or d.parent_code in every for d in every.values())
    assert [(d.code, d.level) for d in ancestry("429004")] == [
        ("420000000000", 1),
        ("429000000000", 2),
        ("429004000000", 3),  # 仙桃市, a county-level city under the province
    ]
    assert every["429000000000"].name == PROVINCE_ADMINISTERED
    assert "810100000000" not in every  # Hong Kong's districts hang under no listed city
    assert every["419001000000"].name == "济源市" and every["419001000000"].level == 3
    assert [d.code for d in ancestry("441900003")] == [
        "440000000000",
        "441900000000",  # 东莞市: no counties, its townships sit under the city
        "441900003000",
    ]
