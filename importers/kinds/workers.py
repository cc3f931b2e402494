"""Files of grid workers (网格员) and their rosters."""

from __future__ import annotations

from importers.kinds.base import (
    GRID_NAME,
    Context,
    Kind,
    Part,
    area_from,
    grid_from,
    staged_points,
    staging_rows,
    unsaid_columns,
)
from importers.rules import RowChecks
from importers.values import (
    PHONE_RULE,
    invalid_phones,
    phone_numbers,
)
from layers.model import (
    Base,
    WorkerRole,
    WorkerStatus,
)
from layers.worker_identity import WORKER_ROSTER


def _prepare_workers(checks: RowChecks, context: Context) -> list[Part]:
    checks.code("external_id", str)  # a 工号 Excel kept as 5.30424E+11 names nobody
    external = checks.text("external_id")
    phone = phone_numbers(checks.text("phone"))
    checks.fail("phone", invalid_phones(phone), PHONE_RULE)  # dispatch would call it
    checks.fail(
        "external_id",
        external.isna() & phone.isna(),
        "工号和手机号至少填一个（重新导入时按工号、姓名加手机号或姓名加所属网格识别同一人）",
    )
    home, home_names = grid_from(checks, "home_grid")
    area, places = area_from(checks, home.str[:12])
    role = checks.choice("role", WorkerRole, default=WorkerRole.GRID_WORKER.value)
    status = checks.choice("status", WorkerStatus)  # none given: a new worker's default
    position = staged_points(checks, context)
    name = checks.text("name")
    checks.duplicates("external_id", [external])
    checks.duplicates("phone", [name.where(external.isna()), phone.where(external.isna())])
    records = staging_rows(
        checks,
        {
            "id": None,
            "external_id": external,
            "name": name,
            "phone": phone,
            "role": role,
            "unit": checks.text("unit"),
            "home_grid": home,
            GRID_NAME: home_names,
            "area_code": area,
            **places,
            "status": status,
            **position,
        },
    )
    # A roster without a 状态 or 岗位 column says nothing of them: their defaults are a new
    # worker's, not a reason to take every worker on record off duty (or off their role). One
    # that has a 状态 changes only what it knows of a worker on record (离职, 离岗), not the
    # live status the worker app and dispatch keep (layers.worker_identity.STATUS_RULE).
    unsaid = unsaid_columns(checks, ("status", "role"))
    return [Part(records, ("id",), True, insert_only=unsaid, recognition=WORKER_ROSTER)]


WORKERS = Kind(
    "workers",
    Base.metadata.tables["workers"],
    (
        "external_id",
        "name",
        "phone",
        "role",
        "unit",
        "home_grid",
        "area_code",
        "township",
        "status",
        "lon",
        "lat",
        "lonlat",
        "wkt",
    ),
    _prepare_workers,
    update=True,
    geometry="last_position",
    keep=("last_position", "phone", "unit", "home_grid", "external_id"),
    label="网格员",
    required=("name",),
    headers={"name": "姓名", "phone": "手机号", "role": "岗位"},
)
"""What a file of workers becomes."""
