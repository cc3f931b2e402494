"""Which source column feeds which field: the usual Chinese and English headers, or a mapping file.

A mapping file (JSON or TOML) maps target fields to source headers, e.g.
``{"经度": "东经", "身份证号": "证件号"}``; it overrides the built-in synonyms field by field. A
field is named by its code (``lon``) or by a header known for it (``经度``; see
:func:`importers.pipeline.keyed_by_field`). Its optional ``values`` table gives a code-table
field's values other names, the way a centre's own files write them (``[values."事件类型"]``
``"市容环境" = "社情民意"``).
The same knowledge tells the readers which row of a sheet is its header (:func:`header_test`).

A header that names the field in some files and something else in others comes after the
field's plain headers: many hotlines' 诉求类型 says 投诉, 咨询 or 求助 beside a 问题分类 that is
the case's type, so it is the type only in a file without such a column. A bracketed note is
no part of a header: 村（社区） is 村, a village.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from importers.header_crs import without_crs
from importers.headers import HeaderTest
from importers.mapping_text import MappingTextError, mapping_data
from importers.reading import GEOMETRY_COLUMN

#: Built-in synonyms per target field (compared after :func:`normalise_header`).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "lon": (
        "经度",
        "lng",
        "lon",
        "long",
        "longitude",
        "x",
        "x坐标",
        "横坐标",
        "东经",
        "事发地经度",
        "事件经度",
    ),
    "lat": ("纬度", "lat", "latitude", "y", "y坐标", "纵坐标", "北纬", "事发地纬度", "事件纬度"),
    "lonlat": ("lonlat", "lnglat", "经纬度", "坐标", "经纬度坐标", "位置坐标", "点位坐标"),
    "wkt": (
        "wkt",
        "geometry",
        "geom",
        "the_geom",
        "shape",
        "几何",
        "边界",
        "范围",
        "边界wkt",
        "网格边界",
        "网格范围",
        "区划边界",
        "辖区边界",
        "村界",
    ),
    "code": (
        "code",
        "编码",
        "代码",
        "区划代码",
        "行政区划代码",
        "统计用区划代码",
        "网格编码",
        "xzqdm",
        "xzqhdm",
        "qhdm",
        "zldwdm",
        "pac",
        "adcode",
        "wgbm",
        "wgdm",
    ),
    "name": (
        "name",
        "名称",
        "姓名",
        "人员姓名",
        "网格名称",
        "区划名称",
        "点位名称",
        "设备名称",
        "监控点名称",  # 海康 platforms' exports
        "乡镇名称",
        "乡镇街道名称",
        "村社区名称",
        "社区名称",
        "xzqmc",
        "xzqhmc",
        "zldwmc",
        "wgmc",
    ),
    "area_code": (
        "area_code",
        "所属社区",
        "所属村社区",
        "社区编码",
        "所属社区编码",
        "村社区编码",
        "所属区划",
        "区划代码",
        "所属辖区",
        "辖区编码",
        "jurisdiction",
        "村居编码",
        "所属村",
        "所属村居",
        "村社区",
        "村居",
        "所属区域",
        "村名",
        "村代码",
        "村",  # 村（社区）, 村(居): the note in brackets is left out (normalise_header)
        "社区",  # 社区（村）
    ),
    "township": (
        "township",
        "所属乡镇",
        "所属街道",
        "所属乡镇街道",
        "乡镇街道",
        "乡镇",
        "街道",
    ),
    "grid_code": ("grid_code", "网格编码", "所属网格", "网格代码", "所属网格编码", "grid"),
    "resident_id": (
        "resident_id",
        "id_number",
        "身份证号",
        "身份证号码",
        "公民身份号码",
        "证件号码",
        "身份证",
    ),
    "device_id": (
        "device_id",
        "deviceid",
        "设备编码",
        "国标编码",
        "设备国标编码",
        "国标id",
        "设备id",
        "监控点编号",  # 海康 platforms' exports
    ),
    "category": (
        "category",
        "事件类型",
        "事件类别",
        "人员类别",
        "类别",
        "人员类型",
        "大类",
        "问题分类",
        "事项分类",
        "诉求分类",
        "纠纷类型",
        "矛盾纠纷类型",
        "纠纷类别",
        "矛盾类型",
        # last: many hotlines' 诉求类型 says 投诉, 咨询, 求助, beside a 问题分类 that is the type
        "诉求类型",
        "诉求类别",
    ),
    "subcategory": ("subcategory", "事件小类", "纠纷类型", "小类", "子类"),
    "reported_at": (
        "reported_at",
        "登记时间",
        "上报时间",
        "受理时间",
        "发生时间",
        "来电时间",
        "登记日期",
        "受理日期",
        "排查日期",
        "排查时间",
        "发现时间",
        "上报日期",
    ),
    "external_no": (
        "external_no",
        "工单号",
        "工单编号",
        "外部编号",
        "来源编号",
        "原编号",
        "案件编号",
        "事件编号",
        "受理编号",
        "登记编号",
        "纠纷编号",
        "办件编号",
        "工单流水号",
    ),
    "channel": ("channel", "来源渠道", "渠道", "来源", "登记渠道", "受理渠道", "受理方式"),
    "title": ("title", "标题", "事件标题", "诉求标题", "事项"),
    "description": (
        "description",
        "描述",
        "事件描述",
        "诉求内容",
        "内容",
        "详情",
        "简要情况",
        "纠纷简要情况",
        "事件简要情况",
        "纠纷情况",
        "基本情况",
        "问题描述",
        "情况简介",
    ),
    "risk_level": ("risk_level", "风险等级", "风险级别", "等级"),
    "address": (
        "address",
        "地址",
        "详细地址",
        "事发地址",
        "事发地点",
        "事件地址",
        "发生地点",
        "现住址",
        "现居住地",
        "现居住地址",
        "现住地",
        "居住地",
        "居住地址",
        "实际居住地",
        "家庭住址",
    ),
    "reporter_name": (
        "reporter_name",
        "反映人",
        "来电人",
        "上报人",
        "诉求人",
        "当事人",
        "申请人",
        "当事人姓名",
        "反映人姓名",
        "姓名",
    ),
    "reporter_phone": ("reporter_phone", "联系电话", "来电号码", "反映人电话"),
    "phone": ("phone", "电话", "手机", "手机号", "联系电话", "手机号码"),
    "external_id": ("external_id", "工号", "人员编号", "网格员编号", "编号"),
    "role": ("role", "角色", "岗位", "人员角色", "网格员类型"),
    "unit": ("unit", "单位", "所属单位", "工作单位"),
    "home_grid": ("home_grid", "负责网格", "所属网格", "网格编码"),
    "status": (
        "status",
        "状态",
        "在线状态",
        "设备状态",
        "工单状态",
        "办理状态",
        "处理状态",
        "办件状态",
        "案件状态",
        "事件状态",
        "办结状态",
        "化解结果",
        "调处结果",
        "化解状态",
    ),
    "closed_at": (
        "closed_at",
        "办结时间",
        "办结日期",
        "结案时间",
        "完成时间",
        "办理完成时间",
        "处理完成时间",
        "关闭时间",
    ),
    "ptz_type": (
        "ptz_type",
        "ptztype",
        "摄像机类型",
        "摄像头类型",
        "相机类型",
        "云台类型",
        "设备类型",  # a 雪亮 export's: 高清球机, 枪机, 网络半球, 卡口
    ),
    "position_type": ("position_type", "positiontype", "位置类型", "安装位置类型"),
    "direction_type": ("direction_type", "directiontype", "方向类型", "监视方位"),
    "azimuth_deg": ("azimuth_deg", "方位角", "朝向"),
    "fov_deg": ("fov_deg", "视场角", "水平视场角"),
    "range_m": ("range_m", "可视距离", "监控距离"),
    "stream_url": ("stream_url", "视频流地址", "取流地址", "url"),
    "police_station": ("police_station", "所属派出所", "派出所", "管辖派出所", "责任派出所"),
    "management_level": (
        "management_level",
        "管理级别",
        "管控级别",
        "管控等级",
        "管理类别",
        "管理等级",
    ),
    "visited_on": ("visited_on", "走访日期", "走访时间", "随访日期", "访视日期"),
    "visitor": (
        "visitor",
        "走访人工号",
        "走访人编号",
        "走访人",
        "走访人员",
        "走访网格员",
        "随访人",
        "随访人员",
        "访视人",
    ),
    "responsible": (
        "responsible",
        "帮扶责任人",
        "帮教责任人",
        "包保责任人",
        "管控责任人",
        "监护责任人",
        "责任网格员",
        "帮扶人",
        "责任人",
    ),
    "note": ("note", "备注", "走访情况", "走访记录", "说明"),
    # whom a visit reached (见到本人, 电话, 人户分离, 失联): a visit that did not restarts nothing
    "outcome": ("outcome", "走访结果", "走访情况分类", "走访结果分类", "见面情况", "走访方式"),
    # a person's place on the register (persons only): 在册, or why they left it (解除矫正 …)
    "register": (
        "register",
        "在册状态",
        "人员状态",  # a worker roster's 人员状态 is its 状态 (KIND_SYNONYMS["workers"])
        "矫正状态",
        "列管状态",
        "在管状态",
        "帮教状态",
        "管理状态",
        "在册情况",
        "变动情况",
        "变动类型",
        "注销原因",
        "离册原因",
        "状态",
    ),
    # not 终止日期 nor 矫正终止日期: a 社区矫正 roster's planned end (layers.person_attributes)
    "ended_on": (
        "ended_on",
        "注销日期",
        "离册日期",
        "解矫日期",
        "解除矫正日期",
        "矫正解除日期",
        "终止矫正日期",
        "解除日期",
        "变动日期",
        "死亡日期",
        "迁出日期",
        "撤销日期",
        "撤管日期",
        "解除列管日期",
        "解除帮教日期",
        "状态变更日期",
    ),
    # a grid's or a jurisdiction's re-division (grids and jurisdictions only)
    "retired_on": (
        "retired_on",
        "撤销日期",
        "撤销时间",
        "撤并日期",
        "停用日期",
        "注销日期",
        "调整日期",  # on a new unit's row with 原编码: the day the units it replaces retired
        "变更日期",
        "区划调整日期",
    ),
    "successor": (
        "successor",
        "继承编码",
        "继承网格编码",
        "继承区划代码",
        "并入网格编码",
        "并入区划代码",
        "并入单位代码",
        "并入编码",
        "并入代码",
    ),
    "former": (
        "former",
        "原编码",
        "原网格编码",
        "原区划代码",
        "原代码",
        "原村代码",
        "旧网格编码",
        "旧区划代码",
        "旧编码",
        "调整前编码",
        "调整前网格编码",
        "ywgbm",  # 原网格编码 in a surveying bureau's pinyin initials
    ),
    # a grid's 网格长 (grids only): a worker on record (layers.grid_leaders); a grid list's
    # 网格长 over 姓名 and 联系电话 is read as 网格长姓名 and 网格长联系电话 (importers.headers)
    "leader": ("leader", "网格长", "网格长姓名", "网格负责人", "网格负责人姓名"),
    "leader_phone": (
        "leader_phone",
        "网格长联系电话",
        "网格长电话",
        "网格长手机",
        "网格长手机号",
        "网格长手机号码",
        "网格长联系方式",
        "网格负责人联系电话",
        "网格负责人电话",
    ),
    "leader_no": ("leader_no", "网格长工号", "网格长编号", "网格负责人工号"),
    # a 12345 export's own repeat flags (cases only: layers.case_repeats)
    "repeat_flag": (
        "repeat_flag",
        "是否重复件",
        "是否重复",
        "是否重复工单",
        "重复件",
        "是否重复诉求",
    ),
    "repeat_of": (
        "repeat_of",
        "关联工单编号",
        "关联工单号",
        "重复工单编号",
        "原工单编号",
        "主工单编号",
        "被重复工单编号",
    ),
}

#: Synonyms of a field in one kind's files only, tried before :data:`SYNONYMS`: a village's 村名
#: is the name of the unit a jurisdictions file draws, but the place of a row anywhere else.
KIND_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "jurisdictions": {
        "code": ("村代码", "村级代码", "村社区代码", "村居代码", "行政代码", "行政区代码"),
        # before the usual 乡镇名称: a village file's 乡镇名称 is its villages' township, and a
        # 国土调查 file's XZQMC (ZLDWMC) its units' own name beside it
        "name": (
            "xzqmc",
            "xzqhmc",
            "zldwmc",
            "行政区名称",
            "行政区划名称",
            "村名",
            "村名称",
            "村级名称",
            "村居名称",
            "村委会名称",
            "村民委员会名称",
            "村社区名称",
            "社区名称",
        ),
        "township": ("乡镇名称", "乡镇街道名称", "所属乡镇名称", "街道名称"),
        "status": ("区划状态", "使用状态", "变更情况", "变更类型", "调整情况", "调整类型"),
    },
    "grids": {"status": ("网格状态", "使用状态", "变更情况", "变更类型", "调整情况", "调整类型")},
    "persons": {  # a 卫健局 list's 患者姓名, a 司法局 one's 矫正对象姓名
        "name": ("患者姓名", "矫正对象姓名", "对象姓名", "服务对象姓名", "吸毒人员姓名"),
    },
    "video": {  # a township's 设备编号 (read only when it holds 20-digit codes: importers.kinds)
        "device_id": ("设备编号", "国标编号", "国标设备编码"),
        "direction_type": ("监控方向", "监视方向", "拍摄方向"),
        # a platform's 安装位置 (an address) and 所属组织 (a 派出所, a township's government),
        # held to the point (importers.stations)
        "address": ("安装位置", "安装地址", "安装地点", "点位地址"),
        "police_station": ("所属组织", "所属机构", "组织机构"),
    },
    "workers": {  # a roster's 在岗状态: 在岗, 离岗 …; not a persons' column
        "status": ("在岗状态", "工作状态", "人员状态", "在岗情况"),
        "name": ("网格员姓名", "网格员"),
        "home_grid": ("网格名称", "网格", "所在网格", "责任网格"),  # a grid list's name
        "area_code": ("村", "村社区", "所在村社区", "所在社区"),  # 村（社区）: 村
        "role": ("职务", "岗位类型", "人员类型", "网格员类别"),  # a roster's 岗位类型 (trial AV m4)
        "phone": ("联系方式", "联系电话号码"),
    },
    "cases": {  # a 110 移交清单, a 信访 register, a grid app's export, a dispute ledger
        "external_no": ("警情编号", "接警编号", "信访件编号", "信访编号"),
        "channel": ("排查方式",),
        "category": ("警情类别", "警情类型", "问题类别", "信访事项类别"),
        "description": ("简要警情", "警情内容", "主要诉求", "诉求事项", "信访事项"),
        "address": ("发案地点", "案发地点", "纠纷地点", "纠纷发生地点", "纠纷发生地"),
        "area_code": ("问题属地",),  # 宁州街道复安社区: a place named in full
        "reported_at": ("报警时间", "接警时间"),
        "status": ("处置状态", "反馈情况"),
        "closed_at": ("化解日期", "化解时间", "结案日期"),
        "reporter_name": ("报警人", "信访人"),
        "reporter_phone": ("报警电话", "报警人电话", "信访人电话"),
        # a 12345 export's department and its limit (trial AX S4)
        "department": ("承办单位", "承办部门", "办理单位", "责任单位"),
        "time_limit": ("办理时限", "办理期限", "办结时限"),
    },
}


#: Synonyms of a field that name one kind's thing: only that kind's files read them. A grid
#: list's 姓名 (under 网格长) is a person's name, not the grid's; a 设备名称 names no village.
THINGS_NAMED: dict[str, dict[str, tuple[str, ...]]] = {
    "name": {
        "persons": ("姓名", "人员姓名"),
        "workers": ("姓名", "人员姓名"),
        "grids": ("网格名称", "wgmc"),
        "video": ("点位名称", "设备名称", "监控点名称"),
        "jurisdictions": (
            "区划名称",
            "乡镇名称",
            "乡镇街道名称",
            "村社区名称",
            "社区名称",
            "xzqmc",
            "xzqhmc",
            "zldwmc",
        ),
    },
}


def foreign_synonyms(field: str, kind: str | None) -> frozenset[str]:
    """Return the synonyms of ``field`` that name other kinds' things, not read for ``kind``.

    Parameters
    ----------
    field : str
        A target field.
    kind : str or None
        What is imported; ``None`` (a field named in ``--set``) reads every synonym.

    Returns
    -------
    frozenset of str
        The synonyms :data:`THINGS_NAMED` gives other kinds only.

    Examples
    --------
    >>> sorted(foreign_synonyms("name", "grids") & {"姓名", "名称", "网格名称", "设备名称"})
    ['姓名', '设备名称']
    >>> foreign_synonyms("name", None), foreign_synonyms("lon", "grids")
    (frozenset(), frozenset())
    """
    things = THINGS_NAMED.get(field, {})
    if kind not in things:
        return frozenset()
    return frozenset(s for names in things.values() for s in names) - set(things[kind])


def usual_header(field: str) -> str:
    """Return the header files usually give ``field``: its first Chinese synonym, else its name.

    Examples
    --------
    >>> usual_header("lon"), usual_header("resident_id"), usual_header("stream_url")
    ('经度', '身份证号', '视频流地址')
    """
    return next((h for h in SYNONYMS.get(field, ()) if not h.isascii()), field)


class MappingError(ValueError):
    """A mapping file that is unreadable or names a field the kind lacks (Chinese message)."""


_NOTE = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]")
"""A bracketed note in a header (after NFKC, full-width brackets are ASCII ones)."""

_KEPT = re.compile(r"[\s_*:]")


def normalise_header(header: str) -> str:
    """Return a header as compared with synonyms.

    Full-width characters are read as ASCII; a bracketed note (``身份证号（18位）``,
    ``经度(WGS84)``, ``【必填】``) is left out unless it is the whole header; spaces, ``_``,
    ``*`` and colons are dropped; letters are lower-cased; a coordinate header's CRS word
    (``百度经度``, ``lng_gcj02``) is left out too (:mod:`importers.header_crs`).

    Parameters
    ----------
    header : str
        A column header as written.

    Returns
    -------
    str
        The comparison key.

    Examples
    --------
    >>> normalise_header(" 经 度* "), normalise_header("Grid_Code"), normalise_header("Ｘ坐标")
    ('经度', 'gridcode', 'x坐标')
    >>> [normalise_header(h) for h in ("身份证号（18位）", "【必填】联系电话", "(备注)")]
    ['身份证号', '联系电话', '备注']
    >>> normalise_header("百度经度"), normalise_header("LAT_GCJ02")
    ('经度', 'lat')
    """
    text = unicodedata.normalize("NFKC", header)
    bare = _NOTE.sub("", text)
    key = re.sub(r"[\s_*:()\[\]【】]", "", bare if _KEPT.sub("", bare) else text).lower()
    return without_crs(key)


@cache
def _built_in_keys() -> frozenset[str]:
    own = [names for fields in KIND_SYNONYMS.values() for names in fields.values()]
    return frozenset(
        normalise_header(name)
        for names in [*((field, *names) for field, names in SYNONYMS.items()), *own]
        for name in names
    )


def header_keys(overrides: Mapping[str, str] | None = None) -> frozenset[str]:
    """Return the normalised headers that some field can come from.

    Parameters
    ----------
    overrides : mapping, optional
        From a mapping file: target field → source header; its headers count too.

    Returns
    -------
    frozenset of str
        Every field name and synonym of :data:`SYNONYMS`, and the overrides' headers, as
        :func:`normalise_header` gives them.

    Examples
    --------
    >>> keys = header_keys({"lon": "东 经 度 数（度）"})
    >>> "身份证号" in keys, "gridcode" in keys, "东经度数" in keys, "华宁县网格员花名册" in keys
    (True, True, True, False)
    """
    extra = {normalise_header(header) for header in (overrides or {}).values()}
    return _built_in_keys() | (extra - {""})


def header_test(overrides: Mapping[str, str] | None = None) -> HeaderTest:
    """Return a test telling whether a cell is a known header, for finding a sheet's header row.

    Parameters
    ----------
    overrides : mapping, optional
        From a mapping file: target field → source header; its headers are known too.

    Returns
    -------
    callable
        ``is_header(cell) -> bool``, as :func:`importers.reading.read_table` takes it: the
        normalised cell is one of :func:`header_keys`.

    Examples
    --------
    >>> is_header = header_test({"name": "户主"})
    >>> is_header(" 经 度* "), is_header("户主"), is_header("填报单位：宁州街道")
    (True, True, False)
    >>> is_header("乙方"), is_header("二级分类")  # read with their fellows (party_columns …)
    (True, True)
    """
    keys = header_keys(overrides)

    def is_header(cell: str) -> bool:
        key = normalise_header(cell)
        return (
            key in keys
            or bool(_LEVEL_HEADER.fullmatch(key))
            or bool(_PARTY_HEADER.fullmatch(_party_key(cell)))
        )

    return is_header


@dataclass(frozen=True)
class MappingFile:
    """What a mapping file says.

    Attributes
    ----------
    columns : dict
        Target field → source header.
    values : dict
        Target field → {value as the files write it → the code or label it means}.
    """

    columns: dict[str, str]
    values: dict[str, dict[str, str]]


def load_mapping_file(path: Path, shown_as: str | None = None) -> MappingFile:
    """Read a mapping file: JSON or TOML, target field → source header, and other value names.

    Read as clerks write it: GBK, Chinese quotes, bare Chinese keys
    (:mod:`importers.mapping_text`).

    Parameters
    ----------
    path : pathlib.Path
        ``.json`` or ``.toml``.
    shown_as : str, optional
        The file's name in messages (default its own).

    Returns
    -------
    MappingFile
        The overrides.

    Raises
    ------
    MappingError
        If the file is not a table of texts (plus a ``values`` table of such tables).
    """
    name = shown_as or path.name
    try:
        data = mapping_data(path, name)
    except MappingTextError as exc:
        raise MappingError(str(exc)) from exc
    if not isinstance(data, dict):
        raise MappingError(f"映射文件 {name} 必须是“字段名 = 表头”的文本对照表")
    values = data.pop("values", {})
    if (
        not _texts(data)
        or not isinstance(values, dict)
        or not all(
            isinstance(k, str) and isinstance(v, dict) and _texts(v) for k, v in values.items()
        )
    ):
        raise MappingError(
            f"映射文件 {name} 必须是“字段名 = 表头”的文本对照表"
            "（另可有 values 表：每个字段一个“原值 = 代码或名称”的对照表）"
        )
    return MappingFile(dict(data), {k: dict(v) for k, v in values.items()})


def _texts(table: dict[object, object]) -> bool:
    return all(isinstance(k, str) and isinstance(v, str) for k, v in table.items())


def resolve_columns(
    headers: Iterable[str],
    fields: Iterable[str],
    overrides: Mapping[str, str] | None = None,
    *,
    has_geometry: bool = False,
    kind: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Decide which source header feeds each target field.

    A header that is, once normalised, a field's own header (its label in the kind's files,
    else :func:`usual_header`) feeds that field, before any synonym is tried: a grid list's
    网格名称 is the grid's name, whatever 姓名 (under 网格长) stands beside it. The synonyms
    that name other kinds' things (:func:`foreign_synonyms`) are not read.

    Parameters
    ----------
    headers : iterable of str
        The file's headers.
    fields : iterable of str
        Target fields of the kind being imported, in priority order (a header is used once).
    overrides : mapping, optional
        From a mapping file: target field → source header.
    has_geometry : bool
        The file has a geometry column (GIS formats): it feeds ``wkt``. Its headers may also
        be cut short (a Shapefile keeps 10 bytes of a field name, ``行政区划代码`` becomes
        ``行政区``): a header of three or more characters left unmatched feeds the one field
        (among those of the kind still without a column) of which it begins a usual header.
    kind : str, optional
        What is imported: its own synonyms (:data:`KIND_SYNONYMS`) come first.
    labels : mapping, optional
        Field → its header in the kind's files, where not :func:`usual_header`
        (:attr:`importers.kinds.Kind.headers`).

    Returns
    -------
    dict
        Target field → source header, only for fields found.

    Raises
    ------
    MappingError
        If an override names an unknown field. An override naming a header the file does not
        have is left out (:func:`absent_mapped_notes` says so): the field's synonyms may feed it.

    Examples
    --------
    >>> resolve_columns(["经度", "纬度", "身份证号"], ["resident_id", "lon", "lat"])
    {'resident_id': '身份证号', 'lon': '经度', 'lat': '纬度'}
    >>> resolve_columns(["村代码", "村名", "乡镇名称"], ["code", "name"], kind="jurisdictions")
    {'code': '村代码', 'name': '村名'}
    >>> resolve_columns(["姓名", "状态"], ["name", "status"], {"status": "在岗状态"})
    {'name': '姓名', 'status': '状态'}
    >>> resolve_columns(["网格编码", "姓名", "网格名称"], ["code", "name"], kind="grids",
    ...                 labels={"name": "网格名称"})
    {'code': '网格编码', 'name': '网格名称'}
    >>> resolve_columns(["网格编码", "姓名"], ["code", "name"], kind="grids")
    {'code': '网格编码'}
    """
    header_list = list(headers)
    field_list = list(fields)
    by_key: dict[str, str] = {}
    for header in header_list:
        by_key.setdefault(normalise_header(header), header)
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for field, header in (overrides or {}).items():
        if field not in field_list:
            raise MappingError(
                f"映射文件中的字段 {field!r} 不存在；可用的字段：{'、'.join(field_list)}"
            )
        if header not in header_list:
            continue  # one mapping file serves several files: the field's synonyms may feed it
        chosen[field] = header
        used.add(header)
    if has_geometry and "wkt" in field_list and "wkt" not in chosen:
        chosen["wkt"] = GEOMETRY_COLUMN
    own = KIND_SYNONYMS.get(kind or "", {})
    exact: dict[str, str] = {}
    for field in field_list:
        found = by_key.get(normalise_header((labels or {}).get(field) or usual_header(field)))
        if field not in chosen and found is not None and found not in used:
            exact[field] = found
            used.add(found)
    for field in field_list:
        if field in chosen:
            continue
        if field in exact:
            chosen[field] = exact[field]
            continue
        foreign = foreign_synonyms(field, kind)
        for synonym in (field, *own.get(field, ()), *SYNONYMS.get(field, ())):
            found = by_key.get(normalise_header(synonym))
            if found is not None and found not in used and synonym not in foreign:
                chosen[field] = found
                used.add(found)
                break
    if has_geometry:
        _match_cut_headers(header_list, field_list, chosen, used, own, kind)
    return chosen


def absent_mapped_notes(
    headers: Iterable[str], overrides: Mapping[str, str], label: Callable[[str], str]
) -> list[str]:
    """Return a note for each column a mapping file names that the file does not have.

    One mapping file serves a month's files of several townships, and not every file has
    every column it names: such a column is not an error, only not used.

    Parameters
    ----------
    headers : iterable of str
        The file's headers.
    overrides : mapping
        From a mapping file: target field → source header.
    label : callable
        A field → its Chinese header (:meth:`importers.kinds.Kind.header`).

    Returns
    -------
    list of str
        The notes, in the mapping file's order.

    Examples
    --------
    >>> absent_mapped_notes(["姓名", "状态"], {"status": "在岗状态", "name": "姓名"},
    ...                     {"status": "状态"}.__getitem__)
    ['映射文件指定的列“在岗状态”（状态）本文件没有，未使用']
    """
    present = set(headers)
    return [
        f"映射文件指定的列“{header}”（{label(field)}）本文件没有，未使用"
        for field, header in overrides.items()
        if header not in present
    ]


def _match_cut_headers(
    headers: list[str],
    fields: list[str],
    chosen: dict[str, str],
    used: set[str],
    own: Mapping[str, tuple[str, ...]],
    kind: str | None = None,
) -> None:
    """Map headers a Shapefile cut short to the one open field they begin a synonym of.

    The kind's own synonyms count too, and a header that begins synonyms of several fields
    takes the one the other headers leave: a village file's ``村委会`` (村委会名称) is its name,
    so its ``乡镇名`` (乡镇名称) is its township. A header left with several is then matched by
    the usual synonyms alone: a townships file's ``乡镇名`` is its name. Synonyms naming other
    kinds' things (:func:`foreign_synonyms`) are left out.
    """
    open_fields = [f for f in fields if f not in chosen]
    keys = {h: normalise_header(h) for h in headers if h not in used}
    keys = {h: k for h, k in keys.items() if len(k) >= 3}

    def starts(key: str, synonyms: Callable[[str], tuple[str, ...]]) -> list[str]:
        return [
            f
            for f in open_fields
            if any(normalise_header(s).startswith(key) for s in (f, *synonyms(f)))
        ]

    def everywhere(field: str) -> tuple[str, ...]:
        return (*own.get(field, ()), *usual(field))

    def usual(field: str) -> tuple[str, ...]:
        foreign = foreign_synonyms(field, kind)
        return tuple(s for s in SYNONYMS.get(field, ()) if s not in foreign)

    def take(synonyms: Callable[[str], tuple[str, ...]]) -> bool:
        """Match each header of one open field; return whether any was."""
        taken = False
        for header, key in list(keys.items()):
            fits = starts(key, synonyms)
            if len(fits) == 1:
                chosen[fits[0]] = header
                used.add(header)
                open_fields.remove(fits[0])
                del keys[header]
                taken = True
        return taken

    while keys and take(everywhere):
        pass
    take(usual)


_LEVEL_HEADER = re.compile(r"([一二三四五六七八九1-9])级(?:分类|类别|类型)(?:名称)?")
_LEVEL_NUMBERS = "一二三四五六七八九"
LEVELS_SEPARATOR = ">"
"""Between the levels of a classification joined from its columns (``城乡建设>征地拆迁``)."""


_PARTY_HEADER = re.compile(
    r"(?:当事人)?(?:姓名)?([甲乙丙丁])方(?:当事人)?(?:姓名)?"
    r"|当事人(?:姓名)?([甲乙丙丁一二三四1-4])(?:姓名)?|(被)?申请人(?:姓名)?"
)


def _party_key(header: str) -> str:
    """Return a header as :data:`_PARTY_HEADER` reads it: brackets dropped, not what they hold.

    ``当事人（乙方）`` is 乙方's column, where :func:`normalise_header` would read 当事人.
    """
    return re.sub(r"[\s_*:()\[\]【】]", "", unicodedata.normalize("NFKC", header))


def party_columns(headers: Iterable[str]) -> list[str]:
    """Return a ledger's columns of the parties to a dispute, when it has two or more.

    A 矛盾纠纷 ledger may split its 当事人 in 甲方 and 乙方 (a two-row header, 当事人 over
    them), or in 申请人 and 被申请人 as a mediation register does: read together, they are the
    parties, as a single 当事人 column is.

    Parameters
    ----------
    headers : iterable of str
        The file's headers.

    Returns
    -------
    list of str
        The party columns in the file's order; none unless there are two or more.

    Examples
    --------
    >>> party_columns(["序号", "甲方", "乙方", "纠纷简要情况"])
    ['甲方', '乙方']
    >>> party_columns(["申请人", "被申请人姓名"]), party_columns(["当事人甲"])
    (['申请人', '被申请人姓名'], [])
    >>> party_columns(["当事人（甲方）", "当事人(乙方)", "当事人姓名【丙方】"])
    ['当事人（甲方）', '当事人(乙方)', '当事人姓名【丙方】']
    """
    found = [h for h in headers if _PARTY_HEADER.fullmatch(_party_key(h))]
    return found if len(found) >= 2 else []


def party_label(header: str) -> str:
    """Return what a party column says of its party, for the joined 当事人 column's header.

    Parameters
    ----------
    header : str
        One of :func:`party_columns`.

    Returns
    -------
    str
        ``甲方`` for 甲方, 当事人（甲方） or 甲方姓名; the header's key otherwise.

    Examples
    --------
    >>> [party_label(h) for h in ("当事人（乙方）", "甲方姓名", "当事人2", "被申请人姓名")]
    ['乙方', '甲方', '当事人2', '被申请人']
    """
    key = _party_key(header)
    found = _PARTY_HEADER.fullmatch(key)
    if found is None:
        return key
    side, number, respondent = found.groups()
    if side:
        return f"{side}方"
    return f"当事人{number}" if number else f"{respondent or ''}申请人"


def classification_levels(headers: Iterable[str]) -> list[str]:
    """Return a file's columns of one classification split by level, from the broadest.

    A 12345 export may give its classification as 一级分类, 二级分类, 三级分类 (or
    ``2级分类名称`` …): read together, joined by :data:`LEVELS_SEPARATOR`, they are one
    classification whose most specific known level gives a case its type.

    Parameters
    ----------
    headers : iterable of str
        The file's headers.

    Returns
    -------
    list of str
        The level columns in level order; none unless there are two or more levels.

    Examples
    --------
    >>> classification_levels(["工单编号", "三级分类", "一级分类", "二级分类名称"])
    ['一级分类', '二级分类名称', '三级分类']
    >>> classification_levels(["一级分类", "诉求内容"])
    []
    """
    levels: dict[int, str] = {}
    for header in headers:
        found = _LEVEL_HEADER.fullmatch(normalise_header(header))
        if found is not None:
            digit = found.group(1)
            number = int(digit) if digit.isdigit() else _LEVEL_NUMBERS.index(digit) + 1
            levels.setdefault(number, header)
    return [levels[n] for n in sorted(levels)] if len(levels) > 1 else []


_COORDINATE_HEADER = re.compile(r"经度|纬度|经纬|坐标|(?<![a-z])(?:lng|lon|lat)")


def looks_like_coordinates(header: str) -> bool:
    """Whether a header looks like a column of coordinates (经度, 事发纬度, 坐标X, lng …).

    Examples
    --------
    >>> [looks_like_coordinates(h) for h in ("事发地经度", "GPS坐标", "Lat", "联系电话")]
    [True, True, True, False]
    """
    return _COORDINATE_HEADER.search(normalise_header(header)) is not None


_VERTEX_HEADER = re.compile(
    r"(?:拐点|界址点|顶点|折点|节点|角点|点)(?:序号|编号|号|顺序|序)|拐点|界址点"
)
"""A header numbering a boundary's points (拐点序号, 界址点号, 点号)."""


def corner_points(headers: Iterable[str]) -> list[str]:
    """Return a table's columns of corner points (the point's number, its coordinates), if any.

    A township may send a grid's boundary as a table of its corner points, one row a point
    (网格名称, 拐点序号, 经度, 纬度): the import reads boundaries from WKT or a GIS file only, and
    such a table is not a list of units (each unit's name is on every one of its rows).

    Parameters
    ----------
    headers : iterable of str
        The table's headers.

    Returns
    -------
    list of str
        The point-number header and the coordinate headers; empty unless the table has both.

    Examples
    --------
    >>> corner_points(["网格名称", "拐点序号", "经度", "纬度", "所属村"])
    ['拐点序号', '经度', '纬度']
    >>> corner_points(["网格名称", "序号", "经度", "纬度"]), corner_points(["点号", "备注"])
    ([], [])
    """
    listed = list(headers)
    numbers = [h for h in listed if _VERTEX_HEADER.fullmatch(normalise_header(h))]
    coordinates = [h for h in listed if looks_like_coordinates(h)]
    return [numbers[0], *coordinates] if numbers and coordinates else []
