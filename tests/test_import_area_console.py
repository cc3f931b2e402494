"""The console's import has a 导入范围 (``--within``) and confirms a large --complete (trial AR).

S1, M1: an administrator whose scope is the province had no way to say that a file was one
village's: 文件是本辖区的全部 withdrew 691 of the county's 695 grids, and rows outside the county
were taken. The form now sends ``within``, a unit of the account's scope chosen by name
(``/api/imports/areas``), passed to the command as ``--within``: rows outside it are refused,
and ``--complete`` ends only what lies in it. A ``--complete`` that would end half of the
range's grids waits for ``again``; the job says what it would end (``held_ends``).
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import text

import tests.test_api_imports as console
from layers.database import apply_scope
from tests.api_fixtures import (
    COUNTY_A,
    COUNTY_B,
    GRIDS_PER_VILLAGE,
    TOWN_A1,
    TOWN_A2,
    VILLAGES,
    grid_box,
)
from tests.import_fixtures import box

served = console.served
"""The console over a world of its own (:func:`tests.test_api_imports.served`)."""


def _areas(served: console.Served, user: str, parent: str | None = None) -> tuple[int, object]:
    params = {"parent": parent} if parent else {}
    response = served.client.get("/api/imports/areas", headers=served.headers(user), params=params)
    return response.status_code, response.json()


def test_the_area_is_chosen_by_name_inside_the_scope(served: console.Served) -> None:
    status, body = _areas(served, "cmd_a")
    assert status == 200 and isinstance(body, dict)
    assert body["unit"] == {
        "code": COUNTY_A,
        "name": "甲区",
        "level": 3,
        "label": f"甲区（{COUNTY_A}）",
    }
    assert [(c["code"], c["name"]) for c in body["children"]] == [
        (TOWN_A1, "甲一街道"),
        (TOWN_A2, "甲二镇"),
    ]
    status, body = _areas(served, "cmd_a", TOWN_A1[:9])  # a township by its 9 digits
    assert status == 200 and isinstance(body, dict)
    assert [c["code"] for c in body["children"]] == list(VILLAGES[:2])
    status, body = _areas(served, "cmd_a", VILLAGES[0])
    assert status == 200 and isinstance(body, dict) and body["children"] == []
    assert _areas(served, "cmd_a", COUNTY_B)[0] == 403  # another county
    assert _areas(served, "disp_a1", COUNTY_A)[0] == 403  # above the township's scope
    assert _areas(served, "cmd_a", "4601059")[0] == 400


def test_rows_outside_the_chosen_area_are_refused_and_the_area_is_said(
    served: console.Served,
) -> None:
    tag = console._tag()
    content = console._cases_csv(tag, [0, 2])  # 甲一街道's village, and 甲二镇's
    whole = console._submit(served, "cmd_a", "工单.csv", content, dry_run="true")
    assert whole.status_code == 202, whole.text
    job = console._ended(served, "cmd_a", whole.json()["id"])
    assert job["outcome"] == "dry_ok" and job["options"]["within"] == COUNTY_A
    assert job["options"]["within_label"] == f"甲区（{COUNTY_A}）"
    chosen = console._submit(
        served, "cmd_a", "工单.csv", content, dry_run="true", within=TOWN_A1[:9]
    )
    assert chosen.status_code == 202, chosen.text
    job = console._ended(served, "cmd_a", chosen.json()["id"])
    assert job["options"]["within"] == TOWN_A1
    assert job["options"]["within_label"] == f"甲一街道（{TOWN_A1}）"
    assert job["outcome"] == "dry_rejected" and job["counts"]["rejected"] == 1
    assert "甲一街道" in console._plain(job["output_html"])
    # run again: the area comes along unless another is chosen
    again = served.client.post(
        f"/api/imports/{job['id']}/run", headers=served.headers("cmd_a"), json={"dry_run": True}
    )
    assert again.status_code == 202, again.text
    assert again.json()["options"]["within"] == TOWN_A1
    # what it would print is the run above's: cancelled, its child is not left to run it through
    cancel = served.client.post(
        f"/api/imports/{again.json()['id']}/cancel", headers=served.headers("cmd_a")
    )
    assert cancel.status_code == 200, cancel.text
    console._ended(served, "cmd_a", again.json()["id"])
    outside = console._submit(served, "disp_a1", "工单.csv", content, within=COUNTY_A)
    assert outside.status_code == 403, outside.text


def _grids_csv(village: int, serials: list[int]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["网格编码", "网格名称", "所属社区", "边界"])
    for s in serials:
        code = f"{VILLAGES[village]}{s + 1:03d}"
        writer.writerow(
            [
                code,
                f"测试村{village + 1}第{s + 1}网格",
                VILLAGES[village],
                box(*grid_box(village, s)),
            ]
        )
    return buffer.getvalue().encode("gbk")


def _grids_in_use(served: console.Served, village: int) -> int:
    with served.owner.connect() as conn:
        apply_scope(conn, None)
        return int(
            conn.execute(
                text("SELECT count(*) FROM grids WHERE area_code = :v AND retired_on IS NULL"),
                {"v": VILLAGES[village]},
            ).scalar_one()
        )


def test_one_grid_as_the_whole_village_waits_for_a_second_confirmation(
    served: console.Served,
) -> None:
    """The trial's case, at a village's scale: the page is told the number to confirm."""
    village = 1
    content = _grids_csv(village, [0])
    response = console._submit(
        served, "admin", "一个网格.csv", content, kind="grids", dry_run="true",
        complete="true", within=VILLAGES[village],
    )  # fmt: skip
    assert response.status_code == 202, response.text
    dry = console._ended(served, "admin", response.json()["id"])
    share = f"将撤销网格 {GRIDS_PER_VILLAGE - 1} 个（占本范围 {GRIDS_PER_VILLAGE} 个的 88%）"
    assert dry["outcome"] == "dry_held" and dry["held_ends"] == [share], dry
    assert share in console._plain(dry["output_html"])
    # 正式导入 without the second confirmation: the rows load, no grid is withdrawn
    real = served.client.post(
        f"/api/imports/{dry['id']}/run", headers=served.headers("admin"),
        json={"complete": True, "within": VILLAGES[village]},
    )  # fmt: skip
    assert real.status_code == 202, real.text
    held = console._ended(served, "admin", real.json()["id"])
    assert held["held_ends"] == [share] and held["counts"]["ended"] == 0
    assert _grids_in_use(served, village) == GRIDS_PER_VILLAGE
    # confirmed (again): withdrawn within the area chosen, not the province's
    response = console._submit(
        served, "admin", "一个网格.csv", content, kind="grids", dry_run="false",
        complete="true", again="true", within=VILLAGES[village],
    )  # fmt: skip
    done = console._ended(served, "admin", response.json()["id"])
    assert done["outcome"] == "done" and done["held_ends"] == []
    assert done["counts"]["ended"] == GRIDS_PER_VILLAGE - 1
    assert _grids_in_use(served, village) == 1
    assert _grids_in_use(served, 0) == GRIDS_PER_VILLAGE  # the other villages keep theirs
