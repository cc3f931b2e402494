"""Import templates: the XLSX a clerk fills in, with the headers the importer knows.

``zongzhi template KIND`` writes one per kind, three sheets:

* 数据: the header row only, required columns starred (``*姓名``); code and ID columns are
  formatted as text, so Excel keeps an 18-digit ID's digits; code-table columns offer their
  values in a drop-down;
* 填写说明: each column, whether it is required, what it holds, an example, the values a
  code-table column takes;
* 代码表: the values the drop-downs list;
* 列对照文件示例: for a clerk whose own sheet names its columns otherwise, the mapping file
  (``--mapping``, the page's 列对照文件) that reads it as it is, to copy into Notepad
  (:func:`mapping_example`).

The importer reads 数据 as it is (the first sheet with a header row).

The examples name units of 华宁县 (宁州街道, 复安社区), unless the template is written for a
jurisdiction of the database (:class:`layers.example_places.ExamplePlace`): then they name its
township, village and grid, give a point inside them, and a camera's and a resident's ID of its
county (:func:`place_examples`), so an example row imports there with ``--within``.

填写说明 tells how to import the file. A template written for the console's 数据导入 page (the
server runs ``zongzhi template`` with :data:`importers.terminal.IMPORT_PAGE_ENV` ``=1``) says the
page's steps: ``在综治平台“数据导入”页选择“网格员”，上传本文件（先勾选“试运行”）``, and no
option of the command line; otherwise it gives the command
(``zongzhi import workers 本文件.xlsx --within …``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args, get_origin

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from geo.codes import make_resident_id, parse_division_code
from importers.kinds import KINDS, Kind
from importers.kinds.cases import CASE_TABLES, REPEAT_WORDS
from importers.kinds.video import REMOVED_LABEL
from importers.terminal import for_import_page
from importers.vocabulary import CaseStatus, UnitStatus
from layers.console_wording import PAGE_KINDS
from layers.example_places import ExamplePlace, example_place
from layers.model import (
    Channel,
    DirectionType,
    LabelledEnum,
    ManagementLevel,
    PersonCategory,
    PositionType,
    PtzType,
    RiskLevel,
    VideoStatus,
    VisitOutcome,
    WorkerRole,
    WorkerStatus,
)
from layers.model.cases import SUBTYPES
from layers.person_attributes import MODELS
from layers.settings import Settings

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo
    from sqlalchemy import Engine

DATA_SHEET = "数据"
NOTES_SHEET = "填写说明"
CODES_SHEET = "代码表"
MAPPING_SHEET = "列对照文件示例"

_POINT_ALTERNATIVES = ("lonlat", "wkt")
"""Other ways of giving a point: a template asks for lon and lat."""
_TEXT_FIELDS = frozenset(
    {
        "code",
        "area_code",
        "grid_code",
        "home_grid",
        "device_id",
        "resident_id",
        "external_id",
        "external_no",
        "phone",
        "reporter_phone",
        "visitor",
        "leader_phone",
        "leader_no",
    }
)
"""Columns Excel must keep as typed (long digit strings, leading zeros)."""
_EXAMPLE_BIRTH = date(1980, 1, 1)
_EXAMPLE_ID = make_resident_id("530424", _EXAMPLE_BIRTH, 1, "M")
_CAMERA_ID = "{county}00001320000001"
"""A county's IP camera (132): centre code county + 00, industry 00, network 0, serial 1."""
_BOX_HALF = 0.0005
"""Half the side (degrees, about 50 m) of the square a unit's example boundary draws."""
CRS_BY_COMMAND = "坐标系在导入时用 --crs 指定"
"""How a column's note says where the CRS is given, for the command line."""
CRS_ON_PAGE = "坐标系在上传时于“坐标系”中选择"
"""The same for the 数据导入 page."""
CONNECT_SECONDS = 3
"""How long a template without ``--within`` waits for an external database to answer."""


@dataclass(frozen=True)
class Column:
    """One column of a template.

    Attributes
    ----------
    field : str
        Target field (or a person attribute's name).
    header : str
        Its header in the template (required ones starred).
    required : bool
        Every row must fill it.
    note : str
        What it holds.
    example : str
        A value that imports.
    values : tuple of str
        The values a code-table column takes (its labels), else empty.
    """

    field: str
    header: str
    required: bool
    note: str
    example: str
    values: tuple[str, ...] = ()


_NOTES: dict[str, tuple[str, str]] = {
    "name": ("名称", "宁州街道"),
    "area_code": ("所属村（社区）：12 位区划代码，或名称（如“复安社区”）", "复安社区"),
    "township": ("所属乡镇（街道）名称：区分同名的村（社区）", "宁州街道"),
    "lon": (f"经度：度，小数或度分秒；{CRS_BY_COMMAND}", "102.9051"),
    "lat": ("纬度：度，小数或度分秒", "24.2053"),
    "external_id": ("工号：重新导入时按工号识别同一人；没有工号的填手机号", "NZ0001"),
    "phone": ("手机号", "13800000000"),
    "unit": ("所属单位", "宁州街道综治中心"),
    "home_grid": ("负责网格：15 位网格编码，或网格名称", "530424001001001"),
    "device_id": ("20 位 GB/T 28181 国标编码", "53042400001320000001"),
    "azimuth_deg": ("朝向：度，正北为 0，顺时针", "135"),
    "fov_deg": ("水平视场角：度，不填为 60", "60"),
    "range_m": ("可视距离：米，不填为 80", "80"),
    "stream_url": ("视频流地址", "rtsp://192.168.1.10/stream1"),
    "external_no": ("来源系统的工单号：重新导入时按渠道和工单号识别同一案件", "GD20250301001"),
    "title": ("标题：不填时取描述的前 60 字", "楼上漏水"),
    "description": ("事件描述", "楼上住户漏水，双方协商未果"),
    "address": ("地址", "宁州街道复安路 12 号"),
    "grid_code": ("所属网格：15 位网格编码，或网格名称", "530424001001001"),
    "reported_at": ("登记时间，如 2025-03-01 09:30 或 2025年3月1日", "2025-03-01 09:30"),
    "closed_at": ("办结时间：已办结的案件填写", "2025-03-05 17:00"),
    "reporter_name": ("反映人姓名", "王五"),
    "reporter_phone": ("反映人电话", "13900000000"),
    "repeat_of": ("关联工单编号：重复件所重复的原工单的工单编号", ""),
    "resident_id": ("18 位公民身份号码：加密保存，界面默认脱敏", _EXAMPLE_ID),
    "visited_on": ("走访日期", "2025-03-01"),
    "visitor": ("走访人：网格员的工号、手机号或姓名，多人用顿号分隔", "NZ0001"),
    "responsible": ("帮扶责任人：网格员的工号或姓名，多人用顿号分隔", "NZ0001"),
    "register": ("在册状态：在册，或注销的原因（解除矫正、死亡、迁出等）；不填不改变", "在册"),
    "ended_on": ("注销日期：注销的人员填写，不填为导入当天", ""),
    "police_station": ("所属派出所：没有其他位置信息的行，按派出所所在的乡镇（街道）定位", ""),
    "retired_on": (
        "撤销日期：撤销的单位填写，不填为导入当天（已撤销的仍按原日期）；"
        "新单位填了原编码时，为原单位的撤销（调整）日期",
        "",
    ),
    "leader": ("网格长：已导入的网格员的姓名（或填工号）；不填不改变", ""),
    "leader_phone": ("网格长的手机号：区分同名的网格员", ""),
    "leader_no": ("网格长的工号", ""),
    "note": ("走访情况", "本人在家，情绪稳定"),
}
"""What each field holds and an example, where the kinds agree on it."""

_KIND_NOTES: dict[tuple[str, str], tuple[str, str]] = {
    ("jurisdictions", "code"): ("12 位统计用区划代码", "530424001000"),
    ("jurisdictions", "wkt"): (
        "边界：WKT 面；有 Shapefile、GeoJSON 时请直接导入该文件",
        "POLYGON((102.90 24.20, 102.95 24.20, 102.95 24.25, 102.90 24.25, 102.90 24.20))",
    ),
    ("jurisdictions", "successor"): ("继承区划代码：撤销的村（社区）并入哪个，填其代码", ""),
    ("jurisdictions", "former"): (
        "原区划代码：本村（社区）取代的旧代码（撤并、村改居），多个用顿号分隔",
        "",
    ),
    ("grids", "code"): ("15 位网格编码：村（社区）代码加 3 位序号", "530424001001001"),
    ("grids", "successor"): ("继承网格编码：撤销的网格并入哪个网格，填其编码", ""),
    ("grids", "former"): ("原网格编码：本网格取代的旧编码（改编码、合并），多个用顿号分隔", ""),
    ("grids", "name"): ("网格名称", "复安第1网格"),
    ("grids", "wkt"): (
        "边界：WKT 面；有 Shapefile、GeoJSON 时请直接导入该文件",
        "POLYGON((102.900 24.200, 102.905 24.200, 102.905 24.205, 102.900 24.200))",
    ),
    ("workers", "name"): ("姓名", "张三"),
    ("video", "name"): ("点位名称", "复安路口"),
    ("video", "address"): ("安装位置：地址，用于核对点位所在的乡镇，地图上显示", ""),
    ("video", "police_station"): (
        "所属组织：派出所或乡镇（街道），用于核对点位所在的乡镇，地图上显示",
        "",
    ),
    ("persons", "name"): ("姓名", "李四"),
}
"""Notes of a field that means something else in one kind."""

_CHOICES: dict[tuple[str, str], tuple[type[LabelledEnum], ...]] = {
    ("jurisdictions", "status"): (UnitStatus,),
    ("grids", "status"): (UnitStatus,),
    ("workers", "role"): (WorkerRole,),
    ("workers", "status"): (WorkerStatus,),
    ("video", "ptz_type"): (PtzType,),
    ("video", "position_type"): (PositionType,),
    ("video", "direction_type"): (DirectionType,),
    ("video", "status"): (VideoStatus,),
    ("cases", "channel"): (Channel,),
    ("cases", "category"): CASE_TABLES,
    ("cases", "subcategory"): tuple(SUBTYPES.values()),
    ("cases", "risk_level"): (RiskLevel,),
    ("cases", "status"): (CaseStatus,),
    ("persons", "management_level"): (ManagementLevel,),
    ("persons", "category"): (PersonCategory,),
    ("visits", "category"): (PersonCategory,),
    ("visits", "outcome"): (VisitOutcome,),
}
"""The code tables of each kind's code-table fields (a case's type may name a subtype)."""

NOT_OFFERED: dict[tuple[str, str], tuple[LabelledEnum, ...]] = {
    ("workers", "status"): (WorkerStatus.BUSY,),
}
"""Values of a column's code table that its template does not offer, though the import reads
them. A roster's 状态 says who has the job: 在岗, 离岗 (on leave: 请假, 休假) or 已离职 (辞职,
调离, 退休), the words :mod:`importers.vocabulary` reads for a roster. 处置中 is dispatch's live
status of a worker with a case, kept by the worker app and dispatch, not a clerk's: a roster
that copies it from another system still loads (a worker on record keeps their live status, as
for 在岗; a new one is 离岗: :data:`layers.worker_identity.NEW_STATUS`)."""

_MORE_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("video", "status"): (REMOVED_LABEL,),
    ("cases", "repeat_flag"): tuple(words.split()[0] for words in REPEAT_WORDS.values()),
}
"""Values a column takes that no code table holds, from the importer's own word lists: a
camera list's 已拆除 retires the camera (:data:`importers.kinds.video.REMOVED_WORDS`, trial BB
M6), a 是否重复件 is 是 or 否 (:data:`importers.kinds.cases.REPEAT_WORDS`)."""

_CHOICE_EXAMPLES: dict[tuple[str, str], str] = {
    ("workers", "role"): WorkerRole.GRID_WORKER.label,
    ("workers", "status"): WorkerStatus.ON_DUTY.label,
    ("video", "status"): VideoStatus.ONLINE.label,
    ("visits", "outcome"): VisitOutcome.MET.label,
    ("cases", "repeat_flag"): "",
    ("cases", "status"): CaseStatus.RESOLVED.label,  # as its 办结时间 says, not the last: 已销号
}
"""The example of a code-table field where its table's last value is not what a row usually
holds: a roster's 岗位 is 专职网格员, not 部门工作人员, its 状态 在岗, not 已离职 (trial AV m4)."""

_CHOICE_NOTES: dict[str | tuple[str, str], str] = {
    ("cases", "status"): "办理状态（不填为未办结，填了办结时间为已办结；已办结的作为历史导入）",
    ("workers", "status"): (
        "在岗状态（新网格员的初始状态；已有的网格员填离岗、已离职才改变其状态；"
        "是否正在处置案件由派单记录，不在花名册填写）"
    ),
    ("grids", "status"): "状态（不填为在用；网格调整撤销的网格填撤销）",
    ("jurisdictions", "status"): "状态（不填为在用；撤并的村（社区）填撤销）",
    ("video", "status"): (
        f"在线状态（不填为在线；已拆除、报废的点位填{REMOVED_LABEL}，导入后撤销，不再显示）"
    ),
    ("visits", "outcome"): "走访结果（不填为见到本人）",
    ("cases", "repeat_flag"): ("是否重复件（不填时按 200 米、30 天内同类、当时未办结的规则判断）"),
    "role": "岗位",
    "status": "状态",
    "ptz_type": "摄像机类型",
    "position_type": "位置类型",
    "direction_type": "监视方位",
    "channel": "来源渠道",
    "category": "类别",
    "subcategory": "小类（矛盾纠纷的纠纷类型，安全隐患、社情民意的小类）",
    "risk_level": "风险等级（不填为蓝色）",
    "management_level": "管控级别（不填为一般）",
}


Examples = Mapping[str | tuple[str, str], str]
"""Examples replacing the fixed ones: by field, or by ``(kind, field)`` (:func:`place_examples`)."""


def place_examples(place: ExamplePlace) -> dict[str | tuple[str, str], str]:
    """Return the examples that name ``place``'s units, in place of 华宁县's.

    The village (else the deepest unit picked) is the row's 所属社区 and a jurisdictions
    template's unit; its grid is the row's grid and a grids template's (for a village without
    a grid, a grids template shows its first grid to come, and the other kinds leave the grid
    out: an unknown grid is refused); the point lies inside them, and a unit's boundary is a
    small square around it. A camera's and a resident's ID carry the county's code.

    Parameters
    ----------
    place : ExamplePlace
        Units on record (:func:`layers.example_places.example_place`).

    Returns
    -------
    dict
        Example by field, or by ``(kind, field)``.

    Examples
    --------
    >>> from layers.example_places import NamedUnit
    >>> village = NamedUnit("620702103201", "陈寨村")
    >>> place = ExamplePlace(
    ...     NamedUnit("620702000000", "甘州区"), village, "620702",
    ...     NamedUnit("620702103000", "党寨镇"), village, None, 100.4512345, 38.9312345)
    >>> examples = place_examples(place)
    >>> examples["area_code"], examples["lon"], examples[("grids", "code")], examples["grid_code"]
    ('陈寨村', '100.45123', '620702103201001', '')
    >>> examples["device_id"], examples["resident_id"][:6]
    ('62070200001320000001', '620702')
    """
    unit = place.village or place.unit
    township = place.township.name if place.township is not None else ""
    where = unit.name if unit == place.township else township + unit.name
    grid_code = place.grid.code if place.grid is not None else ""
    examples: dict[str | tuple[str, str], str] = {
        "area_code": unit.name,
        "township": township,
        "unit": f"{township or unit.name}综治中心",
        "home_grid": grid_code,
        "grid_code": grid_code,
        "device_id": _CAMERA_ID.format(county=place.county),
        "resident_id": make_resident_id(place.county, _EXAMPLE_BIRTH, 1, "M"),
        "address": f"{where}12 号",
        "lon": "" if place.lon is None else f"{place.lon:.5f}",
        "lat": "" if place.lat is None else f"{place.lat:.5f}",
        ("jurisdictions", "code"): unit.code,
        ("jurisdictions", "name"): unit.name,
        ("jurisdictions", "wkt"): _square(place),
        ("grids", "wkt"): _square(place),
        ("video", "name"): f"{unit.name}路口",
    }
    grid = ("", "")  # no village on record: no grid code to show
    if place.grid is not None:
        grid = (place.grid.code, place.grid.name)
    elif place.village is not None:  # the village's first grid, to come
        grid = (place.village.code + "001", f"{place.village.name}第1网格")
    examples[("grids", "code")], examples[("grids", "name")] = grid
    return examples


def _square(place: ExamplePlace) -> str:
    """Return a small square around ``place``'s point as WKT (empty without a point)."""
    if place.lon is None or place.lat is None:
        return ""
    west, east = place.lon - _BOX_HALF, place.lon + _BOX_HALF
    south, north = place.lat - _BOX_HALF, place.lat + _BOX_HALF
    corners = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    return "POLYGON((" + ", ".join(f"{x:.4f} {y:.4f}" for x, y in corners) + "))"


def within_prefix(place: ExamplePlace) -> str:
    """Return the code ``--within`` takes for ``place``'s jurisdiction, as a clerk types it.

    Parameters
    ----------
    place : ExamplePlace
        The units the examples name.

    Returns
    -------
    str
        The significant prefix: a county's 6 digits, a township's 9.

    Examples
    --------
    >>> from layers.example_places import NamedUnit
    >>> county = NamedUnit("620702000000", "甘州区")
    >>> within_prefix(ExamplePlace(county, county, "620702", None, None, None, None, None))
    '620702'
    """
    return parse_division_code(place.scope.code).prefix


def database_place(engine: Engine, code: str | None) -> ExamplePlace | None:
    """Return the units of ``code`` (``None``: the database's only county) the examples name.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        An owner-role engine.
    code : str or None
        A jurisdiction's 12-digit code.

    Returns
    -------
    ExamplePlace or None
        See :func:`layers.example_places.example_place`.
    """
    from layers.database import apply_scope

    with engine.begin() as conn:
        apply_scope(conn, None)
        raw: Any = conn.connection.driver_connection
        return example_place(raw, code)


def running_database_place(settings: Settings) -> ExamplePlace | None:
    """Return the only county's units of the database if it is running; never start it.

    A template is written on a clerk's machine without a database too: the embedded cluster
    is asked whether it runs (not started, as ``zongzhi import`` would), an external server is
    given :data:`CONNECT_SECONDS` to answer, and a database not reachable, not migrated, with
    no county or several gives ``None`` (the fixed examples).

    Parameters
    ----------
    settings : Settings
        Where the database is.

    Returns
    -------
    ExamplePlace or None
        The county's units, or ``None``.
    """
    from sqlalchemy.exc import DBAPIError

    from layers.database import connection_options, make_engine, resolve_urls
    from layers.embedded import EmbeddedCluster, EmbeddedError

    try:
        if settings.embedded and not EmbeddedCluster(settings.pg_dir).running():
            return None
        url = resolve_urls(settings).owner
    except (EmbeddedError, OSError):  # no cluster, or no PostgreSQL installed
        return None
    connect = {"options": connection_options(url), "connect_timeout": CONNECT_SECONDS}
    engine = make_engine(url, pool_size=1, connect_args=connect)
    try:
        return database_place(engine, None)
    except DBAPIError:  # not reachable, or its tables not made yet
        return None
    finally:
        engine.dispose()


def template_columns(kind: Kind, examples: Examples | None = None) -> list[Column]:
    """Return the columns of ``kind``'s template, in the kind's field order.

    Points are asked as lon and lat (the one-column and WKT forms are left out); a person's
    template adds each category's own columns (only rows of that category fill them).

    Parameters
    ----------
    kind : Kind
        What the template is for.
    examples : mapping, optional
        Examples in place of the fixed ones (:func:`place_examples`).

    Returns
    -------
    list of Column
        Its columns.

    Examples
    --------
    >>> [c.header for c in template_columns(KINDS["jurisdictions"])][:4]
    ['*区划代码', '*名称', '所属乡镇', '边界']
    >>> [c.header for c in template_columns(KINDS["grids"])][-4:]
    ['状态', '撤销日期', '继承网格编码', '原网格编码']
    """
    point_kind = kind.geometry is not None and kind.geometry != "boundary"
    fields = [f for f in kind.fields if not (point_kind and f in _POINT_ALTERNATIVES)]
    columns = [_column(kind, field, examples or {}) for field in fields]
    if kind.name == "persons":
        columns += _attribute_columns()
    return columns


def code_tables(kind_name: str, field: str) -> tuple[type[LabelledEnum], ...]:
    """Return the code tables whose labels the template of ``kind_name`` lists for ``field``.

    All their labels but those of :data:`NOT_OFFERED` (a roster's 状态 offers no 处置中).

    Parameters
    ----------
    kind_name : str
        The kind (``video``, ``cases`` …).
    field : str
        One of its fields.

    Returns
    -------
    tuple of LabelledEnum types
        The tables; none for a field that is not a code-table field.

    Examples
    --------
    >>> code_tables("video", "status"), code_tables("video", "name")
    ((<enum 'VideoStatus'>,), ())
    """
    return _CHOICES.get((kind_name, field), ())


def _column(kind: Kind, field: str, examples: Examples) -> Column:
    required = field in kind.required
    header = ("*" if required else "") + kind.header(field)
    tables = code_tables(kind.name, field)
    unoffered = NOT_OFFERED.get((kind.name, field), ())
    values = (
        *(m.label for table in tables for m in table if m not in unoffered),
        *_MORE_VALUES.get((kind.name, field), ()),
    )
    if values:
        what = _CHOICE_NOTES.get((kind.name, field)) or _CHOICE_NOTES.get(field, field)
        note = f"{what}：从下拉列表选择"
        example = _CHOICE_EXAMPLES.get((kind.name, field), values[-1])
        return Column(field, header, required, note, example, values)
    note, example = _KIND_NOTES.get((kind.name, field), _NOTES.get(field, (field, "")))
    example = examples.get((kind.name, field), examples.get(field, example))
    return Column(field, header, required, note, example)


YES_NO = ("是", "否")
"""The values a template lists for a yes-or-no field of a category (是/否, 有/无 … are read)."""


def attribute_values(info: FieldInfo) -> tuple[str, ...]:
    """Return the values a category's field takes, as the template lists them (none: free).

    A choice of words (矫正类别) lists its words, a yes-or-no field (是否累犯) 是 and 否, a
    grade within bounds (危险性评估 0–5) each grade; the rest (dates, terms, free text) none.

    Parameters
    ----------
    info : pydantic.fields.FieldInfo
        The field of a model of :data:`layers.person_attributes.MODELS`.

    Returns
    -------
    tuple of str
        The values.

    Examples
    --------
    >>> fields = MODELS["correction"].model_fields
    >>> attribute_values(fields["correction_type"]), attribute_values(fields["absconded"])
    (('管制', '缓刑', '假释', '暂予监外执行'), ('是', '否'))
    >>> attribute_values(MODELS["mental"].model_fields["risk_assessment"])
    ('0', '1', '2', '3', '4', '5')
    >>> attribute_values(MODELS["released"].model_fields["sentence_months"])
    ()
    """
    inner = next((a for a in get_args(info.annotation) if a is not type(None)), info.annotation)
    if get_origin(inner) is Literal:
        return tuple(str(v) for v in get_args(inner))
    base = get_args(inner)[0] if get_origin(inner) is Annotated else inner
    if base is bool:
        return YES_NO
    low = next((m.ge for m in info.metadata if hasattr(m, "ge")), None)  # Field(ge=…)
    high = next((m.le for m in info.metadata if hasattr(m, "le")), None)
    if base is int and isinstance(low, int) and isinstance(high, int):
        return tuple(str(n) for n in range(low, high + 1))
    return ()


def _attribute_columns() -> list[Column]:
    columns = []
    for category, model in MODELS.items():
        label = PersonCategory.labels()[category]
        for name, info in model.model_fields.items():
            choices = getattr(info.validation_alias, "choices", ())
            header = next((c for c in choices if isinstance(c, str) and not c.isascii()), name)
            if name == "period":  # the start and end dates say it
                continue
            values = attribute_values(info)
            note = f"仅{label}填写" + ("：从下拉列表选择" if values else "")
            columns.append(Column(name, header, False, note, "", values))
    return columns


def write_template(
    kind_name: str, path: Path, place: ExamplePlace | None = None, *, page: bool | None = None
) -> None:
    """Write the XLSX template of a kind.

    Parameters
    ----------
    kind_name : str
        ``jurisdictions``, ``grids``, ``workers``, ``cases``, ``video``, ``persons``, ``visits``.
    path : pathlib.Path
        The ``.xlsx`` to write (replaced if it exists).
    place : ExamplePlace, optional
        The jurisdiction whose units the examples name (:func:`place_examples`), and the
        ``--within`` the notes' import command gives; without it 华宁县's.
    page : bool, optional
        Say how to import it on the console's 数据导入 page, not with the command line;
        by default as :func:`for_import_page` tells.

    Raises
    ------
    KeyError
        For an unknown kind.
    """
    kind = KINDS[kind_name]
    columns = template_columns(kind, None if place is None else place_examples(place))
    book = Workbook()
    data = book.active
    assert isinstance(data, Worksheet)
    data.title = DATA_SHEET
    codes = book.create_sheet(CODES_SHEET)
    listed = 0
    for at, column in enumerate(columns, start=1):
        letter = get_column_letter(at)
        cell = data.cell(row=1, column=at, value=column.header)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor="F2F2F2")
        data.column_dimensions[letter].width = max(12, 2 * len(column.header) + 4)
        if column.field in _TEXT_FIELDS:
            data.column_dimensions[letter].number_format = "@"
        if column.values:
            listed += 1
            _code_list(codes, listed, column)
            source = get_column_letter(listed)
            rule = DataValidation(
                type="list",
                formula1=f"{CODES_SHEET}!${source}$2:${source}${len(column.values) + 1}",
                allow_blank=True,
                showErrorMessage=False,
            )
            data.add_data_validation(rule)
            rule.add(f"{letter}2:{letter}10000")
    data.freeze_panes = "A2"
    on_page = for_import_page() if page is None else page
    _notes(book.create_sheet(NOTES_SHEET, 1), kind, columns, place, on_page)
    mapping = book.create_sheet(MAPPING_SHEET)
    for line in mapping_example(columns, page=on_page):
        mapping.append([line])
    mapping.column_dimensions["A"].width = 90
    book.save(path)


def mapping_example(columns: list[Column], *, page: bool) -> list[str]:
    """Return the lines of the 列对照文件示例 sheet: how, and a mapping file to start from.

    A few of the template's columns as ``"模板列名" = "您表格中的列名"``, and, for its first
    code-table column, a ``[values."列名"]`` table naming a value the clerk's sheet writes
    otherwise. TOML (:func:`importers.mapping.load_mapping_file`).

    Parameters
    ----------
    columns : list of Column
        The template's columns.
    page : bool
        Say the console's 数据导入 page rather than the command line.

    Returns
    -------
    list of str
        The sheet's lines, one a row.

    Examples
    --------
    >>> lines = mapping_example(template_columns(KINDS["workers"]), page=False)
    >>> lines[0][:23]
    '表格的列名与模板不同时，不必改表：新建文本文件'
    >>> lines[3:5]
    ['"工号" = "您表格中的列名"', '"姓名" = "您表格中的列名"']
    """
    how = (
        "在“数据导入”页上传数据文件时，在“列对照文件”处一并上传"
        if page
        else "导入时加 --mapping 列对照.toml"
    )
    lines = [
        "表格的列名与模板不同时，不必改表：新建文本文件（如记事本），"
        "写明“模板列名 = 您表格中的列名”，保存为 列对照.toml",
        f"{how}；列名和值都用英文双引号括起，每行一项，# 后为注释",
        "# 以下是示例，请改成您表格中的列名",
    ]
    named = [c for c in columns if not c.values][:3]
    lines += [f'"{c.header.lstrip("*")}" = "您表格中的列名"' for c in named]
    coded = next((c for c in columns if c.values), None)
    if coded is not None:
        header = coded.header.lstrip("*")
        lines += [
            "",
            f"# 您表格中的“{header}”有模板没有的写法时，写明它算哪一个（可选值见“{CODES_SHEET}”）",
            f'[values."{header}"]',
            f'"您表格中的写法" = "{coded.values[0]}"',
        ]
    return lines


def _code_list(sheet: Worksheet, at: int, column: Column) -> None:
    title = f"{column.header.lstrip('*')}可选值"  # not a header the importer knows
    sheet.cell(row=1, column=at, value=title).font = Font(bold=True)
    for row, value in enumerate(column.values, start=2):
        sheet.cell(row=row, column=at, value=value)
    sheet.column_dimensions[get_column_letter(at)].width = 16


def how_to_import(kind: Kind, place: ExamplePlace | None, *, page: bool) -> str:
    """Return the 填写说明 line that says how to import a filled-in template.

    Parameters
    ----------
    kind : Kind
        The template's kind.
    place : ExamplePlace or None
        The jurisdiction of the examples (the command's ``--within``).
    page : bool
        Say the console's 数据导入 page rather than the command line.

    Returns
    -------
    str
        The line (Chinese).

    Examples
    --------
    >>> how_to_import(KINDS["workers"], None, page=True)
    '导入方法：在综治平台“数据导入”页选择“网格员”，上传本文件（先勾选“试运行”）'
    >>> how_to_import(KINDS["cases"], None, page=True).split("，")[0]  # the page's own name
    '导入方法：在综治平台“数据导入”页选择“事件（案件）”'
    >>> how_to_import(KINDS["workers"], None, page=False)
    '导入命令：zongzhi import workers 本文件.xlsx（试导入加 --dry-run）'
    """
    if page:
        chosen = PAGE_KINDS.get(kind.name, kind.label)
        return f"导入方法：在综治平台“数据导入”页选择“{chosen}”，上传本文件（先勾选“试运行”）"
    within = "" if place is None else f" --within {within_prefix(place)}"
    return f"导入命令：zongzhi import {kind.name} 本文件.xlsx{within}（试导入加 --dry-run）"


def _notes(
    sheet: Worksheet, kind: Kind, columns: list[Column], place: ExamplePlace | None, page: bool
) -> None:
    intro = f"{kind.label}导入模板：在“{DATA_SHEET}”表第 2 行起每行填一条，带 * 的列必填"
    if place is not None:
        intro += f"；示例取自{place.scope.name}（{place.scope.code}）的单位"
    sheet.append([intro])
    sheet.append([how_to_import(kind, place, page=page)])
    sheet.append([])
    sheet.append(["列", "必填", "说明", "示例", "可填的值"])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for column in columns:
        sheet.append(
            [
                column.header.lstrip("*"),
                "是" if column.required else "",
                _page_words(column.note, page).rstrip("。") + "。",  # never taken for a header
                column.example,
                "、".join(column.values),
            ]
        )
    for letter, width in zip("ABCDE", (16, 6, 56, 30, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _page_words(note: str, page: bool) -> str:
    """Return a column's note as the 数据导入 page says it (where the CRS is chosen)."""
    return note.replace(CRS_BY_COMMAND, CRS_ON_PAGE) if page else note
