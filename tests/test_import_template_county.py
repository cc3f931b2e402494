"""A template's examples name the clerk's own county (``zongzhi template KIND --within CODE``).

A database of its own holds 甘州区 (620702): 党寨镇 with two villages, 陈寨村 with a grid and
下寨村 without one, and a village of another township retired with its grid. The examples come
from 陈寨村 and its grid; each kind's example row, imported as written, loads with ``--within``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import shapely
from openpyxl import load_workbook
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geo.codes import is_valid_device_id, is_valid_resident_id
from importers.kinds import KINDS
from importers.pipeline import ImportOptions, run_import
from importers.template import DATA_SHEET, NOTES_SHEET, place_examples, write_template
from layers.database import apply_scope, make_engine
from layers.example_places import ExamplePlace, NamedUnit, example_place
from layers.secrets import Keys
from tests.conftest import SuiteDatabase, separate_database
from tests.import_fixtures import add_jurisdictions, box, import_app, retire_units

DATABASE = "zz_template_county"
KEYS = Keys(hmac_key=b"\x05" * 32, seal_key=b"\x06" * 32)
GANZHOU = "620702000000"
DANGZHAI = "620702103000"
CHENZHAI = "620702103201"
"""陈寨村 (boundary: lon 100.44-100.46, lat 38.92-38.94), with the grid :data:`CHENZHAI_GRID`."""
CHENZHAI_GRID = CHENZHAI + "001"
XIAZHAI = "620702103001"
"""下寨村: before 陈寨村 by code, bounded, but without a grid."""
RETIRED = "620702101001"
"""梁家墩镇旧村, retired with its grid: the first by code, never an example."""
CHENZHAI_BOX = (100.44, 38.92, 100.46, 38.94)
HUANING_WORDS = ("宁州", "复安", "530424", "102.9", "24.2")
"""What the fixed examples say: none of it in a template of 甘州区."""


@dataclass(frozen=True)
class CountyDatabase:
    """The test's database of 甘州区: its owner URL and an engine on it."""

    url: str
    engine: Engine


def _seed_ganzhou(session: Session) -> None:
    add_jurisdictions(
        session,
        [
            ("620000000000", "甘肃省", 1, None, None),
            ("620700000000", "张掖市", 2, "620000000000", None),
            (GANZHOU, "甘州区", 3, "620700000000", box(100.30, 38.80, 100.60, 39.05)),
            ("620702101000", "梁家墩镇", 4, GANZHOU, None),
            (RETIRED, "旧村", 5, "620702101000", box(100.31, 38.81, 100.33, 38.83)),
            (DANGZHAI, "党寨镇", 4, GANZHOU, box(100.40, 38.90, 100.50, 38.96)),
            (XIAZHAI, "下寨村", 5, DANGZHAI, box(100.41, 38.91, 100.43, 38.93)),
            (CHENZHAI, "陈寨村", 5, DANGZHAI, box(*CHENZHAI_BOX)),
        ],
    )
    for code, name, village, wkt in [
        (RETIRED + "001", "旧村网格", RETIRED, box(100.31, 38.81, 100.33, 38.83)),
        (CHENZHAI_GRID, "陈寨村第一网格", CHENZHAI, box(*CHENZHAI_BOX)),
    ]:
        session.execute(
            text(
                "INSERT INTO grids (code, name, area_code, boundary) VALUES "
                "(:c, :n, :a, ST_GeomFromText(:w, 4490))"
            ),
            {"c": code, "n": name, "a": village, "w": wkt},
        )
    retire_units(
        session,
        [
            ("grids", RETIRED + "001", None, "2024-01-01"),
            ("jurisdictions", RETIRED, None, "2024-01-01"),
        ],
    )


@pytest.fixture(scope="module")
def county_database(database: SuiteDatabase) -> Iterator[CountyDatabase]:
    """A database of its own holding 甘州区 only (the CLI commits, and counts counties)."""
    urls = separate_database(database, DATABASE)
    engine = make_engine(urls.owner, pool_size=2)
    try:
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            _seed_ganzhou(session)
        yield CountyDatabase(urls.owner, engine)
    finally:
        engine.dispose()
        server = urls.owner.rsplit("/", 1)[0].replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(server + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {DATABASE} WITH (FORCE)")


@pytest.fixture
def county_db(county_database: CountyDatabase) -> Iterator[Session]:
    """An owner session on 甘州区's database, in a transaction rolled back after the test."""
    with county_database.engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        apply_scope(session, None)
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


def _raw(session: Session) -> Any:
    return session.connection().connection.driver_connection


def _examples(template: Path) -> dict[str, Any]:
    """Return each column's example as the notes sheet gives it."""
    notes = load_workbook(template)[NOTES_SHEET]
    rows = notes.iter_rows(min_row=5, values_only=True)
    return {str(row[0]): row[3] for row in rows if row[0] is not None}


def _fill_with_examples(template: Path) -> Path:
    """Write the template's example row, unchanged, into its data sheet."""
    examples = _examples(template)
    book = load_workbook(template)
    data = book[DATA_SHEET]
    data.append([examples[str(cell.value).lstrip("*")] for cell in data[1]])
    filled = template.with_name(f"filled-{template.name}")
    book.save(filled)
    return filled


def test_the_examples_are_a_village_with_a_grid_and_a_point_inside(county_db: Session) -> None:
    place = example_place(_raw(county_db), GANZHOU)
    assert place is not None
    assert place.scope == NamedUnit(GANZHOU, "甘州区")
    assert place.unit == place.village == NamedUnit(CHENZHAI, "陈寨村")
    assert place.township == NamedUnit(DANGZHAI, "党寨镇")
    assert place.grid == NamedUnit(CHENZHAI_GRID, "陈寨村第一网格")
    assert place.county == "620702"
    assert place.lon is not None and place.lat is not None
    assert shapely.box(*CHENZHAI_BOX).contains(shapely.Point(place.lon, place.lat))
    assert example_place(_raw(county_db), None) == place  # the database's only county


def test_a_village_without_a_grid_and_a_township_without_villages(county_db: Session) -> None:
    place = example_place(_raw(county_db), XIAZHAI)
    assert place is not None and place.village == NamedUnit(XIAZHAI, "下寨村")
    assert place.grid is None and place.township == NamedUnit(DANGZHAI, "党寨镇")
    examples = place_examples(place)
    assert examples["grid_code"] == "" and examples[("grids", "code")] == XIAZHAI + "001"
    add_jurisdictions(county_db, [("620702104000", "新墩镇", 4, GANZHOU, None)])
    bare = example_place(_raw(county_db), "620702104000")
    assert bare is not None and bare.unit == bare.township == NamedUnit("620702104000", "新墩镇")
    assert bare.village is None and bare.grid is None
    assert bare.lon is not None and bare.lat is not None  # on the county's boundary
    assert shapely.box(100.30, 38.80, 100.60, 39.05).contains(shapely.Point(bare.lon, bare.lat))
    assert place_examples(bare)[("grids", "code")] == ""


def test_no_single_county_gives_no_place(county_db: Session) -> None:
    add_jurisdictions(county_db, [("620721000000", "肃南裕固族自治县", 3, "620700000000", None)])
    assert example_place(_raw(county_db), None) is None
    assert example_place(_raw(county_db), "620702000000") is not None


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_county_template_names_its_units(county_db: Session, tmp_path: Path, kind: str) -> None:
    place = example_place(_raw(county_db), GANZHOU)
    template = tmp_path / f"{kind}.xlsx"
    write_template(kind, template, place)
    examples = _examples(template)
    written = " ".join(str(v) for v in examples.values() if v is not None)
    assert not [word for word in HUANING_WORDS if word in written], written
    by_field = {KINDS[kind].header(field): field for field in KINDS[kind].fields}
    for header, example in examples.items():
        field = by_field.get(header)
        if field == "area_code":
            assert example == "陈寨村"
        elif field == "township":
            assert example == "党寨镇"
        elif field in ("grid_code", "home_grid"):
            assert example == CHENZHAI_GRID
        elif field == "device_id":
            assert is_valid_device_id(example) and str(example).startswith("620702")
        elif field == "resident_id":
            assert is_valid_resident_id(example) and str(example).startswith("620702")
    intro, command = (row[0] for row in load_workbook(template)[NOTES_SHEET].iter_rows(max_row=2))
    assert "示例取自甘州区（620702000000）的单位" in str(intro.value)
    assert f"zongzhi import {kind} 本文件.xlsx --within 620702" in str(command.value)


def _import(session: Session, tmp_path: Path, kind: str, place: ExamplePlace) -> None:
    template = tmp_path / f"{kind}.xlsx"
    write_template(kind, template, place)
    options = ImportOptions(kind=kind, user="clerk", within=GANZHOU)
    keys = KEYS if kind in ("persons", "visits") else None
    outcome = run_import(session.connection(), _fill_with_examples(template), options, keys=keys)
    assert outcome.problems == [], outcome.problems
    assert outcome.committed and outcome.counts is not None
    assert outcome.counts.inserted + outcome.counts.updated == 1


@pytest.mark.parametrize("kind", ["jurisdictions", "grids", "workers", "video", "cases"])
def test_the_example_row_imports_within_the_county(
    county_db: Session, tmp_path: Path, kind: str
) -> None:
    place = example_place(_raw(county_db), GANZHOU)
    assert place is not None
    _import(county_db, tmp_path, kind, place)


def test_persons_and_visits_from_county_templates(county_db: Session, tmp_path: Path) -> None:
    place = example_place(_raw(county_db), GANZHOU)
    assert place is not None
    for kind in ("workers", "persons", "visits"):
        _import(county_db, tmp_path, kind, place)
    rows = county_db.execute(
        text(
            "SELECT p.area_code, v.area_code FROM person_visits AS v"
            " JOIN persons AS p ON p.id = v.person_id"
            " JOIN workers AS w ON w.id = v.visitor_id WHERE w.external_id = 'NZ0001'"
        )
    ).all()
    assert rows == [(CHENZHAI, CHENZHAI)]


def _env(tmp_path: Path, url: str | None) -> dict[str, str | None]:
    return {
        "ZONGZHI_DATABASE_URL": url,
        "ZONGZHI_HOME": str(tmp_path / "home"),
        "ZONGZHI_WITHIN": None,
        "COLUMNS": "200",
    }


def test_cli_takes_the_only_county_or_the_one_within(
    county_database: CountyDatabase, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = _env(tmp_path, county_database.url)
    alone = runner.invoke(import_app(), ["template", "cases", str(tmp_path / "a.xlsx")], env=env)
    assert alone.exit_code == 0, alone.output
    said = "示例取自数据库中唯一的县（区）甘州区（620702000000）的单位；导入时请加 --within 620702"
    assert said in alone.output
    assert _examples(tmp_path / "a.xlsx")["所属社区"] == "陈寨村"

    township = ["template", "grids", str(tmp_path / "t.xlsx"), "--within", "620702103"]
    by_township = runner.invoke(import_app(), township, env=env)
    assert by_township.exit_code == 0, by_township.output
    assert "示例取自党寨镇（620702103000）的单位；导入时请加 --within 620702103" in (
        by_township.output
    )
    assert _examples(tmp_path / "t.xlsx")["网格编码"] == CHENZHAI_GRID

    province = ["template", "video", str(tmp_path / "p.xlsx"), "--within", "62"]
    by_province = runner.invoke(import_app(), province, env=env)
    assert by_province.exit_code == 0, by_province.output
    assert "示例取自甘肃省（620000000000）的单位" in by_province.output
    assert str(_examples(tmp_path / "p.xlsx")["国标编码"]).startswith("620702")


def test_cli_refuses_a_code_not_on_record_like_import(
    county_database: CountyDatabase, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = _env(tmp_path, county_database.url)
    target = tmp_path / "x.xlsx"
    unknown = runner.invoke(
        import_app(), ["template", "cases", str(target), "--within", "620799"], env=env
    )
    assert unknown.exit_code == 2, unknown.output
    assert "错误：--within 620799 不是数据库中的行政区划（数据库中没有 620799000000）" in (
        unknown.output
    )
    retired = runner.invoke(
        import_app(), ["template", "cases", str(target), "--within", RETIRED], env=env
    )
    assert (
        retired.exit_code == 2
        and f"--within {RETIRED} 是旧村，已于2024-01-01撤销" in retired.output
    )
    invalid = runner.invoke(
        import_app(), ["template", "cases", str(target), "--within", "62070"], env=env
    )
    assert invalid.exit_code == 2, invalid.output
    assert "错误：--within 62070 不是有效的行政区划代码" in invalid.output
    assert not target.exists()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_cli_without_a_database_writes_the_fixed_examples_and_starts_none(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    fixed = "示例取自内置的华宁县示例；要用本辖区的单位作示例，请加 --within 区划代码"
    embedded = runner.invoke(
        import_app(), ["template", "cases", str(tmp_path / "e.xlsx")], env=_env(tmp_path, None)
    )
    assert embedded.exit_code == 0, embedded.output
    assert fixed in embedded.output
    assert not (tmp_path / "home" / "pg").exists()  # no cluster made, none started
    assert _examples(tmp_path / "e.xlsx")["所属社区"] == "复安社区"

    url = f"postgresql://zongzhi@127.0.0.1:{_closed_port()}/zongzhi"
    away = runner.invoke(
        import_app(), ["template", "cases", str(tmp_path / "s.xlsx")], env=_env(tmp_path, url)
    )
    assert away.exit_code == 0, away.output
    assert fixed in away.output
