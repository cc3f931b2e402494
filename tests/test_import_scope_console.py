"""A console job's import is always for its account's scope (trial AJ S1–S3).

The persons and visits imports look persons up by resident ID inside ``--within`` only
(:mod:`importers.loading`); a console job gets ``--within`` from the account that submitted it,
never from what the upload's options say, and ``--user`` its login (the refusals' audit actor).
"""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

import tests.test_api_imports as console
from api.import_runner import JobFiles, import_arguments
from geo.codes import make_resident_id
from layers.database import apply_scope
from layers.model import ImportJob
from layers.person_lookalikes import ELSEWHERE_ROW, REFUSED_ACTION
from tests.api_fixtures import VILLAGES

SCOPE = "530424101000"


@pytest.mark.parametrize("kind", ["persons", "visits"])
def test_a_job_is_imported_for_its_account_s_scope_whatever_its_options(
    kind: str, tmp_path: Path
) -> None:
    job = ImportJob(
        id=7,
        account_id=3,
        username="dispatcher.530424101",
        scope_code=SCOPE,
        kind=kind,
        file_name="rosterB-real.xlsx",
        options={"dry_run": True, "within": "530424", "user": "admin", "sheet": "--within=53"},
    )
    args = import_arguments(job, JobFiles(tmp_path))
    assert [a for a in args if a.startswith("--within")] == [f"--within={SCOPE}"]
    assert [a for a in args if a.startswith("--user")] == ["--user=dispatcher.530424101"]
    assert args[:2] == ["import", kind] and "--dry-run" in args


served = console.served
"""The console over a world of its own (:func:`tests.test_api_imports.served`)."""


def test_a_township_s_upload_cannot_reach_another_township_s_person(
    served: console.Served,
) -> None:
    """S1 through the console: the dispatcher's real import is refused, and audited as his."""
    resident_id = make_resident_id("460105", date(1991, 5, 27), 300 + secrets.randbelow(199), "M")
    name, other = "界" + secrets.token_hex(3), "王" + secrets.token_hex(3)
    county = f"姓名,身份证号,人员类别,所属社区\n{name},{resident_id},刑满释放人员,{VILLAGES[2]}\n"
    response = console._submit(
        served, "cmd_a_unmask", "县名单.csv", county.encode(), kind="persons", dry_run="false"
    )
    job = console._ended(served, "cmd_a_unmask", response.json()["id"])
    assert job["outcome"] == "done", console._plain(job["output_html"])
    with served.owner.connect() as conn:
        apply_scope(conn, None)
        person_id, area = conn.execute(
            text("SELECT id, area_code FROM persons WHERE name = :n"), {"n": name}
        ).one()
    assert area == VILLAGES[2]  # 460105002001, of the county's other township

    # another category and name: told neither the record's category, nor that the name differs
    roster = f"姓名,身份证号,人员类别,所属社区\n{other},{resident_id},吸毒人员,{VILLAGES[0]}\n"
    for dry_run, outcome in (("true", "dry_rejected"), ("false", "rejected")):
        response = console._submit(
            served, "disp_a1", "rosterB.csv", roster.encode(), kind="persons", dry_run=dry_run
        )
        assert response.status_code == 202, response.text
        job = console._ended(served, "disp_a1", response.json()["id"])
        output = console._plain(job["output_html"])
        assert job["outcome"] == outcome, output
        assert [ELSEWHERE_ROW in reason for reason in job["reasons"]] == [True], job["reasons"]
        told = output + "".join(job["reasons"])
        assert "刑满释放" not in told and "重合" not in told and "姓名与" not in told
        assert resident_id not in told and other not in told and "甲二" not in told
    with served.owner.connect() as conn:
        apply_scope(conn, None)
        now = conn.execute(
            text("SELECT name, area_code FROM persons WHERE id = :id"), {"id": person_id}
        ).one()
        entries = conn.execute(
            text(
                "SELECT actor_name, outcome, detail->>'dry_run' FROM audit_log"
                " WHERE action = :a AND object_type = 'person' AND object_id = :id ORDER BY id"
            ),
            {"a": REFUSED_ACTION, "id": str(person_id)},
        ).all()
    assert tuple(now) == (name, VILLAGES[2])
    username = served.world.users["disp_a1"].username
    assert [tuple(e) for e in entries] == [
        (username, "denied", "true"),
        (username, "denied", "false"),
    ]
