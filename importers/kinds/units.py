"""Files of units: jurisdictions and grids, with their re-divisions (撤并, 更名)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.codes import (
    division_level,
    parent_code,
    parse_grid_code,
)
from geo.places import grid_key, place_key
from importers import vocabulary
from importers.kinds.base import (
    AREA_NAME,
    GRID_NAME,
    TOWNSHIP_NAME,
    UNIT_NAME,
    Context,
    Kind,
    Part,
    area_from,
    full_division_codes,
    int_text,
    mapped_rule,
    parse_written_division_code,
    staging_rows,
)
from importers.kinds.worker_names import PADDED_NAME, worker_names
from importers.rules import RowChecks, ewkb_hex
from importers.values import (
    SHANGHAI,
    full_division_code,
    phone_numbers,
)
from importers.vocabulary import UnitStatus
from layers.grid_leaders import HELPERS as LEADER_HELPERS
from layers.grid_leaders import LEADER, LEADER_NAME, LEADER_PHONE
from layers.model import (
    Base,
)
from layers.unit_retirement import FORMER, FORMER_ON, RETIRED_ON, STATUS, SUCCESSOR

# ------------------------------------------------------------------------------------ re-divisions


_UNIT_STATUS_SECTION = '[values."状态"]'
UNIT_WORDS = "在用（或正常、新增、调整、更名等），或撤销（撤并、并入、注销、停用等）"
"""The words a unit list's 状态 may be written in, as a refusal names them."""
UNIT_CHANGE_FIELDS = ("status", "retired_on", "successor", "former")
"""The fields of a unit list that say what a re-division did (:func:`_retirement`)."""
RETIREMENT_HELPERS = {STATUS: "text", FORMER: "text", FORMER_ON: "date"}
"""Their staging helper columns (besides ``retired_on`` and ``successor_code``, upserted)."""
RETIREMENT_KEPT = (RETIRED_ON, SUCCESSOR)
"""What an empty cell does not erase: a retirement stated again without its date or successor
keeps them; only a 状态 of 在用 brings a unit back (:func:`layers.unit_retirement.retire`)."""
_CODE_LIST = r"[、,，;；/／\s]+"
"""What separates the codes of one cell of 原编码 (two villages merged into one)."""


def unit_status_rule(value: str, renamed: str | None = None) -> str:
    """Return why a unit list's 状态 is refused, and the mapping file's line that names it.

    Parameters
    ----------
    value : str
        The status as written in the file.
    renamed : str, optional
        What the mapping file's ``[values."状态"]`` says it is, if it names it.

    Returns
    -------
    str
        The rule (Chinese).

    Examples
    --------
    >>> unit_status_rule("待定").split("；")[0]
    '必须是在用（或正常、新增、调整、更名等），或撤销（撤并、并入、注销、停用等）'
    >>> unit_status_rule("在线").split("，")[-1], unit_status_rule("已撤并").split("，")[-1]
    ('如 "在线" = "…"', '如 "已撤并" = "撤销"')
    """
    return mapped_rule(
        value,
        renamed,
        allowed=f"必须是{UNIT_WORDS}",
        section=_UNIT_STATUS_SECTION,
        way="本文件自有的写法，可在映射文件（--mapping）的 {section} 中写明它算在用还是撤销",
        example="划出",
        nearest=lambda written: vocabulary.nearest_name(written, [UnitStatus]),
    )


def _retirement(
    checks: RowChecks, codes: pd.Series, parse: Callable[[str], object]
) -> dict[str, pd.Series]:
    """Return what each row of a unit list says of re-division, to stage.

    :data:`layers.unit_retirement.RETIRED_ON`: the day a row whose 状态 says 撤销 was retired
    (its 撤销日期; without one, the day on record, else the import day:
    :func:`layers.unit_retirement.snapshot`), empty for a unit in use (a row that lists a unit
    retired before, as 在用, brings it back; :data:`~layers.unit_retirement.STATUS` keeps what
    the 状态 said, :func:`layers.unit_retirement.retired_rows` refuses a row that says
    nothing); :data:`~layers.unit_retirement.SUCCESSOR`: the
    code that took a retired unit over (继承编码); :data:`~layers.unit_retirement.FORMER`: the
    codes a unit in use replaces (原编码: a re-coded grid's old code, the villages merged into
    this one), which are retired with this unit as their successor, on the row's 撤销日期
    (调整日期: :data:`~layers.unit_retirement.FORMER_ON`) when it gives one. A file with none
    of these columns stages nothing: it says nothing of re-division.
    """
    if not any(checks.has(f) for f in ("status", "retired_on", "successor", "former")):
        return {}
    raw = checks.text("status")
    status = vocabulary.codes_of(checks.recoded("status"), UnitStatus)
    wrong = raw.notna() & status.isna()
    renamed = checks.values.get("status", {})
    rules = {
        str(value): unit_status_rule(str(value), renamed.get(vocabulary.value_key(str(value))))
        for value in raw[wrong].unique()
    }
    checks.fail("status", wrong, lambda value: rules[str(value)])
    when = checks.timestamps("retired_on", past=True)
    retired = status == UnitStatus.RETIRED.value
    former = checks.text("former").map(_former_codes, na_action="ignore")
    checks.fail(  # a unit in use with 原编码: the day the units it replaces were retired
        "retired_on",
        when.notna() & ~retired & raw.isna() & former.isna(),
        f"填了{checks.header('retired_on')}，但{checks.header('status')}为空：撤销的单位请写明撤销",
    )
    day = when.dt.tz_convert(SHANGHAI).dt.strftime("%Y-%m-%d")  # else: see unit_retirement
    successor = checks.text("successor").map(_written_code, na_action="ignore")
    checks.code("successor", parse)
    checks.fail(
        "successor",
        successor.notna() & ~retired,
        f"只有撤销的单位才有{checks.header('successor')}：本行的单位在用（原编码请写在"
        f"{checks.header('former')}）",
    )
    checks.fail("successor", successor.notna() & (successor == codes), "不能由自己继承")
    bad_former = former.map(
        lambda cs: next((c for c in cs if _not_code(parse, c)), None), na_action="ignore"
    )
    checks.fail(
        "former",
        bad_former.notna(),
        lambda value: f"{checks.header('former')}中的编码无效：{value}",
        values=bad_former,
    )
    checks.fail(
        "former",
        former.notna() & retired,
        f"撤销的单位不能有{checks.header('former')}：原编码写在继承它的单位那一行",
    )
    return {
        RETIRED_ON: day.where(retired, None).astype(object),
        SUCCESSOR: successor.astype(object),
        STATUS: status.astype(object),
        FORMER: former.map(",".join, na_action="ignore").astype(object),
        FORMER_ON: day.where(~retired & former.notna(), None).astype(object),
    }


def _written_code(text: object) -> str:
    """Return a code as written, widened to 12 digits when a division code is written short."""
    written = str(text).strip()
    return full_division_code(written) if len(written) in (6, 9) else written


def _former_codes(text: object) -> list[str]:
    """Return the codes of one 原编码 cell (``530424102207、530424102210``)."""
    return [_written_code(c) for c in re.split(_CODE_LIST, str(text).strip()) if c]


def _not_code(parse: Callable[[str], object], code: str) -> bool:
    try:
        parse(code)
    except ValueError:
        return True
    return False


SAME_UNIT_NAME = "同一上级辖区的村（社区）、乡镇不能同名（多为把乡镇名称列当作了名称列）："
"""Why a jurisdictions file may not name two units in use of one parent alike."""


def _prepare_jurisdictions(checks: RowChecks, context: Context) -> list[Part]:
    checks.code("code", parse_written_division_code)
    codes = full_division_codes(checks.text("code"))
    good = codes.where(~checks.bad)
    level = good.map(division_level, na_action="ignore")
    parent = good.map(parent_code, na_action="ignore")
    polygons = checks.polygons(context.crs)
    multi = np.array(
        [shapely.MultiPolygon([g]) if isinstance(g, shapely.Polygon) else g for g in polygons],
        dtype=object,
    )
    checks.duplicates("code", [codes])
    retirement = _retirement(checks, codes, parse_written_division_code)
    # Two units in use of one parent are never called alike: a file naming them so took its
    # names from the wrong column (a village file's 乡镇名称).
    names = checks.text("name")
    live_names = names.where(retirement[RETIRED_ON].isna()) if retirement else names
    checks.duplicates("name", [parent, live_names], SAME_UNIT_NAME)
    # A file without codes names its units, and may give their township to tell apart a
    # village name two townships share (两个乡镇各有一个新村).
    named = (
        {}
        if checks.has("code")
        else {UNIT_NAME: checks.text("name"), TOWNSHIP_NAME: checks.text("township")}
    )
    boundary = ewkb_hex(multi)
    records = staging_rows(
        checks,
        {
            "code": codes,
            "name": checks.text("name"),
            "level": int_text(level),
            "parent_code": parent,
            "boundary": boundary,
            # Where the boundary comes from: a row without one keeps its boundary's source (a
            # list of codes does not make a derived boundary official).
            "source": [None if b is None else context.file_name[:200] for b in boundary],
            **named,
            **retirement,
        },
    )
    return [Part(records, ("code",), True)]


# ------------------------------------------------------------------------------------------- grids


SAME_GRID_NAME = "同一村（社区）的网格不能同名："
"""Why a grid list may not name two grids of one village alike (a roster's or a ledger's
所属网格 could not tell them apart)."""


def _village_of(area: pd.Series, places: dict[str, pd.Series]) -> pd.Series:
    """Return each row's village: its code, else the village or township it names in words.

    A file without a 所属社区 (code or name) names its grids within the whole file.
    """
    named = places[AREA_NAME].map(place_key, na_action="ignore")
    township = places[TOWNSHIP_NAME].map(place_key, na_action="ignore")
    return area.where(area.notna(), named.where(named.notna(), township)).fillna("")


def _grid_keys(names: pd.Series) -> pd.Series:
    """Return grid names as compared (:func:`geo.places.grid_key`: 第一网格 is 第1网格)."""
    keys = {name: grid_key(str(name)) for name in names.dropna().unique()}
    return names.map(keys, na_action="ignore").astype(object)


def _prepare_grids(checks: RowChecks, context: Context) -> list[Part]:
    checks.code("code", parse_grid_code)
    codes = checks.text("code")
    named = {} if checks.has("code") else {GRID_NAME: checks.text("name")}  # found by name
    village = codes.str[:12]
    area, places = area_from(checks, village)
    mismatch = area.notna() & village.notna() & (area != village)
    checks.fail("area_code", mismatch, "必须与网格编码的前 12 位（所在村/社区代码）一致")
    polygons = checks.polygons(context.crs)
    parts = shapely.get_num_geometries(polygons)
    single = np.array(
        [
            g.geoms[0] if isinstance(g, shapely.MultiPolygon) and len(g.geoms) == 1 else g
            for g in polygons
        ],
        dtype=object,
    )
    checks.fail(
        "wkt",
        np.array([isinstance(g, shapely.MultiPolygon) for g in single]),
        "网格边界必须是单个面（不能是多个部分）",
        values=pd.Series(parts, index=checks.frame.index).map(lambda n: f"{n} 个部分"),
    )
    checks.duplicates("code", [codes])
    name = checks.text("name")
    retirement = _retirement(checks, codes, parse_grid_code)
    in_use = retirement.get(STATUS, pd.Series(None, index=name.index)) != UnitStatus.RETIRED.value
    keys = _grid_keys(name.where(in_use))  # a grid retired may share its successor's name
    checks.duplicates("name", [_village_of(area, places), keys], SAME_GRID_NAME)
    records = staging_rows(
        checks,
        {
            "code": codes,
            "name": name,
            "area_code": area,
            **places,
            **named,
            "boundary": ewkb_hex(
                np.array([g if isinstance(g, shapely.Polygon) else None for g in single], object)
            ),
            **retirement,
            **_leaders(checks),
        },
    )
    return [Part(records, ("code",), True)]


def _leaders(checks: RowChecks) -> dict[str, Any]:
    """Return the 网格长 each row names, to stage; nothing for a file without a 网格长 column.

    The name (a note after it and a padding space left out, the first of several), the
    工号 and the phone: :func:`layers.grid_leaders.assign_leaders` finds the worker and fills
    ``leader_id`` (left empty here; an empty one keeps the grid's leader).
    """
    if not (checks.has("leader") or checks.has("leader_no")):
        return {}
    written = checks.text("leader").str.replace(PADDED_NAME, r"\1\2", regex=True)
    name = worker_names(written).map(lambda names: names.split("\x1f")[0], na_action="ignore")
    number = checks.text("leader_no")
    return {
        "leader_id": None,
        LEADER: number.where(number.notna(), name).astype(object),
        LEADER_NAME: name,
        LEADER_PHONE: phone_numbers(checks.text("leader_phone")),
    }


JURISDICTIONS = Kind(
    "jurisdictions",
    Base.metadata.tables["jurisdictions"],
    ("code", "name", "township", "wkt", *UNIT_CHANGE_FIELDS),
    _prepare_jurisdictions,
    update=True,
    geometry=None,
    keep=("boundary", "source", *RETIREMENT_KEPT),
    quiet=("source",),
    label="辖区",
    required=("code", "name"),
    headers={
        "code": "区划代码",
        "wkt": "边界",
        "successor": "继承区划代码",
        "former": "原区划代码",
    },
    helpers=RETIREMENT_HELPERS,
    coded_by_name=True,
)
"""What a file of jurisdictions becomes."""


GRIDS = Kind(
    "grids",
    Base.metadata.tables["grids"],
    (
        "code",
        "name",
        "area_code",
        "township",
        "wkt",
        "leader",
        "leader_phone",
        "leader_no",
        *UNIT_CHANGE_FIELDS,
    ),
    _prepare_grids,
    update=True,
    geometry="boundary",
    keep=("boundary", "leader_id", *RETIREMENT_KEPT),
    label="网格",
    required=("code", "name"),
    headers={
        "code": "网格编码",
        "name": "网格名称",
        "wkt": "边界",
        "successor": "继承网格编码",
        "former": "原网格编码",
    },
    helpers={**RETIREMENT_HELPERS, **LEADER_HELPERS},
    coded_by_name=True,
)
"""What a file of grids becomes."""
