"""Trial AM (city and province command centres): the command feed's rules.

* M4: a hot-spot alert's card said 本格及相邻格案件数 不予显示 to a city commander whom 查看案件
  then listed the 97 cases. A hot cell's case figures are withheld only from a reader who may
  not list its cases (an analyst: :func:`layers.hotspot_cases.lists_cases`); special-population
  counts keep the persons rule (:func:`layers.trends.min_count_for`).
* M2: a new 督办 from the city did not surface on the county's page. The feed lists the 督办
  from above that nobody at the unit's level or below has acted on since
  (:func:`layers.command.new_supervisions`), and each queued case carries its 督办's
  督办意见, who issued it and when.
* M6, N5: what 近期热点 and 上报次数 count, said on their cards.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from layers import cases, command, command_map, hotspot_cases, trends
from layers.errors import Forbidden
from layers.model import Case
from layers.workflow import Actor
from tests.test_suppression_hotspot_runs import _run
from tests.workflow_data import (
    CITY,
    COUNTY,
    NOW,
    PROVINCE,
    actor,
    add_user,
    ensure_world,
    township,
    village,
    village_centre,
)

# ---- M4: a hot cell's case figures


def _cells(db: Session, reader: Actor) -> dict[int, dict[str, Any]]:
    return {
        f["id"]: f["properties"]
        for f in json.loads(command_map.hot_cells(db, COUNTY, actor=reader))["features"]
    }


def _number(title: str) -> int | None:
    found = re.search(r"一带\s*(\d+)\s*起", title)
    return int(found.group(1)) if found else None


def test_the_rule_for_cases_is_who_may_list_them() -> None:
    for scope in (PROVINCE, CITY, COUNTY, township()):
        assert trends.min_count_for(actor("commander", scope), of="cases") == 1
        assert hotspot_cases.lists_cases(actor("commander", scope))
    assert trends.min_count_for(actor("department", COUNTY), of="cases") == 1
    assert trends.min_count_for(actor("analyst", COUNTY), of="cases") == 3
    assert not hotspot_cases.lists_cases(actor("analyst", CITY))
    # special-population counts keep the persons rule: a city reads them as counts only
    assert trends.min_count_for(actor("commander", CITY)) == 3
    assert trends.min_count_for(actor("commander", CITY), of="persons") == 3
    assert trends.min_count_for(actor("commander", COUNTY)) == 1


def test_a_city_or_province_commander_reads_every_figure_of_the_cells_he_lists(
    db: Session,
) -> None:
    run = _run(db)
    exact = _cells(db, actor("commander", COUNTY))
    assert any(p["count"] in (1, 2) for p in exact.values())  # small counts to be read
    county_feed = command.feed(db, COUNTY, actor=actor("commander", COUNTY), now=NOW)
    exact_alerts = {a["id"]: a for a in county_feed["alerts"] if a["run_id"] == run.run_id}
    assert exact_alerts
    for scope in (CITY, PROVINCE):
        reader = actor("commander", scope)
        assert _cells(db, reader) == exact  # count, around, z and p as the county reads them
        feed = command.feed(db, COUNTY, actor=reader, now=NOW)
        mine = [a for a in feed["alerts"] if a["run_id"] == run.run_id]
        assert {a["id"] for a in mine} == set(exact_alerts)
        for alert in mine:
            assert alert["cell"] == exact_alerts[alert["id"]]["cell"]
            assert alert["cell"]["around"] is not None and alert["cell"]["z"] is not None
            assert alert["title"] == exact_alerts[alert["id"]]["title"]
            assert alert["detail"] == exact_alerts[alert["id"]]["detail"]
            assert _number(alert["title"]) == alert["cell"]["around"]
            # and 查看案件 lists what the card counts
            listed = hotspot_cases.cell_cases(db, alert["cell_id"], actor=reader)
            assert listed["total"] + listed["unlisted"] == alert["cell"]["around"]
            own = hotspot_cases.cell_cases(db, alert["cell_id"], actor=reader, around=False)
            assert own["total"] + own["unlisted"] == alert["cell"]["own"]


def test_the_analyst_who_lists_no_case_still_reads_no_small_figure(db: Session) -> None:
    run = _run(db)
    analyst = actor("analyst", COUNTY)
    cells = _cells(db, analyst)
    assert cells and all(p["z"] is None and p["p"] is None for p in cells.values())
    assert all(
        p[key] is None or not 0 < p[key] < 3 for p in cells.values() for key in ("count", "around")
    )
    assert any(p["around"] is None for p in cells.values())  # 不予显示, and no list beside it
    feed = command.feed(db, COUNTY, actor=analyst, now=NOW)
    mine = [a for a in feed["alerts"] if a["run_id"] == run.run_id]
    assert mine and all(a["cell"]["z"] is None for a in mine)
    assert all("热点得分" not in a["detail"] for a in mine)
    with pytest.raises(Forbidden):
        hotspot_cases.cell_cases(db, mine[0]["cell_id"], actor=analyst)


def test_the_heat_map_gives_a_city_commander_the_cells_he_may_open(db: Session) -> None:
    _run(db)
    county = command_map.heat_points(
        db, COUNTY, actor=actor("commander", COUNTY), now=NOW, cell_deg=0.002
    )
    assert any(n < 3 for _, _, n in county)
    city = command_map.heat_points(
        db, COUNTY, actor=actor("commander", CITY), now=NOW, cell_deg=0.002
    )
    assert city == county
    analyst = command_map.heat_points(
        db, COUNTY, actor=actor("analyst", COUNTY), now=NOW, cell_deg=0.002
    )
    assert analyst and all(n >= 3 for _, _, n in analyst)


# ---- M2: a new 督办 surfaces where it is addressed


def _person(db: Session, role: str, scope: str, name: str) -> Actor:
    user_id = add_user(db, username=name, role=role, scope_code=scope)
    return Actor(user_id=user_id, name=name, role=role, scope_code=scope)


def _county_case(db: Session, desk: Actor, title: str) -> int:
    lon, lat = village_centre(village(100, 1))
    made = cases.register(
        db,
        actor=desk,
        channel="phone",
        category="dispute",
        subcategory="labour_wages",
        title=title,
        reported_at=NOW - timedelta(days=2),
        lon=lon,
        lat=lat,
    ).case
    cases.act(db, made.id, "escalate", actor=desk, now=NOW, note="需县级协调")
    assert made.handling_level == 3
    return made.id


def test_a_new_supervision_surfaces_on_the_county_page_until_the_county_acts(
    db: Session,
) -> None:
    ensure_world(db)
    desk = _person(db, "dispatcher", township(), "am.desk")
    county = _person(db, "commander", COUNTY, "am.county")
    city = _person(db, "commander", CITY, "am.city")
    case_id = _county_case(db, desk, "新复社区消费维权")
    deadline = NOW + timedelta(days=3)
    cases.act(
        db,
        case_id,
        "supervise",
        actor=city,
        now=NOW,
        note="请于12月10日前办结并报送办理结果",
        params={"deadline": deadline},
    )
    # a 督办 of no account (seeded, imported) says no more than a centre's name: never 新; and
    # the repeat report this second case makes of the first is no answer to the first's 督办
    other = _county_case(db, desk, "宁利社区其他安全隐患")
    assert db.get(Case, other).duplicate_of == case_id  # type: ignore[union-attr]
    cases.act(
        db,
        other,
        "supervise",
        actor=actor("commander", CITY),
        now=NOW,
        note="限期办结",
        params={"deadline": deadline},
    )
    feed = command.feed(db, COUNTY, actor=county, now=NOW)
    assert feed["supervisions_total"] == 1
    [fresh] = feed["supervisions"]
    assert fresh["case_id"] == case_id and fresh["title"] == "新复社区消费维权"
    assert fresh["by"] == "am.city" and fresh["note"] == "请于12月10日前办结并报送办理结果"
    assert fresh["at"] == NOW.isoformat() and fresh["deadline"] == deadline.isoformat()
    row = next(c for c in feed["queue"] if c["id"] == case_id)
    # the badge's tooltip: 督办意见, who and when, not the 时限 alone
    assert row["supervision"] == {
        "at": NOW.isoformat(),
        "by": "am.city",
        "note": "请于12月10日前办结并报送办理结果",
        "deadline": deadline.isoformat(),
        "new": True,
    }
    # the city issued it: nothing new to the city; the township does not handle it
    assert command.feed(db, CITY, actor=city, now=NOW)["supervisions"] == []
    assert command.feed(db, township(), actor=desk, now=NOW)["supervisions"] == []
    # the city acting again (催办) answers nothing
    cases.act(db, case_id, "remind", actor=city, now=NOW + timedelta(minutes=5), note="请尽快")
    assert command.feed(db, COUNTY, actor=county, now=NOW)["supervisions_total"] == 1
    # the county acts on the case: no longer new, still shown with its 督办意见
    cases.act(db, case_id, "triage", actor=county, now=NOW + timedelta(minutes=10))
    feed = command.feed(db, COUNTY, actor=county, now=NOW + timedelta(minutes=11))
    assert feed["supervisions"] == [] and feed["supervisions_total"] == 0
    row = next(c for c in feed["queue"] if c["id"] == case_id)
    assert row["supervision"]["new"] is False
    assert row["supervision"]["note"] == "请于12月10日前办结并报送办理结果"


def test_a_township_is_told_of_the_county_supervising_its_case(db: Session) -> None:
    ensure_world(db)
    desk = _person(db, "dispatcher", township(), "am.desk2")
    county = _person(db, "commander", COUNTY, "am.county2")
    lon, lat = village_centre(village(100, 1))
    made = cases.register(
        db,
        actor=desk,
        channel="phone",
        category="dispute",
        subcategory="labour_wages",
        title="老堡村劳资欠薪",
        reported_at=NOW - timedelta(days=1),
        lon=lon,
        lat=lat,
    ).case
    assert made.handling_level == 4
    cases.act(
        db,
        made.id,
        "supervise",
        actor=county,
        now=NOW,
        note="限期办结",
        params={"deadline": NOW + timedelta(days=2)},
    )
    town = command.feed(db, township(), actor=desk, now=NOW)
    assert [s["case_id"] for s in town["supervisions"]] == [made.id]
    # the county issued it: not new to the county
    assert command.feed(db, COUNTY, actor=county, now=NOW)["supervisions"] == []


# ---- M6, N5: what the cards count


def test_the_hot_spot_card_says_what_it_counts(db: Session) -> None:
    run = _run(db)
    feed = command.feed(db, COUNTY, actor=actor("commander", COUNTY), now=NOW)
    [shown] = [r for r in feed["hotspot_runs"] if r["id"] == run.run_id]
    assert shown["bin_days"] == 7 and shown["resolution"] == 8
    assert shown["cell_km2"] == trends.cell_km2(8)
    assert shown["window_end"] == NOW.isoformat()
    assert shown["window_start"] == (NOW - timedelta(days=84)).isoformat()
    # named apart from the trends page's 本期热点单元 (monthly, cell size by level)
    label = command.KPI_LABELS["active_hotspots"]
    assert label != "活跃热点" and "本期" not in label and "按周" in label
    assert "本期热点单元" in command.KPI_NOTES["active_hotspots"]
    assert "按月" in command.KPI_NOTES["active_hotspots"]


def test_the_escalations_card_says_it_counts_this_levels_own() -> None:
    note = command.KPI_NOTES["escalations"]
    assert "本级向上级上报" in note and "下级上报到本级" in note
