"""视频在线率's 离线 N: the unit's offline cameras in use, the longest silent first, in scope.

The command view said 89.4 % online and nothing of the other 34: an operator calling the
maintenance company had to find them one by one on the map. :func:`layers.camera_lists.offline`
lists them with their township and village and when each was last heard from.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import camera_lists, command
from layers.errors import NotFound
from tests.workflow_data import (
    COUNTY,
    NOW,
    actor,
    ensure_world,
    township,
    village,
    village_centre,
)

V1, V2, OTHER = village(100, 1), village(100, 2), village(200, 1)


def _camera(
    session: Session,
    n: int,
    area: str,
    status: str,
    heard: datetime | None,
    *,
    retired: bool = False,
) -> None:
    lon, lat = village_centre(area)
    session.execute(
        text(
            "INSERT INTO video_points (device_id, name, status, last_heartbeat, point, area_code,"
            " fov_deg, range_m, retired_on) VALUES (:d, :name, :s, :h,"
            " ST_SetSRID(ST_MakePoint(:x, :y), 4490), :a, 60, 80, :r)"
        ),
        {
            "d": f"520424000013100{n:05d}",
            "name": f"测试点位{n}",
            "s": status,
            "h": heard,
            "x": lon + n * 1e-4,
            "y": lat,
            "a": area,
            "r": NOW.date() if retired else None,
        },
    )


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    _camera(db, 1, V1, "offline", NOW - timedelta(days=2))
    _camera(db, 2, V2, "offline", None)  # never heard from: last
    _camera(db, 3, V2, "offline", NOW - timedelta(days=10))  # the longest silent: first
    _camera(db, 4, V1, "online", NOW)
    _camera(db, 5, V1, "offline", NOW - timedelta(days=30), retired=True)  # not in use
    _camera(db, 6, OTHER, "offline", NOW - timedelta(days=5))  # another township
    return db


def test_the_offline_cameras_in_use_longest_silent_first(world: Session) -> None:
    county = actor("commander", COUNTY)
    found = camera_lists.offline(world, COUNTY, actor=county)
    assert found.matched == 4
    assert [c.name for c in found.cameras] == ["测试点位3", "测试点位6", "测试点位1", "测试点位2"]
    first = found.cameras[0]
    names: dict[str, str] = dict(
        world.execute(
            text("SELECT code, name FROM jurisdictions WHERE code IN (:t, :v)"),
            {"t": township(100), "v": V2},
        ).all()
    )
    assert first.place == f"{names[township(100)]} · {names[V2]}"
    assert first.device_id == "52042400001310000003" and first.area_code == V2
    assert found.cameras[-1].last_heartbeat is None
    # the feed's count agrees: a county's and its children's
    feed = command.feed(world, COUNTY, actor=county, now=NOW)
    assert feed["unit"]["kpis"]["cameras_offline"] == 4
    by_child = {c["code"]: c["kpis"]["cameras_offline"] for c in feed["children"]}
    assert by_child[township(100)] == 3 and by_child[township(200)] == 1


def test_a_page_and_a_township_see_their_part(world: Session) -> None:
    county = actor("commander", COUNTY)
    page = camera_lists.offline(world, COUNTY, actor=county, limit=2, offset=2)
    assert page.matched == 4 and [c.name for c in page.cameras] == ["测试点位1", "测试点位2"]
    past = camera_lists.offline(world, COUNTY, actor=county, limit=2, offset=10)
    assert past.matched == 4 and past.cameras == []
    town = actor("dispatcher", township(200))
    own = camera_lists.offline(world, township(200), actor=town)
    assert own.matched == 1 and own.cameras[0].name == "测试点位6"
    with pytest.raises(NotFound):
        camera_lists.offline(world, COUNTY, actor=town)
