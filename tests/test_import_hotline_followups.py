"""A 12345 file's counts, the tail of its numbers, and 联系时限 passed before import (trial BA).

m2: the counts said 更新 0 beside 「4 件按文件的办理时限更新了办结时限」. m4: 查找案件 found an
order only by its full number, though hotline staff read out its tail. m6: an order the platform
sent to a 承办单位, imported a day after the call, arrived with its 联系时限 red (已过), and the
department's 受理 was counted late, though the 12345 platform had made the first contact.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from layers import case_lists
from layers.case_import import CONTACTED_NOTE
from layers.database import apply_scope
from layers.model import Case, CaseEvent
from layers.workflow import Actor
from tests.conftest import SuiteDatabase
from tests.import_fixtures import seeded_database, write_gbk
from tests.test_import_hotline_department import CHINA, COUNTY, HEADERS, _point

DRAIN = "邻居排水沟堵塞污水流到我家院子"


def _rows(limit: str) -> list[list[str]]:
    recent = (datetime.now(CHINA) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    place = "宁州街道测试社区朝阳路18号"
    return [
        ["YN12345-202503030001", "2025-03-03 09:00:00", "", "", DRAIN, "邻里纠纷"]
        + [place, _point(0), "县人社局", limit],
        # called an hour ago: its 联系时限 runs here
        ["YN12345-202503030002", recent, "", "", DRAIN, "邻里纠纷"]
        + ["宁州街道测试社区朝阳路20号", _point(1), "县人社局", ""],
        # sent to no 承办单位: its 联系时限 is the platform's, passed
        ["YN12345-202503040003", "2025-03-04 09:00:00", "", "", DRAIN, "邻里纠纷"]
        + ["宁州街道测试社区朝阳路22号", _point(2), "", ""],
    ]


def test_counts_tails_and_a_contact_limit_passed_before_import(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    first = write_gbk(tmp_path, "12345工单_a.csv", HEADERS, _rows("5个工作日"))
    second = write_gbk(tmp_path, "12345工单_b.csv", HEADERS, _rows("2025-03-20 18:00"))
    with seeded_database(database, "hotline_followups") as (engine, _):
        options = ImportOptions(kind="cases", user="root", crs="bd09")
        with engine.connect() as conn:
            done = run_import(conn, first, options)
            assert done.committed, done.problems
        with engine.connect() as conn:
            again = run_import(conn, second, options)
            assert again.committed, again.problems
        # m2: the order whose 办理时限 moved its 办结时限 counts as 更新
        assert again.counts is not None
        assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 1, 2)
        desk = Actor(None, "县指挥中心", "commander", COUNTY)
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            found = {c.external_no: c for c in session.query(Case).all()}
            old, recent = found["YN12345-202503030001"], found["YN12345-202503030002"]
            # m6: past its 联系时限 on arrival: the platform contacted the caller, none is due
            assert old.contact_deadline is None and old.deadline is not None
            assert recent.contact_deadline is not None
            assert found["YN12345-202503040003"].contact_deadline is not None
            assert recent.contact_deadline > datetime.now(CHINA)
            notes = {
                e.case_id: e.note
                for e in session.query(CaseEvent).filter(CaseEvent.action == "import")
                if e.note and e.note.startswith("从文件导入")
            }
            assert notes[old.id] == "从文件导入" + CONTACTED_NOTE
            assert notes[recent.id] == "从文件导入"
            # m4: the tail of a work-order number finds it; five characters are too few
            for typed in ("202503030001", "3030001", "YN12345-202503030001"):
                hits = case_lists.search(session, actor=desk, q=typed)
                assert [c.id for c in hits] == [old.id], typed
            assert case_lists.search(session, actor=desk, q="30001") == []
