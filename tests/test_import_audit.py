"""Every import that commits leaves one entry in the tamper-evident audit log (trial S, F3).

``import.loaded``, by the import's user (``--user`` or the OS user), about the import
(``object_type`` ``import``, ``object_id`` its ``import_runs.id``): kind, file name, SHA-256,
rows of the file, rows loaded and rejected, never a row's content. It is written in the
import's transaction, so a refused file or a dry run writes none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.pipeline import ImportOptions, run_import
from layers import audit
from layers.secrets import Keys
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    GRID,
    PERSON_HEADERS,
    box,
    csv_text,
    import_app,
    persons_rows,
    seed_jurisdictions,
    seeded_database,
)

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)


@pytest.fixture
def persons_file(tmp_path: Path) -> Path:
    path = tmp_path / "社区矫正人员名单.csv"
    path.write_bytes(csv_text(PERSON_HEADERS, persons_rows()).encode("gbk"))
    return path


def _entries(db: Session, sha256: str) -> list[Any]:
    """The ``import.loaded`` entries of the file with ``sha256`` (this transaction sees)."""
    return list(
        db.execute(
            text(
                "SELECT id, actor_id, actor_name, object_type, object_id, outcome, reason, detail"
                " FROM audit_log WHERE action = 'import.loaded' AND detail->>'sha256' = :sha"
                " ORDER BY id"
            ),
            {"sha": sha256},
        ).all()
    )


def test_a_persons_import_is_in_the_audit_log_without_its_rows(
    db: Session, persons_file: Path
) -> None:
    seed_jurisdictions(db)
    options = ImportOptions(kind="persons", crs="gcj02", partial=True, user="周静")
    outcome = run_import(db.connection(), persons_file, options, keys=KEYS)
    assert outcome.committed and outcome.import_id is not None
    [entry] = _entries(db, outcome.sha256)
    assert (entry.actor_id, entry.actor_name, entry.outcome, entry.reason) == (
        None,
        "周静",
        "ok",
        None,
    )
    assert (entry.object_type, entry.object_id) == ("import", str(outcome.import_id))
    assert entry.detail == {
        "kind": "persons",
        "file": "社区矫正人员名单.csv",
        "sha256": outcome.sha256,
        "import_id": outcome.import_id,
        "rows_total": 6,
        "rows_loaded": 3,
        "rows_rejected": 3,
    }
    stored = str(entry.detail)
    for row in persons_rows():
        assert row[0] not in stored and row[1] not in stored  # no name, no resident ID
    assert audit.verify_chain(db) is True
    # an entry about one of its persons names the import that wrote it (trial AB)
    person = db.scalar(
        text("SELECT id FROM persons WHERE import_id = :i LIMIT 1"), {"i": outcome.import_id}
    )
    label = audit.person_labels(db, [str(person)])[str(person)]
    assert label.import_id == outcome.import_id and "*" in label.name_masked


def test_a_refused_file_and_a_dry_run_leave_no_entry(db: Session, persons_file: Path) -> None:
    seed_jurisdictions(db)
    refused = run_import(
        db.connection(), persons_file, ImportOptions(kind="persons", crs="gcj02"), keys=KEYS
    )
    assert refused.status == "rejected"
    dry = ImportOptions(kind="persons", crs="gcj02", partial=True, dry_run=True, user="周静")
    tried = run_import(db.connection(), persons_file, dry, keys=KEYS)
    assert tried.status == "dry-run" and not tried.committed
    assert _entries(db, refused.sha256) == []


def test_an_import_of_grids_is_in_the_audit_log_too(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    path = tmp_path / "网格.csv"
    rows = [[GRID, "一网格（改）", box(102.90, 24.20, 102.92, 24.22)]]
    path.write_text(csv_text(["网格编码", "网格名称", "边界WKT"], rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="grids", user="网格办"))
    assert outcome.committed, outcome.problems
    [entry] = _entries(db, outcome.sha256)
    assert entry.actor_name == "网格办" and entry.detail["kind"] == "grids"
    assert entry.detail["rows_loaded"] == 1 and entry.object_id == str(outcome.import_id)


def test_the_command_audits_the_import_as_the_os_user(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    path = tmp_path / "严重精神障碍患者.csv"
    path.write_bytes(csv_text(PERSON_HEADERS, persons_rows()[:2]).encode("gbk"))
    with seeded_database(database, "import_audit_cli") as (engine, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        env |= {"LOGNAME": "zhou.jing", "USER": "zhou.jing"}
        args = ["import", "persons", str(path), "--crs", "gcj02"]
        done = CliRunner().invoke(import_app(), args, env=env)
        assert done.exit_code == 0, done.output
        with Session(engine) as session:
            [entry] = _entries(session, session.scalar(text("SELECT sha256 FROM import_runs")))
            run = session.execute(text("SELECT id, username FROM import_runs")).one()
    assert (entry.actor_name, run.username) == ("zhou.jing", "zhou.jing")
    assert entry.object_id == str(run.id) and entry.detail["file"] == path.name
