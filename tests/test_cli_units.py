"""``zongzhi units [CODE]`` lists a unit's children, or its grids, with counts (trial P, F19).

A planner preparing a merger of villages needs the township's villages with their codes without
psql: each with its level, counts of grids, workers, persons on the register and open cases, and
whether a boundary is on record; ``--grids`` the grids with their 网格长; ``--retired`` the
retired units too, with the day and the successor. Read in an 80-column terminal (codes whole),
in Chinese, and never a person's name. The world is committed under province 65, which no other
test uses, and removed afterwards.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from rich.cells import cell_len
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from layers.cli import app
from layers.database import apply_scope
from layers.model import Case, Person, Worker
from tests.conftest import SuiteDatabase

COUNTY = "654321000000"
TOWN = "654321100000"
OTHER_TOWN = "654321200000"
HUANGZHAI = "654321100001"
HUANGBA = "654321100002"  # merged into 黄寨村 on 2024-06-28
ZHUPU = "654321100003"
OLD_COUNTY = "654323000000"
MERGED = date(2024, 6, 28)
SECRET_NAMES = ("秘密甲", "秘密乙", "秘密丙", "秘密丁")
"""Names of the special-population persons: never printed."""


def _box(west: float, south: float, size: float = 0.02) -> str:
    east, north = west + size, south + size
    return f"POLYGON(({west} {south},{east} {south},{east} {north},{west} {north},{west} {south}))"


JURISDICTIONS: list[tuple[str, str, int, str | None, str | None]] = [
    ("650000000000", "新疆维吾尔自治区", 1, None, None),
    ("654300000000", "阿勒泰地区", 2, "650000000000", None),
    (COUNTY, "布尔津县", 3, "654300000000", _box(86.0, 47.0, 1.0)),
    (OLD_COUNTY, "旧设县", 3, "654300000000", None),
    (TOWN, "冲乎尔镇", 4, COUNTY, _box(86.1, 47.1, 0.1)),
    (OTHER_TOWN, "也格孜托别乡", 4, COUNTY, None),
    (HUANGZHAI, "黄寨村", 5, TOWN, _box(86.1, 47.1)),
    (HUANGBA, "黄坝村", 5, TOWN, _box(86.12, 47.1)),
    (ZHUPU, "竹铺村", 5, TOWN, None),
]
GRIDS: list[tuple[str, str, str, str | None]] = [
    (HUANGZHAI + "001", "黄寨第1网格", HUANGZHAI, _box(86.1, 47.1, 0.01)),
    (HUANGZHAI + "002", "黄寨第2网格", HUANGZHAI, None),
    (HUANGBA + "001", "黄坝第1网格", HUANGBA, None),
    (ZHUPU + "001", "竹铺第1网格", ZHUPU, None),
]
PROVINCE_RANGE = "code >= '65' AND code < '66'"
AREA_RANGE = "area_code >= '65' AND area_code < '66'"


def _purge(session: Session) -> None:
    session.execute(text(f"DELETE FROM video_points WHERE {AREA_RANGE}"))
    session.execute(text(f"DELETE FROM cases WHERE {AREA_RANGE}"))
    session.execute(text(f"DELETE FROM persons WHERE {AREA_RANGE}"))
    session.execute(text(f"DELETE FROM workers WHERE {AREA_RANGE}"))
    session.execute(text(f"DELETE FROM grids WHERE {AREA_RANGE}"))
    session.execute(text(f"DELETE FROM jurisdictions WHERE {PROVINCE_RANGE}"))


def _build(session: Session) -> None:
    for code, name, level, parent, box in JURISDICTIONS:
        session.execute(
            text(
                "INSERT INTO jurisdictions (code, name, level, parent_code, boundary) VALUES"
                " (:code, :name, :level, :parent, ST_Multi(ST_GeomFromText(:box, 4490)))"
            ),
            {"code": code, "name": name, "level": level, "parent": parent, "box": box},
        )
    session.execute(
        text(
            "UPDATE jurisdictions SET retired_on = :day, successor_code = :successor"
            " WHERE code = :code"
        ),
        [
            {"day": MERGED, "successor": HUANGZHAI, "code": HUANGBA},
            {"day": date(2020, 1, 1), "successor": None, "code": OLD_COUNTY},
        ],
    )
    for code, name, village, box in GRIDS:
        session.execute(
            text(
                "INSERT INTO grids (code, name, area_code, boundary)"
                " VALUES (:code, :name, :village, ST_GeomFromText(:box, 4490))"
            ),
            {"code": code, "name": name, "village": village, "box": box},
        )
    session.execute(
        text("UPDATE grids SET retired_on = :day, successor_code = :successor WHERE code = :code"),
        {"day": MERGED, "successor": HUANGZHAI + "001", "code": HUANGBA + "001"},
    )
    _add_workers(session)
    _add_persons(session)
    _add_cases(session)
    _add_cameras(session)


def _add_workers(session: Session) -> None:
    grid1, zhupu = HUANGZHAI + "001", ZHUPU + "001"
    leader = Worker(name="李网格长", area_code=HUANGZHAI, home_grid=grid1, status="on_duty")
    left_leader = Worker(name="周某", area_code=ZHUPU, home_grid=zhupu, status="left")
    session.add_all(
        [
            leader,
            left_leader,
            Worker(name="张网格员", area_code=HUANGZHAI, home_grid=grid1, status="off_duty"),
            Worker(name="吴已离", area_code=HUANGZHAI, home_grid=grid1, status="left"),
        ]
    )
    session.flush()
    session.execute(
        text("UPDATE grids SET leader_id = :id WHERE code = :code"),
        [{"id": leader.id, "code": grid1}, {"id": left_leader.id, "code": zhupu}],
    )


def _add_persons(session: Session) -> None:
    places = [
        (HUANGZHAI, HUANGZHAI + "001", None),
        (HUANGZHAI, HUANGZHAI + "001", None),
        (HUANGZHAI, HUANGZHAI + "001", date(2025, 3, 1)),  # left the register
        (ZHUPU, ZHUPU + "001", None),
    ]
    for n, ((village, grid, ended), name) in enumerate(zip(places, SECRET_NAMES, strict=True)):
        session.add(
            Person(
                category="released",
                name=name,
                id_hash=hashlib.sha256(f"pf-units-{n}".encode()).digest(),
                id_masked="654321********001X",
                id_sealed=b"sealed",
                area_code=village,
                grid_code=grid,
                ended_on=ended,
                attributes={},
            )
        )


def _add_cases(session: Session) -> None:
    cases = [
        (HUANGZHAI, HUANGZHAI + "001", "registered"),
        (HUANGZHAI, HUANGZHAI + "001", "dispatched"),
        (HUANGZHAI, HUANGZHAI + "001", "archived"),
        (OTHER_TOWN, None, "triaged"),
    ]
    for n, (area, grid, state) in enumerate(cases):
        session.add(
            Case(
                code=f"PF-UNITS-{n}",
                channel="walk_in",
                category="dispute",
                title="邻里纠纷",
                area_code=area,
                grid_code=grid,
                state=state,
                reported_at=datetime(2025, 5, 1, tzinfo=UTC),
            )
        )


CAMERAS: list[tuple[str, str, float, float, date | None]] = [
    ("65432110000132000001", HUANGZHAI, 86.105, 47.105, None),  # in 黄寨第1网格
    ("65432110000132000002", HUANGZHAI, 86.105, 47.106, None),  # in 黄寨第1网格
    ("65432110000132000003", HUANGZHAI, 86.115, 47.115, None),  # outside its grids' boundaries
    ("65432110000132000004", HUANGZHAI, 86.106, 47.105, date(2025, 2, 1)),  # retired
    ("65432110000132000005", ZHUPU, 86.14, 47.14, None),
]
"""Cameras ``(国标编码, village, lon, lat, retired on)``: those in use are counted."""


def _add_cameras(session: Session) -> None:
    for device, village, lon, lat, retired in CAMERAS:
        session.execute(
            text(
                "INSERT INTO video_points (device_id, name, point, area_code, fov_deg,"
                " range_m, status, retired_on) VALUES (:d, '测试点位',"
                " ST_SetSRID(ST_MakePoint(:x, :y), 4490), :a, 60, 80, 'online', :r)"
            ),
            {"d": device, "x": lon, "y": lat, "a": village, "r": retired},
        )


@pytest.fixture(scope="module")
def env(
    database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The environment of a command run against the suite's database, with this world."""
    with Session(database.owner) as owner, owner.begin():
        apply_scope(owner, None)
        _purge(owner)
        _build(owner)
    yield {
        "ZONGZHI_HOME": str(tmp_path_factory.mktemp("units-home")),
        "ZONGZHI_DATABASE_URL": database.urls.owner,
        "ZONGZHI_APP_DATABASE_URL": database.urls.app,
        "COLUMNS": "80",
    }
    with Session(database.owner) as owner, owner.begin():
        apply_scope(owner, None)
        _purge(owner)


def _units(env: dict[str, str], *args: str) -> Result:
    result = CliRunner().invoke(app, ["units", *args], env=env)
    assert result.exit_code == 0, result.output
    _assert_readable(result.output)
    return result


def _assert_readable(output: str) -> None:
    """80 columns, nothing cut, no person's name, Chinese words only (codes and options aside)."""
    assert max(cell_len(line.rstrip()) for line in output.splitlines()) <= 80, output
    assert "…" not in output
    assert not [name for name in SECRET_NAMES if name in output]
    assert not re.findall(r"[A-Za-z]+", output.replace("--retired", "")), output


def _text(output: str) -> str:
    """The output with its line breaks (a note wrapped at 80 columns) read as spaces."""
    return " ".join(output.split())


def _row(output: str, code: str) -> list[str]:
    """The cells of the table line that holds ``code`` (its name is on the same line)."""
    lines = [line for line in output.splitlines() if re.search(rf"\b{code}\b", line)]
    assert lines, f"{code} not listed:\n{output}"
    return lines[0].split()


def test_a_townships_villages_with_codes_and_counts(env: dict[str, str]) -> None:
    listing = _units(env, TOWN[:9]).output
    lines = listing.splitlines()
    assert lines[0] == "冲乎尔镇（654321100000）的村（社区）：2 个"
    assert "另有已撤销的 1 个，加 --retired 列出（注明撤销日期和继承单位）" in lines
    at = next(n for n, line in enumerate(lines) if "名称" in line)
    assert lines[at - 1].split() == ["特殊", "在办", "视频"]  # two-line headers, for 80 columns
    assert lines[at].split() == [
        "名称",
        "区划代码",
        "级别",
        "网格",
        "网格员",
        "人群",
        "案件",
        "点位",
        "边界",
    ]
    row = ["黄寨村", HUANGZHAI, "村社区", "2", "2", "2", "2", "3", "有"]
    assert _row(listing, HUANGZHAI) == row  # the retired camera is not counted
    assert _row(listing, ZHUPU) == ["竹铺村", ZHUPU, "村社区", "1", "0", "1", "0", "1", "无"]
    assert HUANGBA not in listing and "黄坝村" not in listing
    assert _row(listing, "合计") == ["合计", "3", "2", "3", "2", "4"]
    assert "视频点位为在用的（未撤销）" in "".join(listing.split())


def test_retired_villages_are_marked_with_date_and_successor(env: dict[str, str]) -> None:
    listing = _units(env, TOWN[:9], "--retired").output
    assert listing.splitlines()[0] == "冲乎尔镇（654321100000）的村（社区）：2 个，已撤销的 1 个"
    assert _row(listing, HUANGBA)[:3] == ["黄坝村", HUANGBA, "村社区"]
    assert f"黄坝村（{HUANGBA}）：2024-06-28 撤销，由 黄寨村（{HUANGZHAI}）承继" in _text(listing)
    assert "已撤销" in listing.split(HUANGBA, 1)[1].splitlines()[1]  # marked under its name


def test_a_countys_townships_and_the_counties_on_record(env: dict[str, str]) -> None:
    county = _units(env, COUNTY[:6]).output
    assert county.splitlines()[0] == "布尔津县（654321000000）的乡镇（街道）：2 个"
    assert _row(county, TOWN) == ["冲乎尔镇", TOWN, "乡镇", "3", "2", "3", "2", "4", "有"]
    assert _row(county, OTHER_TOWN) == [
        "也格孜托别乡",
        OTHER_TOWN,
        "乡镇",
        "0",
        "0",
        "0",
        "1",
        "0",
        "无",
    ]
    counties = _units(env).output
    assert counties.splitlines()[0].startswith("在册的县（区）：")
    assert _row(counties, COUNTY)[:3] == ["布尔津县", COUNTY, "县"]
    assert OLD_COUNTY not in counties
    with_retired = _units(env, "--retired").output
    assert f"旧设县（{OLD_COUNTY}）：2020-01-01 撤销，无继承单位" in _text(with_retired)


def test_grids_with_their_leaders(env: dict[str, str]) -> None:
    village = _units(env, HUANGZHAI).output
    assert village.splitlines()[0] == "黄寨村（654321100001）的网格：2 个"
    lines = village.splitlines()
    at = next(n for n, line in enumerate(lines) if "网格编码" in line)
    assert lines[at - 1].split() == ["特殊", "在办", "视频"]
    assert lines[at].split() == [
        "网格编码",
        "名称",
        "村社区",
        "网格长",
        "网格员",
        "人群",
        "案件",
        "点位",
        "边界",
    ]
    first = HUANGZHAI + "001"
    row = [first, "黄寨第1网格", "黄寨村", "李网格长", "2", "2", "2", "2", "有"]
    assert _row(village, first) == row  # the cameras in use inside its boundary
    second = _row(village, HUANGZHAI + "002")
    assert second[3] == "—" and second[-2:] == ["—", "无"]  # no boundary: cameras not placed
    town = _units(env, TOWN[:9], "--grids").output
    assert town.splitlines()[0] == "冲乎尔镇（654321100000）的网格：3 个"
    assert "另有已撤销的 1 个" in town
    assert "周某" in _row(town, ZHUPU + "001")
    assert "已离职" in town.split(ZHUPU + "001", 1)[1].splitlines()[1]  # under the leader's name
    assert HUANGBA + "001" not in town
    retired = _units(env, TOWN[:9], "--grids", "--retired").output
    assert (
        f"黄坝第1网格（{HUANGBA}001）：2024-06-28 撤销，由 黄寨第1网格（{HUANGZHAI}001）承继"
        in _text(retired)
    )


def test_a_code_mistyped_or_not_on_record_is_said_in_chinese(env: dict[str, str]) -> None:
    runner = CliRunner()
    short = runner.invoke(app, ["units", "6543211"], env=env)
    assert short.exit_code == 1
    assert short.output.startswith("错误：区划代码 ") and "只写前 2、4、6、9 位" in short.output
    unknown = runner.invoke(app, ["units", "654399"], env=env)
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "错误：辖区 654399000000 不存在"
    lonely = runner.invoke(app, ["units", "--grids"], env=env)
    assert lonely.exit_code == 1
    assert lonely.output.strip() == "错误：列出网格须写明辖区的区划代码，如 620702"
