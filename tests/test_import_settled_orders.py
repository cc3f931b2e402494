"""Work orders settled at their source are history: in no operator's queue, counted resolved.

Trial M4: a county clerk imported a 12345 export of which 26 of 40 rows were 已办结 with a
办结时间; the township desk's 待结案 then listed every settled order of the township, each
offering 评价, 回访 and 销号. They are stored concluded (已销号) instead, the source's status kept
in their first event, and the 办结率 counts them as resolved.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from layers import cases, command
from layers.case_lists import Stage, stage_list
from layers.model import Case
from layers.model.accounts import Role
from layers.workflow import Actor
from tests.import_fixtures import GRID, VILLAGE, csv_text, seed_jurisdictions

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADERS = ["工单编号", "受理渠道", "问题分类", "所属网格", "来电时间", "工单状态", "办结时间"]
TOWNSHIP = "530424100000"
DESK = Actor(None, "宁州街道综治中心", Role.DISPATCHER, TOWNSHIP)
"""The township's 调度台 (a village's cases are handled at the township's level)."""
COUNTY = Actor(None, "县指挥中心", Role.COMMANDER, "530424000000")
NOW = datetime(2025, 3, 20, 9, 0, tzinfo=SHANGHAI)
FIRST = [
    ["SO-1", "12345", "邻里纠纷", GRID, "2025-03-01 08:30", "已办结", "2025-03-04 17:00"],
    ["SO-2", "12345", "噪声扰民", GRID, "2025-03-02 09:00", "已办结", "2025-03-05 10:00"],
    ["SO-3", "12345", "邻里纠纷", GRID, "2025-03-03 10:00", "已回访", ""],
    ["SO-4", "12345", "邻里纠纷", GRID, "2025-03-04 11:00", "办理中", ""],
    ["SO-5", "12345", "噪声扰民", GRID, "2025-03-05 12:00", "待处理", ""],
]


def _import(db: Session, path: Path, rows: list[list[str]]) -> Any:
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8-sig")
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases"))
    assert outcome.committed and not outcome.problems
    return outcome


def _listed(db: Session, stage: Stage) -> list[str]:
    return sorted(str(c.external_no) for c in stage_list(db, actor=DESK, stage=stage, now=NOW))


def _case(db: Session, number: str) -> Case:
    return db.query(Case).filter(Case.external_no == number).one()


def _share(db: Session) -> float | None:
    feed = command.feed(db, VILLAGE, actor=COUNTY, now=NOW, window_days=60)
    share: float | None = feed["unit"]["kpis"]["resolved_share"]
    return share


def test_settled_orders_are_history_out_of_the_desk_and_counted_resolved(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    outcome = _import(db, tmp_path / "12345工单.csv", FIRST)
    told = [n for n in outcome.notes if n.startswith("来源系统已办结")]  # trial AG: uncounted
    assert told == [
        "来源系统已办结的新增案件 3 件作为历史记录存档（已销号，不进入待结案，计入办结率）"
    ]
    assert any(n.startswith("新增未办结案件 2 件进入待分流") for n in outcome.notes)

    # The township desk: the open orders wait in its queue; nothing waits to be closed.
    assert _listed(db, Stage.CLOSING) == []
    assert _listed(db, Stage.QUEUE) == ["SO-4", "SO-5"]
    for number in ("SO-1", "SO-2", "SO-3"):
        settled = _case(db, number)
        assert settled.state == "archived"
        actions = cases.actions_open_to(db, settled, DESK)
        assert not {"evaluate", "visit", "archive"} & set(actions)
    assert _case(db, "SO-1").closed_at == datetime(2025, 3, 4, 17, 0, tzinfo=SHANGHAI)
    assert _case(db, "SO-4").state == "registered"
    # The 办结率 counts the three settled at the source as resolved.
    assert _share(db) == 0.6

    # Next week's export settles SO-4: history too, out of the queue, and resolved.
    later = [
        [*FIRST[3][:5], "已办结", "2025-03-12 16:00"],
        FIRST[4],
    ]
    outcome = _import(db, tmp_path / "12345工单（第二周）.csv", later)
    assert any(n.startswith("按来源系统办结 1 件") for n in outcome.notes)
    settled_later = _case(db, "SO-4")
    assert settled_later.state == "archived"
    assert settled_later.closed_at == datetime(2025, 3, 12, 16, 0, tzinfo=SHANGHAI)
    assert _listed(db, Stage.CLOSING) == []
    assert _listed(db, Stage.QUEUE) == ["SO-5"]
    assert _share(db) == 0.8
    events = db.execute(
        text(
            "SELECT from_state, to_state, note, payload FROM case_events WHERE case_id = :c"
            " ORDER BY id"
        ),
        {"c": settled_later.id},
    ).all()
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, "registered"),
        ("registered", "archived"),
    ]
    assert events[1].note == "历史记录：来源系统已办结，原状态“已办结”"
    assert events[1].payload["settled"] is True


def test_orders_an_earlier_release_left_in_the_closing_list_leave_it_on_a_new_import(
    db: Session, tmp_path: Path
) -> None:
    """The clerk who imported before this release imports the same file again."""
    seed_jurisdictions(db)
    _import(db, tmp_path / "12345工单.csv", FIRST)
    # As the earlier release stored them: settled orders in their source's state (their
    # import events, append-only, stay as this release wrote them; only their actions count).
    db.execute(
        text(
            "UPDATE cases SET state = CASE external_no WHEN 'SO-3' THEN 'visited' ELSE 'resolved'"
            " END WHERE external_no IN ('SO-1', 'SO-2', 'SO-3')"
        )
    )
    assert _listed(db, Stage.CLOSING) == ["SO-1", "SO-2", "SO-3"]
    # One evaluated here since: the operators' work, kept.
    handled = _case(db, "SO-2")
    cases.act(db, handled.id, "evaluate", actor=DESK, now=NOW, params={"satisfaction": 5})

    outcome = _import(db, tmp_path / "12345工单.csv", FIRST)
    said = "此前导入的来源系统已办结案件 2 件移出待结案，作为历史记录归档（本平台尚未办理）"
    assert said in outcome.notes
    assert _listed(db, Stage.CLOSING) == ["SO-2"]
    assert (_case(db, "SO-1").state, _case(db, "SO-3").state) == ("archived", "archived")
    assert _case(db, "SO-1").closed_at == datetime(2025, 3, 4, 17, 0, tzinfo=SHANGHAI)
    assert _share(db) == 0.6
