"""What each kind of file becomes: its fields, rules, natural key and database rows.

A kind's ``prepare`` runs the row checks that need no database and returns the rows to stage,
one column per staging column (database columns, plus helper columns starting with ``_``). The
checks that need the database (jurisdiction exists, point inside it, person found …) run on the
staging table, in :mod:`importers.loading`.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pydantic import ValidationError
from sqlalchemy import Table

from geo.codes import (
    division_level,
    parent_code,
    parse_device_id,
    parse_division_code,
    parse_grid_code,
    parse_resident_id,
    upgrade_resident_id,
    valid_resident_ids,
)
from geo.codes import mask_resident_id as _mask
from geo.crs import SourceCrs
from importers import vocabulary
from importers.mapping import normalise_header, resolve_columns, usual_header
from importers.places import grid_key, is_place_name, place_key
from importers.rules import MissingColumns, RowChecks, ewkb_hex
from importers.stations import INSTALL_ADDRESS, ORGANISATION, STATION_NAME
from importers.values import (
    EXCEL_NUMBER_RULE,
    PHONE_RULE,
    SHANGHAI,
    excel_date,
    excel_mangled,
    excel_mangled_cells,
    full_division_code,
    invalid_phones,
    kept_text,
    phone_numbers,
    ungrouped_code,
)
from importers.vocabulary import CaseStatus, RegisterStatus, UnitStatus
from layers.bulk import LAT_COLUMN, LON_COLUMN, Recognition
from layers.case_import import HISTORY_ENDED, HISTORY_STATUS, STATUS_GIVEN, rekey_edited_rows
from layers.case_repeats import REPEAT_FLAG, REPEAT_OF
from layers.grid_leaders import HELPERS as LEADER_HELPERS
from layers.grid_leaders import LEADER, LEADER_NAME, LEADER_PHONE
from layers.import_checks import RESPONSIBLE, VISITOR
from layers.model import (
    Base,
    Category,
    Channel,
    DirectionType,
    ManagementLevel,
    PersonCategory,
    PositionType,
    PtzType,
    RiskLevel,
    VideoStatus,
    WorkerRole,
    WorkerStatus,
)
from layers.model.base import LabelledEnum
from layers.model.cases import SUBTYPES
from layers.person_attributes import (
    END_DATES,
    MODELS,
    AttributeRuleError,
    attribute_error,
    attribute_headers,
    date_fields,
    validate_attributes,
)
from layers.person_lookalikes import lookalike_notes
from layers.person_register import ENDED, ENDED_UNDATED, ON, REGISTER
from layers.secrets import Keys, hash_resident_id, normalise_resident_id, seal
from layers.unit_retirement import FORMER, FORMER_ON, RETIRED_ON, STATUS, SUCCESSOR
from layers.unread_values import UNREAD
from layers.worker_identity import WORKER_ROSTER


@dataclass(frozen=True)
class Context:
    """What a kind's checks need besides the rows.

    Attributes
    ----------
    crs : SourceCrs
        CRS of the file's coordinates.
    keys : Keys or None
        Platform keys (persons and visits).
    file_name : str
        Source file name.
    history : bool
        ``--history``: a file of cases is a record of the past (:func:`_case_state`).
    """

    crs: SourceCrs
    keys: Keys | None
    file_name: str
    history: bool = False


@dataclass(frozen=True)
class Part:
    """Staged rows loaded with one natural key.

    Attributes
    ----------
    records : pandas.DataFrame
        Staging rows (``_row`` included).
    key : tuple of str
        Natural key columns.
    conflict : bool
        The key has a unique index (``ON CONFLICT``); otherwise it is matched with
        ``IS NOT DISTINCT FROM``.
    insert_only : tuple of str
        Columns written for a new row only: a value made anew at each import, or a field the
        file does not give (its default must not overwrite what a row on record has).
    recognition : layers.bulk.Recognition, optional
        How the rows find the row on record they name when their key alone does not.
    """

    records: pd.DataFrame
    key: tuple[str, ...]
    conflict: bool
    insert_only: tuple[str, ...] = ()
    recognition: Recognition | None = None


@dataclass(frozen=True)
class Kind:
    """One kind of import.

    Attributes
    ----------
    name : str
        ``jurisdictions``, ``grids``, ``workers``, ``cases``, ``video``, ``persons``, ``visits``.
    table : sqlalchemy.Table
        Target table.
    fields : tuple of str
        Target fields, in mapping priority order.
    prepare : callable
        ``(checks, context) -> list[Part]``.
    update : bool
        Matched rows are updated (reference data) or left alone (records with a life of their own).
    geometry : str or None
        Geometry column checked against the jurisdiction's boundary.
    helpers : dict
        Extra staging columns (name → SQL type).
    keep : tuple of str
        Columns an empty value does not erase when a matched row is updated (a file without
        boundaries renames units, it does not remove their boundaries).
    merge : tuple of str
        JSON object columns a matched row takes key by key (a roster without a category's
        extra columns leaves the values it has).
    label : str
        What the file holds, in Chinese (``案件``).
    required : tuple of str
        Fields every row must fill (the file must have their columns).
    headers : dict
        Field → the header clerks give it in this kind's files, where it is not the field's
        usual one (a person's ``name`` is 姓名, a grid's is 网格名称); each a known synonym.
    named_by_file : dict
        Field → its code table, for fields a whole file shares that the name of its worksheet
        or of the file may give when it has no column (:mod:`importers.named_values`).
    coded_by_name : bool
        Whether a file without a code column may name its rows' units instead: each is then
        the unit of the database of that name (grids drawn in Google Earth or 奥维, by name).
    numbered_by_content : bool
        Whether a file without a source-number column is a ledger whose rows are numbered by
        what they say (:func:`ledger_numbers`).
    """

    name: str
    table: Table
    fields: tuple[str, ...]
    prepare: Callable[[RowChecks, Context], list[Part]]
    update: bool
    geometry: str | None = None
    helpers: dict[str, str] = field(default_factory=dict)
    keep: tuple[str, ...] = ()
    merge: tuple[str, ...] = ()
    label: str = ""
    required: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    named_by_file: dict[str, type[LabelledEnum]] = field(default_factory=dict)
    coded_by_name: bool = False
    numbered_by_content: bool = False

    def header(self, name: str) -> str:
        """Return the header of field ``name`` in this kind's files (templates, summaries).

        Examples
        --------
        >>> KINDS["persons"].header("name"), KINDS["cases"].header("lon")
        ('姓名', '经度')
        """
        return self.headers.get(name) or usual_header(name)

    def field_named(self, name: str) -> str | None:
        """Return the field ``name`` means: a field's name, or a header known for it.

        How ``--set`` and mapping files name fields: ``经度``, ``人员类别`` or ``lon``.

        Examples
        --------
        >>> KINDS["persons"].field_named("人员类别"), KINDS["cases"].field_named("lon")
        ('category', 'lon')
        >>> KINDS["cases"].field_named("颜色") is None
        True
        """
        return next(iter(resolve_columns([name.strip()], self.fields)), None)

    def known_fields(self) -> str:
        """Return the fields as an error names them: ``经度（lon）、纬度（lat）…``."""
        return "、".join(f"{self.header(f)}（{f}）" for f in self.fields)


def _unsaid(
    checks: RowChecks, columns: Sequence[str], fed_by: Mapping[str, Sequence[str]] | None = None
) -> tuple[str, ...]:
    """Return the ``columns`` no field of the file gives (each its own field, unless ``fed_by``).

    A file without a column says nothing of it: its default (or empty) value is a new row's, not
    a reason to overwrite what a row on record has (:attr:`Part.insert_only`).
    """
    given = fed_by or {}
    return tuple(c for c in columns if not any(map(checks.has, given.get(c, (c,)))))


def _frame(checks: RowChecks, columns: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(columns, index=checks.frame.index)
    frame["_row"] = frame.index
    return frame


def _int_text(values: pd.Series) -> pd.Series:
    numbers = values.to_numpy(dtype=float)
    missing = np.isnan(numbers)
    text = np.where(missing, 0, numbers).astype(np.int64).astype(str).astype(object)
    text[missing] = None
    return pd.Series(text, index=values.index, dtype=object)


def _iso(values: pd.Series) -> pd.Series:
    if not values.notna().any():  # an absent column: a million NaT need no formatting
        return pd.Series(None, index=values.index, dtype=object)
    utc = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    text = np.datetime_as_string(utc, unit="s", timezone="UTC").astype(object)
    return pd.Series(text, index=values.index, dtype=object).where(values.notna(), None)


AREA_NAME = "_area_name"
"""Helper column: the jurisdiction the row names in words (resolved in :mod:`importers.loading`)."""
TOWNSHIP_NAME = "_township_name"
"""Helper column: the township the row names, to tell apart units of one name."""
GRID_NAME = "_grid_name"
"""Helper column: the grid the row names in words (resolved in :mod:`importers.loading`)."""
UNIT_NAME = "_unit_name"
"""Helper column: the jurisdiction a boundary file without codes names (resolved likewise)."""


def _area_from(
    checks: RowChecks, fallback: pd.Series | None = None
) -> tuple[pd.Series, dict[str, pd.Series]]:
    """Area codes, and the jurisdiction names a row gives in words.

    The area code is the area column's when it holds a code, else ``fallback``'s (e.g. the
    grid code's first 12 digits). An area column holding a name (``复安社区``), and the
    township column, go to the helper columns :data:`AREA_NAME` and :data:`TOWNSHIP_NAME`:
    the database tells which unit they mean (:mod:`importers.places`).
    """
    text = checks.text("area_code")
    named = _names_in(text)
    checks.code("area_code", parse_written_division_code, where=~named)
    area = _full_division_codes(text.where(~named))
    if fallback is not None:
        area = area.where(area.notna(), fallback)
    return area, {AREA_NAME: text.where(named), TOWNSHIP_NAME: checks.text("township")}


def _grid_from(checks: RowChecks, field: str) -> tuple[pd.Series, pd.Series]:
    """Grid codes of ``field``, and the grid names written there instead (``复安第1网格``).

    The names go to the helper column :data:`GRID_NAME`: the database tells which grid they
    mean (:class:`importers.places.GridDirectory`).
    """
    text = checks.text(field)
    named = _names_in(text)
    checks.code(field, parse_grid_code, where=~named)
    return text.where(~named), text.where(named)


def parse_written_division_code(text: str) -> object:
    """Parse a division code as files write it (:func:`importers.values.full_division_code`)."""
    return parse_division_code(full_division_code(text))


def _full_division_codes(text: pd.Series) -> pd.Series:
    """Division codes in their 12 digits (:func:`full_division_code`, once per distinct value)."""
    full = {value: full_division_code(value) for value in text.dropna().unique()}
    return text.map(full, na_action="ignore").astype(object)


def _names_in(text: pd.Series) -> pd.Series:
    """Whether each value is a name rather than a code (each distinct value tested once)."""
    names = [value for value in text.dropna().unique() if is_place_name(str(value))]
    return text.isin(names)


def _points(checks: RowChecks, context: Context) -> dict[str, pd.Series]:
    """CGCS2000 coordinates as the staging columns the point geometry is computed from."""
    lon, lat = checks.points(context.crs)
    index = checks.frame.index
    return {LON_COLUMN: pd.Series(lon, index=index), LAT_COLUMN: pd.Series(lat, index=index)}


# ------------------------------------------------------------------------------- jurisdictions


# ------------------------------------------------------------------ units: re-divisions


_UNIT_STATUS_SECTION = '[values."状态"]'
UNIT_WORDS = "在用（或正常、新增、调整、更名等），或撤销（撤并、并入、注销、停用等）"
"""The words a unit list's 状态 may be written in, as a refusal names them."""
UNIT_CHANGE_FIELDS = ("status", "retired_on", "successor", "former")
"""The fields of a unit list that say what a re-division did (:func:`_retirement`)."""
RETIREMENT_HELPERS = {STATUS: "text", FORMER: "text", FORMER_ON: "date"}
RETIREMENT_KEPT = (RETIRED_ON, SUCCESSOR)
"""What an empty cell does not erase: a retirement stated again without its date or successor
keeps them; only a 状态 of 在用 brings a unit back (:func:`layers.unit_retirement.retire`)."""
"""Their staging helper columns (besides ``retired_on`` and ``successor_code``, upserted)."""
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
    """
    return _mapped_rule(
        value,
        renamed,
        allowed=f"必须是{UNIT_WORDS}",
        section=_UNIT_STATUS_SECTION,
        way="本文件自有的写法，可在映射文件（--mapping）的 {section} 中写明它算在用还是撤销",
        example=("划出", "撤销"),
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


def _prepare_jurisdictions(checks: RowChecks, context: Context) -> list[Part]:
    checks.code("code", parse_written_division_code)
    codes = _full_division_codes(checks.text("code"))
    good = codes.where(~checks.bad)
    level = good.map(division_level, na_action="ignore")
    parent = good.map(parent_code, na_action="ignore")
    polygons = checks.polygons(context.crs)
    multi = np.array(
        [shapely.MultiPolygon([g]) if isinstance(g, shapely.Polygon) else g for g in polygons],
        dtype=object,
    )
    checks.duplicates("code", [codes])
    # A file without codes names its units, and may give their township to tell apart a
    # village name two townships share (两个乡镇各有一个新村).
    named = (
        {}
        if checks.has("code")
        else {UNIT_NAME: checks.text("name"), TOWNSHIP_NAME: checks.text("township")}
    )
    boundary = ewkb_hex(multi)
    records = _frame(
        checks,
        {
            "code": codes,
            "name": checks.text("name"),
            "level": _int_text(level),
            "parent_code": parent,
            "boundary": boundary,
            # Where the boundary comes from: a row without one keeps its boundary's source (a
            # list of codes does not make a derived boundary official).
            "source": [None if b is None else context.file_name[:200] for b in boundary],
            **named,
            **_retirement(checks, codes, parse_written_division_code),
        },
    )
    return [Part(records, ("code",), True)]


# ------------------------------------------------------------------------------- grids


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
    """Return grid names as compared (:func:`importers.places.grid_key`: 第一网格 is 第1网格)."""
    keys = {name: grid_key(str(name)) for name in names.dropna().unique()}
    return names.map(keys, na_action="ignore").astype(object)


def _prepare_grids(checks: RowChecks, context: Context) -> list[Part]:
    checks.code("code", parse_grid_code)
    codes = checks.text("code")
    named = {} if checks.has("code") else {GRID_NAME: checks.text("name")}  # found by name
    village = codes.str[:12]
    area, places = _area_from(checks, village)
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
    records = _frame(
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
    written = checks.text("leader").str.replace(_PADDED_NAME, r"\1\2", regex=True)
    name = _worker_names(written).map(lambda names: names.split("\x1f")[0], na_action="ignore")
    number = checks.text("leader_no")
    return {
        "leader_id": None,
        LEADER: number.where(number.notna(), name).astype(object),
        LEADER_NAME: name,
        LEADER_PHONE: phone_numbers(checks.text("leader_phone")),
    }


# ------------------------------------------------------------------------------- workers


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
    home, home_names = _grid_from(checks, "home_grid")
    area, places = _area_from(checks, home.str[:12])
    role = checks.choice("role", WorkerRole, default=WorkerRole.GRID_WORKER.value)
    status = checks.choice("status", WorkerStatus)  # none given: a new worker's default
    position = _points(checks, context)
    name = checks.text("name")
    checks.duplicates("external_id", [external])
    checks.duplicates("phone", [name.where(external.isna()), phone.where(external.isna())])
    records = _frame(
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
    unsaid = _unsaid(checks, ("status", "role"))
    return [Part(records, ("id",), True, insert_only=unsaid, recognition=WORKER_ROSTER)]


# ------------------------------------------------------------------------------- video


RECORDER_TYPES = {"111": "DVR", "118": "NVR", "130": "HVR"}
"""GB/T 28181 type codes (digits 11–13 of a device ID) of video recorders, not cameras."""
RECORDER_WORDS = {
    "nvr": "NVR",
    "网络硬盘录像机": "NVR",
    "网络录像机": "NVR",
    "dvr": "DVR",
    "硬盘录像机": "DVR",
    "录像机": "DVR",
    "hvr": "HVR",
    "混合硬盘录像机": "HVR",
}
"""How a camera list's 设备类型 names a recorder (by :func:`importers.vocabulary.value_key`)."""
RECORDERS_NOTE = "{counted}：其通道已按摄像机导入（录像机本身不是视频点位，第 {rows} 行未导入）"
"""Said of the recorder rows a platform's device list holds."""
CHECKPOINT_NOTE = (
    "{counted}按固定枪机（3）导入：本平台的摄像机类型只有球机、半球、固定枪机、遥控枪机，"
    "没有卡口，地图上与枪机相同"
)
"""Said of the 人脸卡口, 车辆卡口 … a list gives: read as the closest camera type."""
DIRECTION_RULE = "必须是方向（东、朝南、东南方向等）或方位角度数（如 135、225°）"
"""Why a 监控方向 that is neither a point of the compass nor a bearing is refused."""
_BEARING = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(°|º|度)?")
"""A bearing in degrees, its unit written or not (``135``, ``225°``, ``225度``)."""
CODE_LIKE_HEADERS = frozenset({"设备编号"})
"""Headers read as the 国标编码 only when they hold 20-digit codes (a township's own numbers
otherwise: ``QL-001``)."""


def _device_codes(checks: RowChecks) -> pd.Series:
    """Return the device codes as read: without the spaces that group them or a text mark.

    A column whose header only may name them (:data:`CODE_LIKE_HEADERS`) is refused as
    missing unless some of its values are 20-digit codes.
    """
    codes = checks.text("device_id").map(ungrouped_code, na_action="ignore").astype(object)
    header = normalise_header(checks.header("device_id"))
    if header in CODE_LIKE_HEADERS and not codes.str.fullmatch(r"[0-9]{20}", na=False).any():
        raise MissingColumns(
            ["device_id"],
            checks.file_headers,
            f"（列“{checks.header('device_id')}”的值不是 20 位国标编码，未作为国标编码读取）",
            labels=checks.labels,
            others=checks.others,
        )
    return codes


def _skip_recorders(checks: RowChecks, codes: pd.Series) -> None:
    """Take out the rows of video recorders (NVR, DVR): their channels are the cameras.

    A recorder is told by its 设备类型 (:data:`RECORDER_WORDS`) or by the type code of its
    GB/T 28181 ID (:data:`RECORDER_TYPES`); the summary counts them (:data:`RECORDERS_NOTE`).
    """
    written = checks.text("ptz_type").map(
        lambda v: RECORDER_WORDS.get(vocabulary.value_key(str(v))), na_action="ignore"
    )
    typed = codes.str.slice(10, 13).map(RECORDER_TYPES, na_action="ignore")
    kind = written.where(written.notna(), typed)
    rows = checks.skip(kind.notna())
    if not rows:
        return
    counted = "、".join(f"{k} {n} 台" for k, n in kind.dropna().value_counts(sort=False).items())
    shown = "、".join(str(r) for r in rows[:10]) + ("等" if len(rows) > 10 else "")
    checks.notes.append(RECORDERS_NOTE.format(counted=counted, rows=shown))


def _checkpoints_note(checks: RowChecks, ptz: pd.Series) -> None:
    """Say how many 卡口 (人脸卡口, 车辆卡口 …) were read as fixed cameras, by written type."""
    written = checks.text("ptz_type")
    read = written.notna() & written.str.contains("卡口|电子警察", na=False)
    read &= ptz == PtzType.FIXED.value
    if not read.any():
        return
    counted = written[read].str.strip().value_counts(sort=False)
    listed = "、".join(f"{name} {n} 台" for name, n in counted.items())
    checks.notes.append(CHECKPOINT_NOTE.format(counted=listed))


def _bearings(raw: pd.Series) -> pd.Series:
    """Return the bearing each direction writes in degrees (NaN where it writes a word).

    A column of plain numbers 1–8 only is GB/T 28181's DirectionType codes: no bearings.

    Examples
    --------
    >>> _bearings(pd.Series(["东", "135", "225°", "225 度", None])).tolist()
    [nan, 135.0, 225.0, 225.0, nan]
    >>> _bearings(pd.Series(["1", "5"])).tolist()
    [nan, nan]
    """
    text = raw.map(lambda v: unicodedata.normalize("NFKC", str(v)).strip(), na_action="ignore")
    found = text.astype("string").str.extract(f"^{_BEARING.pattern}$")
    number = pd.to_numeric(found[0], errors="coerce")
    marked = found[1].notna()
    coded = number.notna() & ~marked & number.isin([1, 2, 3, 4, 5, 6, 7, 8])
    if not (marked | (number.notna() & ~coded)).any():
        return pd.Series(np.nan, index=raw.index)
    return number.astype(float)


def _direction(checks: RowChecks) -> tuple[pd.Series, pd.Series]:
    """Return the direction codes and the bearings of the rows.

    A 监控方向 column (direction_type) in a list without a 方位角 column may write either:
    a point of the compass (``东``, ``朝南``, ``东南方向``) is the direction's code, a number of
    degrees (``135``, ``225°``, ``225度``) the bearing (:func:`_bearings`).
    """
    azimuth = checks.number("azimuth_deg", low=0, high=360)
    bearing = _bearings(checks.text("direction_type"))
    if checks.has("azimuth_deg") or not bearing.notna().any():
        return checks.choice("direction_type", DirectionType), azimuth
    words = checks.recoded("direction_type").where(bearing.isna())
    codes = vocabulary.codes_of(words, DirectionType)
    checks.fail("direction_type", words.notna() & codes.isna(), DIRECTION_RULE)
    checks.fail("direction_type", bearing > 360, "方位角不能超过 360 度")
    direction = codes.astype(object).where(codes.notna(), None)
    return direction, bearing.where(bearing <= 360)


def _prepare_video(checks: RowChecks, context: Context) -> list[Part]:
    """Read a camera list; a detail that cannot be read is left out, the camera kept.

    Every field of :data:`_CAMERA_DETAILS` is optional (:meth:`RowChecks.leave_out_unread`):
    a 摄像机类型 ``飞碟`` or a 在线状态 ``坏了吗`` is reported as repaired and left out, a camera
    on record keeps its own value of it (:mod:`layers.unread_values`) and a new one gets the
    default. The 所属组织 and 安装位置 are read only to be held to the point
    (:func:`importers.stations.cameras_elsewhere`).
    """
    codes = _device_codes(checks)
    _skip_recorders(checks, codes)
    codes = codes.reindex(checks.frame.index)
    checks.require_point()
    checks.code("device_id", parse_device_id, read=codes)
    checks.leave_out_unread(*_CAMERA_DETAILS)
    area, places = _area_from(checks)
    ptz = checks.choice("ptz_type", PtzType)
    _checkpoints_note(checks, ptz)
    direction, azimuth = _direction(checks)
    status = checks.choice("status", VideoStatus, default=VideoStatus.ONLINE.value)
    status = status.where(~checks.unread_rows("status"), VideoStatus.ONLINE.value)
    records = _frame(
        checks,
        {
            "device_id": codes,
            "name": checks.text("name"),
            "ptz_type": ptz,
            "position_type": checks.choice("position_type", PositionType),
            "direction_type": direction,
            "azimuth_deg": azimuth,
            "fov_deg": checks.number("fov_deg", low=0.001, high=360).fillna(60.0),
            "range_m": checks.number("range_m", low=0.001).fillna(80.0),
            "status": status,
            "stream_url": checks.text("stream_url"),
            **_points(checks, context),
            "area_code": area,
            **places,
            ORGANISATION: checks.text("police_station"),
            INSTALL_ADDRESS: checks.text("address"),
        },
    )
    if checks.unread:
        records[UNREAD] = checks.unread_fields()
    checks.duplicates("device_id", [codes])
    checks.note_unread()
    # A list without a column says nothing of it: its default (or empty) value is a new camera's,
    # not a reason to reset the view or the state another list or an operator gave a camera.
    unsaid = _unsaid(checks, _CAMERA_DETAILS)
    return [Part(records, ("device_id",), True, insert_only=unsaid)]


_CAMERA_DETAILS = (
    "ptz_type",
    "position_type",
    "direction_type",
    "azimuth_deg",
    "fov_deg",
    "range_m",
    "status",
    "stream_url",
)
"""A camera's fields a list may leave out, or give in words that cannot be read (left out)."""


# ------------------------------------------------------------------------------- cases


def case_code(area_code: str, channel: str, external_no: str) -> str:
    """Return the platform code (一案一码) of an imported case, stable across re-imports.

    The import computes the same value in the database, once the area code is known
    (:func:`layers.case_import.case_code`); the tests hold the two to each other.

    Parameters
    ----------
    area_code : str
        12-digit jurisdiction code.
    channel : str
        Channel code.
    external_no : str
        The source system's number.

    Returns
    -------
    str
        32 characters: ``IM`` + area code + 18 hex digits of SHA-256(channel, number).

    Examples
    --------
    >>> len(case_code("530424100001", "hotline_12345", "GD-1"))
    32
    """
    digest = hashlib.sha256(f"{channel}\x1f{external_no}".encode()).hexdigest()
    return f"IM{area_code}{digest[:18]}"


CASE_TABLES: tuple[type[LabelledEnum], ...] = (Category, *SUBTYPES.values())
"""The code tables a case's type is named in: its category, or a subtype of one."""


def _case_category(checks: RowChecks) -> tuple[pd.Series, pd.Series]:
    """Category and subcategory: the type column holds a category or one of its subtypes.

    A classification of several levels is read as its most specific level that names either
    (``城乡建设>物业管理>消防安全`` is a fire hazard, ``矛盾纠纷/劳资欠薪`` a dispute over wages);
    a subtype gives the case its category (:data:`layers.model.cases.SUBTYPES`). A subcategory
    column is read in the subtypes of the row's category; a value that is none of them stays
    as written.
    """
    raw = checks.text("category")
    category, subtype = _category_and_subtype(checks.recoded("category"))
    subcategory = _subtype_of(checks.recoded("subcategory"), category)
    subcategory = subcategory.where(subcategory.notna(), subtype)
    wrong = raw.notna() & category.isna()
    renamed = checks.values.get("category", {})
    rules = {  # one rule per distinct value: a million rows share a handful
        str(value): category_rule(str(value), renamed.get(vocabulary.value_key(str(value))))
        for value in raw[wrong].unique()
    }
    checks.fail("category", wrong, lambda value: rules[str(value)])
    readings = classification_note(raw, category, subtype)
    if readings is not None:
        checks.notes.append(readings)
    return category.astype(object), subcategory.astype(object)


def _category_and_subtype(written: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return the category and the subtype (NaN where none) each type as written names.

    Examples
    --------
    >>> category, subtype = _category_and_subtype(
    ...     pd.Series(["应急管理>消防安全>消防通道堵塞", "邻里纠纷", "社情民意", "教育"]))
    >>> category.tolist(), subtype.tolist()
    (['safety_hazard', 'dispute', 'public_opinion', nan], ['fire', 'neighbours', nan, nan])
    """
    category, *found = vocabulary.codes_in(written, CASE_TABLES)
    subtype = pd.Series(np.nan, index=written.index, dtype=object)
    for owner, codes in zip(SUBTYPES, found, strict=True):
        category = category.where(category.notna() | codes.isna(), owner.value)
        subtype = subtype.where(codes.isna(), codes)
    return category, subtype


def _subtype_of(written: pd.Series, category: pd.Series) -> pd.Series:
    """Return the codes of a subcategory column, each read in its row's category's subtypes.

    A value none of them names (a dispute's 消防安全隐患, a platform's own free text) stays as
    written.

    Examples
    --------
    >>> _subtype_of(pd.Series(["燃气安全隐患", "邻里纠纷", "燃气安全隐患", None]),
    ...             pd.Series(["safety_hazard", "dispute", "dispute", "dispute"])).tolist()
    ['gas', 'neighbours', '燃气安全隐患', nan]
    """
    codes = pd.Series(None, index=written.index, dtype=object)
    for owner, found in zip(
        SUBTYPES, vocabulary.codes_in(written, list(SUBTYPES.values())), strict=True
    ):
        codes = codes.where(codes.notna() | (category != owner.value) | found.isna(), found)
    return codes.where(codes.notna(), written)


def classification_note(raw: pd.Series, category: pd.Series, subtype: pd.Series) -> str | None:
    """Return the summary's lines on how each of a file's own classifications was read.

    A 12345 classification of several levels is read by its most specific level known
    (``社会治安>邻里纠纷>噪音扰民`` is a dispute over 环境污染, by 噪音扰民): the clerk sees each
    distinct value the file writes and what it became, most rows first, and may classify one
    otherwise in the mapping file. Values written as a type's own name (``矛盾纠纷``,
    ``邻里纠纷``) say nothing surprising and are left out. Every value is listed: the summary
    of an import (not of a dry run) shows the first few (:func:`importers.cli.shown_note`).

    Parameters
    ----------
    raw : pandas.Series
        The classifications as written (``None`` where empty).
    category : pandas.Series
        Their category codes (NaN where refused).
    subtype : pandas.Series
        The subtype of its category each was read as, if any.

    Returns
    -------
    str or None
        ``分类对照…：`` then one line per value; ``None`` when no value needs it.

    Examples
    --------
    >>> raw = pd.Series(["社会治安>邻里纠纷>噪音扰民"] * 2 + ["邻里纠纷", "应急管理>消防安全"])
    >>> category = pd.Series(["dispute", "dispute", "dispute", "safety_hazard"])
    >>> subtype = pd.Series(["environment", "environment", "neighbours", "fire"])
    >>> print(classification_note(raw, category, subtype))
    分类对照（本文件的分类按以下读取，行数多的在前）：
      社会治安>邻里纠纷>噪音扰民 → 矛盾纠纷/环境污染（2 行）
      应急管理>消防安全 → 安全隐患/消防安全隐患（1 行）
    """
    categories = Category.labels()
    subtypes = {
        code: label for table in SUBTYPES.values() for code, label in table.labels().items()
    }
    read = pd.DataFrame({"raw": raw, "category": category, "subtype": subtype}).dropna(
        subset=["raw", "category"]
    )
    if read.empty:
        return None
    read["as"] = read["category"].map(categories) + read["subtype"].map(
        lambda code: f"/{subtypes[code]}", na_action="ignore"
    ).astype(object).fillna("")
    counted = read.groupby(["raw", "as"]).size().sort_values(ascending=False, kind="stable")
    plain = {vocabulary.value_key(label) for label in [*categories.values(), *subtypes.values()]}
    lines = [
        f"  {value} → {reading}（{n} 行）"
        for (value, reading), n in zip(counted.index.tolist(), counted.tolist(), strict=True)
        if vocabulary.value_key(str(value)) not in plain
    ]
    if not lines:
        return None
    return "\n".join(["分类对照（本文件的分类按以下读取，行数多的在前）：", *lines])


CASE_TYPES = "、".join(m.label for table in CASE_TABLES for m in table)
"""The names a case's type may be given (its category, or one of the category's subtypes)."""
_EXAMPLE_TYPE = "教育>义务教育>入学政策"
"""A 12345 classification no type of the platform names, for the rule's example."""
_TYPES_SECTION = '[values."事件类型"]'
"""The mapping file's section that classifies a file's own types, as a clerk names it."""


def category_rule(value: str, renamed: str | None = None) -> str:
    """Return why a case's type is refused, and how a file's own classification gets its type.

    Parameters
    ----------
    value : str
        The type as written in the file.
    renamed : str, optional
        What the mapping file's ``[values."事件类型"]`` says it is, if it names it.

    Returns
    -------
    str
        The rule (Chinese): the allowed names, and the line of the mapping file that classifies
        the value (the value itself, quoted as TOML quotes it, unless it is too long to be a
        classification).

    Examples
    --------
    >>> allowed, way = category_rule("城市管理>占道经营").split("；")
    >>> allowed  # doctest: +ELLIPSIS
    '必须是以下之一：矛盾纠纷、安全隐患、社情民意、婚姻家庭、...、其他纠纷、消防安全隐患、...、政策咨询'
    >>> way.split("，")
    ['本文件自有的分类', '可在映射文件（--mapping）的 [values."事件类型"] 中写明它归入上列哪一类',
     '如 "城市管理>占道经营" = "社情民意"']
    >>> category_rule("教育", "教育类")  # doctest: +ELLIPSIS
    '映射文件（--mapping）的 [values."事件类型"] 把它归入“教育类”：必须是以下之一：矛盾纠纷、...'
    """
    return _mapped_rule(
        value,
        renamed,
        allowed=f"必须是以下之一：{CASE_TYPES}",
        section=_TYPES_SECTION,
        way="本文件自有的分类，可在映射文件（--mapping）的 {section} 中写明它归入上列哪一类",
        example=(_EXAMPLE_TYPE, "社情民意"),
    )


def _mapped_rule(
    value: str,
    renamed: str | None,
    *,
    allowed: str,
    section: str,
    way: str,
    example: tuple[str, str],
) -> str:
    """Return why a code-table value is refused, with the mapping file's line that names it.

    ``way`` says what the line does (``{section}`` is filled in); the line quotes the value as
    TOML does, unless it is too long to be a name (``example``'s value then), and gives it
    ``example``'s name.
    """
    if renamed is not None:
        return f"映射文件（--mapping）的 {section} 把它归入“{renamed}”：{allowed}"
    quoted = json.dumps(value if len(value) <= 40 else example[0], ensure_ascii=False)
    return f'{allowed}；{way.format(section=section)}，如 {quoted} = "{example[1]}"'


_STATUS_SECTION = '[values."办理状态"]'
"""The mapping file's section that names a file's own statuses, as a clerk names it."""
VOID_RULE = (
    "作废或不予受理的工单不是案件（既非待办，也非已办结），不导入：加 --partial 导入其余行；"
    f"如本中心另有处理，可在映射文件（--mapping）的 {_STATUS_SECTION} 中写明它算作哪种状态"
)
"""Why a voided or refused work order (:data:`importers.vocabulary.VOID_STATUSES`) is refused."""


def status_rule(value: str, renamed: str | None = None) -> str:
    """Return why a case's status is refused, and the mapping file's line that names it.

    Parameters
    ----------
    value : str
        The status as written in the file.
    renamed : str, optional
        What the mapping file's ``[values."办理状态"]`` says it is, if it names it.

    Returns
    -------
    str
        The rule (Chinese).

    Examples
    --------
    >>> status_rule("待研判").split("；")[1]  # doctest: +ELLIPSIS
    '本文件自有的状态，可在映射文件（--mapping）的 [values."办理状态"] 中写明..."待研判" = "未办结"'
    """
    labels = "、".join(CaseStatus.labels().values())
    return _mapped_rule(
        value,
        renamed,
        allowed=f"必须是以下代码或名称之一：{labels}（或待处理、办理中等常用写法）",
        section=_STATUS_SECTION,
        way="本文件自有的状态，可在映射文件（--mapping）的 {section} 中写明它算哪一种"
        "（仍在办的写“未办结”）",
        example=("待研判", "未办结"),
    )


ENDED_UNSETTLED = frozenset(
    vocabulary.value_key(word)
    for word in (
        "调解不成功 调解未成功 调解失败 化解不成功 化解未成功 化解失败 不成功 未达成协议 "
        "终止调解 调解终止 引导诉讼 已引导诉讼 进入诉讼程序 转诉讼 已起诉 法治化途径 "
        "申请仲裁 转仲裁 已转仲裁"
    ).split()
)
"""Statuses that say a mediation ended without settling the dispute, which a ledger or a
12345 export keeps on its open side (the parties are referred to court or arbitration). With
``--history`` such a row is concluded history (:data:`layers.case_import.HISTORY_ENDED`), with
the closing time its source gives; without it, an open case, as the vocabulary reads it."""
REFERRED = re.compile(r"^已?移交")
"""A status that says the matter was referred on (已移交, 已移交司法所, 移交法院 …): ended here."""


def _ended_unsettled(written: pd.Series) -> pd.Series:
    """Return which statuses say the mediation ended unsettled (:data:`ENDED_UNSETTLED`).

    Read as a whole or by the leading clause (``调解不成功，引导当事人诉讼``).
    """

    def says_ended(value: object) -> bool:
        text = str(value)
        leading = vocabulary.STATUS_CLAUSE.split(text, maxsplit=1)[0]
        keys = {vocabulary.value_key(text), vocabulary.value_key(leading)}
        return bool(keys & ENDED_UNSETTLED) or any(REFERRED.match(k) for k in keys)

    said = {value: says_ended(value) for value in written.dropna().unique()}  # a handful
    if not any(said.values()):
        return pd.Series(False, index=written.index)
    return written.map(said).eq(True)


def _case_status(checks: RowChecks) -> tuple[pd.Series, pd.Series]:
    """Return the codes of the rows' statuses; refuse the unknown and the voided ones.

    A status of several clauses is read by its leading word when the whole is not known
    (``调解成功，已签订调解协议书`` is 调解成功). A status that says the mediation ended
    unsettled or was referred on (:data:`ENDED_UNSETTLED`, ``已移交法院``) is open here, and
    returned as such (the second series).
    """
    raw = checks.text("status")
    written = checks.recoded("status")
    codes = vocabulary.codes_of(written, CaseStatus)
    leading = written.str.split(vocabulary.STATUS_CLAUSE, n=1, regex=True).str[0]
    codes = codes.where(codes.notna(), vocabulary.codes_of(leading, CaseStatus))
    ended = _ended_unsettled(written) & (codes.isna() | (codes == CaseStatus.OPEN.value))
    codes = codes.where(~ended, CaseStatus.OPEN.value)
    keys = written.map(vocabulary.value_key, na_action="ignore")
    void = raw.notna() & codes.isna() & keys.isin(vocabulary.VOID_STATUSES)
    checks.fail("status", void, VOID_RULE)
    wrong = raw.notna() & codes.isna() & ~void
    renamed = checks.values.get("status", {})
    rules = {
        str(value): status_rule(str(value), renamed.get(vocabulary.value_key(str(value))))
        for value in raw[wrong].unique()
    }
    checks.fail("status", wrong, lambda value: rules[str(value)])
    return codes.astype(object).where(codes.notna(), None), ended


OPEN_CLOSED_RULE = "状态为未办结的案件不应有办结时间"
"""Why a row whose status says open is refused when it gives a closing time."""
ENDED_CLOSED_RULE = (
    "调解不成功、已移交等（调解已结束、纠纷未化解）：按未办结案件导入，进入待分流，"
    "化解日期不作为办结时间；如为已结束的历史记录，请加 --history 导入"
    "（按历史记录归档，保留原状态和办结时间）"
)
"""Said of a row whose status says the mediation ended unsettled and that gives a closing time,
outside a history import: the row loads, as an open case (the case is still the centre's
work: the parties go to court or arbitration), without the closing time."""


def _case_state(
    checks: RowChecks, reported: pd.Series, *, history: bool = False
) -> dict[str, pd.Series]:
    """State and closing time: a case settled in its source system is imported settled.

    A row with a closing time and no status was settled; a status that says the case is
    still open contradicts a closing time (unless it says the mediation ended unsettled: with
    ``history`` the time it ended, else left out, the row loading as an open case with
    :data:`ENDED_CLOSED_RULE`), and a case cannot close before it was reported.
    When some row gives either, :data:`layers.case_import.STATUS_GIVEN` says which rows do.
    With ``history``, the rows still open at the source are concluded history: state
    ``archived``, and :data:`layers.case_import.HISTORY_STATUS` and
    :data:`layers.case_import.HISTORY_ENDED` keep what the source says of them.
    """
    closed = checks.timestamps("closed_at", past=True)
    status, ended = _case_status(checks)
    written = status.notna()
    status = status.where(written | closed.isna(), CaseStatus.RESOLVED.value)
    state = status.where(status.notna(), CaseStatus.OPEN.value)
    still_open = written & (status == CaseStatus.OPEN.value) & closed.notna()
    checks.fail("closed_at", still_open & ~ended, OPEN_CLOSED_RULE)
    if not history:
        checks.fail("closed_at", still_open & ended, ENDED_CLOSED_RULE, severity="repaired")
    checks.fail("closed_at", closed < reported, "办结时间早于登记时间")
    concluded = state == CaseStatus.OPEN.value if history else pd.Series(False, index=state.index)
    said = written | closed.notna() | concluded
    given = {STATUS_GIVEN: said} if said.any() else {}
    closed = closed.where((state != CaseStatus.OPEN.value) | concluded)
    state = state.where(~concluded, CaseStatus.ARCHIVED.value)
    untimed = int(
        ((state != CaseStatus.OPEN.value) & ~concluded & closed.isna() & ~checks.bad).sum()
    )
    if untimed:
        checks.notes.append(UNTIMED_NOTE.format(n=untimed))
    kept = _history_columns(checks, concluded, ended) if history else {}
    return {"state": state.astype(object), "closed_at": _iso(closed), **given, **kept}


def _history_columns(
    checks: RowChecks, concluded: pd.Series, ended: pd.Series
) -> dict[str, pd.Series]:
    """Return what the source says of the rows a history import stores as concluded history."""
    written = checks.text("status").map(lambda v: str(v).strip() or None, na_action="ignore")
    return {
        HISTORY_STATUS: written.where(concluded, None).astype(object),
        HISTORY_ENDED: ended.where(concluded, None).astype(object),
    }


UNTIMED_NOTE = "{n} 件已办结但没有办结时间，办结用时的统计不计入这些案件"
"""Said of settled rows without a closing time (a grid app's or a 110 list's, say)."""


LEDGER_FIELDS = (
    "area_code",
    "township",
    "grid_code",
    "address",
    "category",
    "subcategory",
    "reporter_name",
    "title",
    "description",
)
"""What tells one case of a ledger from another, besides its day (:func:`ledger_numbers`)."""
LEDGER_PREFIX = "TZ"
"""Start of the source numbers given to the rows of a ledger (台账) without numbers."""
LEDGER_NOTE = (
    "文件没有工单编号列：按登记日期、所在地、类型、当事人和内容为每行生成来源编号（TZ 开头），"
    "再次导入同一台账不会重复；改过内容的行按登记日期、所在地、类型和当事人（或内容）找到库中的同一件"
)
"""The summary's note on a ledger imported without numbers."""
EDITED_NOTE = (
    "{n} 行台账与库中同一天、同一地点、同一类型且当事人或内容相同的案件是同一件，"
    "内容有改动，已更新该案件（第 {rows} 行）"
)
"""Said of a ledger's rows whose text was corrected since (:func:`_edited_ledger_rows`)."""


def ledger_numbers(checks: RowChecks, reported: pd.Series) -> pd.Series:
    """Return source numbers for a ledger's rows, from what they say (its day, place, type …).

    A township's 矛盾纠纷排查化解台账 numbers its rows 1, 2, 3 … afresh each month, if at all;
    the same case comes back next month with its 化解结果 brought up to date. So its number is
    made from what does not change: the day it was registered and the texts of
    :data:`LEDGER_FIELDS` as written (full-width forms and spaces do not count), not its status
    or its result. Identical rows get the same number (the file's duplicate check tells them).

    Parameters
    ----------
    checks : RowChecks
        The file's checks.
    reported : pandas.Series
        The rows' registration times (NaT where missing or refused: no number).

    Returns
    -------
    pandas.Series
        ``TZ`` + the day (``YYYYMMDD``) + ``-`` + 12 hex digits of SHA-256 of the texts;
        ``None`` where the time is missing.

    Examples
    --------
    >>> frame = pd.DataFrame({"类型": ["邻里纠纷", "邻里纠纷 "], "村": ["华福社区", "华福社区"]})
    >>> checks = RowChecks(frame, {"category": "类型", "area_code": "村"})
    >>> days = pd.Series(pd.to_datetime(["2025-03-02 09:00", "2025-03-02 17:00"]))
    >>> numbers = ledger_numbers(checks, days)
    >>> numbers[0] == numbers[1], numbers[0][:11]
    (True, 'TZ20250302-')
    """
    joined = pd.Series("", index=checks.frame.index, dtype=object)
    for name in LEDGER_FIELDS:
        text = checks.text(name).map(_ledger_text, na_action="ignore").astype(object)
        joined = joined + "\x1f" + text.fillna("")
    digests = joined.map(lambda t: hashlib.sha256(t.encode()).hexdigest()[:12])
    numbers: pd.Series = LEDGER_PREFIX + reported.dt.strftime("%Y%m%d") + "-" + digests
    return numbers.astype(object).where(reported.notna(), None)


def _ledger_text(value: object) -> str:
    return vocabulary.value_key(str(value))


def _prepare_cases(checks: RowChecks, context: Context) -> list[Part]:
    channel = checks.choice("channel", Channel)
    category, subcategory = _case_category(checks)
    reported = checks.timestamps("reported_at", past=True)
    risk = checks.choice("risk_level", RiskLevel, default=RiskLevel.BLUE.value)
    state = _case_state(checks, reported, history=context.history)
    grid, grid_names = _grid_from(checks, "grid_code")
    area, places = _area_from(checks, grid.str[:12])
    numbered = checks.has("external_no")
    external = checks.text("external_no") if numbered else ledger_numbers(checks, reported)
    # A number Excel kept as 2.02611E+12 names no work order (or several at once).
    checks.fail("external_no", excel_mangled_cells(external), EXCEL_NUMBER_RULE)
    description = checks.text("description")
    title = checks.text("title")
    fallback = description.str.slice(0, 60).where(
        description.notna(), category.map(Category.labels(), na_action="ignore")
    )
    title = title.where(title.notna(), fallback).str.slice(0, 200)
    told_on = "external_no" if numbered else "description" if checks.has("description") else "title"
    # a ledger's number leaves the channel out: the same row under two 排查方式 is one case
    checks.duplicates(told_on, [channel, external] if numbered else [external])
    records = _frame(
        checks,
        {
            "external_no": external,
            "channel": channel,
            "category": category,
            "subcategory": subcategory,
            "title": title,
            "description": description,
            "risk_level": risk,
            **_points(checks, context),
            "address": checks.text("address").str.slice(0, 200),
            "area_code": area,
            **places,
            "grid_code": grid,
            GRID_NAME: grid_names,
            **state,
            "reported_at": _iso(reported),
            "reporter_name": checks.text("reporter_name"),
            "reporter_phone": phone_numbers(checks.text("reporter_phone")),
            **_source_repeats(checks),
        },
    )
    # What the file has no column for says nothing of a case on record (a later export of
    # other columns corrects what it gives and erases nothing): see refresh_untouched.
    unsaid = _unsaid(
        checks,
        _CASE_DETAILS,
        {
            "title": ("title", "description"),
            "point": _POINT_FIELDS,
            "grid_code": ("grid_code", *_POINT_FIELDS),
        },
    )
    alike = tuple(c for c in ("reporter_name", "title", "description") if checks.has(c))
    edited = None if numbered else Recognition(partial(_edited_ledger_rows, alike=alike))
    return [Part(records, ("channel", "external_no"), True, unsaid, recognition=edited)]


REPEAT_WORDS = {
    True: "是 y yes true 1 重复 重复件 是重复件 重复工单 重复来电 √ ✓ ✔",
    False: "否 n no false 0 不重复 非重复 非重复件 不是 不是重复件 × ✗ ✘",
}
"""How an export writes its 是否重复件: yes or no."""
REPEAT_FLAG_RULE = "应填“是”或“否”（是否为重复件）"
"""Why a 是否重复件 that says neither is refused."""


def _source_repeats(checks: RowChecks) -> dict[str, pd.Series]:
    """Read an export's own repeat flags (是否重复件, 关联工单编号), when it has them.

    The source system knows which calls repeat an earlier work order: its word is taken
    before the 200 m / 30 days rule (:func:`layers.case_repeats.link_staged_repeats`). A file
    without either column stages neither, and keeps the rule alone.
    """
    if not (checks.has("repeat_flag") or checks.has("repeat_of")):
        return {}
    words = {vocabulary.value_key(w): said for said, ws in REPEAT_WORDS.items() for w in ws.split()}
    written = checks.text("repeat_flag")
    flag = written.map(lambda v: words.get(vocabulary.value_key(str(v))), na_action="ignore")
    checks.fail("repeat_flag", written.notna() & flag.isna(), REPEAT_FLAG_RULE)
    original = checks.text("repeat_of").map(lambda v: str(v).strip() or None, na_action="ignore")
    checks.fail("repeat_of", excel_mangled_cells(original), EXCEL_NUMBER_RULE)
    return {REPEAT_FLAG: flag.astype(object), REPEAT_OF: original.astype(object)}


def _edited_ledger_rows(conn: Any, staging: str, alike: tuple[str, ...]) -> list[str]:
    """Give the ledger's edited rows the cases they edit; say which (:data:`EDITED_NOTE`)."""
    rows = rekey_edited_rows(conn, staging, LEDGER_PREFIX, alike)
    if not rows:
        return []
    listed = "、".join(str(r) for r in rows[:10]) + ("等" if len(rows) > 10 else "")
    return [EDITED_NOTE.format(n=len(rows), rows=listed)]


_CASE_DETAILS = (
    "title",
    "description",
    "risk_level",
    "address",
    "grid_code",
    "point",
    "reporter_name",
    "reporter_phone",
)
"""A case's columns a file may leave out."""
_POINT_FIELDS = ("lon", "lonlat", "wkt")
"""The fields a point may come from."""


# ------------------------------------------------------------------------------- persons

FIRST_GENERATION_RULE = (
    "这是 15 位的第一代身份证号，但其中的出生日期不存在，无法换算为 18 位：请核对号码，"
    "或换成本人的 18 位号码"
)
"""Why a 15-digit resident ID is refused: its birth date (digits 7–12) is no day."""
UPGRADED_NOTE = (
    "{n} 个 15 位的第一代身份证号已换算为 18 位后导入（第 6 位后补“19”，末尾加校验码，"
    "GB 11643）：第 {rows} 行"
)
"""Said of the 15-digit IDs a roster gives, stored in their 18-character form."""


def _resident_id_text(value: object) -> str:
    """Return an ID as hashed: without a text mark (``'5304…``), grouping, full-width digits."""
    return normalise_resident_id(kept_text(str(value)))


def _upgraded(number: str) -> str | None:
    """Return the 18-character form of a 15-digit ID, ``None`` if its birth date is no day."""
    full = upgrade_resident_id(number)
    return full if valid_resident_ids(np.array([full]))[0] else None


def _resident_ids(checks: RowChecks) -> pd.Series:
    """Return the rows' resident IDs as stored; refuse the invalid ones.

    A 15-digit first-generation ID is converted to its 18-character form (GB 11643: ``19``
    after the 6th digit, then the check character), and the summary counts them
    (:data:`UPGRADED_NOTE`). A truncated 18-character ID converts to a birth date in month 19
    or later for anyone born after 1912, and is refused as such.
    """
    raw = checks.text("resident_id")
    ids = raw.map(_resident_id_text, na_action="ignore")
    old = ids.str.fullmatch(r"[0-9]{15}", na=False)
    if old.any():
        upgraded = ids[old].map(_upgraded)
        ids = ids.mask(old & upgraded.reindex(ids.index).notna(), upgraded)
        converted = upgraded.dropna().index
        if len(converted):
            rows = "、".join(str(r) for r in converted[:10]) + ("等" if len(converted) > 10 else "")
            checks.notes.append(UPGRADED_NOTE.format(n=len(converted), rows=rows))
    present = ids.notna().to_numpy()
    valid = np.zeros(len(ids), bool)
    if present.any():
        valid[present] = valid_resident_ids(ids[present].to_numpy(dtype=str))

    def rule(value: object) -> str:
        if excel_mangled(str(value)):
            return EXCEL_NUMBER_RULE
        number = _resident_id_text(value)
        if len(number) == 15 and number.isdigit():
            return FIRST_GENERATION_RULE
        try:
            parse_resident_id(number)
        except ValueError as exc:
            return str(getattr(exc, "rule", exc))
        return "身份证号无效"

    checks.fail("resident_id", present & ~valid, rule)
    return ids


def _sealed(ids: pd.Series, keys: Keys) -> tuple[pd.Series, pd.Series, pd.Series]:
    def hexed(data: bytes) -> str:
        return "\\x" + data.hex()

    hashes = ids.map(lambda v: hexed(hash_resident_id(keys, v)), na_action="ignore")
    masked = ids.map(_mask, na_action="ignore")
    sealed = ids.map(lambda v: hexed(seal(keys, v)), na_action="ignore")
    return hashes.astype(object), masked.astype(object), sealed.astype(object)


def _listed_hashes(ids: pd.Series, hashes: pd.Series, keys: Keys) -> pd.Series:
    """Return ``hashes`` and those of the refused rows whose resident ID is valid.

    A row refused for another field still names its person: a complete list strikes off only
    those it does not name (:mod:`layers.person_roster`). Refused rows are never staged.
    """
    unhashed = ids.notna() & hashes.isna()
    if not unhashed.any():
        return hashes
    valid = pd.Series(False, index=ids.index)
    valid[unhashed] = valid_resident_ids(ids[unhashed].to_numpy(dtype=str))
    named = ids[valid].map(lambda v: "\\x" + hash_resident_id(keys, v).hex())
    return hashes.combine_first(named).astype(object)


QUALIFIED_ATTRIBUTES = {
    PersonCategory.CORRECTION.value: ("correction_type", ("管制", "缓刑", "假释", "暂予监外执行")),
}
"""Category → the field its qualifier may give, and the values it may: a roster that writes
``社区矫正人员（缓刑）`` and has no 矫正类别 column (or an empty cell) gives 缓刑."""
_QUALIFIER = r"[（(【\[]\s*([^）)】\]]*?)\s*[）)】\]]\s*$"
"""The bracketed qualifier ending a value."""


def _blank(value: Any) -> bool:
    return value is None or bool(pd.isna(value)) or value == ""


def _attribute_label(code: str, field: str) -> str:
    """Return how a category's field is named in files: its first Chinese header (原罪名)."""
    keys = attribute_headers(code)
    return next((k for k, f in keys.items() if f == field and not k.isascii()), field)


def _attribute_columns_note(stored: dict[str, dict[str, str]]) -> str | None:
    """Return the summary's line on the category columns stored: 列对照（人员类别属性）.

    Examples
    --------
    >>> print(_attribute_columns_note({"correction": {"罪名": "original_crime"}}))
    列对照（人员类别属性）：社区矫正人员：罪名 ← 罪名
    """
    labels = PersonCategory.labels()
    shown = [
        labels.get(code, code)
        + "："
        + "；".join(f"{_attribute_label(code, f)} ← {h}" for h, f in columns.items())
        for code, columns in stored.items()
        if columns
    ]
    return f"列对照（人员类别属性）：{'，'.join(shown)}" if shown else None


def _unstored_attributes(checks: RowChecks, stored: dict[str, dict[str, str]]) -> list[str]:
    """Return the file's category columns no row's category stores: not imported.

    A 罪名 in a list of 严重精神障碍患者, say; the summary's 未导入的列 names them.
    """
    used = set(checks.columns.values())
    read = {h for columns in stored.values() for h in columns}
    known = {normalise_header(k) for code in MODELS for k in attribute_headers(code)}
    return [
        str(h)
        for h in checks.frame.columns
        if h not in used and h not in read and normalise_header(str(h)) in known
    ]


def _error_column(
    error: Any, headers: dict[str, str], code: str, fallback: str
) -> tuple[str, bool]:
    """Return the column an attribute error is about, and whether the file has that column.

    The error's field (its key as the file gave it), else the field a rule of the whole record
    names (:class:`layers.person_attributes.AttributeRuleError`), else the first attribute
    column of the row (``fallback`` when it has none).
    """
    where = error["loc"][0] if error["loc"] else None
    header = next((h for h, k in headers.items() if k == where), None)
    broken = (error.get("ctx") or {}).get("error")
    if header is None and isinstance(broken, AttributeRuleError) and broken.field:
        fields = attribute_headers(code)
        header = next((h for h, k in headers.items() if fields[k] == broken.field), None)
    if header is not None:
        return header, True
    return next(iter(headers), fallback), False


def _attributes(checks: RowChecks, category: pd.Series) -> pd.Series:
    """Validate each row's category-specific columns into the JSON of ``persons.attributes``.

    A qualifier of the category (:data:`QUALIFIED_ATTRIBUTES`) fills its field where the
    row's columns do not. An error is reported on the column it is about, with its value. The
    summary lists the columns stored for each category (列对照（人员类别属性）); a category
    column that no row's category has (a 罪名 beside 严重精神障碍患者) is not imported, and is
    named so (:attr:`importers.rules.RowChecks.unstored`).
    """
    used = set(checks.columns.values())
    by_key = {normalise_header(h): h for h in checks.frame.columns if h not in used}
    qualifiers = checks.text("category").astype("string").str.extract(_QUALIFIER)[0]
    result = pd.Series("{}", index=checks.frame.index, dtype=object)
    stored: dict[str, dict[str, str]] = {}
    for code in category.dropna().unique():
        accepted = attribute_headers(str(code))
        headers = {
            by_key[normalise_header(k)]: k for k in accepted if normalise_header(k) in by_key
        }
        stored[str(code)] = {h: accepted[headers[h]] for h in checks.frame.columns if h in headers}
        rows = category[category == code].index
        field, allowed = QUALIFIED_ATTRIBUTES.get(str(code), ("", ()))
        implied = qualifiers[rows][qualifiers[rows].isin(allowed)]
        if not headers and implied.empty:
            continue
        fields, dates = attribute_headers(str(code)), date_fields(str(code))
        in_days = {k for k in headers.values() if fields[k] in dates}  # Excel serial days too
        for row in rows:
            raw: dict[str, object] = {
                key: checks.frame.at[row, header] for header, key in headers.items()
            }
            raw = {k: excel_date(v) if k in in_days else v for k, v in raw.items()}
            if row in implied.index and all(
                _blank(v) for k, v in raw.items() if fields[k] == field
            ):
                raw = {k: v for k, v in raw.items() if fields[k] != field} | {field: implied[row]}
            try:
                result[row] = json.dumps(validate_attributes(str(code), raw), ensure_ascii=False)
            except ValidationError as exc:
                for error in exc.errors():
                    column, own = _error_column(
                        error, headers, str(code), checks.header("category")
                    )
                    value = checks.frame.at[row, column] if own else None
                    checks.add_row_problem(int(row), column, value, attribute_error(error))
    note = _attribute_columns_note(stored)
    if note is not None:
        checks.notes.append(note)
    checks.unstored += _unstored_attributes(checks, stored)
    return result


def _prepare_persons(checks: RowChecks, context: Context) -> list[Part]:
    if context.keys is None:
        raise ValueError("persons need the platform keys")
    category = checks.choice("category", PersonCategory)
    ids = _resident_ids(checks)
    level = checks.choice(
        "management_level", ManagementLevel, default=ManagementLevel.ROUTINE.value
    )
    grid, grid_names = _grid_from(checks, "grid_code")
    area, places = _area_from(checks, grid.str[:12])
    attributes = _attributes(checks, category)
    point = _points(checks, context)
    stations = {STATION_NAME: checks.text("police_station")} if checks.has("police_station") else {}
    checks.duplicates("resident_id", [category, ids])
    usable = ids.where(~checks.bad)
    hashes, masked, sealed = _sealed(usable, context.keys)
    hashes = _listed_hashes(ids, hashes, context.keys)  # a refused row still lists its person
    records = _frame(
        checks,
        {
            "category": category,
            "name": checks.text("name"),
            "id_hash": hashes,
            "id_masked": masked,
            "id_sealed": sealed,
            "management_level": level,
            "attributes": attributes,
            **point,
            "address": checks.text("address").str.slice(0, 200),
            "grid_code": grid,
            GRID_NAME: grid_names,
            "area_code": area,
            **places,
            **stations,
            **_responsibles(checks),
            **_register(checks, category, attributes),
        },
    )
    # A roster is the record of its people: the next month's corrects and updates them. The
    # sealed ID is sealed anew at each import (a fresh nonce), and a field the roster does not
    # give keeps what the person has.
    # A point says which grid (:func:`layers.import_checks.fill_grid_codes_from_points`).
    absent = _unsaid(
        checks,
        ("management_level", "address", "grid_code"),
        {"grid_code": ("grid_code", *_POINT_FIELDS)},
    )
    # A new person of a name on record whose ID is nearly theirs: a mistyped ID, noted.
    lookalikes = Recognition(partial(lookalike_notes, keys=context.keys))
    return [Part(records, ("category", "id_hash"), True, ("id_sealed", *absent), lookalikes)]


_REGISTER_SECTION = '[values."在册状态"]'
"""The mapping file's section that names a roster's own words for the register."""
REGISTER_WORDS = (
    "在册（或在矫、在管、正常、外出、失联等），或注销的原因：解除矫正、解矫、矫正期满、"
    "终止矫正、收监执行、解除帮教、死亡、迁出、撤销、注销等"
)
"""The words a roster's 在册状态 may be written in, as a refusal names them
(:data:`importers.vocabulary.ALIASES` has them all)."""


def register_rule(value: str, renamed: str | None = None) -> str:
    """Return why a roster's 在册状态 is refused, and the mapping file's line that names it.

    Parameters
    ----------
    value : str
        The status as written in the file.
    renamed : str, optional
        What the mapping file's ``[values."在册状态"]`` says it is, if it names it.

    Returns
    -------
    str
        The rule (Chinese).

    Examples
    --------
    >>> allowed, way = register_rule("外地服刑").split("；")
    >>> allowed  # doctest: +ELLIPSIS
    '必须是在册（或在矫、在管、正常、外出、失联等），或注销的原因：解除矫正、解矫、...、注销等'
    >>> way.split("，")[-1]
    '如 "外地服刑" = "在册"'
    """
    return _mapped_rule(
        value,
        renamed,
        allowed=f"必须是{REGISTER_WORDS}",
        section=_REGISTER_SECTION,
        way=(
            "本文件自有的写法，可在映射文件（--mapping）的 {section} 中写明它算在册（仍须跟进）"
            "还是注销（已离册，不再显示）"
        ),
        example=("外地服刑", "在册"),
    )


ENDED_BY_ROW_NOTE = "{n} 人已注销但没有注销日期，注销日期按本行的{field}记（第 {rows} 行）"
"""Said of the rows struck off without a 注销日期 whose category field gives the day."""


def _row_end_days(category: pd.Series, attributes: pd.Series) -> pd.Series:
    """Return the day each row's category fields say its follow-up ended (``None``: none).

    A 社区矫正 row's 矫正结束日期 (:data:`layers.person_attributes.END_DATES`); a day after
    today is no end yet.
    """
    today = pd.Timestamp.now(tz=SHANGHAI).date().isoformat()
    days = pd.Series(None, index=category.index, dtype=object)
    for code, name in END_DATES.items():
        rows = category.index[category == code]
        for row in rows:
            day = json.loads(str(attributes.at[row])).get(name)
            if day is not None and str(day) <= today:
                days.at[row] = str(day)
    return days


def _register(
    checks: RowChecks, category: pd.Series, attributes: pd.Series
) -> dict[str, pd.Series]:
    """Return what each row says of the person's place on the register, to stage.

    ``ended_on`` (the row's end date; else the day its category's fields say the follow-up
    ended, a 社区矫正's 矫正结束日期, and the summary says so; else the import day),
    ``ended_reason`` (the status as written) and :data:`layers.person_register.REGISTER`;
    nothing when the roster has neither column: it says nothing of the register
    (:func:`layers.person_register.settle_register` keeps, likewise, what an empty cell does
    not say). An unknown status is refused, and so is an end date without a status.
    """
    if not (checks.has("register") or checks.has("ended_on")):
        return {}
    raw = checks.text("register")
    written = checks.recoded("register")
    status = vocabulary.codes_of(written, RegisterStatus)
    leading = written.str.split(vocabulary.STATUS_CLAUSE, n=1, regex=True).str[0]
    status = status.where(status.notna(), vocabulary.codes_of(leading, RegisterStatus))
    wrong = raw.notna() & status.isna()
    renamed = checks.values.get("register", {})
    rules = {
        str(value): register_rule(str(value), renamed.get(vocabulary.value_key(str(value))))
        for value in raw[wrong].unique()
    }
    checks.fail("register", wrong, lambda value: rules[str(value)])
    when = checks.timestamps("ended_on", past=True)
    checks.fail(
        "ended_on",
        when.notna() & raw.isna(),
        f"填了{checks.header('ended_on')}，但{checks.header('register')}为空：请写明在册，"
        "或注销的原因（如解除矫正、死亡、迁出）；整个文件都已注销的，可用 --set "
        f"{checks.header('register')}=解除矫正 之类给出",
    )
    ended = status == RegisterStatus.ENDED.value
    dated = ended & when.notna()
    today = pd.Timestamp.now(tz=SHANGHAI).date().isoformat()
    ended_on = pd.Series(None, index=checks.frame.index, dtype=object).mask(ended, today)
    if dated.any():  # the day as the roster's office wrote it, not in UTC
        ended_on = ended_on.mask(dated, when.dt.tz_convert(SHANGHAI).dt.strftime("%Y-%m-%d"))
    by_row = _row_end_days(category, attributes).where(ended & ~dated & ~checks.bad)
    if by_row.notna().any():  # 解除矫正 without a 注销日期: the day its supervision ended
        ended_on = ended_on.mask(by_row.notna(), by_row)
        dated |= by_row.notna()
        rows = by_row.dropna().index
        labels = {
            _attribute_label(c, f) for c, f in END_DATES.items() if (category[rows] == c).any()
        }
        checks.notes.append(
            ENDED_BY_ROW_NOTE.format(
                n=len(rows),
                field="、".join(sorted(labels)),
                rows="、".join(str(r) for r in rows[:10]) + ("等" if len(rows) > 10 else ""),
            )
        )
    register = pd.Series(None, index=checks.frame.index, dtype=object).mask(ended, ENDED_UNDATED)
    register = register.mask(dated, ENDED).mask(status == RegisterStatus.ON.value, ON)
    reason = raw.str.replace(r"\s+", "", regex=True).str.slice(0, 50)  # as written
    return {
        "ended_on": ended_on,
        "ended_reason": reason.where(ended, None).astype(object),
        REGISTER: register.astype(object),
    }


_NAME_LIST = r"[、,，;；/／\s]+"
"""Between the names (or 工号) of several responsible workers in one cell."""
_NAME_NOTE = _QUALIFIER.removesuffix(r"\s*$")
"""A bracketed note after a name (``吴云琳（网格员）``): not part of the name."""


def _worker_names(text: pd.Series) -> pd.Series:
    r"""Return the 工号 or names of a cell of workers, joined by U+001F (``None`` for none).

    Several are separated as :data:`_NAME_LIST` says; a bracketed note after a name is left out.

    Examples
    --------
    >>> names = _worker_names(pd.Series(["吴云琳（网格员）、派出所王警官", "（空）", None]))
    >>> names[0].split("\x1f"), names.isna().tolist()
    (['吴云琳', '派出所王警官'], [False, True, True])
    """
    bare = text.str.replace(_NAME_NOTE, " ", regex=True)
    listed = bare.str.replace(_NAME_LIST, "\x1f", regex=True).str.strip("\x1f")
    return listed.where(listed.notna() & (listed != ""), None).astype(object)


def _responsibles(checks: RowChecks) -> dict[str, pd.Series]:
    """Return the helper column of the workers responsible for each person, if the file has one."""
    if not checks.has("responsible"):
        return {}
    return {RESPONSIBLE: _worker_names(checks.text("responsible"))}


_PADDED_NAME = (
    r"(?:^|(?<=[、,，;；/／]))\s*"  # where a name starts
    r"([^\s、,，;；/／])\s+([^\s、,，;；/／（(])"  # a character, spaces, a character
    r"\s*(?=$|[、,，;；/／（(])"  # where the name ends (a note may follow)
)
"""A two-character name padded to the width of three (``王　芳``): one name, not two."""


def _visitors(checks: RowChecks) -> pd.Series:
    r"""Return each row's visitors: the 工号 or names of its cell, each once, joined by U+001F.

    A joint visit (``孙华海、韩刚志``, ``孙华海 韩刚志``) is one visit per visitor: the staged
    row is split once its person is found (:func:`layers.import_checks.split_joint_visits`).
    A name padded to align a column (``王　芳``) is one name.
    """
    written = checks.text("visitor").str.replace(_PADDED_NAME, r"\1\2", regex=True)
    names = _worker_names(written)
    joint = names.str.contains("\x1f", regex=False, na=False)
    once = names[joint].map(lambda cell: "\x1f".join(dict.fromkeys(cell.split("\x1f"))))
    return names.mask(joint, once).astype(object)


# ------------------------------------------------------------------------------- visits


def _prepare_visits(checks: RowChecks, context: Context) -> list[Part]:
    if context.keys is None:
        raise ValueError("visits need the platform keys")
    ids = _resident_ids(checks)
    category = checks.choice("category", PersonCategory)
    visited = checks.timestamps("visited_on", past=True)
    day = visited.dt.tz_convert("Asia/Shanghai").dt.date
    usable = ids.where(~checks.bad)
    keys = context.keys

    def hashed(number: object) -> str:
        return "\\x" + hash_resident_id(keys, str(number)).hex()

    hashes = usable.map(hashed, na_action="ignore")
    visitor = _visitors(checks)
    # A visit is a person's, on a day, by a visitor: two visitors of one day (a 网格员's and a
    # 民警's, in two rows or in one cell) are two visits, one visitor twice in a day is one (a
    # visit keeps its day, not its hour). No unique index says so: the same visit twice is
    # refused here, and again once names are workers (import_checks.repeated_visits).
    same = [category.fillna(""), ids, day.astype(str), visitor.fillna("")]
    checks.duplicates("visited_on", same)
    records = _frame(
        checks,
        {
            "person_id": None,
            "area_code": None,
            "visited_on": day.map(lambda d: None if pd.isna(d) else d.isoformat()).astype(object),
            "visitor_id": None,
            **_points(checks, context),
            "note": checks.text("note"),
            "_id_hash": hashes.astype(object),
            "_category": category,
            VISITOR: visitor,
        },
    )
    return [Part(records, visit_key(checks.has("visitor")), False)]


def visit_key(has_visitor: bool) -> tuple[str, ...]:
    """Return the columns a staged visit is matched on with the visits on record.

    Parameters
    ----------
    has_visitor : bool
        The file has a 走访人 column. A file without it says nothing of visitors: it corrects
        the visit of the day (refused when the day has several, see
        :func:`layers.import_checks.visits_matched_twice`).

    Returns
    -------
    tuple of str
        Person and day, and the visitor when the file names them.
    """
    key = ("person_id", "visited_on", "visitor_id")
    return key if has_visitor else key[:2]


KINDS: dict[str, Kind] = {
    "jurisdictions": Kind(
        "jurisdictions",
        Base.metadata.tables["jurisdictions"],
        ("code", "name", "township", "wkt", *UNIT_CHANGE_FIELDS),
        _prepare_jurisdictions,
        update=True,
        geometry=None,
        keep=("boundary", "source", *RETIREMENT_KEPT),
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
    ),
    "grids": Kind(
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
    ),
    "workers": Kind(
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
    ),
    "video": Kind(
        "video",
        Base.metadata.tables["video_points"],
        (
            "device_id",
            "name",
            *_CAMERA_DETAILS,
            "lon",
            "lat",
            "lonlat",
            "wkt",
            "area_code",
            "township",
            "address",
            "police_station",
        ),
        _prepare_video,
        update=True,
        geometry="point",
        helpers={UNREAD: "text", ORGANISATION: "text", INSTALL_ADDRESS: "text"},
        label="视频点位",
        required=("device_id", "name"),
        headers={
            "device_id": "国标编码",
            "name": "点位名称",
            "direction_type": "监视方位",
            "address": "安装位置",
            "police_station": "所属组织",
        },
    ),
    "cases": Kind(
        "cases",
        Base.metadata.tables["cases"],
        (
            "external_no",
            "channel",
            "category",
            "subcategory",
            "title",
            "description",
            "risk_level",
            "lon",
            "lat",
            "lonlat",
            "wkt",
            "address",
            "grid_code",
            "area_code",
            "township",
            "reported_at",
            "status",
            "closed_at",
            "reporter_name",
            "reporter_phone",
            "repeat_flag",
            "repeat_of",
        ),
        _prepare_cases,
        update=False,
        geometry="point",
        label="案件",
        required=("external_no", "channel", "category", "reported_at"),
        headers={"external_no": "工单编号", "status": "办理状态"},
        named_by_file={"channel": Channel},
        helpers={
            STATUS_GIVEN: "boolean",
            HISTORY_STATUS: "text",
            HISTORY_ENDED: "boolean",
            REPEAT_FLAG: "boolean",
            REPEAT_OF: "text",
        },
        numbered_by_content=True,
    ),
    "persons": Kind(
        "persons",
        Base.metadata.tables["persons"],
        (
            "category",
            "name",
            "resident_id",
            "management_level",
            "lon",
            "lat",
            "lonlat",
            "wkt",
            "address",
            "grid_code",
            "area_code",
            "township",
            "police_station",
            "responsible",
            "register",
            "ended_on",
        ),
        _prepare_persons,
        update=True,
        geometry="residence",
        keep=("residence", "address", "grid_code"),
        merge=("attributes",),
        label="特殊人群",
        required=("category", "name", "resident_id"),
        headers={
            "category": "人员类别",
            "name": "姓名",
            "responsible": "帮扶责任人",
            "register": "在册状态",
            "ended_on": "注销日期",
            "police_station": "所属派出所",
        },
        named_by_file={"category": PersonCategory},
        helpers={RESPONSIBLE: "text", REGISTER: "text"},
    ),
    "visits": Kind(
        "visits",
        Base.metadata.tables["person_visits"],
        ("resident_id", "category", "visited_on", "visitor", "lon", "lat", "lonlat", "wkt", "note"),
        _prepare_visits,
        update=True,  # a corrected file corrects them, and who made them (layers.visit_import)
        geometry="point",
        keep=("point", "note", "visitor_id"),
        helpers={"_id_hash": "bytea", "_category": "text", VISITOR: "text"},
        label="走访记录",
        required=("resident_id", "visited_on"),
        headers={"category": "人员类别", "visitor": "走访人", "note": "走访情况"},
        named_by_file={"category": PersonCategory},
    ),
}
"""Every kind the importer knows, by name."""
