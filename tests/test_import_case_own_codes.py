"""A file that names cases by the platform's own codes (一案一码) adds none again (A9).

A clerk exports the platform's cases, or a ledger copies the 案件编号 the platform gave, edits a
few cells and imports the file: its number column holds each case's ``cases.code``. Such a row
is the case on record. It is never added again and changes nothing: the platform is the source
of truth for a case handled in it, and the summary says so (``layers.case_import``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers import cases
from layers.bulk import UpsertCounts
from layers.workflow import Actor
from tests.import_fixtures import VILLAGE, csv_text, seed_jurisdictions

HEADERS = ["案件编号", "来源渠道", "事件类型", "标题", "所属社区", "登记时间"]
AT = "2026-04-01 09:00"
COMMANDER = Actor(user_id=None, name="指挥员", role="commander", scope_code="530424000000")


def _import(db: Session, path: Path, rows: list[list[str]], **options: object) -> ImportOutcome:
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind="cases", **options))  # type: ignore[arg-type]


def _row(number: str, title: str, channel: str = "12345", category: str = "邻里纠纷") -> list[str]:
    return [number, channel, category, title, VILLAGE, AT]


def _seed(db: Session, tmp_path: Path) -> tuple[str, str]:
    """Seed a console case and an imported one (工单 A9-GD-1); return their platform codes."""
    seed_jurisdictions(db)
    registered = cases.register(
        db,
        actor=COMMANDER,
        channel="walk_in",
        category="dispute",
        title="来访反映邻里纠纷",
        reported_at=datetime(2026, 3, 30, 10, tzinfo=ZoneInfo("Asia/Shanghai")),
        area_code=VILLAGE,
    ).case
    db.flush()
    first = _import(db, tmp_path / "12345工单.csv", [_row("A9-GD-1", "噪音扰民")])
    assert first.committed, first.problems
    imported = db.execute(
        text("SELECT code FROM cases WHERE channel = 'hotline_12345' AND external_no = 'A9-GD-1'")
    ).scalar_one()
    return registered.code, str(imported)


def _cases_numbered(db: Session, numbers: list[str]) -> dict[str, str]:
    """Return source number → title of the cases with these source numbers."""
    rows = db.execute(
        text("SELECT external_no, title FROM cases WHERE external_no = ANY(:n)"), {"n": numbers}
    ).all()
    return {str(n): str(t) for n, t in rows}


def _titles(db: Session, codes: list[str]) -> dict[str, str]:
    rows = db.execute(
        text("SELECT code, title FROM cases WHERE code = ANY(:c)"), {"c": codes}
    ).all()
    return {str(c): str(t) for c, t in rows}


def _platform_note(outcome: ImportOutcome) -> list[str]:
    return [n for n in outcome.notes if n.startswith("平台已有案件")]


def test_rows_named_by_platform_codes_are_the_cases_on_record_and_change_nothing(
    db: Session, tmp_path: Path
) -> None:
    registered, imported = _seed(db, tmp_path)
    assert registered.startswith("530424-20260330-") and imported.startswith("530424-20260401-")
    # a case imported before imported cases took the registered cases' shape of code
    assert _import(db, tmp_path / "旧工单.csv", [_row("A9-GD-0", "旧的工单")]).committed
    legacy = "IM" + VILLAGE + "0123456789abcdef01"
    db.execute(text("UPDATE cases SET code = :c WHERE external_no = 'A9-GD-0'"), {"c": legacy})
    codes = [registered, imported, legacy]
    before = _titles(db, codes)
    exported = [
        _row(registered, "改过的标题", channel="来访"),
        _row(imported, "改过的标题"),
        _row(legacy, "改过的标题"),
        _row("A9-GD-1", "噪音扰民"),  # its source number: the imported case, as before
        _row("A9-GD-2", "新的工单"),
    ]
    path = tmp_path / "平台案件导出.csv"
    outcome = _import(db, path, exported)
    assert outcome.status == "loaded", outcome.problems
    assert outcome.counts == UpsertCounts(inserted=1, updated=0, unchanged=4)
    assert _platform_note(outcome) == [
        "平台已有案件 3 件（按案件编号，第 2、3、4 行），未重复导入；"
        "这些案件以平台为准，文件中对它们的改动未导入（请在平台中修改）"
    ]
    assert _cases_numbered(db, codes) == {}  # no duplicate
    assert _titles(db, codes) == before  # the edits change nothing
    assert _cases_numbered(db, ["A9-GD-2"]) == {"A9-GD-2": "新的工单"}

    again = _import(db, path, exported)
    assert again.committed and again.counts == UpsertCounts(inserted=0, updated=0, unchanged=5)
    assert len(_platform_note(again)) == 1
    assert _cases_numbered(db, codes) == {}


def test_a_dry_run_and_a_partial_import_say_the_same(db: Session, tmp_path: Path) -> None:
    registered, imported = _seed(db, tmp_path)
    rows = [
        _row(registered, "改过的标题", channel="来访"),
        _row("A9-GD-3", "新的工单"),
        _row(imported, "改过的标题", category="不存在的类型"),  # refused for its own cells
    ]
    path = tmp_path / "平台案件导出.csv"
    dry = _import(db, path, rows, dry_run=True)
    assert dry.status == "rejected" and [p.row for p in dry.problems] == [4]
    assert dry.valid_counts == UpsertCounts(inserted=1, updated=0, unchanged=1)
    note = "平台已有案件 1 件（按案件编号，第 2 行），未重复导入"
    assert [n.split("；")[0] for n in _platform_note(dry)] == [note]
    assert _cases_numbered(db, ["A9-GD-3", registered]) == {}  # a dry run writes nothing

    partial = _import(db, path, rows, partial=True)
    assert partial.status == "partial"
    assert partial.counts == UpsertCounts(inserted=1, updated=0, unchanged=1)
    assert [n.split("；")[0] for n in _platform_note(partial)] == [note]
    assert _cases_numbered(db, ["A9-GD-3", registered]) == {"A9-GD-3": "新的工单"}


def test_a_number_an_imported_case_has_names_that_case_even_when_it_is_a_platform_code(
    db: Session, tmp_path: Path
) -> None:
    """A duplicate the importer made before (its source number a platform code) stays found."""
    registered, _ = _seed(db, tmp_path)
    db.execute(
        text(
            "INSERT INTO cases (code, channel, external_no, category, title, risk_level,"
            " area_code, state, handling_level, reported_at) VALUES ('IMA9DUPLICATE', "
            " 'hotline_12345', :n, 'dispute', '旧的副本', 1, :v, 'registered', 4, now())"
        ),
        {"n": registered, "v": VILLAGE},
    )
    outcome = _import(db, tmp_path / "更正.csv", [_row(registered, "更正后的副本")])
    assert outcome.status == "loaded", outcome.problems
    assert outcome.counts == UpsertCounts(inserted=0, updated=1, unchanged=0)
    assert not _platform_note(outcome)
    assert _titles(db, ["IMA9DUPLICATE", registered]) == {
        "IMA9DUPLICATE": "更正后的副本",
        registered: "来访反映邻里纠纷",
    }
