"""How clerks write the values of the platform's code tables, besides their codes and labels.

A code-table field (a person's category, a case's channel, a worker's role …) is read as its
code or its Chinese label (:meth:`importers.rules.RowChecks.choice`), and as the other names in
use for the same thing: the current legal term (社区矫正对象 since the Community Corrections Law
of 2020), short forms (刑释人员, 12345), and the names of the systems files come from (市民热线).

A case's type is its category (矛盾纠纷, 安全隐患, 社情民意) or one of the category's subtypes
(:data:`layers.model.cases.SUBTYPES`: a dispute's 邻里纠纷, a hazard's 消防安全隐患, an opinion's
环境卫生), each named by its label and by the words here: a 12345 class whose most specific
known level names a subtype (应急管理>消防安全>消防通道堵塞) gives the case that subtype, as a
mapping file's ``[values."事件类型"]`` naming one does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

import pandas as pd

from importers.values import plain_number
from layers.model.base import LabelledEnum
from layers.model.cases import (
    CaseState,
    Category,
    Channel,
    DisputeType,
    HazardType,
    RiskLevel,
)
from layers.model.persons import ManagementLevel, PersonCategory, VisitOutcome
from layers.model.video import DirectionType, PositionType, PtzType, VideoStatus
from layers.model.workers import WorkerRole, WorkerStatus


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
        "化解中 调解中 法治化途径 重新办理 调解不成功 调解未成功 调解失败 化解不成功 正在化解 "
        "正在调解 已移交 移交 引导诉讼 进入诉讼程序 稳控中 跟踪化解 不成功 "
        "处置中 待处置 重办 已退单 退单 转送 已转送 转交 已转交 已移交司法所 移交司法所 "
        "已稳控 正在调处 调处中"
    ),
    CaseStatus.RESOLVED: (
        "办结 已完成 完成 已处理 处理完毕 办理完毕 已解决 已化解 化解成功 调解成功 已调解 "
        "已结案 结案 超期办结 成功 达成协议 已达成协议 协议已履行 已履行 "
        "已处置 处置完毕 已核查 待回访 已答复 调处成功"
    ),
    CaseStatus.EVALUATED: "已评价 评价完成",
    CaseStatus.VISITED: "回访 回访完成",
    CaseStatus.ARCHIVED: "销号 已归档 归档 已关闭 关闭",
}
"""Statuses of 12345 and case-handling platforms' exports, by what they mean here.

A work order 重办 (sent back to be done again), 已退单 (returned by the unit it was sent to, to
be dispatched again, as 已退回) or 转送 (a petition forwarded to the body that handles it) is
still open; one 待回访 was handled and waits for its follow-up call, one 已答复 (a petition
answered) and a grid app's 已处置 and 已核查 (handled, and the handling checked) are settled.
"""

VOID_STATUSES = frozenset(
    value_key(word) for word in "已作废 作废 无效工单 不予受理 不受理 已撤销 撤销".split()
)
"""Statuses of a work order voided or not accepted, which is not a case, open or settled (it
would count in the hot spots as a matter that happened): refused, unless a mapping file says
what the centre makes of it."""

INTAKE_MEDIA = frozenset(
    value_key(word)
    for word in (
        "电话 来电 热线 热线电话 微信 微信公众号 公众号 小程序 网站 门户网站 网上 网络 互联网 "
        "app 手机app 客户端 短信 邮件 电子邮件 邮箱 来信 信件 来访 市长信箱 留言 网民留言 "
        "网上留言 网络留言 在线留言 "
        "人民网 人民网留言 政务服务网 在线 在线客服 视频 其他"
    ).split()
)
"""How a citizen reached a hotline (a 12345 export's 受理渠道: 电话, 微信, 网站 …), not which
channel the work order came to the centre by."""

STATUS_CLAUSE = re.compile(r"\s*[，,；;。：:]")
"""After a status's leading word, a detail (``调解成功，已签订调解协议书``)."""


class RegisterStatus(LabelledEnum):
    """Whether a roster's person is still followed up (在册) or has left the register (注销).

    Not stored as such: a person who left has ``persons.ended_on`` and, as the roster wrote
    it, ``ended_reason`` (:func:`importers.kinds.persons.register_rule` names the words).
    """

    ON = ("on", "在册")
    ENDED = ("ended", "注销")


_REGISTER_WORDS = {
    RegisterStatus.ON: (
        "在矫 在管 在控 在列 列管 正常 在帮教 帮教中 矫正中 正在矫正 接收 新接收 新增 新列管 "
        "入矫 新入矫 重新列管 恢复列管 在家 外出 外出务工 流动 失联 失访 脱管 漏管 住院"
    ),
    RegisterStatus.ENDED: (
        "解除矫正 解矫 已解矫 矫正期满 期满解除 期满解矫 矫正期满解除 终止矫正 矫正终止 "
        "解除社区矫正 收监 收监执行 撤销缓刑 撤销假释 解除帮教 帮教期满 期满解除帮教 "
        "安置帮教期满 期满 "
        "解除社区戒毒 解除社区康复 社区戒毒期满 社区康复期满 解除列管 撤销列管 解除管控 撤管 "
        "死亡 已死亡 死亡注销 病故 身故 迁出 已迁出 迁出注销 外迁 户籍迁出 撤销 注销 已注销 "
        "已解除 解除"
    ),
}
"""What a roster's 在册状态 (人员状态, 矫正状态 …) says, by whether the person is still followed.

A person away (外出, 住院), or out of contact (失联, 失访, 脱管, 漏管) is still on the register, and
all the more to be followed; one whose supervision or 帮教 ended (解除矫正, 期满), who was sent
to prison (收监执行), died, moved away or was struck off (撤销, 注销) has left it.
"""


class UnitStatus(LabelledEnum):
    """What a grid list's or a division table's 状态 says of a unit it lists.

    Not stored as such: a retired unit has ``retired_on`` and, where one took it over,
    ``successor_code`` (:mod:`layers.unit_retirement`).
    """

    RETIRED = ("retired", "撤销")
    CHANGED = ("changed", "调整")
    LIVE = ("live", "在用")  # last: a template's example row keeps its unit in use


_UNIT_WORDS = {
    UnitStatus.LIVE: (
        "在用 使用 使用中 正常 启用 已启用 有效 现行 保留 不变 未变 无变化 无变更 恢复 恢复使用 "
        "重新启用"
    ),
    UnitStatus.CHANGED: (
        "新增 新设 新建 新划 调整 已调整 变更 更名 分设 合并后 合并设立 村改居 设立 边界调整 "
        "范围调整 界线调整 名称变更 编码变更 代码变更 扩大 缩小 新划分 重新划分 调整边界 边界变更 "
        "合并 拆分 拆出 分出"
    ),
    UnitStatus.RETIRED: (
        "撤销 已撤销 撤消 已撤消 撤并 已撤并 并入 已并入 被合并 注销 已注销 停用 已停用 "
        "废止 已废止 作废 取消 已取消 拆分撤销"
    ),
}
"""What a unit list's 状态 (变更情况, 变更类型 …) says: a unit in use (在用, 正常, 无变化:
one retired before comes back), changed (合并, 拆分, 编码变更, 村改居, 新增 …: what a
re-division's list writes of the units it made and of those it abolished alike, so a unit in
use stays in use and a retired one stays retired), or abolished (撤销, 撤并, 并入, 停用 …)."""


_CATEGORY_WORDS = {
    Category.DISPUTE: "矛盾 纠纷 矛盾纠纷排查",
    Category.SAFETY_HAZARD: "隐患 安全隐患排查 安全生产 治安隐患",
}
"""Categories as 矛盾纠纷 platforms and the levels of 12345 classifications name them.

A hazard's level is the kind of danger (公共安全>消防安全, 城乡建设>燃气安全>燃气泄漏,
应急管理>安全生产): a level that also holds consultations (房屋安全, 燃气管理) is not one. A
danger the platform has a subtype of (消防安全, 燃气泄漏, 危房 …) is named in
:data:`_HAZARD_WORDS`, and gives the hazard its subtype; the others (安全生产) give none.
"""

_HAZARD_WORDS = {
    HazardType.FIRE: "消防安全 消防隐患 火灾隐患 消防通道堵塞 消防通道占用 消防设施损坏",
    HazardType.ROAD: "道路交通安全隐患 交通安全隐患 道路安全隐患 道路隐患",
    HazardType.BUILDING: "危房 危险房屋 房屋安全隐患 建筑安全隐患",
    HazardType.GAS: "燃气安全 燃气隐患 燃气泄漏 燃气泄露 天然气泄漏 液化气泄漏",
    HazardType.GEOLOGY: "地质灾害 地质隐患 滑坡 山体滑坡 滑坡隐患 泥石流 崩塌 地面塌陷",
    HazardType.WATERLOGGING: (
        "内涝 城市内涝 内涝隐患 积水 道路积水 路面积水 积水点 下穿通道积水 水浸"
    ),
    HazardType.POWER_LINE: (
        "电线落地 电线断落 电线脱落 电杆倾倒 电线杆倒伏 电力设施损坏 电力隐患 漏电隐患"
    ),
    HazardType.OUTAGE: "大面积停电 突发停电 停电事故 供电中断",
    HazardType.MISSING_PERSON: "走失 人员失踪 走失人员 老人走失 儿童走失",
    HazardType.OTHER: "其他隐患",
}
"""Safety hazards by the platform's subtypes, as grid apps and the levels of 12345
classifications name the danger (应急管理>消防安全>消防通道堵塞, 自然资源>地质灾害>滑坡隐患).

As for :data:`_CATEGORY_WORDS`, only the name of a danger is here, not a sector whose level
holds consultations too (消防 alone: 消防证 applications; 燃气, 房屋安全, 道路养护).
A storm's 停电 is named only as an incident (大面积停电, 供电中断): a hotline's 供电>停电 is
mostly a consultation of a planned cut, filed where its mapping file says.

Public opinion has no words beyond its subtypes' labels (基础设施, 环境卫生, 公共服务,
政策咨询): what a hotline files under 市政设施 or 市容环境 may be a hazard (井盖缺失) or a
dispute, so a centre says in its mapping file what its classes are (``"城乡建设>市容环境>垃圾清运"
= "环境卫生"``), as for any class no word names.
"""


_DISPUTE_WORDS = {
    DisputeType.MARRIAGE_FAMILY: (
        "婚姻家庭纠纷 家庭纠纷 婚姻纠纷 婚姻家庭继承纠纷 离婚纠纷 赡养纠纷 抚养纠纷 继承纠纷 "
        "家庭暴力 家暴"
    ),
    DisputeType.NEIGHBOURS: "邻里矛盾 邻里矛盾纠纷 相邻关系纠纷 相邻关系 相邻纠纷",
    DisputeType.LAND: (
        "土地纠纷 山林纠纷 山林土地纠纷 土地山林纠纷 宅基地纠纷 房屋宅基地纠纷 土地承包 "
        "土地承包纠纷 土地承包经营纠纷 承包地纠纷 土地权属纠纷 林权纠纷 山林权属纠纷"
    ),
    DisputeType.LABOUR_WAGES: (
        "劳资纠纷 劳动争议 劳动争议纠纷 劳动纠纷 劳动关系 劳动报酬 劳务纠纷 拖欠工资 "
        "工资拖欠 拖欠农民工工资 欠薪 讨薪"
    ),
    DisputeType.PROPERTY_MANAGEMENT: "物业纠纷 物业服务 物业服务纠纷 物业管理纠纷",
    DisputeType.MEDICAL: "医患纠纷 医患矛盾 医疗事故 医疗事故纠纷",
    DisputeType.TRAFFIC: "交通事故纠纷 道路交通事故 道路交通事故纠纷",
    DisputeType.DEMOLITION: (
        "征地拆迁纠纷 拆迁纠纷 征收拆迁 房屋征收 房屋拆迁 土地征收 征地补偿 征收补偿 拆迁安置"
    ),
    DisputeType.ENVIRONMENT: (
        "环境污染纠纷 环境保护纠纷 生态环境纠纷 大气污染 水污染 土壤污染 噪声污染 噪音污染 "
        "噪音扰民 噪声扰民 油烟污染 油烟扰民 餐饮油烟 扬尘污染 固体废物污染 固废污染 辐射污染 "
        "电磁辐射污染 工业废气 工业废水 工业噪声 建筑施工噪声 社会生活噪声"
    ),
    DisputeType.CONSUMER: (
        "消费纠纷 消费投诉 消费者权益 消费者权益保护 消费者权益纠纷 商品质量 预付卡 预付式消费"
    ),
    DisputeType.LOANS_CONTRACTS: "借贷纠纷 合同纠纷 民间借贷纠纷 民间借贷 借款纠纷 债务纠纷",
    DisputeType.OTHER: "其他",
}
"""Dispute types as 矛盾纠纷 platforms (人民调解 statistics: 婚姻家庭继承纠纷, 房屋宅基地纠纷 …)
and the levels of 12345 classifications name them, at whatever level they sit
(生态环境>大气污染>工业废气, 劳动和社会保障>劳动关系>拖欠工资, 农业农村>土地承包>承包地纠纷).

Only a name of one kind of dispute is here. A sector, under which a hotline files other
matters too, is not: 生态环境 and 环境保护 (环评 and 机动车政策 consultations), 城乡建设,
住房保障, 土地管理, 卫生健康, 医疗服务, 市场监管; nor is a name that is also an application or
a consultation (宅基地, 物业收费). Noise is pollution whoever makes it (社会生活噪声 in the
噪声污染防治法), so 噪音扰民 is 环境污染, not 邻里纠纷.
"""

_WORKER_STATUS_WORDS = {
    WorkerStatus.ON_DUTY: "在职 正常 上岗",
    WorkerStatus.OFF_DUTY: "不在岗 请假 休假 病假 事假 产假 婚假 年休假 轮休",
    WorkerStatus.LEFT: (
        "离职 辞职 已辞职 辞退 已辞退 解聘 已解聘 调离 已调离 调出 已调出 退休 已退休 离任"
    ),
}
"""A roster's 在岗状态 as townships write it. Whether the worker has the job is the roster's to
say: one on leave (请假, 休假) is 离岗 for now, one who left it (辞职, 调离, 退休) 已离职. Whether
a worker on the job is free this minute is the worker app's and dispatch's
(:mod:`layers.worker_identity`)."""

_PTZ_WORDS = {
    PtzType.DOME: "球机 球型 球形 快球 高速球 高速球机 智能球 球型摄像机",
    PtzType.HALF_DOME: "半球 半球型 半球形 半球机 半球摄像机",
    PtzType.FIXED: (
        "枪机 枪型 固定枪 固定枪机 筒机 枪型摄像机 卡口 卡口相机 卡口摄像机 人脸卡口 车辆卡口 "
        "人脸抓拍 电子警察"
    ),
    PtzType.REMOTE_FIXED: "云台枪机 遥控枪 遥控枪机",
}
"""Camera types as lists and platforms write them. A 卡口 (a checkpoint's capture camera) and an
电子警察 are fixed cameras: GB/T 28181's PTZType 3."""

_CAMERA_GRADES = ("高清", "超高清", "网络", "红外", "星光", "智能", "数字")
"""What a camera's type may be written after (高清球机, 网络半球, 红外枪机)."""

_COMPASS_FORMS: tuple[tuple[str, str], ...] = (
    *(("朝", ""), ("向", ""), ("正", ""), ("", "向"), ("朝向", ""), ("面向", "")),
    *(("", "方向"), ("朝", "方向"), ("", "方")),
)
"""How a compass word (东南) is written besides itself: 朝东南, 向东南, 正东, 东南向, 朝向东南 …"""

M = TypeVar("M", bound=LabelledEnum)


def _by_word(words: Mapping[M, str]) -> dict[str, LabelledEnum]:
    """Return the value each word names; a word listed under two values is an error.

    Examples
    --------
    >>> _by_word({RiskLevel.RED: "红 重大", RiskLevel.BLUE: "蓝 重大"})
    Traceback (most recent call last):
    ...
    ValueError: 重大 names both 1 and 4
    """
    named: dict[str, LabelledEnum] = {}
    for member, listed in words.items():
        for word in listed.split():
            other = named.setdefault(value_key(word), member)
            if other is not member:
                raise ValueError(f"{word} names both {other.value} and {member.value}")
    return named


ALIASES: dict[type[LabelledEnum], dict[str, LabelledEnum]] = {
    CaseStatus: _by_word(_STATUS_WORDS),
    RegisterStatus: _by_word(_REGISTER_WORDS),
    UnitStatus: _by_word(_UNIT_WORDS),
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
        "精神病人": PersonCategory.MENTAL,
        "肇事肇祸精神病人": PersonCategory.MENTAL,
        "涉毒人员": PersonCategory.DRUG,
    },
    # 走访结果 as 走访台账 write it (trial AW S2): whom the visit reached
    VisitOutcome: {
        "本人": VisitOutcome.MET,
        "见面": VisitOutcome.MET,
        "已见面": VisitOutcome.MET,
        "见到": VisitOutcome.MET,
        "面访": VisitOutcome.MET,
        "当面": VisitOutcome.MET,
        "入户": VisitOutcome.MET,
        "上门": VisitOutcome.MET,
        "入户走访": VisitOutcome.MET,
        "上门走访": VisitOutcome.MET,
        "电话": VisitOutcome.CONTACTED,
        "视频": VisitOutcome.CONTACTED,
        "电话联系": VisitOutcome.CONTACTED,
        "视频联系": VisitOutcome.CONTACTED,
        "电话走访": VisitOutcome.CONTACTED,
        "电话随访": VisitOutcome.CONTACTED,
        "视频走访": VisitOutcome.CONTACTED,
        "微信视频": VisitOutcome.CONTACTED,
        "人户分离": VisitOutcome.ABSENT,
        "未见到": VisitOutcome.ABSENT,
        "未见到本人": VisitOutcome.ABSENT,
        "未见面": VisitOutcome.ABSENT,
        "不在家": VisitOutcome.ABSENT,
        "失联": VisitOutcome.MISSING,
        "下落不明": VisitOutcome.MISSING,
        "去向不明": VisitOutcome.MISSING,
        "脱管": VisitOutcome.MISSING,  # a 社区矫正人员 out of reach
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
        "网格事件": Channel.GRID_WORKER,  # a grid app's export: 网格事件导出_202611.csv
        "网格员巡查": Channel.GRID_WORKER,
        "网格巡查": Channel.GRID_WORKER,
        "网格员排查": Channel.GRID_WORKER,
        "网格排查": Channel.GRID_WORKER,
        "村（社区）排查": Channel.GRID_WORKER,
        "村社区排查": Channel.GRID_WORKER,
        "摸排": Channel.GRID_WORKER,
        "排查发现": Channel.GRID_WORKER,
        "群众来访": Channel.WALK_IN,
        "走访": Channel.WALK_IN,
        "来人来访": Channel.WALK_IN,
        "电话": Channel.PHONE,
        "群众来电": Channel.PHONE,
        "电话反映": Channel.PHONE,
        "来电反映": Channel.PHONE,
        "人民来信": Channel.LETTER,
        "群众来信": Channel.LETTER,
        "网络": Channel.ONLINE,
        "网上": Channel.ONLINE,
        "互联网": Channel.ONLINE,
        "上级交办件": Channel.SUPERIOR,
        "上级转办": Channel.SUPERIOR,
        "上级督办": Channel.SUPERIOR,
        "县级交办": Channel.SUPERIOR,
        "市级交办": Channel.SUPERIOR,
        "下级报送": Channel.SUBORDINATE,
        "12345转办": Channel.HOTLINE_12345,
        "12345交办": Channel.HOTLINE_12345,
        "热线转办": Channel.HOTLINE_12345,
        "110转办": Channel.NON_POLICE_110,
        "110推送": Channel.NON_POLICE_110,
        "110联动": Channel.NON_POLICE_110,
        "信访转办": Channel.PETITION,
        "信访交办": Channel.PETITION,
        "信访件": Channel.PETITION,
        "视频巡查": Channel.VIDEO,
        "雪亮工程": Channel.VIDEO,
    },
    Category: _by_word(_CATEGORY_WORDS),
    DisputeType: _by_word(_DISPUTE_WORDS),
    HazardType: _by_word(_HAZARD_WORDS),
    WorkerRole: {
        "网格员": WorkerRole.GRID_WORKER,
        "专职": WorkerRole.GRID_WORKER,
        "兼职": WorkerRole.PART_TIME,
        "调解员": WorkerRole.MEDIATOR,
        "民警": WorkerRole.POLICE,
        "社区警务": WorkerRole.POLICE,
    },
    WorkerStatus: _by_word(_WORKER_STATUS_WORDS),
    VideoStatus: {  # and GB/T 28181's catalog Status: ON, OFF; 海康 exports' 在线状态 1, 0
        **dict.fromkeys(("正常", "on", "ok", "运行", "运行中", "1"), VideoStatus.ONLINE),
        **dict.fromkeys(
            ("故障", "off", "不在线", "掉线", "断网", "停用", "损坏", "维修中", "待维修", "0"),
            VideoStatus.OFFLINE,
        ),
    },
    PtzType: {  # and as platforms sell them: 高清球机, 网络半球, 红外枪机 …
        f"{grade}{word}": member
        for word, member in _by_word(_PTZ_WORDS).items()
        for grade in ("", *_CAMERA_GRADES)
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
        "严管": ManagementLevel.KEY,  # 社区矫正的分类管理：严格、普通、宽松管理
        "严格管理": ManagementLevel.KEY,
        "普管": ManagementLevel.ATTENTION,
        "普通管理": ManagementLevel.ATTENTION,
        "宽管": ManagementLevel.ROUTINE,
        "宽松管理": ManagementLevel.ROUTINE,
    },
    DirectionType: {  # 朝东, 向东, 正东, 东向, 朝向东, 东方向
        f"{before}{member.label}{after}": member
        for member in DirectionType
        for before, after in _COMPASS_FORMS
    },
}
"""Other names of code-table values, per table (compared after :func:`value_key`)."""


def compass_bearings() -> dict[str, float]:
    """Return the compass words a camera's 方位角 may be written as, by :func:`value_key`.

    A list that writes the azimuth as ``朝南`` or ``正东`` means the bearing of that point of
    the compass (:attr:`layers.model.video.DirectionType.bearing_deg`); the codes 1–8 of
    GB/T 28181's DirectionType are not among them, since an azimuth of 1 is 1°.

    Returns
    -------
    dict
        Word → degrees clockwise from north.

    Examples
    --------
    >>> words = compass_bearings()
    >>> words["朝南"], words["正东"], words["西北向"], words["东北"], "1" in words
    (180.0, 90.0, 315.0, 45.0, False)
    """
    words = {value_key(m.label): m.value for m in DirectionType}
    words |= {value_key(a): m.value for a, m in ALIASES[DirectionType].items()}
    by_code = {m.value: m.bearing_deg for m in DirectionType}
    return {word: by_code[code] for word, code in words.items()}


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

    Each distinct value is looked up once (a column of a million rows has a handful). A value of
    several levels (``城乡建设-物业管理-物业服务``) is read as its most specific level the table
    knows.

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
    >>> hotline = pd.Series(["生态环境>大气污染>工业废气", "教育>义务教育>入学政策"])
    >>> codes_of(hotline, DisputeType).tolist()
    ['environment', nan]
    """
    return codes_in(raw, [table])[0]


def codes_in(raw: pd.Series, tables: Sequence[type[LabelledEnum]]) -> list[pd.Series]:
    """Return the codes of values that may be written in any of several code tables.

    Each value is read in one table: the one that knows it, or, for a value of several levels,
    the one that knows its most specific known level (a level both know is the first table's;
    no name of the case tables is two tables' — see the tests). The other tables have NaN for it.
    Each distinct value is looked up once.

    Parameters
    ----------
    raw : pandas.Series
        Values as written (``None`` where empty).
    tables : sequence of type of LabelledEnum
        The code tables, the first one first.

    Returns
    -------
    list of pandas.Series
        One per table: its codes, NaN where empty or not a way of writing one of its values.

    Examples
    --------
    >>> values = ["城乡建设>物业管理>消防安全", "矛盾纠纷/劳资欠薪", "安全隐患", "教育"]
    >>> category, dispute, hazard = codes_in(pd.Series(values), [Category, DisputeType, HazardType])
    >>> category.tolist(), dispute.tolist(), hazard.tolist()
    ([nan, nan, 'safety_hazard', nan], [nan, 'labour_wages', nan, nan], ['fire', nan, nan, nan])
    """
    names: dict[str, tuple[int, str]] = {}
    for position, table in enumerate(tables):
        for key, code in lookup(table).items():
            names.setdefault(key, (position, code))
    found = {v: _code_of(str(v), names) for v in raw.dropna().unique()}
    return [
        raw.map(
            {v: c[1] if c is not None and c[0] == position else None for v, c in found.items()},
            na_action="ignore",
        )
        for position in range(len(tables))
    ]


_SEGMENTS = re.compile(r"\s*[-－—>＞/／|｜\\、]+\s*")
"""Between the levels of a classification (``城乡建设-物业管理``, ``矛盾纠纷/劳资欠薪``)."""
_CATCH_ALL_LEVELS = frozenset({"其他", "其它", "其他类", "综合"})
"""Levels that say nothing of the kind (``城乡建设-其他`` is not a dispute of the kind 其他纠纷)."""


T = TypeVar("T")


_QUALIFIER = re.compile(r"\s*[（(【\[][^）)】\]]*[）)】\]]\s*$")
"""A bracketed qualifier at the end of a value (``社区矫正对象（缓刑）``, ``已办结(满意)``)."""


def _code_of(value: str, names: Mapping[str, T]) -> T | None:
    """Return the code of a value, of its most specific level, or of it without its qualifier.

    ``城乡建设-物业管理`` is read as its level 物业管理; ``刑满释放人员(安置帮教)`` and
    ``邻里纠纷（漏水）`` without their bracketed qualifier.
    """
    code = names.get(value_key(value))
    if code is not None:
        return code
    levels = [value_key(level) for level in _SEGMENTS.split(value) if level]
    known = (k for k in reversed(levels) if k in names and k not in _CATCH_ALL_LEVELS)
    code = next((names[k] for k in known), None)
    bare = _QUALIFIER.sub("", value)
    if code is None and bare and bare != value:
        return _code_of(bare, names)
    return code


GENERIC_PARTS = frozenset(
    "安全 管理 服务 问题 其他 其它 综合 工作 建设 设施 事项 情况 人员 信息 状态 类别 相关 "
    "纠纷 矛盾 隐患".split()
)
"""Words that many names share and that say nothing of which one a value means (食品安全 is no
消防安全隐患, 物业费纠纷 no 消费纠纷): characters of a value within one of them do not make it
near a name (:func:`nearest_name`)."""


def nearest_name(
    value: str,
    tables: Sequence[type[LabelledEnum]],
    groups: Mapping[type[LabelledEnum], LabelledEnum] | None = None,
) -> str | None:
    """Return the label a value the tables do not know most likely means, if a credible one.

    What a refusal's example maps an unknown value to (:func:`importers.kinds.base.mapped_rule`):
    the label, or alias, sharing with one of the value's levels the run of characters with the
    most characters outside the value's generic words (:data:`GENERIC_PARTS`), at least
    :data:`NEAR_RUN`, or two when the level is all in the name (``交通运输-道路交通`` shares
    道路交通 with 道路交通隐患; ``土地山林权属纠纷`` 山林权属 with the alias 山林权属纠纷 of
    土地山林; ``燃气`` is in 燃气安全隐患), a label before an alias alike; else the longest name
    the value contains whole (``食品安全隐患`` contains 安全隐患). Two characters shared
    otherwise are chance as often as not (已回复 and 已回访, 占道经营 and 土地承包经营纠纷).
    When names of several values come out alike, their group's label when they are all of one
    group (the subtypes of one category), else none: an example mapping to a wrong value
    misleads more than one leaving the choice to the clerk (``…``).

    Parameters
    ----------
    value : str
        The value as written.
    tables : sequence of type of LabelledEnum
        The code tables it may name a value of.
    groups : mapping, optional
        Code table → the value of which the table's values are parts (a subtype's category);
        a table not in it groups each value on its own.

    Returns
    -------
    str or None
        The label, or ``None`` when no name is near enough, or several alike.

    Examples
    --------
    >>> from layers.model.cases import SUBTYPES
    >>> tables = [Category, *SUBTYPES.values()]
    >>> groups = {table: category for category, table in SUBTYPES.items()}
    >>> [nearest_name(v, tables, groups) for v in ("交通运输-道路交通", "土地山林权属纠纷")]
    ['道路交通隐患', '土地山林']
    >>> [nearest_name(v, tables, groups) for v in ("燃气", "宗族纠纷", "食品安全隐患")]
    ['燃气安全隐患', '矛盾纠纷', '安全隐患']
    >>> nearest_name("城乡建设-市容环境-占道经营", tables, groups) is None  # 环境卫生 or 环境污染
    True
    >>> nearest_name("在线", [UnitStatus]), nearest_name("已回复", [CaseStatus])
    (None, None)
    """
    names = _names_of(tuple(tables))
    levels = [value_key(level) for level in _SEGMENTS.split(value) if level] or [value_key(value)]
    best: tuple[int, bool] = (2, False)
    found: list[LabelledEnum] = []
    for level in levels:
        generic = _generic_characters(level)
        pairs = {level[i : i + 2] for i in range(len(level) - 1)}
        for index in {i for pair in pairs for i in names.by_pair.get(pair, ())}:
            key, member, is_label = names.entries[index]
            shared = _shared_run(level, key, generic)
            if shared < NEAR_RUN and not (shared >= 2 and level in key):
                continue
            score = (shared, is_label)
            if score > best:
                best, found = score, []
            if score >= best:
                found.append(member)
    if not found:  # a name the value holds whole: 隐患 in 食品安全隐患, a 安全隐患
        contained = [
            (len(key), member)
            for level in levels
            for key, member, _ in names.entries
            if len(key) >= 2 and key in level and key not in GENERIC_PARTS - _MARKERS
        ]
        longest = max((n for n, _ in contained), default=0)
        found = [member for n, member in contained if n == longest]
    return _one_of(found, groups or {})


NEAR_RUN = 3
"""Characters (outside generic words) a value's level must share in a row with a name to be
near it, unless the level is all in the name (:func:`nearest_name`)."""
_MARKERS = frozenset({"纠纷", "矛盾", "隐患"})
"""Generic words that are names of a category all the same (a value holding one whole is one)."""


def _one_of(
    members: list[LabelledEnum], groups: Mapping[type[LabelledEnum], LabelledEnum]
) -> str | None:
    """Return the label of the one value among ``members``, else of their one group, else none."""
    labels = {member.label for member in members}
    if len(labels) == 1:
        return labels.pop()
    owners = {groups.get(type(member), member).label for member in members}
    return owners.pop() if len(owners) == 1 else None


@dataclass(frozen=True)
class _Names:
    """The names of some code tables' values, and which of them hold each pair of characters."""

    entries: list[tuple[str, LabelledEnum, bool]]
    by_pair: dict[str, list[int]]


@cache
def _names_of(tables: tuple[type[LabelledEnum], ...]) -> _Names:
    """Return the labels and aliases of ``tables`` (by :func:`value_key`), codes left out."""
    entries: list[tuple[str, LabelledEnum, bool]] = []
    for table in tables:
        for member in table:
            entries.append((value_key(member.label), member, True))
        entries += [(value_key(a), m, False) for a, m in ALIASES.get(table, {}).items()]
    entries = [entry for entry in entries if not entry[0].isascii()]
    by_pair: dict[str, list[int]] = {}
    for index, (key, _, _) in enumerate(entries):
        for pair in {key[i : i + 2] for i in range(len(key) - 1)}:
            by_pair.setdefault(pair, []).append(index)
    return _Names(entries, by_pair)


def _generic_characters(text: str) -> list[bool]:
    """Return which characters of ``text`` are within a word of :data:`GENERIC_PARTS`."""
    within = [False] * len(text)
    for word in GENERIC_PARTS:
        start = text.find(word)
        while start >= 0:
            within[start : start + len(word)] = [True] * len(word)
            start = text.find(word, start + 1)
    return within


def _shared_run(a: str, b: str, generic: list[bool]) -> int:
    """Return how many characters, not generic in ``a``, the best run ``a`` and ``b`` share has.

    Examples
    --------
    >>> _shared_run("道路交通", "道路交通隐患", [False] * 4)
    4
    >>> _shared_run("物业费纠纷", "消费纠纷", _generic_characters("物业费纠纷"))  # only 费
    1
    """
    best = 0
    ending = [0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        previous, ending = ending, [0] * (len(b) + 1)
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                run = ending[j] = previous[j - 1] + 1
                best = max(best, run - sum(generic[i - run : i]))
    return best
