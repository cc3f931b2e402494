"""Records of persons who left the register long ago are erased; the audit log stays answerable.

``zongzhi persons erase --left-before DATE [--scope CODE]`` deletes the records of the persons of
the scope who left the register before DATE, with their visits and responsible workers, never a
person on the register; it counts by category and township, never names anyone; each record
is an audit entry. What stays (``erased_persons``) lets the auditor label the entries about the
record and find it by resident ID (who read it), within their scope only. The world is committed
under province 21, which no other test uses, and removed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from geo.codes import make_resident_id
from layers import audit, person_erasure
from layers.cli import app
from layers.cli_session import os_user
from layers.database import apply_scope
from layers.errors import InvalidInput
from layers.model import Person, PersonResponsible, PersonVisit, Worker
from layers.secrets import Keys, hash_resident_id
from tests.conftest import SuiteDatabase

COUNTY = "210102000000"
TOWN_A = "210102001000"
TOWN_B = "210102002000"
VILLAGE_A = "210102001001"
VILLAGE_B = "210102002001"
SCOPE = ("210102", "210103")
TOWN_A_SCOPE = ("210102001", "210102002")
KEYS = Keys(hmac_key=b"\x03" * 32, seal_key=b"\x04" * 32)
CUTOFF = date(2021, 1, 1)
JURISDICTIONS = [
    ("210000000000", "辽宁省", 1, None),
    ("210100000000", "沈阳市", 2, "210000000000"),
    (COUNTY, "和平区", 3, "210100000000"),
    (TOWN_A, "甲街道", 4, COUNTY),
    (TOWN_B, "乙街道", 4, COUNTY),
    (VILLAGE_A, "甲社区", 5, TOWN_A),
    (VILLAGE_B, "乙社区", 5, TOWN_B),
]
SECRET_NAMES = ("秘密甲", "秘密乙", "秘密丙", "秘密丁", "秘密戊", "秘密己")
"""Names of the persons: never printed."""


def _purge(session: Session) -> None:
    for table in ("persons", "erased_persons", "workers"):
        session.execute(text(f"DELETE FROM {table} WHERE area_code >= '21' AND area_code < '22'"))
    session.execute(text("DELETE FROM jurisdictions WHERE code >= '21' AND code < '22'"))


@pytest.fixture(scope="module")
def world(database: SuiteDatabase) -> Iterator[None]:
    """Province 21 down to two townships with a village each, committed."""
    with Session(database.owner) as owner, owner.begin():
        apply_scope(owner, None)
        _purge(owner)
        owner.execute(
            text(
                "INSERT INTO jurisdictions (code, name, level, parent_code) VALUES (:c, :n, :l, :p)"
            ),
            [{"c": c, "n": n, "l": lev, "p": p} for c, n, lev, p in JURISDICTIONS],
        )
    yield
    with Session(database.owner) as owner, owner.begin():
        apply_scope(owner, None)
        _purge(owner)


def resident_id(n: int) -> str:
    """A valid resident ID of a person born in the county."""
    return make_resident_id("210102", date(1970, 1, 1) + timedelta(days=n), n, "M")


def _person(session: Session, n: int, village: str, ended_on: date | None) -> int:
    """Add person ``n`` (a 刑满释放人员 of ``village``), with a visit and a responsible worker."""
    person = Person(
        category="released",
        name=SECRET_NAMES[n],
        id_hash=hash_resident_id(KEYS, resident_id(n)),
        id_masked="2101**********" + resident_id(n)[-4:],
        id_sealed=b"sealed",
        area_code=village,
        ended_on=ended_on,
        ended_reason=None if ended_on is None else "死亡",
        attributes={},
    )
    worker = Worker(name=f"帮扶人{n}", area_code=village, status="on_duty")
    session.add_all([person, worker])
    session.flush()
    session.add_all(
        [
            PersonVisit(person_id=person.id, area_code=village, visited_on=date(2019, 5, 1)),
            PersonResponsible(person_id=person.id, worker_id=worker.id, area_code=village),
        ]
    )
    session.flush()
    return person.id


@pytest.fixture
def people(world: None, db: Session) -> dict[str, int]:
    """On the register; left in 2019 (A), 2020 (B), on the cut-off day (A), 2024 (A), 2018 (B)."""
    return {
        "followed": _person(db, 0, VILLAGE_A, None),
        "left_2019": _person(db, 1, VILLAGE_A, date(2019, 6, 30)),
        "left_2020": _person(db, 2, VILLAGE_B, date(2020, 12, 31)),
        "left_2024": _person(db, 3, VILLAGE_A, date(2024, 3, 1)),
        "left_2018": _person(db, 4, VILLAGE_B, date(2018, 1, 2)),
        "left_on_the_day": _person(db, 5, VILLAGE_A, CUTOFF),
    }


def _left(db: Session, ids: list[int]) -> set[int]:
    """Which of ``ids`` are still persons."""
    rows = db.execute(text("SELECT id FROM persons WHERE id = ANY(:ids)"), {"ids": ids})
    return set(rows.scalars())


def test_erase_deletes_records_left_before_the_day_with_their_visits(
    db: Session, people: dict[str, int]
) -> None:
    counted = person_erasure.erasable(db, CUTOFF, SCOPE)
    assert counted.total == 3
    assert counted.by_category == {"released": 3}
    assert counted.by_township == {"甲街道": 1, "乙街道": 2}
    assert _left(db, list(people.values())) == set(people.values()), "a count erases nothing"

    done = person_erasure.erase(db, CUTOFF, SCOPE, actor_name="admin-os")

    assert done == counted
    erased = [people["left_2019"], people["left_2020"], people["left_2018"]]
    assert _left(db, list(people.values())) == {
        people["followed"],
        people["left_2024"],
        people["left_on_the_day"],
    }
    for table in ("person_visits", "person_responsibles"):
        left = db.execute(
            text(f"SELECT count(*) FROM {table} WHERE person_id = ANY(:ids)"), {"ids": erased}
        ).scalar_one()
        assert left == 0, table
    traces = db.execute(
        text(
            "SELECT id, category, name_masked, id_hash, area_code, ended_on FROM erased_persons"
            " WHERE id = ANY(:ids) ORDER BY id"
        ),
        {"ids": erased},
    ).all()
    assert [tuple(t) for t in traces] == [
        (people[k], "released", "秘**", hash_resident_id(KEYS, resident_id(n)), village, day)
        for k, n, village, day in (
            ("left_2019", 1, VILLAGE_A, date(2019, 6, 30)),
            ("left_2020", 2, VILLAGE_B, date(2020, 12, 31)),
            ("left_2018", 4, VILLAGE_B, date(2018, 1, 2)),
        )
    ]
    columns = set(
        db.execute(
            text(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'erased_persons'"
            )
        ).scalars()
    )
    assert columns.isdisjoint({"name", "id_sealed", "address", "residence", "attributes"})
    entries = {
        e.object_id: e
        for e in audit.entries(db, action=person_erasure.ACTION, actor_name="admin-os").entries
    }
    assert set(entries) == {str(i) for i in erased}
    assert all(e.object_type == "person" for e in entries.values())
    assert all(e.detail == {"left_before": "2021-01-01"} for e in entries.values())
    assert audit.verify_chain(db) is True


def test_a_person_on_the_register_is_never_erased_and_a_later_day_is_refused(
    db: Session, people: dict[str, int]
) -> None:
    today = db.execute(text("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date")).scalar_one()
    done = person_erasure.erase(db, today, TOWN_A_SCOPE, actor_name="admin-os")
    assert done.total == 3  # 2019, 2021-01-01 and 2024, all of 甲街道
    assert _left(db, list(people.values())) == {
        people["followed"],
        people["left_2020"],
        people["left_2018"],
    }, "the scope is kept to: 乙街道's records stay"
    with pytest.raises(InvalidInput, match="晚于今天"):
        person_erasure.erase(db, today + timedelta(days=1), SCOPE, actor_name="admin-os")
    assert person_erasure.erase(db, CUTOFF, TOWN_A_SCOPE, actor_name="admin-os").total == 0


def test_the_auditor_labels_and_finds_an_erased_record_within_scope_only(
    db: Session, people: dict[str, int]
) -> None:
    erased, kept = people["left_2019"], people["followed"]
    person_erasure.erase(db, CUTOFF, SCOPE, actor_name="admin-os")

    labels = audit.person_labels(db, [str(erased), str(kept)])
    assert labels[str(erased)] == audit.PersonLabel("秘**", "released", "刑满释放人员", True)
    assert labels[str(kept)] == audit.PersonLabel("秘**", "released", "刑满释放人员", False)
    found = audit.persons_of_resident_id(db, KEYS, resident_id(1), actor_id=0, actor_name="auditor")
    assert [(p.id, p.label.erased) for p in found] == [(str(erased), True)]

    # the app role reads the traces of its scope only, and may not write them
    db.execute(text("SET LOCAL ROLE zongzhi_app"))
    apply_scope(db, TOWN_B)
    visible = db.execute(
        text("SELECT id FROM erased_persons WHERE id = ANY(:ids)"),
        {"ids": [people["left_2019"], people["left_2020"], people["left_2018"]]},
    ).scalars()
    assert set(visible) == {people["left_2020"], people["left_2018"]}
    assert str(erased) not in audit.person_labels(db, [str(erased)])
    with pytest.raises(ProgrammingError, match="permission denied"), db.begin_nested():
        db.execute(text("DELETE FROM erased_persons WHERE id = :id"), {"id": people["left_2020"]})


# --- the command ---------------------------------------------------------------------------------


@pytest.fixture
def committed(world: None, database: SuiteDatabase) -> Iterator[dict[str, int]]:
    """The same persons, committed (the command runs in its own connection); removed after."""
    with Session(database.owner) as owner, owner.begin():
        apply_scope(owner, None)
        ids = {
            "followed": _person(owner, 0, VILLAGE_A, None),
            "left_2019": _person(owner, 1, VILLAGE_A, date(2019, 6, 30)),
            "left_2020": _person(owner, 2, VILLAGE_B, date(2020, 12, 31)),
            "left_2024": _person(owner, 3, VILLAGE_A, date(2024, 3, 1)),
        }
    yield ids
    with Session(database.owner) as owner, owner.begin():
        apply_scope(owner, None)
        for table in ("persons", "erased_persons", "workers"):
            owner.execute(text(f"DELETE FROM {table} WHERE area_code >= '21' AND area_code < '22'"))


@pytest.fixture
def env(database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a command run against the suite's database."""
    return {
        "ZONGZHI_HOME": str(tmp_path_factory.mktemp("erase-home")),
        "ZONGZHI_DATABASE_URL": database.urls.owner,
        "ZONGZHI_APP_DATABASE_URL": database.urls.app,
        "COLUMNS": "100",
    }


def _erase(env: dict[str, str], *args: str, answer: str | None = None) -> Result:
    result = CliRunner().invoke(app, ["persons", "erase", *args], env=env, input=answer)
    assert not any(name in result.output for name in SECRET_NAMES), result.output
    return result


def _still_there(database: SuiteDatabase, ids: dict[str, int]) -> set[str]:
    with Session(database.owner) as owner:
        apply_scope(owner, None)
        found = set(
            owner.execute(
                text("SELECT id FROM persons WHERE id = ANY(:ids)"), {"ids": list(ids.values())}
            ).scalars()
        )
    return {key for key, pid in ids.items() if pid in found}


def test_the_command_counts_asks_and_erases_naming_nobody(
    committed: dict[str, int], database: SuiteDatabase, env: dict[str, str]
) -> None:
    dry = _erase(env, "--left-before", "2021-01-01", "--scope", "210102", "--dry-run")
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert lines[0] == "和平区（210102000000）在 2021-01-01 之前离册的人员记录：2 条"
    assert "按类别：刑满释放人员 2" in lines[1]
    assert "按乡镇（街道）：乙街道 1、甲街道 1" in lines[2]
    assert "试运行：未删除任何记录" in dry.output
    assert _still_there(database, committed) == set(committed)

    refused = _erase(env, "--left-before", "2021-01-01", "--scope", "210102", answer="n\n")
    assert refused.exit_code == 1
    assert "已取消，未删除任何记录" in refused.output
    assert _still_there(database, committed) == set(committed)

    done = _erase(env, "--left-before", "2021-01-01", "--scope", "210102", "--yes")
    assert done.exit_code == 0, done.output
    assert "已删除 2 条人员记录及其走访记录" in done.output
    assert _still_there(database, committed) == {"followed", "left_2024"}
    with Session(database.owner) as owner:
        apply_scope(owner, None)
        actors = owner.execute(
            text(
                "SELECT DISTINCT actor_name FROM audit_log WHERE action = 'person.erase'"
                " AND object_id = ANY(:ids)"
            ),
            {"ids": [str(committed["left_2019"]), str(committed["left_2020"])]},
        ).scalars()
        assert list(actors) == [os_user()]

    again = _erase(env, "--left-before", "2021-01-01", "--scope", "210102", "--yes")
    assert again.exit_code == 0, again.output
    assert "没有" in again.output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--left-before", "2021/1/1"], "日期应写作 年-月-日"),
        (["--left-before", "2999-01-01"], "晚于今天"),
        (["--left-before", "2021-01-01", "--scope", "2101029"], "区划代码"),
        (["--left-before", "2021-01-01", "--scope", "210199"], "辖区 210199000000 不存在"),
    ],
)
def test_the_command_refuses_a_bad_day_or_scope_erasing_nothing(
    committed: dict[str, int],
    database: SuiteDatabase,
    env: dict[str, str],
    args: list[str],
    said: str,
) -> None:
    result = _erase(env, *args, "--yes")
    assert result.exit_code == 1, result.output
    assert said in result.output
    assert _still_there(database, committed) == set(committed)
