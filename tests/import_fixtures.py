"""Reference jurisdictions and generated files for the importer tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import psycopg
import typer
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from geo.codes import make_resident_id
from geo.crs import wgs84_to_gcj02
from importers.cli import register
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers.database import apply_scope, make_engine
from layers.import_runs import record_refused
from tests.conftest import SuiteDatabase, separate_database

VILLAGE = "530424100001"
"""Village of the test files (boundary: lon 102.90-102.92, lat 24.20-24.22)."""
OTHER_VILLAGE = "530424100002"
"""A second village (boundary: lon 102.95-102.97, lat 24.20-24.22)."""
GRID = VILLAGE + "001"
WEST, EAST, SOUTH, NORTH = 102.90, 102.92, 24.20, 24.22
EAST_GRID = VILLAGE + "002"
SOUTH_EAST = VILLAGE + "003"
MIDDLE = 24.21
GRID_HEADERS = ["网格编码", "网格名称", "所属社区", "边界"]


def box(west: float, south: float, east: float, north: float) -> str:
    """Return a closed rectangle as WKT."""
    return (
        f"POLYGON(({west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south}))"
    )


GRID_LAYER = [  # the village's three grids: west half, north-east and south-east quarters
    [GRID, "一网格", VILLAGE, box(WEST, SOUTH, 102.91, NORTH)],
    [EAST_GRID, "二网格", VILLAGE, box(102.91, MIDDLE, 102.92, NORTH)],
    [SOUTH_EAST, "三网格", VILLAGE, box(102.91, SOUTH, 102.92, MIDDLE)],
]


def add_jurisdictions(
    session: Session, rows: Iterable[tuple[str, str, int, str | None, str | None]]
) -> None:
    """Insert jurisdictions ``(code, name, level, parent code, boundary WKT or None)``."""
    for code, name, level, parent, wkt in rows:
        session.execute(
            text(
                "INSERT INTO jurisdictions (code, name, level, parent_code, boundary) VALUES "
                "(:c, :n, :l, :p, ST_Multi(ST_GeomFromText(:w, 4490))) ON CONFLICT DO NOTHING"
            ),
            {"c": code, "n": name, "l": level, "p": parent, "w": wkt},
        )


def retire_units(session: Session, rows: Iterable[tuple[str, str, str | None, str]]) -> None:
    """Retire units ``(table, code, successor code or None, day)`` as a re-division does."""
    for table, code, successor, on in rows:
        session.execute(
            text(
                f"UPDATE {table} SET retired_on = CAST(:on AS date), successor_code = :s"
                " WHERE code = :c"
            ),
            {"on": on, "s": successor, "c": code},
        )


def imported_cases(session: Session) -> dict[str, tuple[str | None, str]]:
    """Return source number → (grid, area) of the cases imported in this test's transaction.

    Other tests' imports may be committed in the suite's database: an import's run starts at
    ``now()``, the transaction's time.
    """
    rows = session.execute(
        text(
            "SELECT c.external_no, c.grid_code, c.area_code FROM cases AS c"
            " JOIN import_runs AS r ON r.id = c.import_id WHERE r.started_at = now()"
        )
    ).all()
    return {str(n): (None if g is None else str(g), str(a)) for n, g, a in rows}


def write_gbk(folder: Path, name: str, headers: list[str], rows: list[list[str]]) -> Path:
    """Write a GBK CSV (as offices save them) into ``folder`` and return its path."""
    path = folder / name
    path.write_bytes(csv_text(headers, rows).encode("gbk"))
    return path


def seed_jurisdictions(session: Session) -> None:
    """Insert the test hierarchy (province … two villages) and one grid."""
    rows = [
        ("530000000000", "云南省", 1, None, None),
        ("530400000000", "玉溪市", 2, "530000000000", None),
        ("530424000000", "华宁县", 3, "530400000000", None),
        ("530424100000", "宁州街道", 4, "530424000000", None),
        (VILLAGE, "测试社区", 5, "530424100000", box(WEST, SOUTH, EAST, NORTH)),
        (OTHER_VILLAGE, "邻村", 5, "530424100000", box(102.95, SOUTH, 102.97, NORTH)),
    ]
    add_jurisdictions(session, rows)
    session.execute(
        text(
            "INSERT INTO grids (code, name, area_code, boundary) VALUES "
            "(:c, '一网格', :a, ST_GeomFromText(:w, 4490)) ON CONFLICT DO NOTHING"
        ),
        {"c": GRID, "a": VILLAGE, "w": box(WEST, SOUTH, EAST, NORTH)},
    )


@contextmanager
def seeded_database(database: SuiteDatabase, name: str) -> Iterator[tuple[Engine, str]]:
    """Yield a database of its own with the test jurisdictions, and its owner URL; drop it after.

    For tests of the command line, which commits: its writes must not meet other tests'.
    """
    urls = separate_database(database, name)
    engine = make_engine(urls.owner, pool_size=1)
    try:
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            seed_jurisdictions(session)
        yield engine, urls.owner
    finally:
        engine.dispose()
        server = urls.owner.rsplit("/", 1)[0].replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(server + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def import_app() -> typer.Typer:
    """Return a command-line app with the import commands."""
    app = typer.Typer()
    app.command("noop")(lambda: None)  # a group, not a single command
    register(app)
    return app


def resident_id(seq: int) -> str:
    """Return a valid resident ID of the test county."""
    return make_resident_id("530424", date(1980, 1, 1 + seq % 28), seq, "M")


def bad_check_digit(number: str) -> str:
    """Return ``number`` with a wrong check digit."""
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def gcj(lon: float, lat: float) -> tuple[float, float]:
    """Return WGS84 ``lon, lat`` as GCJ-02 (as a phone map app would show them)."""
    return wgs84_to_gcj02(lon, lat)


PERSON_HEADERS = [
    "姓名",
    "公民身份号码",
    "人员类别",
    "经度",
    "纬度",
    "所属社区",
    "网格编码",
    "矫正类别",
    "矫正起止日期",
]


def persons_rows() -> list[list[str]]:
    """Rows of the acceptance persons file: 3 good rows, then one row per defect.

    Row 2, 3 and 7 are good; row 4 has lon/lat swapped, row 5 a bad check digit, row 6 repeats
    row 2.
    """
    lon1, lat1 = gcj(102.905, 24.205)
    lon2, lat2 = gcj(102.915, 24.215)
    lon3, lat3 = gcj(102.91, 24.21)
    return [
        [
            "张三",
            resident_id(1),
            "社区矫正人员",
            f"{lon1:.7f}",
            f"{lat1:.7f}",
            VILLAGE,
            GRID,
            "缓刑",
            "2024-01-01至2025-06-30",
        ],
        [
            "李四",
            resident_id(2),
            "刑满释放人员",
            f"{lon2:.7f}",
            f"{lat2:.7f}",
            VILLAGE,
            GRID,
            "",
            "",
        ],
        [
            "王五",
            resident_id(3),
            "刑满释放人员",
            f"{lat3:.7f}",
            f"{lon3:.7f}",
            VILLAGE,
            GRID,
            "",
            "",
        ],
        [
            "赵六",
            bad_check_digit(resident_id(4)),
            "吸毒人员",
            f"{lon3:.7f}",
            f"{lat3:.7f}",
            VILLAGE,
            GRID,
            "",
            "",
        ],
        [
            "张三",
            resident_id(1),
            "社区矫正人员",
            f"{lon1:.7f}",
            f"{lat1:.7f}",
            VILLAGE,
            GRID,
            "缓刑",
            "2024-01-01至2025-06-30",
        ],
        [
            "钱七",
            resident_id(5),
            "严重精神障碍患者",
            f"{lon3:.7f}",
            f"{lat3:.7f}",
            VILLAGE,
            "",
            "",
            "",
        ],
    ]


def csv_text(headers: list[str], rows: list[list[str]]) -> str:
    """Return a CSV document (no quoting needed by the test data except WKT)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue()


def refused_run(
    conn: Connection,
    *,
    kind: str,
    file_name: str,
    user: str,
    refusal: str,
    sha256: str = "c" * 64,
    area_code: str | None = None,
) -> int:
    """Record a run refused before it read a row (no row counted or rejected); return its id."""
    return record_refused(
        conn,
        kind=kind,
        file_name=file_name,
        sha256=sha256,
        source_crs="",
        user=user,
        rows_total=0,
        rows_rejected=0,
        refusal=refusal,
        rejected=False,
        area_code=area_code,
    )


def import_csv(
    db: Session,
    path: Path,
    headers: list[str],
    rows: list[list[str]],
    *,
    kind: str = "grids",
    **options: object,
) -> ImportOutcome:
    """Write the rows to ``path`` as CSV and import it (a grid list unless ``kind`` says)."""
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind=kind, **options))  # type: ignore[arg-type]


def seed_three_grids(db: Session, folder: Path) -> None:
    """Seed the jurisdictions and import the test village's :data:`GRID_LAYER`."""
    seed_jurisdictions(db)
    assert import_csv(db, folder / "网格.csv", GRID_HEADERS, GRID_LAYER).committed
