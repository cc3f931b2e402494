"""A 派出所's weekly camera list, imported week after week (trial BB M6, m4, m5, m1).

The week-later file marks the 2 cameras taken down 已拆除, lists 10 offline and 3 moved: the
import retires exactly the 2 (named, with their 国标编码), leaves the camera the file does not
list in use (no ``--complete``), and a re-import of the same file changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.loading import Alarm
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers import camera_lists, features
from layers.catalog import get_collection
from tests.import_fixtures import VILLAGE, add_jurisdictions, box, csv_text, seed_jurisdictions
from tests.migration_steps import migration_steps
from tests.workflow_data import actor

HEADERS = ["国标编码", "点位名称", "经度", "纬度", "在线状态"]


def code(serial: int) -> str:
    """Return a GB/T 28181 camera id of these tests (serials 7000 on: no other test's)."""
    return f"530424000013280070{serial:02d}"


def _row(serial: int, status: str = "在线", east: float = 0.0) -> list[str]:
    """One camera of 测试社区 (102.90–102.92, 24.20–24.22), ``east`` degrees moved."""
    lon = 102.9015 + (serial % 5) * 0.0035 + east
    lat = 24.2015 + (serial // 5) * 0.0035
    return [code(serial), f"周测点位{serial}", f"{lon:.6f}", f"{lat:.6f}", status]


FIRST = [_row(s) for s in range(1, 22)]
"""The first week: 21 cameras online (21 is never listed again)."""
WEEK_LATER = (
    [_row(1, "已拆除"), _row(2, "报废")]
    + [_row(s, "离线") for s in range(3, 13)]
    + [_row(s, east=0.001) for s in range(13, 16)]
    + [_row(s) for s in range(16, 21)]
)
"""A week later: 2 taken down, 10 offline, 3 moved about 100 m, 5 unchanged; 21 not listed."""


def _import(db: Session, path: Path, rows: list[list[str]], **options: object) -> ImportOutcome:
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind="video", **options))  # type: ignore[arg-type]


def _cameras(db: Session) -> list[tuple[object, ...]]:
    """Return every test camera as on record (but which import listed it last)."""
    return [
        tuple(r)
        for r in db.execute(
            text(
                "SELECT device_id, name, status, retired_on, retired_by, ST_AsText(point)"
                " FROM video_points WHERE device_id LIKE '530424000013280070%' ORDER BY device_id"
            )
        )
    ]


def test_a_weekly_list_retires_exactly_the_cameras_it_marks_taken_down(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    first = _import(db, tmp_path / "盘溪派出所雪亮点位_20261130.csv", FIRST)
    assert first.committed, first.problems
    path = tmp_path / "盘溪派出所雪亮点位_20261207.csv"
    week = _import(db, path, WEEK_LATER)
    assert week.committed, week.problems
    taken = [n for n in week.notes if n.startswith("按状态撤销视频点位")]
    assert len(taken) == 1 and taken[0].startswith("按状态撤销视频点位 2 个（")
    assert taken[0].endswith(f"：\n  {code(1)} 周测点位1\n  {code(2)} 周测点位2")
    assert not [n for n in week.notes if n.startswith("撤销视频点位")]  # no --complete
    offline = [n for n in week.notes if n.startswith("转为离线的视频点位")]
    assert len(offline) == 1 and offline[0].startswith("转为离线的视频点位 10 个")
    assert code(1) not in offline[0] and not [p for p in week.problems if p.severity == "error"]
    retired = db.execute(
        text(
            "SELECT v.device_id, r.kind FROM video_points AS v JOIN import_runs AS r"
            " ON r.id = v.retired_by WHERE v.device_id LIKE '530424000013280070%'"
            " AND v.retired_on IS NOT NULL ORDER BY 1"
        )
    ).all()
    assert [tuple(r) for r in retired] == [(code(1), "video"), (code(2), "video")]
    # the camera the file does not list is named, not retired (no --complete)
    left = [n for n in week.notes if "不在本文件中" in n]
    assert len(left) == 1 and left[0].endswith(f"{code(21)} 周测点位21")
    dropped = [n for n in week.notes if n.startswith("其中上次由")]
    assert dropped == [
        "其中上次由盘溪派出所雪亮点位_20261130.csv列出、本文件未列的视频点位 1 个（如已拆除，"
        "可在本文件中列出并把在线状态填为已拆除后重新导入，只撤销这些）："
        f"\n  {code(21)} 周测点位21"
    ]
    before = _cameras(db)
    again = _import(db, path, WEEK_LATER)
    assert again.committed, again.problems
    assert _cameras(db) == before
    assert not [n for n in again.notes if n.startswith(("按状态撤销", "撤销视频", "重新启用"))]
    assert not [n for n in again.notes if n.startswith("转为离线")]
    # m4: the 10 taken offline were last known online when the first week's list was imported
    listed = db.execute(
        text("SELECT started_at FROM import_runs WHERE id = :i"), {"i": first.import_id}
    ).scalar_one()
    beats = db.execute(
        text("SELECT device_id, last_heartbeat FROM video_points WHERE device_id = ANY(:d)"),
        {"d": [code(s) for s in range(3, 13)]},
    ).all()
    assert len(beats) == 10 and {b for _, b in beats} == {listed}
    db.execute(  # one silent two days before, one never heard from
        text(
            "UPDATE video_points SET status = 'offline', last_heartbeat = CASE device_id"
            " WHEN :a THEN CAST(:at AS timestamptz) - interval '2 days' END"
            " WHERE device_id IN (:a, :b)"
        ),
        {"a": code(16), "b": code(17), "at": listed},
    )
    found = camera_lists.offline(db, VILLAGE, actor=actor("commander", "530424000000"))
    order = [c.device_id for c in found.cameras]
    assert order[0] == code(16) and order[-1] == code(17)
    assert set(order[1:-1]) == {code(s) for s in range(3, 13)}


def test_complete_of_a_file_of_some_townships_names_them_and_spares_the_others(
    db: Session, tmp_path: Path
) -> None:
    """Trial BB m5: a 派出所's list of 宁州街道 imported ``--within`` the county."""
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            ("530424101000", "盘溪镇", 4, "530424000000", None),
            ("530424101001", "盘溪村", 5, "530424101000", box(103.0, 24.2, 103.02, 24.22)),
        ],
    )
    panxi = [
        [code(s), f"盘溪点位{s}", f"{102.923 + s * 0.001:.3f}", "24.205", "在线"] for s in (81, 82)
    ]
    first = _import(db, tmp_path / "全县在册.csv", FIRST + panxi)
    assert first.committed, first.problems
    db.execute(  # a week ago: a --complete list spares the cameras a file of today listed
        text("UPDATE import_runs SET started_at = started_at - interval '7 days' WHERE id = :i"),
        {"i": first.import_id},
    )
    path = tmp_path / "宁州派出所雪亮点位_20261207.csv"
    plain = _import(db, path, WEEK_LATER, within="530424", dry_run=True)
    (note,) = [n for n in plain.notes if "不在本文件中" in n]
    head = note.split("\n")[0]
    assert "本文件只含宁州街道的点位，其中 2 个在本文件没有一行的盘溪镇" in head
    assert "如本文件是宁州街道的全部点位" in head and "--within 530424100000 --complete" in head
    held = _import(db, path, WEEK_LATER, within="530424", complete=True)
    assert held.committed
    (alarm,) = [n for n in held.notes if isinstance(n, Alarm) and n.startswith("--complete")]
    assert alarm.startswith("--complete 未撤销任何视频点位：本文件只含宁州街道的点位，")
    assert "盘溪镇的在用视频点位 2 个" in alarm and "--within 530424100000 --complete" in alarm
    in_use = "SELECT count(*) FROM video_points WHERE device_id = ANY(:d) AND retired_on IS NULL"
    assert db.execute(text(in_use), {"d": [code(21), code(81), code(82)]}).scalar() == 3
    # the township the file holds: its camera left out is retired, 盘溪镇's stay in use
    town = _import(db, path, WEEK_LATER, within="530424100", complete=True)
    assert town.committed and not [n for n in town.notes if n.startswith("--complete")]
    assert [n for n in town.notes if n.startswith("撤销视频点位 1 个")]
    assert db.execute(text(in_use), {"d": [code(21), code(81), code(82)]}).scalar() == 2


def test_a_camera_keeps_its_install_address_and_police_station_for_the_popup(
    db: Session, tmp_path: Path
) -> None:
    """Trial BB m1: 安装位置 and 所属组织 were read to check the township, then dropped."""
    seed_jurisdictions(db)
    headers = [*HEADERS, "安装位置", "所属组织"]
    rows = [[*_row(1), "测试社区菜市场东门", "宁州派出所"], [*_row(2), "", ""]]
    path = tmp_path / "宁州派出所雪亮点位.csv"
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="video"))
    assert outcome.committed, outcome.problems
    layer = get_collection("video_points")
    fid = db.execute(
        text("SELECT id FROM video_points WHERE device_id = :d"), {"d": code(1)}
    ).scalar_one()
    item = json.loads(features.collection_item(db, layer, str(fid), scope_code=VILLAGE))
    props = item["properties"]
    assert props["install_address"] == "测试社区菜市场东门"
    assert props["police_station"] == "宁州派出所" and props["area_name"] == "测试社区"
    # a later list without those columns says nothing of them: kept
    assert _import(db, tmp_path / "平台导出.csv", [_row(1, "离线")]).committed
    kept = db.execute(
        text("SELECT install_address, police_station FROM video_points WHERE device_id = :d"),
        {"d": code(1)},
    ).one()
    assert tuple(kept) == ("测试社区菜市场东门", "宁州派出所")


def test_migration_0041_downgrades_and_upgrades(db: Session) -> None:
    """Revision 0041's downgrade drops the two columns; its upgrade brings them back."""
    columns = text(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'video_points'"
    )
    kept = {"install_address", "police_station"}
    with migration_steps(db, "0041_camera_address_station.py") as (module, conn):
        module.downgrade()
        assert not kept & set(conn.execute(columns).scalars())
        module.upgrade()
        assert kept <= set(conn.execute(columns).scalars())
