"""Imported cases without a title of their own are titled by type, place and day (trial AN N5).

``zongzhi import cases`` of a file with no title and no description column (事件类型, 登记时间,
经度, 纬度, 所属社区) titled every case 矛盾纠纷: the desk's queue and a worker's tasks read
矛盾纠纷, 矛盾纠纷 … Such a case is now titled ``邻里纠纷·测试社区·3月1日``: its type, the village
it is placed in (by name, code or point), else its address, else its unit, and its day. A title
that only names the type is one too; no personal number is put in a title.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.personal_numbers import find_personal_numbers
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from tests.import_fixtures import OTHER_VILLAGE, VILLAGE, csv_text, seed_jurisdictions

CHINA = ZoneInfo("Asia/Shanghai")
TOWNSHIP = "530424100000"
"""宁州街道, the villages' township."""


def _import(db: Session, path: Path, headers: list[str], rows: list[list[str]]) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", crs="cgcs2000"))
    assert outcome.committed, outcome.problems
    return outcome


def test_a_ledger_without_titles_gives_each_case_its_type_place_and_day(
    db: Session, tmp_path: Path
) -> None:
    """N5: the trial's file (no title, no description) made cases all titled 矛盾纠纷."""
    seed_jurisdictions(db)
    yesterday = datetime.now(CHINA) - timedelta(days=1)
    today_like = f"{yesterday.month}月{yesterday.day}日"
    if yesterday.year != datetime.now(CHINA).year:  # on New Year's Day: last year's
        today_like = f"{yesterday.year}年{today_like}"
    headers = ["事件类型", "登记时间", "经度", "纬度", "所属社区", "事发地址", "来源渠道"]
    rows = [
        # placed by the community's name, with a point in it
        ["邻里纠纷", "2025-03-01 08:30", "102.91", "24.21", "测试社区", "", "来电"],
        # the same type, place and year, another day
        ["邻里纠纷", "2025-03-02 08:30", "102.91", "24.21", "测试社区", "", "来电"],
        # the category only, placed by the other village's code
        ["矛盾纠纷", "2025-03-02 09:30", "", "", OTHER_VILLAGE, "", "来电"],
        # placed by its point only
        ["燃气安全隐患", "2025-03-02 10:30", "102.96", "24.21", "", "", "来电"],
        # placed at the township: its address says where, without the caller's number
        ["社情民意", "2025-03-02 11:30", "", "", TOWNSHIP, "龙泉路12号（电话13912345678）", "来电"],
        # placed at the township, no address: the township
        ["消费维权", "2025-03-02 12:30", "", "", TOWNSHIP, "", "来电"],
        # this year's day leaves the year out
        ["邻里纠纷", f"{yesterday:%Y-%m-%d} 08:00", "", "", VILLAGE, "", "来电"],
    ]
    _import(db, tmp_path / "an_cases.csv", headers, rows)
    titles = db.scalars(  # this import's (other tests' may be committed)
        text(
            "SELECT c.title FROM cases AS c JOIN import_runs AS r ON r.id = c.import_id"
            " WHERE r.started_at = now() ORDER BY c.reported_at"
        )
    ).all()
    assert titles == [
        "邻里纠纷·测试社区·2025年3月1日",
        "邻里纠纷·测试社区·2025年3月2日",
        "矛盾纠纷·邻村·2025年3月2日",
        "燃气安全隐患·邻村·2025年3月2日",
        "社情民意·龙泉路12号·2025年3月2日",
        "消费维权·宁州街道·2025年3月2日",
        f"邻里纠纷·测试社区·{today_like}",
    ]
    assert not any(find_personal_numbers(t) for t in titles)


def test_a_title_naming_only_the_type_is_given_its_place_and_day(
    db: Session, tmp_path: Path
) -> None:
    """A ledger whose 标题 repeats its type (邻里纠纷) read the same as no title at all."""
    seed_jurisdictions(db)
    noise = "社会治安>邻里纠纷>噪音扰民"
    headers = ["工单编号", "来源渠道", "问题分类", "标题", "诉求内容", "所属社区", "受理时间"]
    rows = [
        ["AN-N5-1", "12345", "邻里纠纷", "邻里纠纷", "", VILLAGE, "2025-03-01 08:30"],
        ["AN-N5-2", "12345", "邻里纠纷", " 邻里纠纷 ", "", OTHER_VILLAGE, "2025-03-01 09:30"],
        # the classification as the file writes it
        ["AN-N5-3", "12345", noise, noise, "", VILLAGE, "2025-03-01 10:30"],
        # a title of its own is kept, a description's (its number left out) taken
        ["AN-N5-4", "12345", "邻里纠纷", "楼上漏水", "", VILLAGE, "2025-03-01 11:30"],
        [
            "AN-N5-5",
            "12345",
            "邻里纠纷",
            "",
            "王女士13912345678反映楼道堆物",
            VILLAGE,
            "2025-03-01 12:30",
        ],
        # only a phone number as its description: type, place and day
        ["AN-N5-6", "12345", "邻里纠纷", "", "13912345678", VILLAGE, "2025-03-01 13:30"],
    ]
    _import(db, tmp_path / "工单.csv", headers, rows)
    titles = dict(
        db.execute(
            text(
                "SELECT external_no, title FROM cases WHERE external_no LIKE 'AN-N5-%'"
                " ORDER BY external_no"
            )
        ).all()
    )
    assert titles == {
        "AN-N5-1": "邻里纠纷·测试社区·2025年3月1日",
        "AN-N5-2": "邻里纠纷·邻村·2025年3月1日",
        "AN-N5-3": "噪音扰民·测试社区·2025年3月1日",
        "AN-N5-4": "楼上漏水",
        "AN-N5-5": "王女士反映楼道堆物",
        "AN-N5-6": "邻里纠纷·测试社区·2025年3月1日",
    }
