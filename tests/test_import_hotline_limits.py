"""A later 12345 file that changes an order's 办理时限 moves the case's 办结时限 (trial AX S4).

The first export's 办理时限 became the case's deadline; the platform's next export, with the
limit extended (or a limit where there was none), changed nothing on record: the case kept the
first one. Now an open case takes the new limit, whether handled here or not, unless someone
here approved a 办结时限 by hand (批准延期); a closed case keeps its own; and the summary counts
them. A later file without the column keeps the limit the source gave.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from layers import cases, deadlines
from layers.case_import import MovedDeadlines
from layers.database import apply_scope
from layers.model import Case, CaseEvent
from layers.workflow import Actor
from tests.conftest import SuiteDatabase
from tests.import_fixtures import import_app, seeded_database, write_gbk
from tests.test_import_hotline_department import CHINA, COUNTY, HEADERS, _rows

WHEN = "{:%Y-%m-%d %H:%M}"


def _limits(rows: list[list[str]], limits: dict[str, str]) -> list[list[str]]:
    """The rows with the 办理时限 of some orders changed."""
    return [[*row[:-1], limits.get(row[0], row[-1])] for row in rows]


def _deadlines(engine: object) -> dict[str, datetime]:
    with Session(engine) as session, session.begin():  # type: ignore[call-overload]
        apply_scope(session, None)
        return {
            str(c.external_no): c.deadline.astimezone(CHINA)
            for c in session.query(Case).all()
            if c.deadline is not None
        }


def test_a_changed_time_limit_moves_the_open_cases_deadline_unless_approved_by_hand(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    first = write_gbk(tmp_path, "12345工单_0303.csv", HEADERS, _rows())
    with seeded_database(database, "hotline_limits") as (engine, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        runner = CliRunner()

        def imported(path: Path) -> str:
            args = ["import", "cases", str(path), "--crs", "bd09", "--user", "root"]
            done = runner.invoke(import_app(), args, env=env)
            assert done.exit_code == 0, done.output
            return done.output.replace("\n", "")

        imported(first)
        before = _deadlines(engine)
        hand = datetime(2025, 3, 21, 18, tzinfo=CHINA)
        commander = Actor(None, "县指挥中心", "commander", COUNTY)
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            found = {c.external_no: c for c in session.query(Case).all()}
            # T0001 is handled here (分流): still open, it takes a new limit all the same
            cases.act(
                session,
                found["YN12345-T0001"].id,
                "triage",
                actor=commander,
                now=datetime.now(CHINA),
            )
            # T0002 is closed; T0004's 办结时限 was approved by hand (批准延期)
            session.execute(
                text("UPDATE cases SET state = 'archived', closed_at = now() WHERE id = :id"),
                {"id": found["YN12345-T0002"].id},
            )
            extended = found["YN12345-T0004"]
            session.add(
                CaseEvent(
                    case_id=extended.id,
                    area_code=extended.area_code,
                    actor_name="县指挥中心",
                    action="extension_approve",
                    from_state=extended.state,
                    to_state=extended.state,
                    note="同意延期",
                    payload={"deadline": hand.isoformat()},
                )
            )
            extended.deadline = hand
            extended_id = extended.id
        changed = {
            "YN12345-T0001": "10个工作日",  # 2025-03-03 09:00 → 2025-03-17 09:00
            "YN12345-T0002": "2025-03-12",
            "YN12345-T0003": "2025-03-20",  # no limit before
            "YN12345-T0004": "7天",
        }
        later = write_gbk(tmp_path, "12345工单_0310.csv", HEADERS, _limits(_rows(), changed))
        said = imported(later)
        assert MovedDeadlines([2, 4], [5]).notes()[0] in said
        assert MovedDeadlines([], [5]).notes()[0] in said
        now = _deadlines(engine)
        assert now["YN12345-T0001"] == datetime(2025, 3, 17, 9, tzinfo=CHINA)
        assert now["YN12345-T0003"] == datetime(2025, 3, 20, 23, 59, 59, tzinfo=CHINA)
        assert now["YN12345-T0002"] == before["YN12345-T0002"]  # closed: its own
        assert now["YN12345-T0004"] == hand  # approved by hand: it stands
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            case = session.query(Case).filter_by(external_no="YN12345-T0001").one()
            event = session.query(CaseEvent).filter_by(case_id=case.id).order_by(CaseEvent.id)
            last = event.all()[-1]
            assert (last.action, last.actor_name) == ("import", "root")
            assert last.note == "来源系统的办理时限改为 2025-03-17 09:00"
            # the timeline says the time it replaced and why (trial BA M4)
            moved = [c for c in last.payload["deadline_changes"] if c["limit"] == "deadline"]
            assert len(moved) == 1 and moved[0]["from"] is not None
            assert deadlines.said(moved).endswith("→ 2025-03-17 09:00（来源系统的办理时限有变）")
            # sent to 县人社局 past its 联系时限: the platform's contact, none due (trial BA m6)
            assert case.contact_deadline is None
            # 分流 keeps the limit the source gave last, not the first one
            untouched = session.query(Case).filter_by(external_no="YN12345-T0003").one()
            cases.act(session, untouched.id, "triage", actor=commander, now=datetime.now(CHINA))
            assert untouched.deadline.astimezone(CHINA) == now["YN12345-T0003"]
            kept = session.query(CaseEvent).filter_by(case_id=extended_id)
            assert kept.order_by(CaseEvent.id).all()[-1].note == (
                "来源系统的办理时限改为 2025-03-14 16:00，本平台已批准延期，办结时限不变"
            )
            events = session.query(CaseEvent).count()
        # the same file again changes nothing
        again = imported(later)
        assert "按文件的办理时限更新" not in again and "批准延期" not in again
        assert _deadlines(engine) == now
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            assert session.query(CaseEvent).count() == events


def test_a_later_file_without_the_column_keeps_the_limit_the_source_gave(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    first = write_gbk(tmp_path, "12345工单_0303.csv", HEADERS, _rows())
    with seeded_database(database, "hotline_limits_kept") as (engine, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        args = ["import", "cases", str(first), "--crs", "bd09", "--user", "root"]
        assert CliRunner().invoke(import_app(), args, env=env).exit_code == 0
        before = _deadlines(engine)
        # the next export has no 承办单位 nor 办理时限, and corrects each order's text
        plain = [[*row[:4], row[4] + "（补充）", *row[5:8]] for row in _rows()]
        later = write_gbk(tmp_path, "12345工单_0304.csv", HEADERS[:8], plain)
        args[2] = str(later)
        done = CliRunner().invoke(import_app(), args, env=env)
        assert done.exit_code == 0, done.output
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            notes = session.query(CaseEvent.note).filter(CaseEvent.note.like("按来源系统%"))
            assert [n for (n,) in notes] == ["按来源系统的新数据更新"] * 4  # corrected
        assert _deadlines(engine) == before
