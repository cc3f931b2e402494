"""A 12345 caller's name said in the call is masked in the title and description (trial BA S3).

The importer masked the numbers in 「我叫马丽萍，电话13987654321…」 but left the name, read in clear
by every level, on the wall and in brief.xlsx (which read the stored title), while the reporter
field showed 马**. The same row's 来电人 is now masked wherever its text holds it, at import and
at a live registration that gives the caller's name.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.kinds.cases import CALLER_NAME_NOTE
from layers import cases
from layers.database import apply_scope
from layers.model import Case
from layers.workflow import Actor
from tests.conftest import SuiteDatabase
from tests.import_fixtures import VILLAGE, import_app, seeded_database, write_gbk
from tests.test_import_hotline_department import CHINA, COUNTY, HEADERS, _point

SAID = (
    "我叫马丽萍，电话13987654321，在测试社区建设路8号租房，房东扣押押金3000元不退，请联系我马丽萍"
)


def test_the_callers_name_is_masked_in_the_title_and_description(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    rows = [
        ["YN12345-N0001", "2025-03-03 09:00:00", "马丽萍", "13987654321", SAID, "消费维权"]
        + ["宁州街道测试社区建设路8号", _point(0), "", ""],
        # a caller who gave no name, and one whose text does not hold it: unchanged
        ["YN12345-N0002", "2025-03-03 10:00:00", "王先生", "", "王先生反映路灯不亮", "其他"]
        + ["宁州街道测试社区朝阳路1号", _point(1), "", ""],
    ]
    path = write_gbk(tmp_path, "12345工单_1206补.csv", HEADERS, rows)
    with seeded_database(database, "hotline_caller_names") as (engine, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        args = ["import", "cases", str(path), "--crs", "bd09", "--user", "root"]
        done = CliRunner().invoke(import_app(), args, env=env)
        assert done.exit_code == 0, done.output
        assert CALLER_NAME_NOTE.format(n=1) in done.output.replace("\n", "")
        assert "马丽萍" not in done.output
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            found = {c.external_no: c for c in session.query(Case).all()}
            case = found["YN12345-N0001"]
            assert case.title.startswith("我叫马**，在测试社区建设路8号租房")
            assert case.description is not None
            assert case.description.startswith("我叫马**，电话139****4321")
            assert case.description.endswith("请联系我马**")
            assert "马丽萍" not in case.title + case.description
            assert case.reporter_name == "马丽萍"  # the field itself, masked where shown
            assert found["YN12345-N0002"].title == "王先生反映路灯不亮"
            # a live registration that carries the caller's name masks it the same way
            desk = Actor(None, "县中心热线席", "commander", COUNTY)
            made = cases.register(
                session,
                actor=desk,
                channel="hotline_12345",
                category="dispute",
                title="张建华反映邻居占用楼道",
                description="来电人张建华称邻居长期占用楼道堆放杂物",
                reported_at=datetime(2025, 3, 4, 9, tzinfo=CHINA),
                area_code=VILLAGE,
                reporter_name="张建华",
            )
            assert made.case.title == "张**反映邻居占用楼道"
            assert made.case.description == "来电人张**称邻居长期占用楼道堆放杂物"
            assert made.case.reporter_name == "张建华"
