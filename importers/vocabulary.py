"""How clerks write the values of the platform's code tables, besides their codes and labels.

A code-table field (a person's category, a case's channel, a worker's role …) is read as its
code or its Chinese label (:meth:`importers.rules.RowChecks.choice`), and as the other names in
use for the same thing: the current legal term (社区矫正对象 since the Community Corrections Law
of 2020), short forms (刑释人员, 12345), and the names of the systems files come from (市民热线).
"""

from __future__ import annotations

import re

import pandas as pd

from importers.values import plain_number
from layers.model.base import LabelledEnum
from layers.model.cases import CaseState, Category, Channel, DisputeType, RiskLevel
from layers.model.persons import ManagementLevel, PersonCategory
from layers.model.video import DirectionType, PositionType, PtzType, VideoStatus
from layers.model.workers import WorkerRole


class CaseStatus(LabelledEnum):
    """How far a case got in the system its file comes from; the code is the imported state.

    A case still open there is registered here, to be triaged like any new case (who handles
    it in the source system says nothing of who will here); a settled one keeps how far it got.
    """

    OPEN = (CaseState.REGISTERED.value, "未办结")
    RESOLVED = (CaseState.RESOLVED.value, "已办结")
    EVALUATED = (CaseState.EVALUATED.value, "已评价")
    VISITED = (CaseState.VISITED.value, "已回访")
    ARCHIVED = (CaseState.ARCHIVED.value, "已销号")


_STATUS_WORDS = {
    CaseStatus.OPEN: (
        "待处理 未处理 待受理 未受理 待办 待办理 待签收 新建 待分拨 待派单 已登记 登记 已分流 "
        "已派单 已派发 已分拨 已转办 已交办 已签收 已受理 受理中 办理中 处理中 在办 正在办理 "
        "正在处理 已到场 已退回 退回 已上报 已超期 超期 延期 申请延期 未完成 未解决 未化解 "
        "化解中 调解中 法治化途径 重新办理"
    ),
    CaseStatus.RESOLVED: (
        "办结 已完成 完成 已处理 处理完毕 办理完毕 已解决 已化解 化解成功 调解成功 已调解 "
        "已结案 结案 超期办结"
    ),
    CaseStatus.EVALUATED: "已评价 评价完成",
    CaseStatus.VISITED: "回访 回访完成",
    CaseStatus.ARCHIVED: "销号 已归档 归档 已关闭 关闭",
}
"""Statuses of 12345 and case-handling platforms' exports, by what they mean here."""


ALIASES: dict[type[LabelledEnum], dict[str, LabelledEnum]] = {
    CaseStatus: {word: status for status, words in _STATUS_WORDS.items() for word in words.split()},
    PersonCategory: {
        "刑满释放": PersonCategory.RELEASED,
        "刑释人员": PersonCategory.RELEASED,
        "刑满释放人员（安置帮教对象）": PersonCategory.RELEASED,
        "安置帮教对象": PersonCategory.RELEASED,
        "安置帮教人员": PersonCategory.RELEASED,
        "社区矫正对象": PersonCategory.CORRECTION,
        "矫正对象": PersonCategory.CORRECTION,
        "社区矫正": PersonCategory.CORRECTION,
        "社区服刑人员": PersonCategory.CORRECTION,
        "严重精神障碍": PersonCategory.MENTAL,
        "精神障碍患者": PersonCategory.MENTAL,
        "严重精神障碍患者（肇事肇祸）": PersonCategory.MENTAL,
        "吸毒": PersonCategory.DRUG,
        "社区戒毒人员": PersonCategory.DRUG,
        "社区康复人员": PersonCategory.DRUG,
        "社区戒毒社区康复人员": PersonCategory.DRUG,
        "戒毒人员": PersonCategory.DRUG,
        "艾滋病危险性人员": PersonCategory.AIDS_RISK,
        "重点青少年群体": PersonCategory.YOUTH,
    },
    Channel: {
        "12345": Channel.HOTLINE_12345,
        "12345政务服务便民热线": Channel.HOTLINE_12345,
        "12345市民热线": Channel.HOTLINE_12345,
        "市民热线": Channel.HOTLINE_12345,
        "政务热线": Channel.HOTLINE_12345,
        "110": Channel.NON_POLICE_110,
        "110警情": Channel.NON_POLICE_110,
        "110非警务": Channel.NON_POLICE_110,
        "110非警务警情分流": Channel.NON_POLICE_110,
        "网格员": Channel.GRID_WORKER,
        "网格上报": Channel.GRID_WORKER,
        "网格员巡查": Channel.GRID_WORKER,
        "群众来访": Channel.WALK_IN,
        "走访": Channel.WALK_IN,
        "电话": Channel.PHONE,
        "群众来电": Channel.PHONE,
        "网络": Channel.ONLINE,
        "网上": Channel.ONLINE,
        "互联网": Channel.ONLINE,
        "上级交办件": Channel.SUPERIOR,
        "上级转办": Channel.SUPERIOR,
        "下级报送": Channel.SUBORDINATE,
        "视频巡查": Channel.VIDEO,
        "雪亮工程": Channel.VIDEO,
    },
    Category: {
        "矛盾": Category.DISPUTE,
        "纠纷": Category.DISPUTE,
        "矛盾纠纷排查": Category.DISPUTE,
        "隐患": Category.SAFETY_HAZARD,
        "安全隐患排查": Category.SAFETY_HAZARD,
    },
    DisputeType: {
        "婚姻家庭纠纷": DisputeType.MARRIAGE_FAMILY,
        "家庭纠纷": DisputeType.MARRIAGE_FAMILY,
        "婚姻纠纷": DisputeType.MARRIAGE_FAMILY,
        "邻里矛盾": DisputeType.NEIGHBOURS,
        "相邻关系纠纷": DisputeType.NEIGHBOURS,
        "土地纠纷": DisputeType.LAND,
        "山林纠纷": DisputeType.LAND,
        "山林土地纠纷": DisputeType.LAND,
        "土地山林纠纷": DisputeType.LAND,
        "劳资纠纷": DisputeType.LABOUR_WAGES,
        "劳动争议": DisputeType.LABOUR_WAGES,
        "拖欠工资": DisputeType.LABOUR_WAGES,
        "欠薪": DisputeType.LABOUR_WAGES,
        "物业纠纷": DisputeType.PROPERTY_MANAGEMENT,
        "医患纠纷": DisputeType.MEDICAL,
        "交通事故纠纷": DisputeType.TRAFFIC,
        "征地拆迁纠纷": DisputeType.DEMOLITION,
        "拆迁纠纷": DisputeType.DEMOLITION,
        "环境污染纠纷": DisputeType.ENVIRONMENT,
        "消费纠纷": DisputeType.CONSUMER,
        "借贷纠纷": DisputeType.LOANS_CONTRACTS,
        "合同纠纷": DisputeType.LOANS_CONTRACTS,
        "民间借贷纠纷": DisputeType.LOANS_CONTRACTS,
        "其他": DisputeType.OTHER,
    },
    WorkerRole: {
        "网格员": WorkerRole.GRID_WORKER,
        "专职": WorkerRole.GRID_WORKER,
        "兼职": WorkerRole.PART_TIME,
        "调解员": WorkerRole.MEDIATOR,
        "民警": WorkerRole.POLICE,
        "社区警务": WorkerRole.POLICE,
    },
    VideoStatus: {"正常": VideoStatus.ONLINE, "故障": VideoStatus.OFFLINE},
    PtzType: {
        "球型": PtzType.DOME,
        "球形": PtzType.DOME,
        "快球": PtzType.DOME,
        "高速球": PtzType.DOME,
        "半球型": PtzType.HALF_DOME,
        "半球形": PtzType.HALF_DOME,
        "半球机": PtzType.HALF_DOME,
        "枪机": PtzType.FIXED,
        "枪型": PtzType.FIXED,
        "固定枪": PtzType.FIXED,
        "筒机": PtzType.FIXED,
        "云台枪机": PtzType.REMOTE_FIXED,
        "遥控枪": PtzType.REMOTE_FIXED,
    },
    PositionType: {
        "检查站": PositionType.CHECKPOINT,
        "车站": PositionType.STATION_PORT,
        "码头": PositionType.STATION_PORT,
        "广场": PositionType.SQUARE,
        "体育馆": PositionType.STADIUM,
        "商业区": PositionType.COMMERCIAL,
        "学校周边": PositionType.SCHOOL,
        "治安复杂场所": PositionType.COMPLEX_AREA,
        "交通要道": PositionType.ARTERIAL_ROAD,
        "主干道": PositionType.ARTERIAL_ROAD,
    },
    RiskLevel: {
        "红色": RiskLevel.RED,
        "红": RiskLevel.RED,
        "重大": RiskLevel.RED,
        "一级": RiskLevel.RED,
        "橙色": RiskLevel.ORANGE,
        "橙": RiskLevel.ORANGE,
        "较大": RiskLevel.ORANGE,
        "二级": RiskLevel.ORANGE,
        "黄色": RiskLevel.YELLOW,
        "黄": RiskLevel.YELLOW,
        "一般": RiskLevel.YELLOW,
        "三级": RiskLevel.YELLOW,
        "蓝色": RiskLevel.BLUE,
        "蓝": RiskLevel.BLUE,
        "低": RiskLevel.BLUE,
        "较低": RiskLevel.BLUE,
        "四级": RiskLevel.BLUE,
    },
    ManagementLevel: {
        "重点": ManagementLevel.KEY,
        "重点人员": ManagementLevel.KEY,
        "一级": ManagementLevel.KEY,
        "关注人员": ManagementLevel.ATTENTION,
        "二级": ManagementLevel.ATTENTION,
        "一般人员": ManagementLevel.ROUTINE,
        "三级": ManagementLevel.ROUTINE,
    },
    DirectionType: {  # 朝东, 向东, 正东, 东向
        f"{before}{member.label}{after}": member
        for member in DirectionType
        for before, after in (("朝", ""), ("向", ""), ("正", ""), ("", "向"))
    },
}
"""Other names of code-table values, per table (compared after :func:`value_key`)."""


def value_key(text: str) -> str:
    """Return a value as compared with codes, labels and aliases.

    Full-width characters are read as ASCII, spaces dropped, letters lower-cased.

    Parameters
    ----------
    text : str
        A value as written.

    Returns
    -------
    str
        The comparison key.

    Examples
    --------
    >>> value_key(" 社区矫正 对象 "), value_key("１２３４５"), value_key("Hotline_12345")
    ('社区矫正对象', '12345', 'hotline_12345')
    """
    return re.sub(r"\s", "", plain_number(text)).lower()


def lookup(table: type[LabelledEnum]) -> dict[str, str]:
    """Return every way of writing a table's values (by :func:`value_key`) → its code.

    Parameters
    ----------
    table : type of LabelledEnum
        The code table.

    Returns
    -------
    dict
        Codes, labels and aliases → code.

    Examples
    --------
    >>> written = lookup(PersonCategory)
    >>> written["correction"], written["社区矫正人员"], written["社区矫正对象"]
    ('correction', 'correction', 'correction')
    """
    names = {value_key(m.value): m.value for m in table}
    names |= {value_key(m.label): m.value for m in table}
    names |= {value_key(a): m.value for a, m in ALIASES.get(table, {}).items()}
    return names


def codes_of(raw: pd.Series, table: type[LabelledEnum]) -> pd.Series:
    """Return the codes of values written as code, label or alias; NaN for the others.

    Each distinct value is looked up once (a column of a million rows has a handful).

    Parameters
    ----------
    raw : pandas.Series
        Values as written (``None`` where empty).
    table : type of LabelledEnum
        The code table.

    Returns
    -------
    pandas.Series
        Codes, NaN where empty or not a way of writing one.

    Examples
    --------
    >>> codes_of(pd.Series(["社区矫正对象", "刑释人员", "游客", None]), PersonCategory).tolist()
    ['correction', 'released', nan, nan]
    >>> codes_of(pd.Series(["城乡建设-物业管理-物业服务", "纠纷/婚姻家庭"]), DisputeType).tolist()
    ['property_management', 'marriage_family']
    >>> codes_of(pd.Series(["其他", "城乡建设-其他"]), DisputeType).tolist()
    ['other', nan]
    """
    names = lookup(table)
    written = {v: _code_of(str(v), names) for v in raw.dropna().unique()}
    return raw.map(written, na_action="ignore")


_SEGMENTS = re.compile(r"\s*[-－—>＞/／|｜\\、]+\s*")
"""Between the levels of a classification (``城乡建设-物业管理``, ``矛盾纠纷/劳资欠薪``)."""
_CATCH_ALL_LEVELS = frozenset({"其他", "其它", "其他类", "综合"})
"""Levels that say nothing of the kind (``城乡建设-其他`` is not a dispute of the kind 其他纠纷)."""


def _code_of(value: str, names: dict[str, str]) -> str | None:
    """Return the code of a value, or of its most specific level that has one."""
    code = names.get(value_key(value))
    if code is not None:
        return code
    levels = [value_key(level) for level in _SEGMENTS.split(value) if level]
    known = (k for k in reversed(levels) if k in names and k not in _CATCH_ALL_LEVELS)
    return next((names[k] for k in known), None)
