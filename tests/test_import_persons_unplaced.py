"""Trial AV M1: a roster of persons with no point and no grid says how many are on no list or map.

司法局's and 卫健局's lists usually give 现住址 and 所属社区 only: every person loads with no
residence point (on no map) and no grid (on no worker's 走访 list), yet the summary warned of the
严管 persons only. It now counts them, and names the rows when they are a few of the file.
The unplaced persons live in 邻村, which has no grid: in the test village, whose one grid it
is, their 所属社区 would give them that grid (tests/test_person_address_placing.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geo.codes import make_resident_id
from importers.loading import Alarm
from importers.pipeline import ImportOptions, run_import
from layers.secrets import Keys
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    GRID,
    OTHER_VILLAGE,
    VILLAGE,
    csv_text,
    import_app,
    seed_jurisdictions,
    seeded_database,
)

HEADERS = ["姓名", "身份证号", "人员类别", "所属社区", "现住址", "网格编码", "经度", "纬度"]
KEYS = Keys(hmac_key=b"\x03" * 32, seal_key=b"\x04" * 32)


def resident_id(seq: int) -> str:
    """Return a resident ID of the test county born on a day no other test's persons are."""
    return make_resident_id("530424", date(1977, 3, 9), seq, "F")


def test_a_roster_without_grids_or_points_counts_whom_no_list_or_map_shows(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """At the command line: all of them, counted in one red line, not named by row."""
    roster = tmp_path / "特殊人群.csv"
    rows = [
        [
            f"未落{n}",
            resident_id(20 + n),
            "刑满释放人员",
            OTHER_VILLAGE,
            f"宁州街道{n}号",
            "",
            "",
            "",
        ]
        for n in range(4)
    ]
    roster.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    env = {"ZONGZHI_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    with seeded_database(database, "zz_persons_unplaced") as (_, url):
        result = CliRunner().invoke(
            import_app(),
            ["import", "persons", str(roster)],
            env={**env, "ZONGZHI_DATABASE_URL": url},
        )
    assert result.exit_code == 0, result.output
    said = "".join(result.output.split())
    assert (
        "本表4名在册人员全部未落图、未划入网格（没有居住位置坐标，也没有所属网格），"
        "不会出现在网格员走访清单和地图上：请在本表补充居住位置的坐标（经度、纬度，"
        "有坐标即划入所在网格）或网格编码后重新导入本表"
    ) in said
    assert "第2、3" not in said and "未落1" not in said


def test_a_few_unplaced_persons_are_counted_and_their_rows_named(
    db: Session, tmp_path: Path
) -> None:
    """Two of four: no point (one of them no grid either); the others placed by grid or point."""
    seed_jurisdictions(db)
    path = tmp_path / "名单.csv"
    rows = [
        ["甲", resident_id(31), "吸毒人员", VILLAGE, "", GRID, "", ""],  # no point
        ["乙", resident_id(32), "吸毒人员", VILLAGE, "", "", "102.905", "24.205"],  # placed
        ["丙", resident_id(33), "吸毒人员", OTHER_VILLAGE, "", "", "", ""],  # neither
        ["丁", resident_id(34), "吸毒人员", VILLAGE, "", GRID, "102.906", "24.206"],  # placed
    ]
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="persons"), keys=KEYS)
    assert outcome.committed, outcome.problems
    said = [note for note in outcome.notes if "未落图" in note]
    assert said == [
        "本表 4 名在册人员中 2 人未落图（没有居住位置坐标），不会出现在地图上；"
        "1 人未划入网格（没有所属网格），不会出现在网格员走访清单上（第 2、4 行）："
        "请在本表补充居住位置的坐标（经度、纬度，有坐标即划入所在网格）或网格编码后重新导入本表；"
        "指挥台“走访”页选“未落图/未划入网格”可查看这些人员"
    ]
    assert not isinstance(said[0], Alarm)  # a few: not the red line of a whole roster
