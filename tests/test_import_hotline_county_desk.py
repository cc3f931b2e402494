"""A 12345 file can land in the county's 待派单, and a county department's orders do (trial BA M1).

All 63 imported orders went to the townships' 待派单 (the handling level came from the point),
so the county hotline desk never saw them to 按属地交办 or to dispatch to the 承办单位, and the
township had to dispatch 县人社局's orders. By default an order whose 承办单位 is a county
department now stays at the county; with ``--hold-at-county`` every order of the file does.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.import_runner import JobFiles, import_arguments
from api.routers.imports import FLAGS
from layers.case_import import COUNTY_HELD_NOTE
from layers.database import apply_scope
from layers.model import Case, ImportJob
from tests.conftest import SuiteDatabase
from tests.import_fixtures import import_app, seeded_database, write_gbk
from tests.test_import_hotline_department import HEADERS, _point

DRAIN = "邻居排水沟堵塞污水流到我家院子"


def _row(n: int, department: str) -> list[str]:
    called = f"2025-03-0{n} 09:00:00"
    first = [f"YN12345-H000{n}", called, "", "", DRAIN, "邻里纠纷", "宁州街道测试社区"]
    return [*first, _point(n), department, ""]


def test_county_departments_orders_and_a_held_file_stay_at_the_county(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    first = write_gbk(
        tmp_path,
        "12345工单_a.csv",
        HEADERS,
        [_row(1, "县人社局"), _row(2, "宁州街道办事处"), _row(3, "")],
    )
    held = write_gbk(tmp_path, "12345工单_b.csv", HEADERS, [_row(4, ""), _row(5, "宁州街道")])
    with seeded_database(database, "hotline_county_desk") as (engine, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        runner = CliRunner()

        def imported(path: Path, *more: str) -> str:
            args = ["import", "cases", str(path), "--crs", "bd09", "--user", "root", *more]
            done = runner.invoke(import_app(), args, env=env)
            assert done.exit_code == 0, done.output
            return done.output.replace("\n", "")

        said = imported(first)
        assert COUNTY_HELD_NOTE.format(n=1, why="承办单位为县级部门") in said
        said = imported(held, "--hold-at-county")
        assert COUNTY_HELD_NOTE.format(n=2, why="导入时选择了留在县级待派单") in said
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            levels = {c.external_no: c.handling_level for c in session.query(Case).all()}
        assert levels == {
            "YN12345-H0001": 3,  # 县人社局: the county dispatches it
            "YN12345-H0002": 4,
            "YN12345-H0003": 4,
            "YN12345-H0004": 3,
            "YN12345-H0005": 3,
        }
        refused = runner.invoke(
            import_app(), ["import", "grids", str(held), "--hold-at-county"], env=env
        )
        assert refused.exit_code == 2 and "--hold-at-county 只用于案件" in refused.output
    # the console's box (留在县级待派单) is a flag of the job, run as --hold-at-county
    assert FLAGS["hold_at_county"] == "留在县级待派单"
    job = ImportJob(
        id=7,
        account_id=3,
        username="commander.county",
        scope_code="530424000000",
        kind="cases",
        file_name="12345工单.xlsx",
        options={"hold_at_county": True},
    )
    assert "--hold-at-county" in import_arguments(job, JobFiles(tmp_path))
