"""Files of grid workers (网格员) and their rosters."""

from __future__ import annotations

import pandas as pd

from importers.kinds.base import (
    GRID_NAME,
    GRID_NAME_BESIDE,
    Context,
    Kind,
    Part,
    area_from,
    grid_from,
    staged_points,
    staging_rows,
    unsaid_columns,
)
from importers.mapping import normalise_header
from importers.rules import RowChecks
from importers.values import (
    PHONE_RULE,
    invalid_phones,
    phone_numbers,
    ungrouped_code,
)
from layers.model import (
    Base,
    WorkerRole,
    WorkerStatus,
)
from layers.worker_identity import WORKER_ROSTER

GRID_CODE_HEADERS = frozenset({"网格编码", "网格代码", "所属网格编码", "负责网格编码"})
"""A roster's column of grid codes beside the grid's name (所属网格): read first."""


def _grid_codes_beside(checks: RowChecks) -> pd.Series | None:
    """Return a roster's 15-digit grid codes when it gives them beside the grid's name.

    A roster that names a worker's grid (所属网格 ← ``home_grid``) and has a 网格编码 column
    too (trial AD: left unread, a name two grids share would have been asked for the code the
    file has) is read by its codes, where a row gives one; ``None`` when the home grid is read
    from codes already, or no such column holds 15-digit codes.
    """
    used = set(checks.columns.values())
    for header in checks.frame.columns:
        if header in used or normalise_header(str(header)) not in GRID_CODE_HEADERS:
            continue
        codes = checks.frame[header].map(ungrouped_code, na_action="ignore").astype(object)
        valid = codes.str.fullmatch(r"[0-9]{15}", na=False)
        if valid.any():
            checks.read_beside.append(str(header))
            checks.notes.append(
                f"负责网格按“{header}”列的网格编码读取，该列为空的行按“{checks.header('home_grid')}”"
                "的网格名称读取"
            )
            return codes.where(valid)
    return None


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
    coded = _grid_codes_beside(checks) if checks.has("home_grid") else None
    beside = None
    if coded is not None:
        beside = home_names.where(coded.notna())  # held to the code (trial AL S2)
        home, home_names = coded.combine_first(home), home_names.where(coded.isna())
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
            **({GRID_NAME_BESIDE: beside} if beside is not None else {}),
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
