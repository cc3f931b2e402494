"""A department reads that the case it handles was reported again (trial AX S2).

县人社局's case page said 「无重复反映记录」 on a 12345 order called about three times: the
repeats, dispatched to nobody, were filtered out as cases not in its hands.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from layers import cases
from layers.errors import NotFound
from layers.model import Case
from layers.workflow import Actor
from tests.workflow_data import COUNTY, NOW, actor, add_user, ensure_world, village, village_centre

BUREAU = "测重县人社局"
DESK = actor("commander", COUNTY)


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    add_user(db, username=BUREAU, role="department", scope_code=COUNTY)
    return db


def _call(db: Session, title: str, offset_m: float) -> Case:
    lon, lat = village_centre(village())
    return cases.register(
        db,
        actor=DESK,
        channel="hotline_12345",
        category="dispute",
        subcategory="labour_wages",
        title=title,
        reported_at=NOW,
        lon=lon + offset_m / 101_000,
        lat=lat,
    ).case


def test_the_bureau_reads_the_repeats_of_its_order_without_opening_them(world: Session) -> None:
    order = _call(world, "朝阳路18号工地欠薪", 0.0)
    cases.act(world, order.id, "triage", actor=DESK, now=NOW)
    cases.act(world, order.id, "dispatch", actor=DESK, now=NOW, params={"department": BUREAU})
    again = _call(world, "还是朝阳路18号工地欠薪的事，上次反映了没人管", 30.0)
    assert again.duplicate_of == order.id

    bureau = Actor(user_id=None, name=BUREAU, role="department", scope_code=COUNTY)
    (repeat,) = cases.detail(world, order.id, actor=bureau).repeats
    assert (repeat.id, repeat.openable) == (again.id, False)
    with pytest.raises(NotFound):  # the repeat itself is not the bureau's to open
        cases.get_case(world, again.id, actor=bureau)
    (seen,) = cases.detail(world, order.id, actor=DESK).repeats
    assert seen.openable is True
