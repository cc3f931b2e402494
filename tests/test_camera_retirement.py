"""Cameras the platform's export no longer lists are retired (trial V, findings 1, 4, 9, 11).

The 雪亮工程 platform's monthly export is the word on which cameras exist: ``--within …
--complete`` retires the cameras in use of the area it does not list (dated, with the import),
pairs a new camera at a retired one's place and name as its replacement, and a camera listed
again is in use again. Without ``--complete`` the summary only names them. A retired camera
leaves every live use (OGC items, the command feed, the cameras of a case, hot-spot coverage)
and its OGC item answers 404 with its day; a rural case still gets its nearest cameras.
After the re-trial (N1–N3): a camera listed twice does not hold the retirement back, a list
that would retire half the area's cameras (a part of a split export) retires none until
``--again`` confirms it, and the notes list one camera a line.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.loading import Alarm
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers import camera_retirement, cases, command, features, trend_tables, trends, video
from layers.catalog import get_collection
from tests.import_fixtures import OTHER_VILLAGE, VILLAGE, csv_text, import_app, seed_jurisdictions
from tests.migration_steps import migration_steps
from tests.test_trends_api import _add_case
from tests.workflow_data import COUNTY, NOW, actor, ensure_world, village, village_centre

HEADERS = ["国标编码", "点位名称", "经度", "纬度", "设备状态"]
M = 1 / 101_000  # about one metre of longitude at 24.2° N, in degrees


def code(serial: int) -> str:
    """Return a GB/T 28181 camera id of these tests (network 8: no other test's)."""
    return f"53042400001328{serial:06d}"


JANUARY = [  # five cameras of 测试社区, one of 邻村
    [code(1), "加油站旁_枪机", "102.905", "24.205", "在线"],
    [code(2), "桥头_球机", "102.910", "24.210", "在线"],
    [code(3), "学校门口_半球", "102.915", "24.215", "在线"],
    [code(4), "菜市场_枪机", "102.912", "24.204", "离线"],
    [code(5), "广场_球机", "102.918", "24.218", "在线"],
    [code(6), "邻村路口_枪机", "102.960", "24.210", "在线"],
]
FEBRUARY = [  # 1 removed; 2 replaced by 102 (10 m off, same name); 3, 4, 5 and 邻村 stay
    [code(3), "学校门口_半球", "102.915", "24.215", "在线"],
    [code(4), "菜市场_枪机", "102.912", "24.204", "在线"],
    [code(5), "广场_球机", "102.918", "24.218", "在线"],
    [code(102), "桥头_球机", f"{102.910 + 10 * M:.7f}", "24.210", "在线"],
    [code(6), "邻村路口_枪机", "102.960", "24.210", "在线"],
]


def _import(db: Session, path: Path, rows: list[list[str]], **options: object) -> ImportOutcome:
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind="video", **options))  # type: ignore[arg-type]


def _state(db: Session, serial: int) -> tuple[object, object]:
    """Return ``(retired_on is set, retired_by is an import run)`` of a test camera."""
    row = db.execute(
        text(
            "SELECT v.retired_on IS NOT NULL, r.kind FROM video_points AS v"
            " LEFT JOIN import_runs AS r ON r.id = v.retired_by WHERE v.device_id = :d"
        ),
        {"d": code(serial)},
    ).one()
    return row[0], row[1]


@pytest.fixture
def january(db: Session, tmp_path: Path) -> Session:
    """The test jurisdictions and January's six cameras, imported a month ago.

    Its run is dated back: a ``--complete`` list spares the cameras another import of the
    same day listed (``tests/test_import_complete_held_back.py``).
    """
    seed_jurisdictions(db)
    outcome = _import(db, tmp_path / "导出_202601.csv", JANUARY)
    assert outcome.committed, outcome.problems
    db.execute(
        text("UPDATE import_runs SET started_at = started_at - interval '31 days' WHERE id = :i"),
        {"i": outcome.import_id},
    )
    return db


def test_a_complete_export_retires_the_cameras_it_drops_and_pairs_the_replacement(
    january: Session, tmp_path: Path
) -> None:
    db = january
    path = tmp_path / "导出_202602.csv"
    dry = _import(db, path, FEBRUARY, within="530424100", complete=True, dry_run=True)
    assert _state(db, 1) == (False, None) and _state(db, 2) == (False, None)  # wrote nothing
    retired = [n for n in dry.notes if n.startswith("撤销视频点位")]
    assert len(retired) == 1 and retired[0].startswith("撤销视频点位 2 个（文件未列，按今天 ")
    assert retired[0].endswith(f"：\n  {code(1)} 加油站旁_枪机\n  {code(2)} 桥头_球机")
    assert f"更换 1 个：\n  {code(2)} → {code(102)}" in dry.notes
    outcome = _import(db, path, FEBRUARY, within="530424100", complete=True)
    assert outcome.committed and outcome.notes == dry.notes
    assert _state(db, 1) == (True, "video") and _state(db, 2) == (True, "video")
    assert _state(db, 6) == (False, None)  # 邻村 is in the file (and in the area): in use
    # kept in history: the retired camera keeps its name, point and status
    kept = db.execute(
        text("SELECT name, status FROM video_points WHERE device_id = :d"), {"d": code(1)}
    ).one()
    assert tuple(kept) == ("加油站旁_枪机", "online")
    # next month's export lists 1 again (back from repair): in use again, and said
    march = [*FEBRUARY, JANUARY[0]]
    again = _import(db, tmp_path / "导出_202603.csv", march, within="530424100", complete=True)
    assert again.committed and _state(db, 1) == (False, None) and _state(db, 2) == (True, "video")
    back = [n for n in again.notes if n.startswith("重新启用视频点位 1 个")]
    assert len(back) == 1 and back[0].endswith(f"{code(1)} 加油站旁_枪机")
    assert not [n for n in again.notes if n.startswith("撤销视频点位")]
    assert again.counts is not None and again.counts.updated == 1  # the camera put back


def test_a_row_with_a_mistyped_code_retires_nothing_and_says_why(
    january: Session, tmp_path: Path
) -> None:
    mistyped = code(1)[:-1]  # the camera dropped from the list may be this one
    bad = [*FEBRUARY, [mistyped, "加油站旁_枪机", "102.905", "24.205", "在线"]]
    outcome = _import(
        january, tmp_path / "导出.csv", bad, within="530424100", complete=True, partial=True
    )
    assert outcome.committed
    assert camera_retirement.INCOMPLETE_NOTE in outcome.notes
    assert _state(january, 1) == (False, None) and _state(january, 2) == (False, None)
    assert not [n for n in outcome.notes if n.startswith("撤销视频点位")]


def test_a_row_rejected_for_its_point_still_lists_its_camera(
    january: Session, tmp_path: Path
) -> None:
    """A monthly export always has cameras at 0/0: they exist, and the rest is complete."""
    without_point = [r if r[0] != code(6) else [code(6), r[1], "0", "0", r[4]] for r in FEBRUARY]
    outcome = _import(
        january,
        tmp_path / "导出.csv",
        without_point,
        within="530424100",
        complete=True,
        partial=True,
    )
    assert outcome.committed and outcome.rejected_rows == 1
    assert camera_retirement.INCOMPLETE_NOTE not in outcome.notes
    assert _state(january, 6) == (False, None)  # listed, though rejected: in use
    assert _state(january, 1) == _state(january, 2) == (True, "video")


def test_a_camera_listed_twice_does_not_hold_the_retirement_back(
    january: Session, tmp_path: Path
) -> None:
    """A camera shared by 公安 and 综治 is in the platform's export twice (re-trial V, N1).

    The second row is rejected as a duplicate, but its code is valid and its camera listed:
    the retirement goes on, and the held-back note does not blame the code.
    """
    twice = [*FEBRUARY, FEBRUARY[0]]  # row 7 repeats row 2 (code 3)
    outcome = _import(
        january, tmp_path / "导出.csv", twice, within="530424100", complete=True, partial=True
    )
    assert outcome.committed and outcome.rejected_rows == 1
    rules = [p.rule for p in outcome.problems if p.severity == "rejected"]
    assert len(rules) == 1 and rules[0].endswith("与本文件第 2 行重复")
    assert camera_retirement.INCOMPLETE_NOTE not in outcome.notes
    assert _state(january, 1) == _state(january, 2) == (True, "video")
    assert _state(january, 3) == (False, None)
    # a duplicate beside a mistyped code: the mistyped one still holds it back
    mistyped = [code(5)[:-1], "广场_球机", "102.918", "24.218", "在线"]
    both = [*JANUARY, JANUARY[0], mistyped]
    held = _import(
        january, tmp_path / "导出b.csv", both, within="530424100", complete=True, partial=True
    )
    assert held.committed and held.rejected_rows == 2
    assert camera_retirement.INCOMPLETE_NOTE in held.notes


def test_a_part_of_the_list_retires_nothing_until_confirmed_with_again(
    january: Session, tmp_path: Path
) -> None:
    """A mixed-CRS export split by source, each part with --complete (re-trial V, N2).

    Each part leaves out the other's cameras: half the area's or more. The part loads, but
    nothing is retired: an alarm says how many it would retire and how to confirm, and the
    cameras are listed (all of them in a dry run).
    """
    db = january
    police, towns = JANUARY[:3], JANUARY[3:]
    first = _import(db, tmp_path / "公安.csv", police, within="530424100", complete=True)
    assert first.committed and first.counts is not None and first.counts.unchanged == 3
    alarms = [n for n in first.notes if isinstance(n, Alarm)]
    assert len(alarms) == 1, first.notes
    assert "未撤销" in alarms[0] and "3 个" in alarms[0] and "6 个" in alarms[0]
    assert "--again" in alarms[0]
    listed = [n for n in first.notes if n.startswith("文件未列、未撤销")]
    assert len(listed) == 1
    assert listed[0].split("\n")[1:] == [f"  {code(n)} {JANUARY[n - 1][1]}" for n in (4, 5, 6)]
    assert not [n for n in first.notes if n.startswith("撤销视频点位")]
    second = _import(db, tmp_path / "乡镇.csv", towns, within="530424100", complete=True)
    assert second.committed and [n for n in second.notes if isinstance(n, Alarm)]
    assert all(_state(db, n) == (False, None) for n in range(1, 7))  # 6 in use, as before
    # the clerk who means it confirms with --again
    confirmed = _import(
        db, tmp_path / "公安.csv", police, within="530424100", complete=True, again=True
    )
    assert confirmed.committed and not [n for n in confirmed.notes if isinstance(n, Alarm)]
    assert [n for n in confirmed.notes if n.startswith("撤销视频点位 3 个")]
    assert [_state(db, n)[0] for n in range(1, 7)] == [False] * 3 + [True] * 3


def test_a_retirement_under_the_threshold_needs_no_confirmation() -> None:
    """Half, or more than 50 and a third, of the cameras in use is held back; less is not."""
    unconfirmed = camera_retirement.unconfirmed
    assert unconfirmed(3, 6) and not unconfirmed(2, 6) and unconfirmed(1, 1)
    assert unconfirmed(75, 154) and unconfirmed(79, 154) and not unconfirmed(7, 154)
    assert not unconfirmed(50, 149) and unconfirmed(51, 150) and not unconfirmed(51, 160)
    assert not unconfirmed(0, 0)


def test_the_mixed_crs_refusal_says_not_to_use_complete_on_the_parts() -> None:
    """Each part of a split export is not the whole list (re-trial V, N2)."""
    from importers.crs_check import MixedCrs, Reading

    pair = (Reading("bd09", 14, 25), Reading("gcj02", 11, 25))
    message = str(MixedCrs(pair, Reading("cgcs2000", 0, 25)))
    said = message.split("。")[-1]
    assert "不要加 --complete" in said and "各部分" in said, message


def test_a_note_of_cameras_lists_one_camera_a_line() -> None:
    """A summary shows the first ten cameras, a dry run's too (trial X); a file lists them all."""
    from importers.summary import LISTED_IN_IMPORT, long_notes, shown_note

    many = [camera_retirement.Camera(code(n), f"点位{n}") for n in range(1, 13)]
    settled = camera_retirement.Settled(date(2026, 12, 2), retired=many)
    (note,) = settled.notes()
    head, *lines = note.split("\n")
    assert head.startswith("撤销视频点位 12 个（") and head.endswith("：")
    assert lines == [f"  {code(n)} 点位{n}" for n in range(1, 13)] and "等" not in note
    shown = shown_note(note, "导出.csv.完整列表.试运行.csv").split("\n")
    assert shown[1 : LISTED_IN_IMPORT + 1] == lines[:LISTED_IN_IMPORT]
    assert shown[-1] == "  另有 2 项，未列出（全部见 导出.csv.完整列表.试运行.csv）"
    assert long_notes(settled.notes()) == [note]


def test_without_complete_the_cameras_left_out_are_named_never_retired(
    january: Session, tmp_path: Path
) -> None:
    db = january
    township = _import(db, tmp_path / "导出.csv", FEBRUARY, within="530424100")
    note = [n for n in township.notes if "不在本文件中" in n]
    assert len(note) == 1
    head, *listed = note[0].split("\n")
    assert head.startswith("库中宁州街道（530424100000）有在用视频点位 2 个不在本文件中；")
    assert "--within 530424100000 --complete" in head and head.endswith("：")
    assert listed == [f"  {code(1)} 加油站旁_枪机", f"  {code(2)} 桥头_球机"]
    assert _state(db, 1) == (False, None) and _state(db, 2) == (False, None)
    # without --within: the townships its rows lie in (here only 测试社区's cameras)
    only_one_village = [r for r in FEBRUARY if r[0] != code(6)]
    rows = _import(db, tmp_path / "导出2.csv", only_one_village)
    said = [n for n in rows.notes if "不在本文件中" in n]
    assert len(said) == 1 and "在用视频点位 3 个" in said[0]  # 1, 2 and 邻村's 6
    assert _state(db, 6) == (False, None)


def test_the_cameras_a_list_renames_are_named_old_and_new(january: Session, tmp_path: Path) -> None:
    """A re-import counts a rename 更新 like any change: the summary names old and new."""
    db = january
    renamed = [list(row) for row in JANUARY]
    renamed[1][1], renamed[3][1] = "桥头东_球机", "农贸市场_枪机"  # 2 and 4 renamed
    renamed[2][4] = "离线"  # a status changed: no rename
    path = tmp_path / "导出_改名.csv"
    outcome = _import(db, path, renamed)
    assert outcome.committed and outcome.counts is not None and outcome.counts.updated == 3
    said = [n for n in outcome.notes if n.startswith("视频点位改名")]
    assert said == [
        f"视频点位改名 2 个：\n  {code(2)} 桥头_球机 → 桥头东_球机"
        f"\n  {code(4)} 菜市场_枪机 → 农贸市场_枪机"
    ]
    again = _import(db, path, renamed)  # the same file again renames nothing
    assert again.counts is not None and again.counts.updated == 0
    assert not [n for n in again.notes if n.startswith("视频点位改名")]


def test_the_cameras_gone_offline_or_back_online_are_named(
    january: Session, tmp_path: Path
) -> None:
    """A monthly export says which cameras went dark: named by direction, not only 更新."""
    db = january
    changed = [list(row) for row in JANUARY]
    changed[1][4], changed[4][4] = "离线", "离线"  # 2 and 5 go offline
    changed[3][4] = "在线"  # 4 is back online
    changed[0][1] = "加油站北_枪机"  # 1 renamed, still online
    path = tmp_path / "导出_状态.csv"
    outcome = _import(db, path, changed)
    assert outcome.committed and outcome.counts is not None and outcome.counts.updated == 4
    offline = [n for n in outcome.notes if n.startswith("转为离线")]
    online = [n for n in outcome.notes if n.startswith("恢复在线")]
    assert offline == [
        f"转为离线的视频点位 2 个（原为在线）：\n  {code(2)} 桥头_球机\n  {code(5)} 广场_球机"
    ]
    assert online == [f"恢复在线的视频点位 1 个（原为离线）：\n  {code(4)} 菜市场_枪机"]
    report = [(p.row, p.column, p.value, p.rule) for p in outcome.problems]  # all in the report
    assert report == [
        (2, "点位名称", "加油站北_枪机", "改名：库中原为“加油站旁_枪机”"),
        (3, "设备状态", "离线", "转为离线：库中原为在线"),
        (5, "设备状态", "在线", "恢复在线：库中原为离线"),
        (6, "设备状态", "离线", "转为离线：库中原为在线"),
    ]
    assert {p.severity for p in outcome.problems} == {"changed"}
    statuses = dict(
        db.execute(
            text("SELECT device_id, status FROM video_points WHERE device_id = ANY(:d)"),
            {"d": [code(2), code(4)]},
        ).all()
    )
    assert statuses == {code(2): "offline", code(4): "online"}
    again = _import(db, path, changed)  # the same file again changes no state
    assert again.counts is not None and again.counts.updated == 0
    assert not [n for n in again.notes if n.startswith(("转为离线", "恢复在线"))]
    assert again.problems == []


def test_complete_is_allowed_for_cameras_with_within_only(tmp_path: Path) -> None:
    path = tmp_path / "导出.csv"
    path.write_text(csv_text(HEADERS, JANUARY), encoding="utf-8")
    result = CliRunner().invoke(import_app(), ["import", "video", str(path), "--complete"])
    assert result.exit_code == 2
    assert "视频点位（video）" in result.output and "--within" in result.output


def test_a_retired_camera_leaves_the_ogc_collection_and_its_item_says_when(
    january: Session, tmp_path: Path
) -> None:
    db = january
    assert _import(db, tmp_path / "导出.csv", FEBRUARY, within="530424100", complete=True).committed
    layer = get_collection("video_points")
    page = features.collection_items(db, layer, scope_code=VILLAGE, limit=1000)
    assert code(1) not in page.body and code(3) in page.body
    fid = db.execute(
        text("SELECT id FROM video_points WHERE device_id = :d"), {"d": code(1)}
    ).scalar_one()
    with pytest.raises(features.RetiredFeature) as retired:
        features.collection_item(db, layer, str(fid), scope_code=VILLAGE)
    assert f"视频点位 加油站旁_枪机（{code(1)}）已于 " in str(retired.value)
    assert "撤销" in str(retired.value) and retired.value.successor is None
    with pytest.raises(features.NotFound) as elsewhere:  # outside the scope: no such camera
        features.collection_item(db, layer, str(fid), scope_code=OTHER_VILLAGE)
    assert not isinstance(elsewhere.value, features.RetiredFeature)


def _camera(db: Session, serial: int, area: str, lon: float, lat: float) -> int:
    return int(
        db.execute(
            text(
                "INSERT INTO video_points (device_id, name, ptz_type, point, area_code, status,"
                " fov_deg, range_m) VALUES (:d, :n, 1, ST_SetSRID(ST_MakePoint(:x, :y), 4490),"
                " :a, 'online', 60, 80) RETURNING id"
            ),
            {"d": code(serial), "n": f"测试{serial}", "x": lon, "y": lat, "a": area},
        ).scalar_one()
    )


def _retire(db: Session, camera_id: int) -> None:
    db.execute(
        text("UPDATE video_points SET retired_on = current_date WHERE id = :i"), {"i": camera_id}
    )


def test_the_command_feed_counts_cameras_in_use(db: Session) -> None:
    ensure_world(db)
    v = village(300, 1)
    lon, lat = village_centre(v)
    who = actor("commander", COUNTY)
    before = command.feed(db, v[:9] + "000", actor=who, now=NOW)["unit"]["kpis"]
    kept = _camera(db, 900, v, lon, lat)
    gone = _camera(db, 901, v, lon + 0.001, lat)
    both = command.feed(db, v[:9] + "000", actor=who, now=NOW)["unit"]["kpis"]
    assert both["cameras"] == before["cameras"] + 2 and kept
    _retire(db, gone)
    after = command.feed(db, v[:9] + "000", actor=who, now=NOW)["unit"]["kpis"]
    assert after["cameras"] == before["cameras"] + 1


def test_a_rural_case_gets_its_nearest_cameras_in_use_beyond_the_radius(db: Session) -> None:
    ensure_world(db)
    v = village(400, 1)
    lon, lat = village_centre(v)
    desk = actor("dispatcher", v[:9] + "000")
    case = cases.register(
        db,
        actor=desk,
        channel="phone",
        category="dispute",
        title="劳资欠薪",
        reported_at=NOW,
        lon=lon,
        lat=lat,
    ).case
    near_but_retired = _camera(db, 910, v, lon + 300 * M, lat)
    far = _camera(db, 911, v, lon + 3000 * M, lat)
    farther = _camera(db, 912, v, lon + 4000 * M, lat)
    _retire(db, near_but_retired)
    found = video.cameras_for_case(db, case.id, actor=desk, radius_m=2000)
    ids = [c.id for c in found]
    assert near_but_retired not in ids
    mine = [c for c in found if c.id in (far, farther)]
    assert [c.id for c in mine] == [far, farther]
    assert all(not c.within_radius and not c.sees for c in mine)
    assert abs(mine[0].distance_m - 3000) < 30
    assert len(found) <= video.NEAREST  # nothing within the radius: the nearest five at most
    near = _camera(db, 913, v, lon + 100 * M, lat)
    again = video.cameras_for_case(db, case.id, actor=desk)
    assert again[0].id == near and again[0].within_radius  # a dome 100 m off sees it


def test_a_retired_camera_covers_no_hot_spot(db: Session) -> None:
    ensure_world(db)
    rng = np.random.default_rng(11)
    periods = trends.periods_ending(NOW, "month", 12)
    lon0, lat0 = village_centre(village(100, 1))
    for n in range(50):
        when = periods[-1 - n % 2].start + timedelta(days=float(rng.uniform(0, 27)))
        area = village(100, 1)
        _add_case(
            db, 9000 + n, lon0 + rng.normal(0, 0.0005), lat0 + rng.normal(0, 0.0005), when, area
        )
    for n in range(100):
        p = periods[n % 12]
        when = p.start + timedelta(days=float(rng.uniform(0, 27)))
        _add_case(
            db, 9100 + n, 102.5 + rng.uniform(0, 0.38), 24.3 + rng.uniform(0, 0.02), when, COUNTY
        )
    result = trends.series(db, COUNTY, actor=actor("commander", COUNTY), now=NOW, periods=12)
    before = trend_tables.uncovered_hotspots(db, result, 11, min_count=1)
    dome = db.execute(
        text(
            "INSERT INTO video_points (device_id, name, point, area_code, fov_deg, range_m,"
            " status, retired_on) VALUES (:d, '已拆除球机', ST_SetSRID(ST_MakePoint(:x, :y), 4490),"
            " :a, 360, 300, 'online', current_date) RETURNING id"
        ),
        {"d": code(920), "x": lon0, "y": lat0, "a": village(100, 1)},
    ).scalar_one()
    after = trend_tables.uncovered_hotspots(db, result, 11, min_count=1)
    assert dome and after["cameras"] == before["cameras"]
    assert after["uncovered"] == before["uncovered"]


def test_migration_0016_downgrades_and_upgrades(db: Session) -> None:
    """Revision 0016's downgrade drops the columns; its upgrade brings them back (rolled back)."""
    columns = text(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'video_points'"
    )
    with migration_steps(db, "0016_retired_cameras.py") as (module, conn):
        module.downgrade()
        assert not {"retired_on", "retired_by"} & set(conn.execute(columns).scalars())
        module.upgrade()
        assert {"retired_on", "retired_by"} <= set(conn.execute(columns).scalars())
