"""Validators for the codes the platform keys on.

* 12-digit statistical division codes (2 province + 2 city + 2 county + 3 township + 3 village),
  the jurisdiction codes every scoped row carries;
* 15-digit grid codes (a village code plus a 3-digit serial);
* GB/T 28181 20-digit video device IDs;
* GB 11643 resident ID numbers (scalar parsing, masking, a vectorised validator for importers and
  a generator of checksum-valid IDs for synthetic data).

Every rejection raises :class:`CodeError`, a ``ValueError`` whose message names the value and the
rule it breaks, in Simplified Chinese since clerks read it in reject reports, e.g.
``设备国标编码 '340200000013A0000001' 无效：类型段 '3A0' 不是数字``. The functions are pure: no
database, no files. NumPy is imported by the vectorised validator when it runs, so that what only
parses codes (:mod:`layers.database`'s scope ranges, the ``zongzhi db`` commands) does not load it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # numpy is imported by the vectorised validator, when it is used
    import numpy as np
    import numpy.typing as npt

    BoolArray = npt.NDArray[np.bool_]

#: The 34 provincial-level division codes (first two digits of a division code).
PROVINCE_CODES: frozenset[str] = frozenset(
    f"{n:02d}"
    for n in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    )
)

#: Province prefixes accepted in resident IDs: the 34 provinces plus 83, used by the residence
#: permits of Taiwan residents (830000), which follow the GB 11643 layout.
RESIDENT_ID_PROVINCES: frozenset[str] = PROVINCE_CODES | {"83"}

_LEVEL_NAMES = ("province", "city", "county", "township", "village")
_LEVEL_LABELS = ("省级", "市级", "县级", "乡级", "村级")
_LEVEL_WIDTHS = (2, 2, 2, 3, 3)
_PREFIX_LENGTHS = (2, 4, 6, 9, 12)
_COUNTY = 2
"""Index of the county part in a split division code."""
_DIGITS = re.compile(r"[0-9]+")


class CodeError(ValueError):
    """A code that breaks one of its rules.

    Parameters
    ----------
    kind : str
        What the value is meant to be, in Chinese, e.g. ``"区划代码"``.
    value : object
        The offending value (as given).
    rule : str
        The rule it breaks, in Chinese, phrased so that it completes "... 无效：".

    Attributes
    ----------
    kind, value, rule
        As given, for reject reports that want them separately.

    Examples
    --------
    >>> str(CodeError("网格编码", "123", "必须是 15 位数字，实为 3 个字符"))
    "网格编码 '123' 无效：必须是 15 位数字，实为 3 个字符"
    """

    def __init__(self, kind: str, value: object, rule: str) -> None:
        self.kind = kind
        self.value = value
        self.rule = rule
        super().__init__(f"{kind} {value!r} 无效：{rule}")


def _require_text(kind: str, value: object) -> str:
    if not isinstance(value, str):
        raise CodeError(
            kind,
            value,
            f"必须是文本，实为 {type(value).__name__}"
            "（请按文本读取表格，以保留开头的 0 和末尾的 X）",
        )
    return str(value)


def _require_digits(kind: str, value: str, length: int) -> None:
    if len(value) != length:
        raise CodeError(kind, value, f"必须是 {length} 位数字，实为 {len(value)} 个字符")
    if not _DIGITS.fullmatch(value):
        raise CodeError(kind, value, f"{length} 位都必须是半角数字 0-9")


def _division_problem(parts: Sequence[str]) -> str | None:
    """Return the rule a split division code breaks, or None if it is well-formed.

    A level may be zero only when every level below it is; the county level is the exception:
    the four prefecture cities without counties (东莞 4419, 中山 4420, 儋州 4604, 嘉峪关 6202)
    number their townships directly under the city, with county digits ``00``.
    """
    province = parts[0]
    if province == "00":
        return "省级段不能是 00"
    if province not in PROVINCE_CODES:
        return (
            f"省级段 {province} 不是 34 个省级代码之一"
            "（11-15、21-23、31-37、41-46、50-54、61-65、71、81、82）"
        )
    first_zero: int | None = None
    for i, part in enumerate(parts):
        if int(part) == 0:
            if first_zero is None and i != _COUNTY:
                first_zero = i
        elif first_zero is not None:
            return (
                f"{_LEVEL_LABELS[first_zero]}段为 {parts[first_zero]}，{_LEVEL_LABELS[i]}段却为 "
                f"{part}（某一级为 0 时，其下各级都必须为 0）"
            )
    return None


def _split_division(code: str) -> tuple[str, str, str, str, str]:
    return code[0:2], code[2:4], code[4:6], code[6:9], code[9:12]


# --------------------------------------------------------------------------- division codes


@dataclass(frozen=True)
class DivisionCode:
    """A parsed 12-digit statistical division code.

    Attributes
    ----------
    code : str
        The full 12-digit code.
    province, city, county, township, village : str
        Its parts (2, 2, 2, 3 and 3 digits).
    """

    code: str
    province: str
    city: str
    county: str
    township: str
    village: str

    @property
    def level(self) -> int:
        """Level 1..5 = province, city, county, township, village."""
        parts = (self.province, self.city, self.county, self.township, self.village)
        for level in range(5, 0, -1):  # the deepest part that is not all zeros
            if int(parts[level - 1]) != 0:
                return level
        raise ValueError(f"division code {self.code} has no non-zero part")

    @property
    def level_name(self) -> str:
        """English name of the level: ``province`` ... ``village``."""
        return _LEVEL_NAMES[self.level - 1]

    @property
    def prefix(self) -> str:
        """The significant prefix, e.g. ``"530424"`` for a county."""
        return self.code[: _PREFIX_LENGTHS[self.level - 1]]

    @property
    def parent(self) -> str | None:
        """The code of the enclosing division, or None for a province."""
        level = self.level
        if level == 1:
            return None
        keep = _PREFIX_LENGTHS[level - 2]
        return self.code[:keep].ljust(12, "0")


def parse_division_code(code: str) -> DivisionCode:
    """Parse and validate a 12-digit statistical division code.

    Parameters
    ----------
    code : str
        Twelve ASCII digits: 2 province + 2 city + 2 county + 3 township + 3 village.

    Returns
    -------
    DivisionCode
        The code split into its parts.

    Raises
    ------
    CodeError
        If the code is not 12 digits, its province is not one of the 34 province codes, or a
        lower level is set below a zero level.

    Examples
    --------
    >>> d = parse_division_code("530424100000")
    >>> d.level, d.prefix, d.parent
    (4, '530424100', '530424000000')
    >>> parse_division_code("530424000001")
    Traceback (most recent call last):
    ...
    geo.codes.CodeError: 区划代码 '530424000001' 无效：乡级段为 000，村级段却为
    001（某一级为 0 时，其下各级都必须为 0）
    """
    kind = "区划代码"
    text = _require_text(kind, code)
    _require_digits(kind, text, 12)
    parts = _split_division(text)
    problem = _division_problem(parts)
    if problem is not None:
        raise CodeError(kind, text, problem)
    return DivisionCode(text, *parts)


def written_division_code(text: str) -> str:
    """Return the 12-digit code of a division typed in full or by its significant prefix.

    Officers type a county as its 6 digits (``620702``), a township as 9, a city as 4, a
    province as 2; full-width digits and surrounding spaces are accepted.

    Parameters
    ----------
    text : str
        The code as typed.

    Returns
    -------
    str
        The 12-digit code.

    Raises
    ------
    CodeError
        If it is no division code (the message says the forms accepted).

    Examples
    --------
    >>> written_division_code(" 620702 "), written_division_code("６２０７０２１０６")
    ('620702000000', '620702106000')
    >>> written_division_code("6207021")
    Traceback (most recent call last):
    ...
    geo.codes.CodeError: 区划代码 '6207021' 无效：应写 12 位区划代码，如
    620702000000；省、市、县、乡镇也可只写前 2、4、6、9 位
    """
    code = unicodedata.normalize("NFKC", text).strip()
    if not (_DIGITS.fullmatch(code) and len(code) in _PREFIX_LENGTHS):
        raise CodeError(
            "区划代码",
            code,
            "应写 12 位区划代码，如 620702000000；省、市、县、乡镇也可只写前 2、4、6、9 位",
        )
    code = code.ljust(12, "0")
    parse_division_code(code)
    return code


def division_level(code: str) -> int:
    """Return the level of a division code: 1 province ... 5 village.

    Parameters
    ----------
    code : str
        A 12-digit division code.

    Returns
    -------
    int
        1 (province), 2 (city), 3 (county), 4 (township) or 5 (village).

    Raises
    ------
    CodeError
        If the code is invalid (see :func:`parse_division_code`).

    Examples
    --------
    >>> division_level("530000000000"), division_level("530424000000")
    (1, 3)
    """
    return parse_division_code(code).level


def parent_code(code: str) -> str | None:
    """Return the code of the enclosing division, or None for a province.

    Parameters
    ----------
    code : str
        A 12-digit division code.

    Returns
    -------
    str or None
        The parent's 12-digit code.

    Raises
    ------
    CodeError
        If the code is invalid (see :func:`parse_division_code`).

    Examples
    --------
    >>> parent_code("530424100000"), parent_code("530000000000")
    ('530424000000', None)
    """
    return parse_division_code(code).parent


def prefix_length(level: int) -> int:
    """Return how many leading digits of a division code are significant at ``level``.

    Parameters
    ----------
    level : int
        1 (province) … 5 (village).

    Returns
    -------
    int
        2, 4, 6, 9 or 12.

    Examples
    --------
    >>> [prefix_length(level) for level in range(1, 6)]
    [2, 4, 6, 9, 12]
    """
    return _PREFIX_LENGTHS[level - 1]


def enclosing_code(code: str, level: int) -> str:
    """Return the code of the level-``level`` unit that contains ``code`` (prefix + zeros).

    Where a city has no counties (东莞 4419), its county-level code is the city's own.

    Parameters
    ----------
    code : str
        A 12-digit division code (or a longer grid code).
    level : int
        1 (province) … 5 (village).

    Returns
    -------
    str
        12 digits.

    Examples
    --------
    >>> enclosing_code("530424100201", 3), enclosing_code("441900003001", 3)
    ('530424000000', '441900000000')
    """
    return code[: prefix_length(level)].ljust(12, "0")


def scope_range(code: str) -> tuple[str, str]:
    """Return the half-open range ``[lo, hi)`` of codes under a jurisdiction.

    ``lo`` is the significant prefix and ``hi`` the prefix with its last character incremented by
    one code point, so that under byte-wise ordering (PostgreSQL ``COLLATE "C"``) exactly the
    division and grid codes starting with the prefix satisfy ``lo <= area_code < hi``.

    Parameters
    ----------
    code : str
        A 12-digit division code.

    Returns
    -------
    tuple of str
        ``(lo, hi)``.

    Raises
    ------
    CodeError
        If the code is invalid (see :func:`parse_division_code`).

    Examples
    --------
    >>> scope_range("530424000000")
    ('530424', '530425')
    >>> scope_range("539900000000")
    ('5399', '539:')
    """
    prefix = parse_division_code(code).prefix
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _accepts(parse: Callable[[str], object], value: object) -> bool:
    """Return whether ``parse`` accepts ``value`` (a string it does not raise CodeError on)."""
    if not isinstance(value, str):
        return False
    try:
        parse(value)
    except CodeError:
        return False
    return True


def is_valid_division_code(code: object) -> bool:
    """Return True if ``code`` is a valid 12-digit division code.

    Parameters
    ----------
    code : object
        The candidate.

    Returns
    -------
    bool
        Whether :func:`parse_division_code` accepts it.

    Examples
    --------
    >>> is_valid_division_code("530424000000"), is_valid_division_code("530424000001")
    (True, False)
    """
    return _accepts(parse_division_code, code)


# --------------------------------------------------------------------------- grid codes


@dataclass(frozen=True)
class GridCode:
    """A parsed 15-digit grid code.

    Attributes
    ----------
    code : str
        The full code.
    village_code : str
        The 12-digit village-level division code the grid belongs to.
    serial : int
        The grid's serial number within the village, 1..999.
    """

    code: str
    village_code: str
    serial: int


def parse_grid_code(code: str) -> GridCode:
    """Parse and validate a 15-digit grid code (village code + 3-digit serial).

    Parameters
    ----------
    code : str
        Fifteen ASCII digits.

    Returns
    -------
    GridCode
        The village code and serial.

    Raises
    ------
    CodeError
        If the code is not 15 digits, its first 12 digits are not a valid village-level division
        code, or its serial is 000.

    Examples
    --------
    >>> parse_grid_code("530424100201007")
    GridCode(code='530424100201007', village_code='530424100201', serial=7)
    >>> parse_grid_code("530424100000001")
    Traceback (most recent call last):
    ...
    geo.codes.CodeError: 网格编码 '530424100000001' 无效：前 12 位 530424100000 是乡级代码（第 4
    级），不是村级代码（第 5 级）
    """
    kind = "网格编码"
    text = _require_text(kind, code)
    _require_digits(kind, text, 15)
    village, serial = text[:12], text[12:]
    problem = _division_problem(_split_division(village))
    if problem is not None:
        raise CodeError(kind, text, f"前 12 位 {village} 不是有效的区划代码：{problem}")
    level = DivisionCode(village, *_split_division(village)).level
    if level != 5:
        raise CodeError(
            kind,
            text,
            f"前 12 位 {village} 是{_LEVEL_LABELS[level - 1]}代码（第 {level} 级），"
            "不是村级代码（第 5 级）",
        )
    if serial == "000":
        raise CodeError(kind, text, "后 3 位网格序号不能是 000，应为 001-999")
    return GridCode(text, village, int(serial))


# --------------------------------------------------------------------------- GB/T 28181 device IDs

# Type codes of GB/T 28181-2016 Annex D, with the 2022 additions (120-125, 130, 140-143, 500-501)
# as listed in 648540858/wvp-GB28181-pro DeviceTypeEnum.java and GbIdConstant enums.
DEVICE_TYPE_NAMES: dict[str, str] = {
    "111": "DVR",
    "112": "视频服务器",
    "113": "编码器",
    "114": "解码器",
    "115": "视频切换矩阵",
    "116": "音频切换矩阵",
    "117": "报警控制器",
    "118": "网络视频录像机(NVR)",
    "120": "在线视频图像信息采集系统",
    "121": "视频卡口",
    "122": "多目设备",
    "123": "停车场出入口控制设备",
    "124": "人员出入口控制设备",
    "125": "安检设备",
    "130": "混合硬盘录像机(HVR)",
    "131": "摄像机",
    "132": "网络摄像机(IPC)",
    "133": "显示器",
    "134": "报警输入设备",
    "135": "报警输出设备",
    "136": "语音输入设备",
    "137": "语音输出设备",
    "138": "移动传输设备",
    "139": "其他外围设备",
    "140": "报警输出设备(继电器或触发器控制)",
    "141": "道闸",
    "142": "智能门",
    "143": "凭证识别单元",
    "200": "中心信令控制服务器",
    "201": "Web应用服务器",
    "202": "媒体分发服务器",
    "203": "代理服务器",
    "204": "安全服务器",
    "205": "报警服务器",
    "206": "数据库服务器",
    "207": "GIS服务器",
    "208": "管理服务器",
    "209": "接入网关",
    "210": "媒体存储服务器",
    "211": "信令安全路由网关",
    "215": "业务分组",
    "216": "虚拟组织",
    "300": "中心用户",
    "400": "终端用户",
    "500": "视频图像信息综合应用平台信令服务器",
    "501": "视频图像信息运维管理平台信令服务器",
}

# (first, last, group name, name for codes of the range without a name of their own)
_DEVICE_TYPE_RANGES: tuple[tuple[int, int, str, str], ...] = (
    (111, 130, "前端主设备", "扩展的前端主设备"),
    (131, 199, "前端外围设备", "扩展的前端外围设备"),
    (200, 299, "平台设备", "扩展的平台设备"),
    (300, 399, "中心用户", "扩展的中心用户"),
    (400, 499, "终端用户", "扩展的终端用户"),
    (500, 599, "平台外接服务器", "扩展的平台外接服务器"),
    (600, 999, "扩展类型", "扩展类型"),
)

NETWORK_NAMES: dict[str, str] = {
    **dict.fromkeys("01234", "监控报警专网"),
    "5": "公安信息网",
    "6": "政务网",
    "7": "Internet",
    "8": "社会资源接入网",
}

_INDUSTRY_NAMES: dict[int, str] = {
    0: "社会治安路面接入",
    1: "社会治安社区接入",
    2: "社会治安内部接入",
    3: "社会治安其他接入",
    4: "交通路面接入",
    5: "交通卡口接入",
    6: "交通内部接入",
    7: "交通其他接入",
    8: "城市管理接入",
    9: "卫生环保接入",
    10: "商检海关接入",
    11: "教育部门接入",
    40: "农林牧渔业接入",
    41: "采矿企业接入",
    42: "制造企业接入",
    43: "冶金企业接入",
    44: "电力企业接入",
    45: "燃气企业接入",
    46: "建筑企业接入",
    47: "物流企业接入",
    48: "邮政企业接入",
    49: "信息企业接入",
    50: "住宿和餐饮业接入",
    51: "金融企业接入",
    52: "房地产业接入",
    53: "商务服务业接入",
    54: "水利企业接入",
    55: "娱乐企业接入",
}


def _industry_name(industry: str) -> str:
    n = int(industry)
    if n in _INDUSTRY_NAMES:
        return _INDUSTRY_NAMES[n]
    if n < 40:
        return "政府机关(预留)"
    if n < 80:
        return "企业/事业单位(预留)"
    if n < 90:
        return "居民自建"
    return "其他主体"


def _device_type_range(type_code: str) -> tuple[str, str] | None:
    n = int(type_code)
    for first, last, group, generic in _DEVICE_TYPE_RANGES:
        if first <= n <= last:
            return group, generic
    return None


@dataclass(frozen=True)
class DeviceId:
    """A parsed GB/T 28181 20-digit device ID.

    Attributes
    ----------
    device_id : str
        The full ID.
    division : str
        Digits 1-6: the division (province, city, county) of the centre.
    unit : str
        Digits 7-8: the grassroots unit (基层接入单位).
    industry : str
        Digits 9-10: industry code (行业编码).
    type_code : str
        Digits 11-13: device type (e.g. 131 camera, 132 IP camera, 118 NVR).
    network : str
        Digit 14: network (0-4 监控报警专网, 5 公安信息网, 6 政务网, 7 Internet, 8 社会资源接入网).
    serial : str
        Digits 15-20: the device serial.
    """

    device_id: str
    division: str
    unit: str
    industry: str
    type_code: str
    network: str
    serial: str

    @property
    def centre(self) -> str:
        """The 8-digit centre code (division + unit)."""
        return self.division + self.unit

    @property
    def type_name(self) -> str:
        """Chinese name of the device type, e.g. ``摄像机`` for 131."""
        if self.type_code in DEVICE_TYPE_NAMES:
            return DEVICE_TYPE_NAMES[self.type_code]
        found = _device_type_range(self.type_code)
        return found[1] if found else "未定义"

    @property
    def type_group(self) -> str:
        """Chinese name of the type's range, e.g. ``前端外围设备`` for 131-199."""
        found = _device_type_range(self.type_code)
        return found[0] if found else "未定义"

    @property
    def network_name(self) -> str:
        """Chinese name of the network, e.g. ``公安信息网`` for 5."""
        return NETWORK_NAMES[self.network]

    @property
    def industry_name(self) -> str:
        """Chinese name of the industry code, e.g. ``社会治安路面接入`` for 00."""
        return _industry_name(self.industry)

    @property
    def is_camera(self) -> bool:
        """True for cameras (131) and IP cameras (132)."""
        return self.type_code in ("131", "132")


def parse_device_id(device_id: str) -> DeviceId:
    """Parse and validate a GB/T 28181 20-digit device ID.

    Layout: centre code 8 (6-digit division + 2-digit grassroots unit), industry 2, type 3,
    network 1, serial 6.

    Parameters
    ----------
    device_id : str
        Twenty ASCII digits.

    Returns
    -------
    DeviceId
        The ID split into its parts, with Chinese names for type, network and industry.

    Raises
    ------
    CodeError
        If the ID is not 20 characters, a part is not numeric (the message names the part), the
        division part is not a valid province/city/county code, the type is below 111, or the
        network digit is the reserved 9.

    Examples
    --------
    >>> d = parse_device_id("53042400001310000001")
    >>> d.division, d.type_code, d.type_name, d.network_name
    ('530424', '131', '摄像机', '监控报警专网')
    >>> parse_device_id("530424000013A0000001")
    Traceback (most recent call last):
    ...
    geo.codes.CodeError: 设备国标编码 '530424000013A0000001' 无效：类型段 '13A' 不是数字
    """
    kind = "设备国标编码"
    text = _require_text(kind, device_id)
    if len(text) != 20:
        raise CodeError(kind, text, f"必须是 20 位数字，实为 {len(text)} 个字符")
    parts = (
        ("区划段", text[0:6]),
        ("单位段", text[6:8]),
        ("行业段", text[8:10]),
        ("类型段", text[10:13]),
        ("网络段", text[13:14]),
        ("序号段", text[14:20]),
    )
    for name, part in parts:
        if not _DIGITS.fullmatch(part):
            raise CodeError(kind, text, f"{name} '{part}' 不是数字")
    division, unit, industry, type_code, network, serial = (part for _, part in parts)
    problem = _division_problem((division[0:2], division[2:4], division[4:6]))
    if problem is not None:
        raise CodeError(kind, text, f"中心编码的区划段无效：{problem}")
    if int(type_code) < 111:
        raise CodeError(
            kind, text, f"类型段 {type_code} 不是 GB/T 28181 规定的类型（从 111 起定义）"
        )
    if network not in NETWORK_NAMES:
        raise CodeError(kind, text, f"网络段 {network} 是保留值（只定义了 0-8）")
    return DeviceId(text, division, unit, industry, type_code, network, serial)


def is_valid_device_id(device_id: object) -> bool:
    """Return True if ``device_id`` is a valid GB/T 28181 device ID.

    Parameters
    ----------
    device_id : object
        The candidate.

    Returns
    -------
    bool
        Whether :func:`parse_device_id` accepts it.

    Examples
    --------
    >>> is_valid_device_id("53042400001320000001"), is_valid_device_id("5304240000132000000")
    (True, False)
    """
    return _accepts(parse_device_id, device_id)


# --------------------------------------------------------------------------- resident IDs

RESIDENT_ID_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_MIN_BIRTH_YEAR = 1900


@dataclass(frozen=True)
class ResidentId:
    """A parsed GB 11643 resident ID number.

    Attributes
    ----------
    number : str
        The 18-character ID, check digit upper-cased.
    region : str
        The 6-digit region code where it was issued.
    birth_date : datetime.date
        Date of birth.
    sex : {'M', 'F'}
        From the parity of the 17th digit (odd male, even female).
    """

    number: str
    region: str
    birth_date: date
    sex: Literal["M", "F"]


def resident_id_check_digit(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits.

    ``check = (12 - sum(digit * weight) mod 11) mod 11`` with weights
    7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2; the value 10 is written ``X``.

    Parameters
    ----------
    first17 : str
        Seventeen ASCII digits.

    Returns
    -------
    str
        ``'0'``-``'9'`` or ``'X'``.

    Raises
    ------
    CodeError
        If ``first17`` is not 17 digits.

    Examples
    --------
    >>> resident_id_check_digit("11010519491231002")
    'X'
    """
    kind = "身份证号前 17 位"
    text = _require_text(kind, first17)
    _require_digits(kind, text, 17)
    total = sum(int(c) * w for c, w in zip(text, RESIDENT_ID_WEIGHTS, strict=True))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


CHECK_DIGIT_WRONG = (
    "身份证号校验码不符（最后一位与按前 17 位算出的不一致）：可能有某位数字录错，请核对整个号码"
)
"""Why a resident ID with a wrong check character is refused; it names no digit."""


def parse_resident_id(number: str, *, today: date | None = None) -> ResidentId:
    """Parse and validate an 18-character GB 11643 resident ID.

    Parameters
    ----------
    number : str
        17 digits and a check character (a lower-case ``x`` is accepted and upper-cased).
    today : datetime.date, optional
        Reference date for the "not born in the future" rule; defaults to today.

    Returns
    -------
    ResidentId
        Region, birth date and sex.

    Raises
    ------
    CodeError
        If the ID is not 18 characters, the first 17 are not digits, the last is not a digit or
        X, the province prefix is unknown, the birth date is impossible, before 1900 or in the
        future, or the check character is wrong (:data:`CHECK_DIGIT_WRONG`, which names neither
        the expected character, computed from digits a masked report hides, nor the written
        one). The message carries the full ID; mask it with :func:`mask_resident_id` before
        logging it anywhere persistent.

    Examples
    --------
    >>> r = parse_resident_id("11010519491231002x")
    >>> r.number, r.region, r.birth_date.isoformat(), r.sex
    ('11010519491231002X', '110105', '1949-12-31', 'F')
    >>> parse_resident_id("110105199902300026")
    Traceback (most recent call last):
    ...
    geo.codes.CodeError: 公民身份号码 '110105199902300026' 无效：出生日期 19990230
    不存在（日历上没有这一天）
    """
    kind = "公民身份号码"
    text = _require_text(kind, number)
    if len(text) != 18:
        raise CodeError(kind, text, f"必须是 18 个字符，实为 {len(text)} 个")
    body, check = text[:17], text[17].upper()
    if not _DIGITS.fullmatch(body):
        raise CodeError(kind, text, "前 17 位必须是半角数字 0-9")
    if check != "X" and not _DIGITS.fullmatch(check):
        raise CodeError(kind, text, f"校验码 '{text[17]}' 必须是数字或 X")
    if body[:2] not in RESIDENT_ID_PROVINCES:
        raise CodeError(kind, text, f"前 2 位省份代码 {body[:2]} 不存在")
    birth_text = body[6:14]
    try:
        birth = date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:8]))
    except ValueError:
        raise CodeError(kind, text, f"出生日期 {birth_text} 不存在（日历上没有这一天）") from None
    if birth.year < _MIN_BIRTH_YEAR:
        raise CodeError(kind, text, f"出生日期 {birth_text} 早于 {_MIN_BIRTH_YEAR} 年")
    reference = today if today is not None else date.today()
    if birth > reference:
        raise CodeError(kind, text, f"出生日期 {birth_text} 晚于今天（{reference:%Y%m%d}）")
    if check != resident_id_check_digit(body):
        # Not the digit it should be: computed from the 17 digits a masked report hides, it
        # would tell one of them (trial AI N1).
        raise CodeError(kind, text, CHECK_DIGIT_WRONG)
    sex: Literal["M", "F"] = "M" if int(body[16]) % 2 == 1 else "F"
    return ResidentId(body + check, body[:6], birth, sex)


def upgrade_resident_id(number: str) -> str:
    """Return the 18-character form of a 15-digit first-generation resident ID (GB 11643).

    The old number has a 2-digit birth year: ``19`` goes after its 6th digit (the region),
    and the check character of the 17 digits so made is appended. Everyone who held a
    15-digit ID was born in the 1900s (they were replaced from 1999 on).

    Parameters
    ----------
    number : str
        Fifteen ASCII digits.

    Returns
    -------
    str
        The 18-character ID (not checked further: see :func:`parse_resident_id`).

    Raises
    ------
    CodeError
        If ``number`` is not 15 digits.

    Examples
    --------
    >>> upgrade_resident_id("110105491231002")
    '11010519491231002X'
    """
    kind = "第一代身份证号"
    text = _require_text(kind, number)
    _require_digits(kind, text, 15)
    body = f"{text[:6]}19{text[6:]}"
    return body + resident_id_check_digit(body)


def is_valid_resident_id(number: object, *, today: date | None = None) -> bool:
    """Return True if ``number`` is a valid resident ID.

    Parameters
    ----------
    number : object
        The candidate.
    today : datetime.date, optional
        Reference date for the birth-date rule.

    Returns
    -------
    bool
        Whether :func:`parse_resident_id` accepts it.

    Examples
    --------
    >>> is_valid_resident_id("11010519491231002X"), is_valid_resident_id("110105194912310021")
    (True, False)
    """
    return _accepts(partial(parse_resident_id, today=today), number)


def mask_resident_id(number: str) -> str:
    """Mask a resident ID for display: first 6 and last 4 characters kept, ``*`` between.

    The result has the length of the input. At most 10 characters (6 leading, 4 trailing) are
    ever shown and at least 8 are always masked, so shorter strings show proportionally less
    and strings of 8 characters or fewer are masked entirely.

    Parameters
    ----------
    number : str
        Any string, normally an 18-character ID.

    Returns
    -------
    str
        The masked string.

    Examples
    --------
    >>> mask_resident_id("11010519491231002X")
    '110105********002X'
    >>> mask_resident_id("110105491231002")
    '11010********02'
    >>> mask_resident_id("1234")
    '****'
    """
    n = len(number)
    shown = min(10, max(0, n - 8))
    tail = shown * 4 // 10
    head = shown - tail
    return number[:head] + "*" * (n - shown) + (number[n - tail :] if tail else "")


def _code_matrix(ids: Sequence[str] | npt.NDArray[np.generic]) -> npt.NDArray[np.int32] | None:
    """Return an (n, width) matrix of character code points, or None if every id is too short."""
    import numpy as np

    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"resident IDs must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind == "O":
        arr = np.array([v if isinstance(v, str) else "" for v in arr], dtype=np.str_)
    if arr.dtype.kind == "U":
        width = arr.dtype.itemsize // 4
        if width < 18:
            return None
        return np.ascontiguousarray(arr).view(np.uint32).reshape(arr.size, width).astype(np.int32)
    if arr.dtype.kind == "S":
        width = arr.dtype.itemsize
        if width < 18:
            return None
        return np.ascontiguousarray(arr).view(np.uint8).reshape(arr.size, width).astype(np.int32)
    raise ValueError(
        f"resident IDs must be text, got an array of {arr.dtype} "
        "(read spreadsheets as text so leading zeros and a trailing X survive)"
    )


def valid_resident_ids(
    ids: Sequence[str] | npt.NDArray[np.generic], *, today: date | None = None
) -> BoolArray:
    """Vectorised :func:`is_valid_resident_id` for importers.

    Works on a matrix of character codes (a ``uint32`` view of a NumPy string array, ``uint8``
    for byte strings), so 100,000 IDs take milliseconds. Non-string entries of an object array
    (``None``, ``NaN``) are invalid.

    Parameters
    ----------
    ids : sequence of str or numpy.ndarray
        One-dimensional; ``str``, ``bytes`` or ``object`` dtype.
    today : datetime.date, optional
        Reference date for the birth-date rule; defaults to today.

    Returns
    -------
    numpy.ndarray of bool
        True where the ID passes every rule of :func:`parse_resident_id`.

    Raises
    ------
    ValueError
        If ``ids`` is not one-dimensional or holds numbers instead of text.

    Examples
    --------
    >>> valid_resident_ids(["11010519491231002X", "11010519491231002x", "110105199902300026", None])
    array([ True,  True, False, False])
    """
    import numpy as np

    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.bool_)
    codes = _code_matrix(ids)
    if codes is None:
        return np.zeros(n, dtype=np.bool_)
    ok = codes[:, 17] != 0
    if codes.shape[1] > 18:
        ok &= codes[:, 18] == 0
    # one contiguous row per character position: column arithmetic without strided access
    columns = np.ascontiguousarray(codes[:, :18].T)
    digits = columns[:17] - ord("0")
    digit_ok = (digits >= 0) & (digits <= 9)
    ok &= digit_ok.all(axis=0)
    digits[~digit_ok] = 0

    last = columns[17]
    is_x = (last == ord("X")) | (last == ord("x"))
    last_value = np.where(is_x, 10, last - ord("0"))
    ok &= is_x | ((last_value >= 0) & (last_value <= 9))
    total = np.zeros(n, dtype=np.int32)
    for weight, digit in zip(RESIDENT_ID_WEIGHTS, digits, strict=True):
        total += weight * digit
    ok &= last_value == (12 - total % 11) % 11

    province_ok = np.zeros(100, dtype=np.bool_)
    province_ok[[int(p) for p in RESIDENT_ID_PROVINCES]] = True
    ok &= province_ok[digits[0] * 10 + digits[1]]

    year = digits[6] * 1000 + digits[7] * 100 + digits[8] * 10 + digits[9]
    month = digits[10] * 10 + digits[11]
    day = digits[12] * 10 + digits[13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
    days = month_days[np.minimum(month, 12)] + ((month == 2) & leap)
    reference = today if today is not None else date.today()
    ok &= (year >= _MIN_BIRTH_YEAR) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= days)
    birth = year * 10_000 + month * 100 + day
    ok &= birth <= reference.year * 10_000 + reference.month * 100 + reference.day
    return np.asarray(ok, dtype=np.bool_)


def make_resident_id(region: str, birth: date, seq: int, sex: Literal["M", "F"]) -> str:
    """Generate a checksum-valid resident ID (for synthetic data only).

    The 3-digit order code is ``2 * seq + 1`` for men and ``2 * seq`` for women, so its parity
    carries the sex as GB 11643 requires and each ``seq`` gives one ID per sex.

    Parameters
    ----------
    region : str
        A 6-digit region code with a valid province prefix.
    birth : datetime.date
        Date of birth (1900 or later, not in the future).
    seq : int
        0..499.
    sex : {'M', 'F'}
        Sex of the person.

    Returns
    -------
    str
        An 18-character ID that :func:`parse_resident_id` accepts.

    Raises
    ------
    CodeError
        If the region is not 6 digits with a valid province prefix.
    ValueError
        If ``seq`` or ``sex`` is out of range, or the birth date breaks the ID rules.

    Examples
    --------
    >>> make_resident_id("110105", date(1949, 12, 31), 1, "F")
    '11010519491231002X'
    """
    kind = "地区码"
    text = _require_text(kind, region)
    _require_digits(kind, text, 6)
    if text[:2] not in RESIDENT_ID_PROVINCES:
        raise CodeError(kind, text, f"前 2 位省份代码 {text[:2]} 不存在")
    if not 0 <= seq <= 499:
        raise ValueError(f"seq must be 0..499, got {seq}")
    if sex not in ("M", "F"):
        raise ValueError(f"sex must be 'M' or 'F', got {sex!r}")
    if birth.year < _MIN_BIRTH_YEAR or birth > date.today():
        raise ValueError(f"birth date {birth.isoformat()} must be from 1900 up to today")
    order = 2 * seq + (1 if sex == "M" else 0)
    body = f"{text}{birth:%Y%m%d}{order:03d}"
    return body + resident_id_check_digit(body)
